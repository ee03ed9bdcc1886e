//! AWS Load Balancer Controller (ALB): the Ingresses the user made route a path to the action
//! Service (`rootService`, else the stable Service) with port `use-annotation`; the forward
//! action annotation `<prefix>/actions.<action Service>` holds the target groups' weights, as
//! Argo Rollouts writes it (the same JSON, so either controller reads the other's), and
//! `rollouts.argoproj.io/managed-alb-annotations` records which annotations each Rollout owns.

use std::collections::BTreeMap;

use linnet_crds::rollout::AlbTrafficRouting;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{Backends, Subject, Weights};
use crate::rollout::objects::ObjectError;

const KIND: &str = "Ingress";
const DEFAULT_PREFIX: &str = "alb.ingress.kubernetes.io";
pub const MANAGED_ANNOTATIONS: &str = "rollouts.argoproj.io/managed-alb-annotations";
/// The AWS API's bounds for target group stickiness.
const STICKINESS_SECONDS: std::ops::RangeInclusive<i64> = 1..=604_800;

/// The Ingresses to edit: `ingresses`, else `ingress`.
pub fn ingress_names(alb: &AlbTrafficRouting) -> Vec<&str> {
    match &alb.ingresses {
        Some(many) if !many.is_empty() => many.iter().map(String::as_str).collect(),
        _ => alb.ingress.as_deref().into_iter().collect(),
    }
}

/// The Service whose action is rewritten: `rootService`, else the stable Service.
pub fn action_service<'a>(alb: &'a AlbTrafficRouting, backends: Backends<'a>) -> &'a str {
    alb.root_service.as_deref().unwrap_or(backends.stable)
}

/// The forward action annotation's key.
pub fn action_key(alb: &AlbTrafficRouting, backends: Backends<'_>) -> String {
    let prefix = alb.annotation_prefix.as_deref().unwrap_or(DEFAULT_PREFIX);
    format!("{prefix}/actions.{}", action_service(alb, backends))
}

/// The forward action as the AWS controller reads it; its fields in the order Go writes them.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ForwardAction<'a> {
    #[serde(rename = "Type")]
    kind: &'static str,
    forward_config: ForwardConfig<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ForwardConfig<'a> {
    target_groups: [TargetGroup<'a>; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    target_group_stickiness_config: Option<Stickiness>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TargetGroup<'a> {
    service_name: &'a str,
    service_port: String,
    weight: i32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Stickiness {
    enabled: bool,
    duration_seconds: i64,
}

/// The forward action: the canary's target group, then the stable's, on `servicePort`.
pub fn forward_action(
    alb: &AlbTrafficRouting,
    backends: Backends<'_>,
    weights: Weights,
) -> Result<String, ObjectError> {
    let target = |service_name, weight| TargetGroup {
        service_name,
        service_port: alb.service_port.to_string(),
        weight,
    };
    let stickiness = match alb.stickiness_config.as_ref().filter(|s| s.enabled) {
        None => None,
        Some(sticky) if STICKINESS_SECONDS.contains(&sticky.duration_seconds) => Some(Stickiness {
            enabled: true,
            duration_seconds: sticky.duration_seconds,
        }),
        Some(sticky) => {
            return Err(ObjectError::InvalidRouterConfig {
                field: "spec.strategy.canary.trafficRouting.alb.stickinessConfig.durationSeconds",
                reason: format!("{} is not between 1 and 604800 (7 days)", sticky.duration_seconds),
            });
        }
    };
    let action = ForwardAction {
        kind: "forward",
        forward_config: ForwardConfig {
            target_groups: [
                target(backends.canary, weights.canary),
                target(backends.stable, weights.stable),
            ],
            target_group_stickiness_config: stickiness,
        },
    };
    serde_json::to_string(&action).map_err(|error| ObjectError::Serialize {
        what: "the ALB forward action",
        reason: error.to_string(),
    })
}

/// The live Ingress with the forward action at `weights`, recorded as `rollout`'s.
pub fn set_weight(
    live: &Value,
    alb: &AlbTrafficRouting,
    rollout: &str,
    backends: Backends<'_>,
    weights: Weights,
) -> Result<Value, ObjectError> {
    let subject = Subject::of(KIND, live);
    let service = action_service(alb, backends);
    if !routes_to(live, service) {
        return Err(subject.missing(format!(
            "spec.rules[].http.paths[].backend.service.name={service}"
        )));
    }
    let key = action_key(alb, backends);
    let action = forward_action(alb, backends, weights)?;
    let mut edited = live.clone();
    let annotations = annotations_mut(&mut edited).ok_or_else(|| subject.missing("metadata.annotations"))?;
    let managed = managed_with(annotations.get(MANAGED_ANNOTATIONS), rollout, &key, subject)?;
    annotations.insert(key, Value::String(action));
    annotations.insert(MANAGED_ANNOTATIONS.to_string(), Value::String(managed));
    Ok(edited)
}

/// The canary and stable weights of the forward action; `None` without one, or when either
/// target group is absent.
pub fn weights(live: &Value, alb: &AlbTrafficRouting, backends: Backends<'_>) -> Option<Weights> {
    let key = action_key(alb, backends);
    let action = live.pointer("/metadata/annotations")?.get(&key)?.as_str()?;
    let action: Value = serde_json::from_str(action).ok()?;
    let groups = action.pointer("/ForwardConfig/TargetGroups")?.as_array()?;
    let weight_of = |service: &str| {
        let group = groups
            .iter()
            .find(|g| g.get("ServiceName").and_then(Value::as_str) == Some(service))?;
        // Go leaves out a nil weight; the ALB controller reads that as 0.
        let weight = group.get("Weight").map_or(Some(0), Value::as_i64)?;
        i32::try_from(weight).ok()
    };
    Some(Weights {
        canary: weight_of(backends.canary)?,
        stable: weight_of(backends.stable)?,
    })
}

/// Whether a path of the Ingress sends to `service`.
fn routes_to(ingress: &Value, service: &str) -> bool {
    let rules = ingress.pointer("/spec/rules").and_then(Value::as_array);
    rules.into_iter().flatten().any(|rule| {
        let paths = rule.pointer("/http/paths").and_then(Value::as_array);
        paths
            .into_iter()
            .flatten()
            .any(|path| path.pointer("/backend/service/name").and_then(Value::as_str) == Some(service))
    })
}

/// The object's annotations, made empty when it has none; `None` when the metadata is not an
/// object.
fn annotations_mut(object: &mut Value) -> Option<&mut Map<String, Value>> {
    let metadata = object
        .as_object_mut()?
        .entry("metadata")
        .or_insert_with(|| json!({}));
    let annotations = metadata
        .as_object_mut()?
        .entry("annotations")
        .or_insert(Value::Null);
    if annotations.is_null() {
        *annotations = json!({});
    }
    annotations.as_object_mut()
}

/// The managed-annotations record with `key` among `rollout`'s keys (a JSON object of
/// Rollout name to annotation keys, as Argo writes it).
fn managed_with(
    current: Option<&Value>,
    rollout: &str,
    key: &str,
    subject: Subject<'_>,
) -> Result<String, ObjectError> {
    let mut managed: BTreeMap<String, Vec<String>> = match current.and_then(Value::as_str) {
        None | Some("") => BTreeMap::new(),
        Some(text) => serde_json::from_str(text)
            .map_err(|_| subject.missing(format!("metadata.annotations[{MANAGED_ANNOTATIONS}]")))?,
    };
    let keys = managed.entry(rollout.to_string()).or_default();
    if !keys.iter().any(|k| k == key) {
        keys.push(key.to_string());
    }
    Ok(json!(managed).to_string())
}

#[cfg(test)]
mod tests {
    use linnet_crds::rollout::StickinessConfig;

    use super::*;

    const BACKENDS: Backends<'static> = Backends {
        stable: "web-stable",
        canary: "web-canary",
    };

    fn alb() -> AlbTrafficRouting {
        AlbTrafficRouting {
            ingress: Some("web".into()),
            service_port: 80,
            ..AlbTrafficRouting::default()
        }
    }

    fn ingress(service: &str) -> Value {
        json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "web", "annotations": {"kubernetes.io/ingress.class": "alb"}},
            "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": service, "port": {"name": "use-annotation"}}}}]}}]},
        })
    }

    #[test]
    fn the_forward_action_is_written_as_argo_writes_it() {
        let edited = set_weight(
            &ingress("web-stable"),
            &alb(),
            "web",
            BACKENDS,
            Weights::split(30, None),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let annotations = &edited["metadata"]["annotations"];
        assert_eq!(
            annotations["alb.ingress.kubernetes.io/actions.web-stable"],
            r#"{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web-canary","ServicePort":"80","Weight":30},{"ServiceName":"web-stable","ServicePort":"80","Weight":70}]}}"#
        );
        assert_eq!(
            annotations[MANAGED_ANNOTATIONS],
            r#"{"web":["alb.ingress.kubernetes.io/actions.web-stable"]}"#
        );
        assert_eq!(
            annotations["kubernetes.io/ingress.class"], "alb",
            "other annotations are kept"
        );
        assert_eq!(edited["spec"], ingress("web-stable")["spec"]);
        assert_eq!(weights(&edited, &alb(), BACKENDS), Some(Weights::split(30, None)));
        // Writing again changes nothing; another Rollout's record is kept beside this one's.
        let again = set_weight(&edited, &alb(), "web", BACKENDS, Weights::split(30, None))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, edited);
        let mut shared = edited.clone();
        shared["metadata"]["annotations"][MANAGED_ANNOTATIONS] = json!(r#"{"api":["x"]}"#);
        let both = set_weight(&shared, &alb(), "web", BACKENDS, Weights::split(30, None))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            both["metadata"]["annotations"][MANAGED_ANNOTATIONS],
            r#"{"api":["x"],"web":["alb.ingress.kubernetes.io/actions.web-stable"]}"#
        );
    }

    #[test]
    fn root_service_prefix_and_stickiness_shape_the_action() {
        let mut alb = alb();
        alb.root_service = Some("web-root".into());
        alb.annotation_prefix = Some("custom.alb".into());
        alb.stickiness_config = Some(StickinessConfig {
            enabled: true,
            duration_seconds: 3600,
        });
        let edited = set_weight(
            &ingress("web-root"),
            &alb,
            "web",
            BACKENDS,
            Weights::split(100, None),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let action = edited["metadata"]["annotations"]["custom.alb/actions.web-root"]
            .as_str()
            .map(serde_json::from_str::<Value>);
        let Some(Ok(action)) = action else {
            panic!("no action under the custom prefix: {edited}");
        };
        assert_eq!(
            action["ForwardConfig"]["TargetGroupStickinessConfig"],
            json!({"Enabled": true, "DurationSeconds": 3600})
        );
        assert_eq!(weights(&edited, &alb, BACKENDS), Some(Weights::split(100, None)));
        alb.stickiness_config = Some(StickinessConfig {
            enabled: true,
            duration_seconds: 0,
        });
        let error = set_weight(
            &ingress("web-root"),
            &alb,
            "web",
            BACKENDS,
            Weights::split(10, None),
        )
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "spec.strategy.canary.trafficRouting.alb.stickinessConfig.durationSeconds: 0 is not between 1 and 604800 (7 days)"
            )
        );
    }

    #[test]
    fn an_ingress_without_the_action_service_or_with_a_broken_record_is_named() {
        let error = |live: &Value| {
            set_weight(live, &alb(), "web", BACKENDS, Weights::split(10, None))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            error(&ingress("other")),
            "Ingress web: spec.rules[].http.paths[].backend.service.name=web-stable is missing or has the wrong shape"
        );
        let mut broken = ingress("web-stable");
        broken["metadata"]["annotations"][MANAGED_ANNOTATIONS] = json!("web:actions.web-stable");
        assert_eq!(
            error(&broken),
            "Ingress web: metadata.annotations[rollouts.argoproj.io/managed-alb-annotations] is missing or has the wrong shape"
        );
        assert_eq!(
            weights(&ingress("web-stable"), &alb(), BACKENDS),
            None,
            "no action yet"
        );
    }

    #[test]
    fn ingresses_are_the_list_else_the_one() {
        let mut alb = alb();
        assert_eq!(ingress_names(&alb), ["web"]);
        alb.ingresses = Some(vec!["a".into(), "b".into()]);
        assert_eq!(ingress_names(&alb), ["a", "b"]);
    }
}
