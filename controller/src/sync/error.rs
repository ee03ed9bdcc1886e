//! The one error type of the sync core. Every variant names the object (or the value) it concerns,
//! so the reconciler can put it in a status condition a user will read. Keys are boxed to keep
//! the error small on the happy path's `Result`s.

use crate::sync::identity::ResourceKey;

/// What the sync core refuses to plan or compare. None of these is transient: each needs a change
/// in Git or in the Application before a retry can succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// A wave annotation (`argocd.argoproj.io/sync-wave` or `helm.sh/hook-weight`) is not an integer.
    #[error("{object}: annotation {annotation} is {value:?}, which is not an integer")]
    InvalidWave {
        object: Box<ResourceKey>,
        annotation: &'static str,
        value: String,
    },

    /// A hook or delete-policy annotation holds a value linnet does not know.
    #[error("{object}: annotation {annotation} holds unknown value {value:?}")]
    UnknownAnnotationValue {
        object: Box<ResourceKey>,
        annotation: &'static str,
        value: String,
    },

    /// An object in a render has neither `metadata.name` nor `metadata.generateName`.
    #[error("rendered object #{index} ({kind}) has no metadata.name")]
    MissingName { index: usize, kind: String },

    /// Two objects of one render share group, kind, namespace and name.
    #[error(
        "{key} is rendered twice: as object #{first} ({first_api_version}) and #{second} ({second_api_version})"
    )]
    DuplicateResource {
        key: Box<ResourceKey>,
        first: usize,
        first_api_version: String,
        second: usize,
        second_api_version: String,
    },

    /// A `argocd.argoproj.io/tracking-id` value that is not `<app>:<group>/<kind>:<namespace>/<name>`.
    #[error("tracking id {value:?} is not of the form <app>:<group>/<kind>:<namespace>/<name>")]
    InvalidTrackingId { value: String },

    /// An `ignoreDifferences` entry uses a feature linnet does not implement.
    #[error("{object}: ignoreDifferences {field} {expression:?} is not supported")]
    UnsupportedIgnore {
        object: Box<ResourceKey>,
        field: &'static str,
        expression: String,
    },

    /// An `ignoreDifferences` JSON pointer that is not a valid RFC 6901 pointer.
    #[error("{object}: ignoreDifferences jsonPointer {pointer:?} must be empty or start with '/'")]
    InvalidJsonPointer {
        object: Box<ResourceKey>,
        pointer: String,
    },
}
