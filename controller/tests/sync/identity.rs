//! Resource keys, tracking ids and duplicate detection.

use linnet_controller::sync::identity::{TrackingId, ensure_unique, instance_label_value, tracking_id};
use linnet_controller::sync::{ResourceKey, SyncError};
use serde_json::json;

use crate::builders::{annotated, deployment, object};

#[test]
fn keys_leave_the_core_group_empty_and_read_like_kubectl() {
    let service = ResourceKey::of(&object("v1", "Service", "shop", "web"));
    assert_eq!(service, ResourceKey::new("", "Service", "shop", "web"));
    assert_eq!(service.to_string(), "Service shop/web");
    let deployment = ResourceKey::of(&deployment("web"));
    assert_eq!(deployment, ResourceKey::new("apps", "Deployment", "shop", "web"));
    assert_eq!(deployment.to_string(), "Deployment.apps shop/web");
    assert_eq!(
        ResourceKey::of(&object("v1", "Namespace", "", "team")).to_string(),
        "Namespace team"
    );
    let generated =
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"generateName": "migrate-"}});
    assert_eq!(ResourceKey::of(&generated).name, "migrate-");
}

#[test]
fn tracking_ids_format_as_argo_cd_writes_them() {
    let cases = [
        (
            ResourceKey::new("", "Service", "shop", "web"),
            "guestbook:/Service:shop/web",
        ),
        (
            ResourceKey::new("apps", "Deployment", "shop", "web"),
            "guestbook:apps/Deployment:shop/web",
        ),
        (
            ResourceKey::new("", "Namespace", "", "team"),
            "guestbook:/Namespace:/team",
        ),
    ];
    for (key, text) in cases {
        let id = TrackingId {
            app: "guestbook".into(),
            key,
        };
        assert_eq!(id.to_string(), text);
        assert_eq!(text.parse::<TrackingId>(), Ok(id));
    }
}

#[test]
fn tracking_ids_parse_names_with_colons_and_reject_other_shapes() {
    let id: TrackingId = "app:g/K:ns/name:with:colons".parse().expect("valid");
    assert_eq!(id.key, ResourceKey::new("g", "K", "ns", "name:with:colons"));
    for bad in [
        "app",
        "app;group/kind/ns",
        "app:g/K",
        "app:gK:ns/n",
        "app:g/K/x:ns/n",
        "app:g/K:ns/n/x",
    ] {
        assert_eq!(
            bad.parse::<TrackingId>(),
            Err(SyncError::InvalidTrackingId { value: bad.into() }),
            "{bad}"
        );
    }
}

#[test]
fn tracking_id_reads_the_annotation() {
    let tracked = annotated(
        deployment("web"),
        &[("argocd.argoproj.io/tracking-id", "shop:apps/Deployment:shop/web")],
    );
    let id = tracking_id(&tracked).expect("annotated").expect("valid");
    assert_eq!(id.app, "shop");
    assert_eq!(tracking_id(&deployment("web")), None);
    let broken = annotated(deployment("web"), &[("argocd.argoproj.io/tracking-id", "shop")]);
    assert!(matches!(
        tracking_id(&broken),
        Some(Err(SyncError::InvalidTrackingId { .. }))
    ));
}

#[test]
fn instance_label_values_fit_a_label() {
    assert_eq!(instance_label_value("guestbook"), "guestbook");
    let long = "a".repeat(70);
    assert_eq!(instance_label_value(&long), "a".repeat(63));
    let cut_at_dash = format!("{}-tail", "b".repeat(62));
    assert_eq!(
        instance_label_value(&cut_at_dash),
        "b".repeat(62),
        "no trailing '-'"
    );
}

#[test]
fn duplicates_in_a_render_name_both_objects() {
    let render = [
        deployment("web"),
        object("extensions/v1beta1", "Deployment", "other", "web"),
        object("apps/v1beta2", "Deployment", "shop", "web"),
    ];
    let error = ensure_unique(&render).expect_err("duplicate");
    assert_eq!(
        error,
        SyncError::DuplicateResource {
            key: Box::new(ResourceKey::new("apps", "Deployment", "shop", "web")),
            first: 0,
            first_api_version: "apps/v1".into(),
            second: 2,
            second_api_version: "apps/v1beta2".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        "Deployment.apps shop/web is rendered twice: as object #0 (apps/v1) and #2 (apps/v1beta2)"
    );
    assert_eq!(ensure_unique(&render[..2]), Ok(()));
    let nameless = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}});
    assert_eq!(
        ensure_unique(&[nameless]),
        Err(SyncError::MissingName {
            index: 0,
            kind: "ConfigMap".into()
        })
    );
}
