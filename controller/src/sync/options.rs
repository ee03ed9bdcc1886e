//! Per-resource sync options: the comma-separated `argocd.argoproj.io/sync-options` annotation,
//! e.g. `Prune=false,ServerSideApply=true`.
//!
//! Options linnet does not know are kept in [`SyncOptions::unrecognised`] so the reconciler can
//! say so in a condition instead of ignoring them.

use serde_json::Value;

use crate::sync::hooks::csv;
use crate::sync::object::annotation;

pub const SYNC_OPTIONS_ANNOTATION: &str = "argocd.argoproj.io/sync-options";

/// Whether an object may be removed (pruned, or deleted with its Application).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Removal {
    #[default]
    Allowed,
    /// `=false`: never removed.
    Disabled,
    /// `=confirm`: removed only once a person confirms.
    Confirm,
}

/// The sync options of one object. The defaults are what an object without the annotation gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// `Prune=false|confirm`: pruning when the object leaves Git.
    pub prune: Removal,
    /// `Delete=false|confirm`: deletion when the Application is deleted.
    pub delete: Removal,
    /// `Replace=true`: replace (or create) instead of apply.
    pub replace: bool,
    /// `ServerSideApply=true|false`: overrides the Application's choice when set.
    pub server_side_apply: Option<bool>,
    /// `Validate=false`: skip schema validation.
    pub validate: bool,
    /// `PruneLast=true`: prune in an extra wave after every other.
    pub prune_last: bool,
    /// `SkipDryRunOnMissingResource=true`: the object's CRD may not exist yet.
    pub skip_dry_run_on_missing_resource: bool,
    /// `Force=true`: delete and recreate when an apply fails.
    pub force: bool,
    /// Entries linnet does not understand, as written.
    pub unrecognised: Vec<String>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            prune: Removal::Allowed,
            delete: Removal::Allowed,
            replace: false,
            server_side_apply: None,
            validate: true,
            prune_last: false,
            skip_dry_run_on_missing_resource: false,
            force: false,
            unrecognised: Vec::new(),
        }
    }
}

/// Reads an object's sync options.
pub fn sync_options(obj: &Value) -> SyncOptions {
    let mut options = SyncOptions::default();
    for entry in csv(annotation(obj, SYNC_OPTIONS_ANNOTATION).unwrap_or_default()) {
        if !options.apply(entry) {
            options.unrecognised.push(entry.into());
        }
    }
    options
}

impl SyncOptions {
    /// Applies one `Key=value` entry; false when it is not one linnet knows.
    fn apply(&mut self, entry: &str) -> bool {
        let Some((key, value)) = entry.split_once('=') else {
            return false;
        };
        let flag = match value.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        };
        let removal = match value.trim() {
            "false" => Some(Removal::Disabled),
            "confirm" => Some(Removal::Confirm),
            "true" => Some(Removal::Allowed),
            _ => None,
        };
        match (key.trim(), flag, removal) {
            ("Prune", _, Some(removal)) => self.prune = removal,
            ("Delete", _, Some(removal)) => self.delete = removal,
            ("Replace", Some(on), _) => self.replace = on,
            ("ServerSideApply", Some(on), _) => self.server_side_apply = Some(on),
            ("Validate", Some(on), _) => self.validate = on,
            ("PruneLast", Some(on), _) => self.prune_last = on,
            ("SkipDryRunOnMissingResource", Some(on), _) => self.skip_dry_run_on_missing_resource = on,
            ("Force", Some(on), _) => self.force = on,
            _ => return false,
        }
        true
    }
}
