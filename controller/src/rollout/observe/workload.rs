//! `spec.workloadRef`: the pod template (and, when the Rollout names none, the selector) of
//! the Deployment, ReplicaSet or PodTemplate a Rollout references, read from the API on each
//! pass so that a change to it is never planned against a stale copy.
//!
//! The Rollout handed to the planner carries the workload's template in `spec.template` and
//! no `workloadRef`, so hashing, validation and the ReplicaSets it makes are those of any
//! Rollout; what the planner needs of the workload itself is a [`WorkloadState`]. Only a
//! Deployment is scaled down (`scaleDown`); asking it of another kind is refused, naming the
//! field, where Argo's controller would look for a Deployment of that name.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{PodTemplate, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::Api;
use kube::{Client, Resource, ResourceExt};
use linnet_crds::rollout::{ObjectRef, Rollout, WorkloadScaleDown};
use linnet_crds::{FieldPath, Finding};
use serde::de::DeserializeOwned;

use crate::rollout::plan::WorkloadState;
use crate::rollout::reconcile::Error;

/// The Rollout's annotation that records the referenced workload's generation.
pub const WORKLOAD_GENERATION_ANNOTATION: &str = "rollout.argoproj.io/workload-generation";

/// The kinds a `workloadRef` can take a template from, as Argo Rollouts follows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WorkloadKind {
    Deployment,
    ReplicaSet,
    PodTemplate,
}

impl WorkloadKind {
    /// The kind `reference` names, when it is one that is followed (its API version may be
    /// left out).
    pub fn of(reference: &ObjectRef) -> Option<WorkloadKind> {
        let kind = reference.kind.as_deref().unwrap_or_default();
        match (reference.api_version.as_deref(), kind) {
            (None | Some("apps/v1"), "Deployment") => Some(WorkloadKind::Deployment),
            (None | Some("apps/v1"), "ReplicaSet") => Some(WorkloadKind::ReplicaSet),
            (None | Some("v1"), "PodTemplate") => Some(WorkloadKind::PodTemplate),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::PodTemplate => "PodTemplate",
        }
    }
}

/// What is taken of the referenced object, whatever its kind.
#[derive(Debug)]
struct Workload {
    kind: WorkloadKind,
    name: String,
    generation: i64,
    template: Option<PodTemplateSpec>,
    /// A PodTemplate has none.
    selector: Option<LabelSelector>,
    /// A Deployment's `spec.replicas` (1 when unset); the other kinds are not scaled.
    replicas: i32,
}

impl From<Deployment> for Workload {
    fn from(deployment: Deployment) -> Workload {
        let (template, selector, replicas) = match deployment.spec {
            Some(spec) => (
                Some(spec.template),
                Some(spec.selector),
                spec.replicas.unwrap_or(1),
            ),
            None => (None, None, 1),
        };
        Workload {
            kind: WorkloadKind::Deployment,
            name: deployment.metadata.name.unwrap_or_default(),
            generation: deployment.metadata.generation.unwrap_or(0),
            template,
            selector,
            replicas,
        }
    }
}

impl From<ReplicaSet> for Workload {
    fn from(replica_set: ReplicaSet) -> Workload {
        let spec = replica_set.spec.unwrap_or_default();
        Workload {
            kind: WorkloadKind::ReplicaSet,
            name: replica_set.metadata.name.unwrap_or_default(),
            generation: replica_set.metadata.generation.unwrap_or(0),
            template: spec.template,
            selector: Some(spec.selector),
            replicas: 0,
        }
    }
}

impl From<PodTemplate> for Workload {
    fn from(pod_template: PodTemplate) -> Workload {
        Workload {
            kind: WorkloadKind::PodTemplate,
            name: pod_template.metadata.name.unwrap_or_default(),
            generation: pod_template.metadata.generation.unwrap_or(0),
            template: pod_template.template,
            selector: None,
            replicas: 0,
        }
    }
}

/// A Rollout with its template resolved, and what the planner needs of the reference.
pub struct Resolved {
    pub rollout: Arc<Rollout>,
    pub workload: Option<WorkloadState>,
    /// The kind followed, also when the reference could not be resolved.
    pub kind: Option<WorkloadKind>,
    pub problem: Option<Finding>,
}

impl Resolved {
    fn unchanged(rollout: Arc<Rollout>) -> Resolved {
        Resolved {
            rollout,
            workload: None,
            kind: None,
            problem: None,
        }
    }

    fn refused(rollout: Arc<Rollout>, kind: Option<WorkloadKind>, problem: Finding) -> Resolved {
        Resolved {
            rollout,
            workload: None,
            kind,
            problem: Some(problem),
        }
    }
}

/// Resolves `spec.workloadRef`. A Rollout without one, or with a template as well (which
/// validation reports), is returned as it is.
///
/// # Errors
/// [`Error::Kube`] when the workload cannot be read for a reason other than its absence.
pub async fn resolve(client: &Client, rollout: Arc<Rollout>) -> Result<Resolved, Error> {
    let Some(reference) = rollout.spec.workload_ref.clone() else {
        return Ok(Resolved::unchanged(rollout));
    };
    if rollout.spec.template.is_some() || reference.name.as_deref().is_none_or(str::is_empty) {
        return Ok(Resolved::unchanged(rollout));
    }
    let at = FieldPath::root("spec").field("workloadRef");
    let kind = match followed_kind(&reference, &at) {
        Ok(kind) => kind,
        Err(problem) => return Ok(Resolved::refused(rollout, WorkloadKind::of(&reference), problem)),
    };
    let name = reference.name.clone().unwrap_or_default();
    let namespace = rollout.namespace().unwrap_or_default();
    let fetched = match kind {
        WorkloadKind::Deployment => fetch::<Deployment>(client, &namespace, &name, &rollout).await?,
        WorkloadKind::ReplicaSet => fetch::<ReplicaSet>(client, &namespace, &name, &rollout).await?,
        WorkloadKind::PodTemplate => fetch::<PodTemplate>(client, &namespace, &name, &rollout).await?,
    };
    let Some(workload) = fetched else {
        let missing = Finding::error(at.field("name"), format!("{} \"{name}\" not found", kind.name()));
        return Ok(Resolved::refused(rollout, Some(kind), missing));
    };
    Ok(resolved_from(rollout, &reference, workload))
}

/// The object `name` of kind `K`, if it exists.
async fn fetch<K>(
    client: &Client,
    namespace: &str,
    name: &str,
    rollout: &Rollout,
) -> Result<Option<Workload>, Error>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + DeserializeOwned
        + Clone
        + std::fmt::Debug
        + Into<Workload>,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let found = api.get_opt(name).await.map_err(|source| Error::Kube {
        rollout: rollout.name_any(),
        what: format!("get {} {name}", K::kind(&())),
        source,
    })?;
    Ok(found.map(Into::into))
}

/// The kind `reference` names, or why it cannot be followed: a kind no template is taken from,
/// or a `scaleDown` asked of a kind that is not scaled.
fn followed_kind(reference: &ObjectRef, at: &FieldPath) -> Result<WorkloadKind, Finding> {
    let Some(kind) = WorkloadKind::of(reference) else {
        let api_version = reference.api_version.as_deref().unwrap_or("apps/v1");
        let kind = reference.kind.as_deref().unwrap_or_default();
        return Err(Finding::error(
            at.field("kind"),
            format!(
                "{api_version} {kind} is not supported: the template is taken from an apps/v1 Deployment or ReplicaSet, or a v1 PodTemplate"
            ),
        ));
    };
    let scaled = reference
        .scale_down
        .is_some_and(|s| s != WorkloadScaleDown::Never);
    if scaled && kind != WorkloadKind::Deployment {
        return Err(Finding::error(
            at.field("scaleDown"),
            format!(
                "only a Deployment is scaled down; leave scaleDown out, or \"never\", for a {}",
                kind.name()
            ),
        ));
    }
    Ok(kind)
}

/// The Rollout with the workload's template (and selector, when it names none).
fn resolved_from(rollout: Arc<Rollout>, reference: &ObjectRef, workload: Workload) -> Resolved {
    let annotated_generation = rollout.annotations().get(WORKLOAD_GENERATION_ANNOTATION).cloned();
    let kind = workload.kind;
    let Some(template) = workload.template else {
        let problem = Finding::error(
            FieldPath::root("spec").field("workloadRef").field("name"),
            format!("{} \"{}\" has no pod template", kind.name(), workload.name),
        );
        return Resolved::refused(rollout, Some(kind), problem);
    };
    let mut resolved = (*rollout).clone();
    resolved.spec.template = Some(template);
    resolved.spec.workload_ref = None;
    if resolved.spec.selector.is_none() {
        resolved.spec.selector = workload.selector;
    }
    Resolved {
        rollout: Arc::new(resolved),
        workload: Some(WorkloadState {
            name: workload.name,
            generation: workload.generation,
            replicas: workload.replicas,
            scale_down: reference.scale_down.unwrap_or(WorkloadScaleDown::Never),
            annotated_generation,
        }),
        kind: Some(kind),
        problem: None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rollout(reference: serde_json::Value, selector: Option<serde_json::Value>) -> Arc<Rollout> {
        let mut spec = json!({"workloadRef": reference});
        if let Some(selector) = selector {
            spec["selector"] = selector;
        }
        Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": "web", "namespace": "ns",
                    "annotations": {WORKLOAD_GENERATION_ANNOTATION: "2"}},
                "spec": spec,
            }))
            .unwrap_or_else(|e| panic!("bad Rollout: {e}")),
        )
    }

    fn deployment_rollout(selector: Option<serde_json::Value>) -> Arc<Rollout> {
        rollout(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "scaleDown": "progressively"}),
            selector,
        )
    }

    fn template() -> serde_json::Value {
        json!({"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "web:2"}]}})
    }

    fn deployment() -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "ns", "generation": 3},
            "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}}, "template": template()},
        }))
        .unwrap_or_else(|e| panic!("bad Deployment: {e}"))
    }

    fn replica_set() -> ReplicaSet {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "ns", "generation": 5},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template()},
        }))
        .unwrap_or_else(|e| panic!("bad ReplicaSet: {e}"))
    }

    fn pod_template(with_template: bool) -> PodTemplate {
        let mut object = json!({"metadata": {"name": "web", "namespace": "ns", "generation": 7}});
        if with_template {
            object["template"] = template();
        }
        serde_json::from_value(object).unwrap_or_else(|e| panic!("bad PodTemplate: {e}"))
    }

    fn reference(rollout: &Rollout) -> ObjectRef {
        rollout.spec.workload_ref.clone().unwrap_or_default()
    }

    fn image(resolved: &Resolved) -> Option<String> {
        let spec = resolved.rollout.spec.template.as_ref()?.spec.as_ref()?;
        spec.containers.first()?.image.clone()
    }

    fn selected_labels(resolved: &Resolved) -> Option<std::collections::BTreeMap<String, String>> {
        resolved.rollout.spec.selector.as_ref()?.match_labels.clone()
    }

    #[test]
    fn the_deployment_provides_template_selector_and_what_the_planner_needs() {
        let written = deployment_rollout(None);
        let resolved = resolved_from(written.clone(), &reference(&written), deployment().into());
        assert_eq!(image(&resolved).as_deref(), Some("web:2"));
        assert!(
            resolved.rollout.spec.workload_ref.is_none(),
            "the planner sees a plain template"
        );
        assert_eq!(
            selected_labels(&resolved),
            Some([("app".to_string(), "web".to_string())].into())
        );
        assert_eq!(
            resolved.workload,
            Some(WorkloadState {
                name: "web".to_string(),
                generation: 3,
                replicas: 4,
                scale_down: WorkloadScaleDown::Progressively,
                annotated_generation: Some("2".to_string()),
            })
        );
        assert_eq!(resolved.kind, Some(WorkloadKind::Deployment));
        assert!(resolved.problem.is_none());
    }

    #[test]
    fn the_rollouts_own_selector_is_kept() {
        let written = deployment_rollout(Some(json!({"matchLabels": {"app": "web", "tier": "front"}})));
        let resolved = resolved_from(written.clone(), &reference(&written), deployment().into());
        let labels = selected_labels(&resolved).unwrap_or_default();
        assert_eq!(labels.get("tier").map(String::as_str), Some("front"));
    }

    #[test]
    fn a_replica_set_provides_template_and_selector_and_is_never_scaled() {
        let written = rollout(
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web"}),
            None,
        );
        let resolved = resolved_from(written.clone(), &reference(&written), replica_set().into());
        assert_eq!(image(&resolved).as_deref(), Some("web:2"));
        assert_eq!(
            selected_labels(&resolved),
            Some([("app".to_string(), "web".to_string())].into())
        );
        let workload = resolved
            .workload
            .unwrap_or_else(|| panic!("the ReplicaSet is followed"));
        assert_eq!(
            (workload.generation, workload.scale_down),
            (5, WorkloadScaleDown::Never)
        );
        assert_eq!(resolved.kind, Some(WorkloadKind::ReplicaSet));
    }

    #[test]
    fn a_pod_template_provides_the_template_and_leaves_the_selector_to_the_rollout() {
        let written = rollout(
            json!({"apiVersion": "v1", "kind": "PodTemplate", "name": "web"}),
            None,
        );
        let resolved = resolved_from(written.clone(), &reference(&written), pod_template(true).into());
        assert_eq!(image(&resolved).as_deref(), Some("web:2"));
        assert!(
            resolved.rollout.spec.selector.is_none(),
            "a PodTemplate has no selector to lend"
        );
        assert_eq!(resolved.workload.map(|w| w.generation), Some(7));
    }

    #[test]
    fn a_workload_without_a_pod_template_is_refused_naming_the_field() {
        let written = rollout(
            json!({"apiVersion": "v1", "kind": "PodTemplate", "name": "web"}),
            None,
        );
        let resolved = resolved_from(written.clone(), &reference(&written), pod_template(false).into());
        let problem = resolved
            .problem
            .unwrap_or_else(|| panic!("no template, no Rollout"));
        assert_eq!(problem.path, "spec.workloadRef.name");
        assert_eq!(problem.message, "PodTemplate \"web\" has no pod template");
        assert!(resolved.workload.is_none());
        assert_eq!(
            resolved.kind,
            Some(WorkloadKind::PodTemplate),
            "its watch is still wanted"
        );
    }

    #[test]
    fn deployments_replica_sets_and_pod_templates_are_followed_other_kinds_refused() {
        let at = FieldPath::root("spec").field("workloadRef");
        let of = |api_version: Option<&str>, kind: &str, scale_down: Option<WorkloadScaleDown>| ObjectRef {
            api_version: api_version.map(str::to_string),
            kind: Some(kind.to_string()),
            name: Some("web".to_string()),
            scale_down,
        };
        for (api_version, kind, followed) in [
            (Some("apps/v1"), "Deployment", WorkloadKind::Deployment),
            (None, "Deployment", WorkloadKind::Deployment),
            (Some("apps/v1"), "ReplicaSet", WorkloadKind::ReplicaSet),
            (Some("v1"), "PodTemplate", WorkloadKind::PodTemplate),
            (None, "PodTemplate", WorkloadKind::PodTemplate),
        ] {
            assert_eq!(
                followed_kind(&of(api_version, kind, None), &at),
                Ok(followed),
                "{kind}"
            );
        }
        for (api_version, kind) in [
            (Some("extensions/v1beta1"), "Deployment"),
            (Some("apps/v1"), "StatefulSet"),
            (Some("apps/v1"), "PodTemplate"),
        ] {
            let finding = followed_kind(&of(api_version, kind, None), &at)
                .err()
                .unwrap_or_else(|| panic!("{kind} should be refused"));
            assert_eq!(finding.path, "spec.workloadRef.kind");
            assert!(finding.message.contains(kind), "{}", finding.message);
        }
    }

    #[test]
    fn only_a_deployment_may_be_scaled_down() {
        let at = FieldPath::root("spec").field("workloadRef");
        let of = |kind: &str, scale_down| ObjectRef {
            api_version: None,
            kind: Some(kind.to_string()),
            name: Some("web".to_string()),
            scale_down: Some(scale_down),
        };
        assert_eq!(
            followed_kind(&of("Deployment", WorkloadScaleDown::OnSuccess), &at),
            Ok(WorkloadKind::Deployment)
        );
        assert_eq!(
            followed_kind(&of("ReplicaSet", WorkloadScaleDown::Never), &at),
            Ok(WorkloadKind::ReplicaSet),
            "never asks nothing"
        );
        for kind in ["ReplicaSet", "PodTemplate"] {
            let finding = followed_kind(&of(kind, WorkloadScaleDown::Progressively), &at)
                .err()
                .unwrap_or_else(|| panic!("scaling a {kind} should be refused"));
            assert_eq!(finding.path, "spec.workloadRef.scaleDown");
            assert!(finding.message.contains(kind), "{}", finding.message);
        }
    }
}
