//! Hook, delete-policy, wave and sync-option annotations.

use linnet_controller::sync::SyncError;
use linnet_controller::sync::hooks::{
    DeletePolicy, HookType, Role, SyncPhase, name_generated_hook, role, wave,
};
use linnet_controller::sync::options::{Removal, SyncOptions, sync_options};

use crate::builders::{annotated, deployment};

fn with(annotations: &[(&str, &str)]) -> serde_json::Value {
    annotated(deployment("web"), annotations)
}

/// Annotations as (key, value) pairs.
type Annotations<'a> = Vec<(&'a str, &'a str)>;

fn hook(types: &[HookType], delete_policies: &[DeletePolicy]) -> Role {
    Role::Hook {
        types: types.to_vec(),
        delete_policies: delete_policies.to_vec(),
    }
}

#[test]
fn hook_annotations_give_roles() {
    use DeletePolicy::*;
    use HookType::*;
    let cases: Vec<(&str, Annotations, Role)> = vec![
        ("no annotation", vec![], Role::Resource),
        (
            "one phase",
            vec![("argocd.argoproj.io/hook", "PreSync")],
            hook(&[PreSync], &[BeforeHookCreation]),
        ),
        (
            "two phases",
            vec![("argocd.argoproj.io/hook", "PreSync,PostSync")],
            hook(&[PreSync, PostSync], &[BeforeHookCreation]),
        ),
        (
            "spaces",
            vec![("argocd.argoproj.io/hook", " Sync , SyncFail ")],
            hook(&[Sync, SyncFail], &[BeforeHookCreation]),
        ),
        (
            "skip alone",
            vec![("argocd.argoproj.io/hook", "Skip")],
            Role::Skipped,
        ),
        (
            "skip with a phase",
            vec![("argocd.argoproj.io/hook", "Skip,PostSync")],
            hook(&[PostSync], &[BeforeHookCreation]),
        ),
        (
            "delete hooks",
            vec![("argocd.argoproj.io/hook", "PreDelete,PostDelete")],
            hook(&[PreDelete, PostDelete], &[BeforeHookCreation]),
        ),
        (
            "helm pre",
            vec![("helm.sh/hook", "pre-install,pre-upgrade")],
            hook(&[PreSync], &[BeforeHookCreation]),
        ),
        (
            "helm post",
            vec![("helm.sh/hook", "post-install")],
            hook(&[PostSync], &[BeforeHookCreation]),
        ),
        (
            "helm post-upgrade",
            vec![("helm.sh/hook", "post-upgrade")],
            hook(&[PostSync], &[BeforeHookCreation]),
        ),
        (
            "helm pre-delete",
            vec![("helm.sh/hook", "pre-delete")],
            hook(&[PreDelete], &[BeforeHookCreation]),
        ),
        (
            "helm post-delete",
            vec![("helm.sh/hook", "post-delete")],
            hook(&[PostDelete], &[BeforeHookCreation]),
        ),
        (
            "helm test ignored",
            vec![("helm.sh/hook", "test")],
            Role::Resource,
        ),
        (
            "argo wins over helm",
            vec![
                ("argocd.argoproj.io/hook", "Sync"),
                ("helm.sh/hook", "pre-install"),
            ],
            hook(&[Sync], &[BeforeHookCreation]),
        ),
        (
            "argo delete policies",
            vec![
                ("argocd.argoproj.io/hook", "PostSync"),
                (
                    "argocd.argoproj.io/hook-delete-policy",
                    "HookSucceeded,HookFailed",
                ),
            ],
            hook(&[PostSync], &[HookSucceeded, HookFailed]),
        ),
        (
            "helm delete policies",
            vec![
                ("helm.sh/hook", "post-install"),
                (
                    "helm.sh/hook-delete-policy",
                    "hook-succeeded,before-hook-creation,hook-failed",
                ),
            ],
            hook(&[PostSync], &[HookSucceeded, BeforeHookCreation, HookFailed]),
        ),
    ];
    for (name, annotations, expected) in cases {
        assert_eq!(role(&with(&annotations)), Ok(expected), "{name}");
    }
}

#[test]
fn unknown_argo_values_are_errors_naming_the_object() {
    for (annotation, value) in [
        ("argocd.argoproj.io/hook", "PreSync,PostSnyc"),
        ("argocd.argoproj.io/hook-delete-policy", "Always"),
    ] {
        let obj = with(&[("argocd.argoproj.io/hook", "PreSync"), (annotation, value)]);
        let error = role(&obj).expect_err(annotation);
        let SyncError::UnknownAnnotationValue {
            object,
            annotation: named,
            value: word,
        } = &error
        else {
            panic!("unexpected error {error:?}");
        };
        assert_eq!(object.name, "web");
        assert_eq!(*named, annotation);
        assert!(value.contains(word.as_str()));
        assert!(error.to_string().contains("Deployment.apps shop/web"), "{error}");
    }
}

#[test]
fn only_sync_hooks_have_a_sync_phase() {
    assert_eq!(HookType::PreSync.sync_phase(), Some(SyncPhase::PreSync));
    assert_eq!(HookType::SyncFail.sync_phase(), Some(SyncPhase::SyncFail));
    assert_eq!(HookType::PreDelete.sync_phase(), None);
    assert_eq!(HookType::PostDelete.sync_phase(), None);
    assert_eq!(HookType::Skip.sync_phase(), None);
}

#[test]
fn waves_come_from_sync_wave_then_helm_weight() {
    let cases: Vec<(Vec<(&str, &str)>, i32)> = vec![
        (vec![], 0),
        (vec![("argocd.argoproj.io/sync-wave", "-3")], -3),
        (vec![("argocd.argoproj.io/sync-wave", " 5 ")], 5),
        (vec![("helm.sh/hook-weight", "-2")], -2),
        (
            vec![
                ("argocd.argoproj.io/sync-wave", "4"),
                ("helm.sh/hook-weight", "9"),
            ],
            4,
        ),
    ];
    for (annotations, expected) in cases {
        assert_eq!(wave(&with(&annotations)), Ok(expected), "{annotations:?}");
    }
}

#[test]
fn a_bad_wave_is_an_error_naming_the_object() {
    for key in ["argocd.argoproj.io/sync-wave", "helm.sh/hook-weight"] {
        let error = wave(&with(&[(key, "two")])).expect_err(key);
        assert!(
            matches!(&error, SyncError::InvalidWave { object, annotation, value }
                if object.name == "web" && *annotation == key && value == "two"),
            "{error:?}"
        );
    }
}

#[test]
fn sync_options_parse_each_entry() {
    let read = |text: &str| sync_options(&with(&[("argocd.argoproj.io/sync-options", text)]));
    let defaults = SyncOptions::default();
    assert_eq!(sync_options(&deployment("web")), defaults);
    assert!(defaults.validate && defaults.prune == Removal::Allowed && defaults.server_side_apply.is_none());

    let all = read(
        "Prune=false, Delete=confirm,Replace=true,ServerSideApply=false,Validate=false,PruneLast=true,SkipDryRunOnMissingResource=true,Force=true",
    );
    assert_eq!(
        all,
        SyncOptions {
            prune: Removal::Disabled,
            delete: Removal::Confirm,
            replace: true,
            server_side_apply: Some(false),
            validate: false,
            prune_last: true,
            skip_dry_run_on_missing_resource: true,
            force: true,
            unrecognised: vec![],
        }
    );
    assert_eq!(read("Prune=confirm").prune, Removal::Confirm);
    assert_eq!(read("Delete=false").delete, Removal::Disabled);
    assert_eq!(read("ServerSideApply=true").server_side_apply, Some(true));
    assert_eq!(
        read("Replace=yes,Frobnicate=true,Prune").unrecognised,
        ["Replace=yes", "Frobnicate=true", "Prune"]
    );
}

#[test]
fn generated_hook_names_are_stable_per_operation_and_phase() {
    let generated = serde_json::json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"generateName": "migrate-"}});
    let pre = name_generated_hook(&generated, "Op7", SyncPhase::PreSync);
    assert_eq!(pre["metadata"]["name"], "migrate-op7-presync");
    assert_eq!(pre["metadata"]["generateName"], "migrate-");
    assert_eq!(name_generated_hook(&generated, "Op7", SyncPhase::PreSync), pre);
    assert_eq!(
        name_generated_hook(&generated, "op7", SyncPhase::PostSync)["metadata"]["name"],
        "migrate-op7-postsync"
    );
    let named = deployment("web");
    assert_eq!(name_generated_hook(&named, "op7", SyncPhase::Sync), named);
}
