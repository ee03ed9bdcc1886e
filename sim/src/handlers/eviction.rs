//! The `pods/eviction` subresource: `POST` a `policy/v1 Eviction` and the pod is deleted, as
//! the API server does when no PodDisruptionBudget stands in the way. The sim serves no
//! PodDisruptionBudgets, so no budget is ever checked and an eviction is never refused with
//! 429 for that reason (injected faults still answer 429).

use hyper::{Method, Response};
use serde_json::{Value, json};

use super::Ctx;
use crate::deletion::DeleteOptions;
use crate::errors::ApiError;
use crate::http::{self, Body};
use crate::registry::ResourceDescriptor;

/// Whether the resource has the eviction subresource: core v1 pods only.
pub fn applies(desc: &ResourceDescriptor) -> bool {
    desc.group.is_empty() && desc.version == "v1" && desc.plural == "pods"
}

/// The subresource's entry in aggregated discovery, as a real cluster lists it.
pub fn aggregated_entry() -> Value {
    json!({"subresource": "eviction",
        "responseKind": {"group": "policy", "version": "v1", "kind": "Eviction"}, "verbs": ["create"]})
}

/// The subresource's entry in the legacy `/api/v1` resource list.
pub fn legacy_entry() -> Value {
    json!({"name": "pods/eviction", "singularName": "", "namespaced": true, "group": "policy",
        "version": "v1", "kind": "Eviction", "verbs": ["create"]})
}

/// `POST .../pods/<name>/eviction`: deletes the pod and answers `201` with a Success Status.
pub fn handle(ctx: &Ctx<'_>, method: &Method) -> Result<Response<Body>, ApiError> {
    if method != Method::POST {
        return Err(ApiError::MethodNotAllowed);
    }
    let body = http::parse_json_body(ctx.content_type, ctx.body)?;
    let mut options = delete_options(&body, ctx.name())?;
    if ctx.query.dry_run()? {
        options.dry_run = vec!["All".into()];
    }
    // A pod with finalizers stays, terminating; the eviction has still succeeded.
    ctx.state
        .lock()
        .delete(&ctx.desc, ctx.namespace(), ctx.name(), &options)?;
    Ok(http::json_response(
        201,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}

/// Checks the Eviction body against the URL and returns its `deleteOptions`. `apiVersion` and
/// `kind` may be left out (clients such as kube-rs send neither); when given they must be an
/// Eviction of `policy/v1` or `policy/v1beta1`.
fn delete_options(body: &Value, name: &str) -> Result<DeleteOptions, ApiError> {
    match body.get("apiVersion").and_then(Value::as_str) {
        None | Some("policy/v1" | "policy/v1beta1") => {}
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "an eviction is a policy/v1 Eviction, not {other}"
            )));
        }
    }
    if let Some(kind) = body.get("kind").and_then(Value::as_str)
        && kind != "Eviction"
    {
        return Err(ApiError::BadRequest(format!(
            "an eviction is an Eviction, not a {kind}"
        )));
    }
    let named = body.pointer("/metadata/name").and_then(Value::as_str);
    if named.is_some_and(|n| n != name) {
        return Err(ApiError::BadRequest(
            "name in URL does not match name in Eviction object".into(),
        ));
    }
    match body.get("deleteOptions") {
        None | Some(Value::Null) => Ok(DeleteOptions::default()),
        Some(options) => serde_json::from_value(options.clone())
            .map_err(|e| ApiError::BadRequest(format!("invalid deleteOptions: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_must_name_the_pod_of_the_url() {
        let body = json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "a"}});
        assert!(delete_options(&body, "a").is_ok());
        assert!(matches!(delete_options(&body, "b"), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn kind_and_version_are_optional_but_checked() {
        assert!(delete_options(&json!({"metadata": {"name": "a"}}), "a").is_ok());
        let wrong = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}});
        assert!(delete_options(&wrong, "a").is_err());
        let wrong_kind = json!({"apiVersion": "policy/v1", "kind": "Pod"});
        assert!(delete_options(&wrong_kind, "a").is_err());
    }

    #[test]
    fn delete_options_are_read() {
        let body = json!({"deleteOptions": {"preconditions": {"uid": "u1"}, "dryRun": ["All"]}});
        let options = delete_options(&body, "a").unwrap_or_else(|e| panic!("rejected: {e:?}"));
        assert_eq!(options.preconditions.uid.as_deref(), Some("u1"));
        assert!(options.is_dry_run());
    }
}
