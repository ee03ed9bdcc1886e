//! The `/scale` subresource: an `autoscaling/v1 Scale` view of a resource's replica counts,
//! read and written at the paths its descriptor (or CRD) names.

use hyper::{Method, Response};
use serde_json::{Map, Value, json};

use super::Ctx;
use crate::engines;
use crate::errors::ApiError;
use crate::http;
use crate::http::Body;
use crate::patch::PatchType;
use crate::registry::{ResourceDescriptor, ScalePaths};
use crate::selectors::label_selector_to_string;

pub fn handle(ctx: &Ctx<'_>, method: &Method) -> Result<Response<Body>, ApiError> {
    let Some(paths) = ctx.desc.scale.clone() else {
        return Err(ApiError::UnknownPath);
    };
    let mut world = ctx.state.lock();
    let current = world
        .store
        .get(&ctx.desc.id(), ctx.namespace(), ctx.name())
        .cloned()
        .ok_or_else(|| ApiError::NotFound(ctx.desc.subject(ctx.name())))?;
    let current_scale = scale_of(&ctx.desc, &current, &paths);
    let desired = match *method {
        Method::GET => return Ok(http::json_response(200, &current_scale)),
        Method::PUT => http::parse_json_body(ctx.content_type, ctx.body)?,
        Method::PATCH => {
            let kind = engines::patch_type(ctx.content_type.unwrap_or_default(), true)?;
            let patch = engines::parse_patch_body(kind, ctx.body)?;
            match kind {
                // A Scale holds no lists, so a strategic merge patch means the same as a merge patch.
                PatchType::StrategicMerge => crate::patch::merge_patch(&current_scale, &patch),
                PatchType::Apply => {
                    return Err(ApiError::NotImplemented(
                        "server-side apply on the scale subresource".into(),
                    ));
                }
                other => engines::apply_patch(other, &current_scale, &patch, "Scale")?,
            }
        }
        _ => return Err(ApiError::MethodNotAllowed),
    };
    let replicas = desired
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid_replicas(&ctx.desc, ctx.name(), "Required value"))?;
    if replicas < 0 {
        return Err(invalid_replicas(
            &ctx.desc,
            ctx.name(),
            "Invalid value: must be greater than or equal to 0",
        ));
    }
    let mut candidate = (*current).clone();
    set_at(&mut candidate, &paths.spec_replicas, json!(replicas));
    if let Some(version) = desired
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
    {
        candidate["metadata"]["resourceVersion"] = json!(version);
    }
    let manager = ctx.manager();
    let opts = ctx.write_options(&manager, None)?;
    let written = world.replace(&ctx.desc, &current, candidate, opts)?;
    drop(world);
    Ok(http::json_response(
        200,
        &scale_of(&ctx.desc, &written.object, &paths),
    ))
}

fn invalid_replicas(desc: &ResourceDescriptor, name: &str, message: &str) -> ApiError {
    ApiError::Invalid {
        subject: Box::new(crate::errors::Subject {
            group: "autoscaling".into(),
            plural: "scale".into(),
            kind: "Scale".into(),
            name: name.to_string(),
        }),
        causes: vec![crate::errors::Cause::new(
            "FieldValueInvalid",
            "spec.replicas",
            format!("{message} ({})", desc.kind),
        )],
    }
}

/// The Scale view of an object.
pub fn scale_of(desc: &ResourceDescriptor, object: &Value, paths: &ScalePaths) -> Value {
    let metadata = object.get("metadata").cloned().unwrap_or_default();
    let pick = |field: &str| metadata.get(field).cloned().unwrap_or(Value::Null);
    let mut scale_meta = json!({"name": pick("name"), "uid": pick("uid"),
        "resourceVersion": pick("resourceVersion"), "creationTimestamp": pick("creationTimestamp")});
    if desc.namespaced {
        scale_meta["namespace"] = pick("namespace");
    }
    let spec_replicas = get_at(object, &paths.spec_replicas)
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let status_replicas = get_at(object, &paths.status_replicas)
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mut status = json!({"replicas": status_replicas});
    let selector = paths.label_selector.as_deref().and_then(|p| get_at(object, p));
    match selector {
        Some(Value::String(text)) => status["selector"] = json!(text),
        Some(object @ Value::Object(_)) => status["selector"] = json!(label_selector_to_string(object)),
        _ => {}
    }
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": scale_meta,
        "spec": {"replicas": spec_replicas}, "status": status})
}

/// Reads a simple JSON path such as `.spec.replicas`.
fn get_at<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .try_fold(object, |current, key| current.get(key))
}

/// Writes a simple JSON path, creating the maps on the way.
fn set_at(object: &mut Value, path: &str, value: Value) {
    let keys: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
    let Some((last, parents)) = keys.split_last() else {
        return;
    };
    let mut current = object;
    for key in parents {
        if !current.get(*key).is_some_and(Value::is_object) {
            current[*key] = Value::Object(Map::new());
        }
        current = &mut current[*key];
    }
    current[*last] = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_and_write() {
        let mut object = json!({"spec": {}});
        set_at(&mut object, ".spec.replicas", json!(3));
        set_at(&mut object, ".status.replicas", json!(2));
        assert_eq!(get_at(&object, ".spec.replicas"), Some(&json!(3)));
        assert_eq!(object["status"]["replicas"], json!(2));
    }

    #[test]
    fn scale_of_a_deployment() {
        let desc = crate::builtins::descriptors()
            .into_iter()
            .find(|d| d.kind == "Deployment");
        let Some(desc) = desc else {
            panic!("no Deployment descriptor")
        };
        let deploy = json!({"metadata": {"name": "web", "namespace": "n", "resourceVersion": "7"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}}, "status": {"replicas": 2}});
        let scale = scale_of(&desc, &deploy, &ScalePaths::apps());
        assert_eq!(scale["spec"]["replicas"], json!(3));
        assert_eq!(scale["status"], json!({"replicas": 2, "selector": "app=web"}));
        assert_eq!(scale["metadata"]["resourceVersion"], json!("7"));
    }
}
