//! `spec.workloadRef`: the pod template (and, when the Rollout names none, the selector) of
//! the Deployment a Rollout references, read from the API on each pass so that a change to
//! the Deployment is never planned against a stale copy.
//!
//! The Rollout handed to the planner carries the Deployment's template in `spec.template` and
//! no `workloadRef`, so hashing, validation and the ReplicaSets it makes are those of any
//! Rollout; what the planner needs of the Deployment itself is a [`WorkloadState`]. Argo also
//! takes templates from ReplicaSets and PodTemplates; those kinds are refused, naming the
//! field, rather than half supported.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use kube::{Client, ResourceExt};
use linnet_crds::rollout::{ObjectRef, Rollout, WorkloadScaleDown};
use linnet_crds::{FieldPath, Finding};

use crate::rollout::plan::WorkloadState;
use crate::rollout::reconcile::Error;

/// The Rollout's annotation that records the referenced Deployment's generation.
pub const WORKLOAD_GENERATION_ANNOTATION: &str = "rollout.argoproj.io/workload-generation";

/// A Rollout with its template resolved, and what the planner needs of the reference.
pub struct Resolved {
    pub rollout: Arc<Rollout>,
    pub workload: Option<WorkloadState>,
    pub problem: Option<Finding>,
}

impl Resolved {
    fn unchanged(rollout: Arc<Rollout>) -> Resolved {
        Resolved {
            rollout,
            workload: None,
            problem: None,
        }
    }

    fn refused(rollout: Arc<Rollout>, problem: Finding) -> Resolved {
        Resolved {
            rollout,
            workload: None,
            problem: Some(problem),
        }
    }
}

/// Resolves `spec.workloadRef`. A Rollout without one, or with a template as well (which
/// validation reports), is returned as it is.
///
/// # Errors
/// [`Error::Kube`] when the Deployment cannot be read for a reason other than its absence.
pub async fn resolve(client: &Client, rollout: Arc<Rollout>) -> Result<Resolved, Error> {
    let Some(reference) = rollout.spec.workload_ref.clone() else {
        return Ok(Resolved::unchanged(rollout));
    };
    if rollout.spec.template.is_some() || reference.name.as_deref().is_none_or(str::is_empty) {
        return Ok(Resolved::unchanged(rollout));
    }
    let at = FieldPath::root("spec").field("workloadRef");
    if let Some(problem) = unsupported_kind(&reference, &at) {
        return Ok(Resolved::refused(rollout, problem));
    }
    let name = reference.name.clone().unwrap_or_default();
    let api: Api<Deployment> = Api::namespaced(client.clone(), &rollout.namespace().unwrap_or_default());
    let deployment = api.get_opt(&name).await.map_err(|source| Error::Kube {
        rollout: rollout.name_any(),
        what: format!("get Deployment {name}"),
        source,
    })?;
    let Some(deployment) = deployment else {
        let missing = Finding::error(at.field("name"), format!("Deployment \"{name}\" not found"));
        return Ok(Resolved::refused(rollout, missing));
    };
    Ok(resolved_from(rollout, &reference, deployment))
}

/// Only `apps/v1` Deployments are followed (the API version may be left out).
fn unsupported_kind(reference: &ObjectRef, at: &FieldPath) -> Option<Finding> {
    let kind = reference.kind.as_deref().unwrap_or_default();
    let api_version = reference.api_version.as_deref().unwrap_or("apps/v1");
    if kind == "Deployment" && api_version == "apps/v1" {
        return None;
    }
    Some(Finding::error(
        at.field("kind"),
        format!("{api_version} {kind} is not supported: only an apps/v1 Deployment can provide the template"),
    ))
}

/// The Rollout with the Deployment's template (and selector, when it names none).
fn resolved_from(rollout: Arc<Rollout>, reference: &ObjectRef, deployment: Deployment) -> Resolved {
    let annotated_generation = rollout.annotations().get(WORKLOAD_GENERATION_ANNOTATION).cloned();
    let generation = deployment.metadata.generation.unwrap_or(0);
    let name = deployment.name_any();
    let Some(spec) = deployment.spec else {
        let problem = Finding::error(
            FieldPath::root("spec").field("workloadRef").field("name"),
            format!("Deployment \"{name}\" has no spec"),
        );
        return Resolved::refused(rollout, problem);
    };
    let mut resolved = (*rollout).clone();
    resolved.spec.template = Some(spec.template);
    resolved.spec.workload_ref = None;
    if resolved.spec.selector.is_none() {
        resolved.spec.selector = Some(spec.selector);
    }
    Resolved {
        rollout: Arc::new(resolved),
        workload: Some(WorkloadState {
            name,
            generation,
            replicas: spec.replicas.unwrap_or(1),
            scale_down: reference.scale_down.unwrap_or(WorkloadScaleDown::Never),
            annotated_generation,
        }),
        problem: None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rollout(selector: Option<serde_json::Value>) -> Arc<Rollout> {
        let mut spec = json!({"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
            "scaleDown": "progressively"}});
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

    fn deployment() -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "ns", "generation": 3},
            "spec": {
                "replicas": 4,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "web:2"}]}},
            },
        }))
        .unwrap_or_else(|e| panic!("bad Deployment: {e}"))
    }

    fn reference(rollout: &Rollout) -> ObjectRef {
        rollout.spec.workload_ref.clone().unwrap_or_default()
    }

    #[test]
    fn the_deployment_provides_template_selector_and_what_the_planner_needs() {
        let written = rollout(None);
        let resolved = resolved_from(written.clone(), &reference(&written), deployment());
        let spec = &resolved.rollout.spec;
        let image = spec
            .template
            .as_ref()
            .and_then(|t| t.spec.as_ref())
            .and_then(|s| s.containers.first())
            .and_then(|c| c.image.clone());
        assert_eq!(image.as_deref(), Some("web:2"));
        assert!(spec.workload_ref.is_none(), "the planner sees a plain template");
        assert_eq!(
            spec.selector.as_ref().and_then(|s| s.match_labels.clone()),
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
        assert!(resolved.problem.is_none());
    }

    #[test]
    fn the_rollouts_own_selector_is_kept() {
        let written = rollout(Some(json!({"matchLabels": {"app": "web", "tier": "front"}})));
        let resolved = resolved_from(written.clone(), &reference(&written), deployment());
        let labels = resolved
            .rollout
            .spec
            .selector
            .as_ref()
            .and_then(|s| s.match_labels.clone())
            .unwrap_or_default();
        assert_eq!(labels.get("tier").map(String::as_str), Some("front"));
    }

    #[test]
    fn kinds_other_than_an_apps_v1_deployment_are_refused_naming_the_field() {
        let at = FieldPath::root("spec").field("workloadRef");
        let of = |api_version: Option<&str>, kind: &str| ObjectRef {
            api_version: api_version.map(str::to_string),
            kind: Some(kind.to_string()),
            name: Some("web".to_string()),
            scale_down: None,
        };
        assert!(unsupported_kind(&of(Some("apps/v1"), "Deployment"), &at).is_none());
        assert!(unsupported_kind(&of(None, "Deployment"), &at).is_none());
        for (api_version, kind) in [
            (Some("apps/v1"), "ReplicaSet"),
            (Some("v1"), "PodTemplate"),
            (Some("extensions/v1beta1"), "Deployment"),
        ] {
            let finding = unsupported_kind(&of(api_version, kind), &at)
                .unwrap_or_else(|| panic!("{kind} should be refused"));
            assert_eq!(finding.path, "spec.workloadRef.kind");
            assert!(finding.message.contains(kind), "{}", finding.message);
        }
    }
}
