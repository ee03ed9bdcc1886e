//! Comparing an Application's render with the live objects it tracks: each resource's sync
//! status and health, the Application's sync status and rolled-up health, and the objects that
//! require pruning. Hooks are left out: they are run by operations, not kept in sync.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::sync::ResourceKey;
use crate::sync::diff::{self, IgnoreRule, SyncStatus};
use crate::sync::health::{self, Health, HealthStatus};
use crate::sync::hooks::{self, Role};

/// One resource of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceState {
    pub key: ResourceKey,
    pub version: String,
    pub desired: Option<Value>,
    pub live: Option<Value>,
    pub status: SyncStatus,
    /// `None` for kinds without a health check; Missing when the object should exist and does not.
    pub health: Option<Health>,
    pub wave: i32,
    pub requires_pruning: bool,
    /// Live to desired, Secret values masked; empty when Synced.
    pub diff: String,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct AppComparison {
    pub resources: Vec<ResourceState>,
    pub status: SyncStatus,
    pub health: Health,
    /// Problems that make the comparison unreliable (ignore rules that cannot apply, bad
    /// annotations, two objects of one identity), for a ComparisonError condition.
    pub errors: Vec<String>,
}

/// Compares `desired` (namespaces already set) with the `live` objects the Application tracks.
pub fn compare_app(
    desired: &[Value],
    live: &BTreeMap<ResourceKey, Value>,
    ignore: &[IgnoreRule],
) -> AppComparison {
    let mut errors = Vec::new();
    if let Err(error) = crate::sync::identity::ensure_unique(desired) {
        errors.push(error.to_string());
    }
    let mut resources = Vec::new();
    let mut desired_keys = BTreeSet::new();
    for obj in desired {
        let key = ResourceKey::of(obj);
        desired_keys.insert(key.clone());
        match hooks::role(obj) {
            Ok(Role::Resource) => {}
            Ok(_) => continue,
            Err(error) => {
                errors.push(error.to_string());
                continue;
            }
        }
        let wave = hooks::wave(obj).unwrap_or_else(|error| {
            errors.push(error.to_string());
            0
        });
        let found = live.get(&key);
        let comparison = diff::compare(obj, found, ignore);
        errors.extend(comparison.errors.iter().map(ToString::to_string));
        let health = match found {
            Some(found) => health::assess(found),
            None => Some(Health::new(HealthStatus::Missing, "")),
        };
        resources.push(ResourceState {
            version: version_of(obj),
            key,
            desired: Some(obj.clone()),
            live: found.cloned(),
            status: comparison.status,
            health,
            wave,
            requires_pruning: false,
            diff: comparison.diff,
        });
    }
    for (key, obj) in live {
        if desired_keys.contains(key) || !matches!(hooks::role(obj), Ok(Role::Resource)) {
            continue;
        }
        resources.push(ResourceState {
            key: key.clone(),
            version: version_of(obj),
            desired: None,
            live: Some(obj.clone()),
            status: SyncStatus::OutOfSync,
            health: health::assess(obj),
            wave: hooks::wave(obj).unwrap_or(0),
            requires_pruning: true,
            diff: String::new(),
        });
    }
    resources.sort_by(|a, b| a.key.cmp(&b.key));
    let status = if resources.iter().all(|r| r.status == SyncStatus::Synced) {
        SyncStatus::Synced
    } else {
        SyncStatus::OutOfSync
    };
    let health = health::roll_up(
        resources
            .iter()
            .filter(|r| !r.requires_pruning)
            .filter_map(|r| r.health.as_ref()),
    );
    AppComparison {
        resources,
        status,
        health,
        errors,
    }
}

/// The version part of an object's `apiVersion`.
pub fn version_of(obj: &Value) -> String {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    api_version
        .rsplit_once('/')
        .map_or(api_version, |(_, version)| version)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config_map(name: &str, value: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": name, "namespace": "ns"}, "data": {"k": value}})
    }

    fn live_of(objects: &[Value]) -> BTreeMap<ResourceKey, Value> {
        objects.iter().map(|o| (ResourceKey::of(o), o.clone())).collect()
    }

    #[test]
    fn equal_objects_are_synced_and_healthy() {
        let cm = config_map("a", "1");
        let result = compare_app(
            std::slice::from_ref(&cm),
            &live_of(std::slice::from_ref(&cm)),
            &[],
        );
        assert_eq!(result.status, SyncStatus::Synced);
        assert_eq!(result.health.status, HealthStatus::Healthy);
        assert_eq!(result.resources.len(), 1);
        assert!(result.errors.is_empty());
    }

    #[test]
    fn a_changed_missing_or_extra_object_is_out_of_sync() {
        let desired = [config_map("a", "1"), config_map("b", "1")];
        let live = live_of(&[config_map("a", "2"), config_map("old", "1")]);
        let result = compare_app(&desired, &live, &[]);
        assert_eq!(result.status, SyncStatus::OutOfSync);
        let by_name = |n: &str| result.resources.iter().find(|r| r.key.name == n).expect(n);
        assert_eq!(by_name("a").status, SyncStatus::OutOfSync);
        assert!(by_name("a").diff.contains("-  k: \"2\"") || by_name("a").diff.contains("k"));
        assert_eq!(
            by_name("b").health.as_ref().map(|h| h.status),
            Some(HealthStatus::Missing)
        );
        assert!(by_name("old").requires_pruning);
        assert_eq!(result.health.status, HealthStatus::Missing);
    }

    #[test]
    fn hooks_are_not_compared_and_duplicates_are_errors() {
        let mut hook = config_map("h", "1");
        hook["metadata"]["annotations"] = json!({"argocd.argoproj.io/hook": "PreSync"});
        let result = compare_app(&[hook.clone()], &live_of(&[hook]), &[]);
        assert!(result.resources.is_empty());
        assert_eq!(result.status, SyncStatus::Synced);
        let twice = [config_map("a", "1"), config_map("a", "2")];
        assert_eq!(compare_app(&twice, &BTreeMap::new(), &[]).errors.len(), 1);
    }
}
