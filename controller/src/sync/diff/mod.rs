//! Comparing a desired manifest with its live object: Synced or OutOfSync, and a diff to show.
//!
//! [`compare`] works in steps, each in its own module:
//!
//! 1. [`normalize`]: drop what only the server writes (status, server metadata, the
//!    last-applied annotation) from both sides;
//! 2. `project`: cut the live object down to the fields the manifest sets (server-side apply
//!    semantics), treating the server's known defaults as equal to leaving a field out;
//! 3. `ignore`: remove the parts `ignoreDifferences` rules name, on both sides;
//! 4. compare; then `mask` Secret values and render a unified diff (`unified`).

mod defaults;
mod fields_v1;
mod ignore;
mod mask;
mod normalize;
mod project;
mod unified;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use ignore::IgnoreRule;
pub use normalize::{LAST_APPLIED_ANNOTATION, normalize};

use crate::sync::SyncError;
use crate::sync::identity::ResourceKey;
use crate::sync::object;

/// Whether the live object matches its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SyncStatus {
    Synced,
    OutOfSync,
}

/// The outcome of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub status: SyncStatus,
    /// A unified diff of YAML from live to desired, normalized and with Secret values masked;
    /// empty when Synced.
    pub diff: String,
    /// Ignore rules that could not be applied; the comparison went ahead without them.
    pub errors: Vec<SyncError>,
}

/// Compares a desired manifest with its live object. A missing live object is OutOfSync and its
/// diff shows the whole manifest as added.
pub fn compare(desired: &Value, live: Option<&Value>, ignore: &[IgnoreRule]) -> Comparison {
    let mut wanted = normalize::strip_server_fields(desired);
    let Some(live) = live else {
        return Comparison {
            status: SyncStatus::OutOfSync,
            diff: render(&wanted, None),
            errors: Vec::new(),
        };
    };
    let mut found = project::project(
        object::kind(desired),
        &wanted,
        &normalize::strip_server_fields(live),
    );
    let (ignored, errors) = ignore::gather(ignore, &ResourceKey::of(desired), live);
    ignored.remove_from(&mut wanted);
    ignored.remove_from(&mut found);
    if project::same(&wanted, &found) {
        return Comparison {
            status: SyncStatus::Synced,
            diff: String::new(),
            errors,
        };
    }
    Comparison {
        status: SyncStatus::OutOfSync,
        diff: render(&wanted, Some(&found)),
        errors,
    }
}

/// The unified diff from `live` to `desired`, Secret values masked on both sides alike.
fn render(desired: &Value, live: Option<&Value>) -> String {
    let (mut desired, mut live) = (desired.clone(), live.cloned());
    if mask::is_secret(&desired) {
        let mut masker = mask::Masker::default();
        if let Some(live) = live.as_mut() {
            masker.mask(live);
        }
        masker.mask(&mut desired);
    }
    unified::unified_diff(
        &unified::to_yaml(live.as_ref()),
        &unified::to_yaml(Some(&desired)),
    )
}
