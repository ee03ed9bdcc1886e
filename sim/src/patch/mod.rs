//! The four ways a client can change a stored object without sending all of it: JSON patch
//! (RFC 6902), JSON merge patch (RFC 7386), Kubernetes' strategic merge patch, and server-side
//! apply with its field ownership in `metadata.managedFields`.
//!
//! Every function here is pure: it takes the stored object and the raw request body as
//! `serde_json::Value`s and returns the new object or a [`PatchError`] that maps onto the HTTP
//! status the apiserver would answer. Nothing a client sends can make these functions panic.

mod apply;
mod equality;
mod field_walk;
mod fields_v1;
mod json;
mod list_order;
mod managed_fields;
mod merge;
mod merge_keys;
#[cfg(test)]
pub(crate) mod random_json;
mod strategic;

#[cfg(test)]
mod tests;

pub use apply::{record_update, record_update_owned, server_side_apply};
pub use fields_v1::{FieldPath, FieldSet, PathElement, path_string};
pub use json::json_patch;
pub use merge::merge_patch;
pub use strategic::strategic_merge_patch;

/// The patch formats the apiserver accepts, told apart by the request's `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json`: a list of RFC 6902 operations.
    Json,
    /// `application/merge-patch+json`: an RFC 7386 merge patch.
    Merge,
    /// `application/strategic-merge-patch+json`: built-in kinds only.
    StrategicMerge,
    /// `application/apply-patch+yaml`: server-side apply of a full intent.
    Apply,
}

impl PatchType {
    /// The patch type named by a `Content-Type` header value; parameters after `;` are ignored.
    /// `None` means the server should answer 415 Unsupported Media Type.
    pub fn from_content_type(content_type: &str) -> Option<PatchType> {
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        let known = [
            ("application/json-patch+json", PatchType::Json),
            ("application/merge-patch+json", PatchType::Merge),
            (
                "application/strategic-merge-patch+json",
                PatchType::StrategicMerge,
            ),
            ("application/apply-patch+yaml", PatchType::Apply),
        ];
        known
            .into_iter()
            .find(|(name, _)| media_type.eq_ignore_ascii_case(name))
            .map(|(_, patch_type)| patch_type)
    }

    /// The media type the apiserver lists for this patch type.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::StrategicMerge => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

/// Why a patch could not be applied. Each variant corresponds to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The patch itself is not well formed (400 BadRequest).
    #[error("{0}")]
    Malformed(String),
    /// A JSON patch `test` operation did not hold (422 Invalid).
    #[error("{0}")]
    TestFailed(String),
    /// The patch is well formed but cannot be applied to this object (422 Invalid).
    #[error("{0}")]
    Invalid(String),
    /// Server-side apply would change fields another manager owns (409 Conflict).
    #[error("{}", conflict_message(.0))]
    Conflict(Vec<FieldConflict>),
}

impl PatchError {
    /// The HTTP status code the apiserver answers with for this error.
    pub fn status_code(&self) -> u16 {
        match self {
            PatchError::Malformed(_) => 400,
            PatchError::TestFailed(_) | PatchError::Invalid(_) => 422,
            PatchError::Conflict(_) => 409,
        }
    }
}

/// One field that server-side apply refused to take from its current owner.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldConflict {
    /// The manager that owns the field now.
    pub manager: String,
    /// The field, in the apiserver's notation, e.g. `.spec.replicas` or
    /// `.spec.template.spec.containers[name="nginx"].image`.
    pub field: String,
}

impl FieldConflict {
    /// The message of the `FieldManagerConflict` cause the apiserver puts in its Status.
    pub fn message(&self) -> String {
        format!("conflict with {:?}", self.manager)
    }
}

fn conflict_message(conflicts: &[FieldConflict]) -> String {
    let noun = if conflicts.len() == 1 {
        "conflict"
    } else {
        "conflicts"
    };
    let details: Vec<String> = conflicts
        .iter()
        .map(|conflict| format!("{}: {}", conflict.message(), conflict.field))
        .collect();
    format!(
        "Apply failed with {} {noun}: {}",
        conflicts.len(),
        details.join("; ")
    )
}
