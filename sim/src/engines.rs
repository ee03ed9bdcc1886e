//! The one place the server calls the pure patch and schema engines (`crate::patch`,
//! `crate::structural`), translating their errors into API errors.

use serde_json::Value;

use crate::errors::{ApiError, Cause, Subject};
use crate::patch::{self, PatchError, PatchType};
use crate::structural::Schema;

/// The media types the apiserver accepts for PATCH of a custom resource, in its order.
const CUSTOM_RESOURCE_PATCH_TYPES: &str =
    "\"application/json-patch+json\", \"application/merge-patch+json\", \"application/apply-patch+yaml\"";
const ALL_PATCH_TYPES: &str = "\"application/json-patch+json\", \"application/merge-patch+json\", \
\"application/strategic-merge-patch+json\", \"application/apply-patch+yaml\"";

/// The patch type of a request, or 415 listing the accepted ones.
pub fn patch_type(content_type: &str, strategic_allowed: bool) -> Result<PatchType, ApiError> {
    let accepted = if strategic_allowed {
        ALL_PATCH_TYPES
    } else {
        CUSTOM_RESOURCE_PATCH_TYPES
    };
    let unsupported = || {
        ApiError::UnsupportedMediaType(format!(
            "the body of the request was in an unknown format - accepted media types include: {accepted}"
        ))
    };
    match PatchType::from_content_type(content_type) {
        Some(PatchType::StrategicMerge) if !strategic_allowed => Err(unsupported()),
        Some(kind) => Ok(kind),
        None => Err(unsupported()),
    }
}

/// Parses a patch body: JSON, or YAML for apply patches (kubectl and kube-rs send JSON there too).
pub fn parse_patch_body(kind: PatchType, body: &[u8]) -> Result<Value, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => Ok(value),
        Err(json_error) if kind == PatchType::Apply => {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::BadRequest("the apply patch is not valid UTF-8".into()))?;
            serde_saphyr::from_str::<Value>(text).map_err(|e| {
                ApiError::BadRequest(format!("error decoding YAML: {e} (as JSON: {json_error})"))
            })
        }
        Err(e) => Err(ApiError::BadRequest(format!("error decoding patch: {e}"))),
    }
}

/// Applies a JSON, merge or strategic merge patch to the current object.
pub fn apply_patch(
    kind: PatchType,
    current: &Value,
    body: &Value,
    object_kind: &str,
) -> Result<Value, ApiError> {
    match kind {
        PatchType::Json => patch::json_patch(current, body).map_err(|e| patch_error(e, None)),
        PatchType::Merge => {
            if !body.is_object() {
                return Err(ApiError::BadRequest(
                    "the merge patch must be a JSON object".into(),
                ));
            }
            Ok(patch::merge_patch(current, body))
        }
        PatchType::StrategicMerge => {
            patch::strategic_merge_patch(current, body, object_kind).map_err(|e| patch_error(e, None))
        }
        PatchType::Apply => Err(ApiError::Internal(
            "apply patches go through server_side_apply".into(),
        )),
    }
}

/// Server-side apply of `applied` onto `live` (absent when the apply creates the object); the
/// result carries its updated `metadata.managedFields`.
pub fn server_side_apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    now: &str,
    subject: &Subject,
) -> Result<Value, ApiError> {
    patch::server_side_apply(live, applied, manager, force, now).map_err(|e| patch_error(e, Some(subject)))
}

/// `metadata.managedFields` bookkeeping for a non-apply write.
pub fn record_update(
    old: Option<&Value>,
    new: Value,
    manager: &str,
    subresource: Option<&str>,
    now: &str,
) -> Value {
    patch::record_update_owned(old, new, manager, subresource, now)
}

/// Removes fields a CRD schema does not declare, returning their dotted paths.
pub fn prune(value: &mut Value, schema: &Schema) -> Vec<String> {
    schema.prune(value)
}

/// Fills `default:` values from a CRD schema.
pub fn apply_defaults(value: &mut Value, schema: &Schema) {
    schema.apply_defaults(value)
}

/// Maps an engine error onto the apiserver's answer; `subject` names the object for conflicts.
pub fn patch_error(error: PatchError, subject: Option<&Subject>) -> ApiError {
    match error {
        PatchError::Malformed(message) => ApiError::BadRequest(message),
        PatchError::TestFailed(message) | PatchError::Invalid(message) => {
            ApiError::UnprocessableEntity(message)
        }
        PatchError::Conflict(conflicts) => {
            let message = PatchError::Conflict(conflicts.clone()).to_string();
            let causes = conflicts
                .iter()
                .map(|c| Cause::new("FieldManagerConflict", &c.field, c.message()))
                .collect();
            ApiError::ApplyConflict {
                subject: Box::new(subject.cloned().unwrap_or_default()),
                message,
                causes,
            }
        }
    }
}
