//! The Services a Rollout drives (stable, canary, active, preview): the merge patch that points
//! a Service's selector at one ReplicaSet's pods and marks the Service as managed by the
//! Rollout, the patch that undoes it, and the checks the executor makes before patching.

use k8s_openapi::api::core::v1::Service;
use serde_json::{Value, json};

use super::{MANAGED_BY_ANNOTATION, ObjectError, POD_TEMPLATE_HASH_LABEL};

/// Merge patch that adds `rollouts-pod-template-hash: <hash>` to the Service's selector and
/// annotates it as managed by `rollout`.
pub fn set_selector_patch(rollout: &str, hash: &str) -> Value {
    json!({
        "metadata": {"annotations": {MANAGED_BY_ANNOTATION: rollout}},
        "spec": {"selector": {POD_TEMPLATE_HASH_LABEL: hash}},
    })
}

/// Merge patch that removes the hash from the selector and the managed-by annotation, as done
/// when a Rollout stops using a Service or is deleted.
pub fn remove_selector_patch() -> Value {
    json!({
        "metadata": {"annotations": {MANAGED_BY_ANNOTATION: null}},
        "spec": {"selector": {POD_TEMPLATE_HASH_LABEL: null}},
    })
}

/// The hash a Service currently selects, if any.
pub fn selected_hash(service: &Service) -> Option<&str> {
    service
        .spec
        .as_ref()?
        .selector
        .as_ref()?
        .get(POD_TEMPLATE_HASH_LABEL)
        .map(String::as_str)
}

/// Fails when the Service is annotated as managed by a different Rollout: two Rollouts
/// rewriting one selector would fight over it.
pub fn check_service_owner(service: &Service, rollout: &str) -> Result<(), ObjectError> {
    let owner = service
        .metadata
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.get(MANAGED_BY_ANNOTATION));
    match owner {
        Some(owner) if owner != rollout => Err(ObjectError::ServiceOwnedByOther {
            service: service.metadata.name.clone().unwrap_or_default(),
            owner: owner.clone(),
            rollout: rollout.to_string(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::ServiceSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;

    fn service(selector: &[(&str, &str)], managed_by: Option<&str>) -> Service {
        Service {
            metadata: ObjectMeta {
                name: Some("web-stable".into()),
                annotations: managed_by
                    .map(|owner| BTreeMap::from([(MANAGED_BY_ANNOTATION.to_string(), owner.to_string())])),
                ..ObjectMeta::default()
            },
            spec: Some(ServiceSpec {
                selector: Some(
                    selector
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                ..ServiceSpec::default()
            }),
            status: None,
        }
    }

    /// Applying the patch as a JSON merge patch (RFC 7386) gives the selector the hash and
    /// keeps the app label; the removal patch takes both additions away again.
    #[test]
    fn set_and_remove_round_trip() {
        let original = serde_json::to_value(service(&[("app", "web")], None)).unwrap();
        let mut patched = original.clone();
        json_patch::merge(&mut patched, &set_selector_patch("web", "6c5d8f7b9"));
        assert_eq!(
            patched["spec"]["selector"],
            json!({"app": "web", "rollouts-pod-template-hash": "6c5d8f7b9"})
        );
        assert_eq!(patched["metadata"]["annotations"][MANAGED_BY_ANNOTATION], "web");
        let typed: Service = serde_json::from_value(patched.clone()).unwrap();
        assert_eq!(selected_hash(&typed), Some("6c5d8f7b9"));

        json_patch::merge(&mut patched, &remove_selector_patch());
        assert_eq!(patched["spec"]["selector"], json!({"app": "web"}));
        assert_eq!(patched["metadata"]["annotations"], json!({}));
    }

    #[test]
    fn owner_check() {
        assert_eq!(check_service_owner(&service(&[], None), "web"), Ok(()));
        assert_eq!(check_service_owner(&service(&[], Some("web")), "web"), Ok(()));
        let error = check_service_owner(&service(&[], Some("api")), "web").unwrap_err();
        assert_eq!(
            error.to_string(),
            "Service web-stable is managed by Rollout api, not web"
        );
    }

    #[test]
    fn selected_hash_absent_without_the_label() {
        assert_eq!(selected_hash(&service(&[("app", "web")], None)), None);
    }
}
