//! Removing the fields a `managedFields` entry owns, read from its `fieldsV1` set.
//!
//! A FieldsV1 set is a tree whose keys say how to step into the object: `f:<name>` a map field,
//! `k:<json object>` the list item whose fields equal those given, `v:<json value>` the item of a
//! set-like list equal to that value, `i:<n>` the n-th item. A leaf (`{}`) owns the whole field;
//! a `.` entry only says the manager also owns the node's existence, so a node with `.` and
//! children gives up just those children and the node stays for its other owners.

use serde_json::{Map, Value};

/// Removes from `target` every field `owned` (a FieldsV1 tree) names.
pub(crate) fn remove_owned(target: &mut Value, owned: &Value) {
    let Some(children) = owned.as_object() else {
        return;
    };
    for (step, subtree) in children {
        if step == "." {
            continue;
        }
        if owns_whole(subtree) {
            remove_step(target, step);
        } else if let Some(next) = step_into(target, step) {
            remove_owned(next, subtree);
        }
    }
}

/// `{}` or `{".": {}}`: nothing below is named, the whole node is owned.
fn owns_whole(subtree: &Value) -> bool {
    subtree.as_object().is_none_or(|m| m.keys().all(|k| k == "."))
}

fn step_into<'a>(target: &'a mut Value, step: &str) -> Option<&'a mut Value> {
    if let Some(field) = step.strip_prefix("f:") {
        return target.as_object_mut()?.get_mut(field);
    }
    let index = find_item(target.as_array()?, step)?;
    target.as_array_mut()?.get_mut(index)
}

fn remove_step(target: &mut Value, step: &str) {
    if let Some(field) = step.strip_prefix("f:") {
        if let Some(map) = target.as_object_mut() {
            map.remove(field);
        }
        return;
    }
    let Some(index) = target.as_array().and_then(|items| find_item(items, step)) else {
        return;
    };
    if let Some(items) = target.as_array_mut() {
        items.remove(index);
    }
}

/// The position of the list item a `k:`, `v:` or `i:` step names.
fn find_item(items: &[Value], step: &str) -> Option<usize> {
    if let Some(key) = step.strip_prefix("k:") {
        let key: Map<String, Value> = serde_json::from_str(key).ok()?;
        return items
            .iter()
            .position(|item| key.iter().all(|(field, value)| item.get(field) == Some(value)));
    }
    if let Some(value) = step.strip_prefix("v:") {
        let value: Value = serde_json::from_str(value).ok()?;
        return items.iter().position(|item| *item == value);
    }
    let index: usize = step.strip_prefix("i:")?.parse().ok()?;
    (index < items.len()).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn removes_owned_leaves_and_keeps_shared_nodes() {
        let mut doc = json!({
            "spec": {
                "replicas": 3,
                "template": {"spec": {"containers": [
                    {"name": "app", "image": "app:1", "resources": {"limits": {"cpu": "1"}}},
                    {"name": "sidecar", "image": "proxy:1"}
                ]}},
                "finalizers": ["a", "b"],
            }
        });
        let owned = json!({
            "f:spec": {
                "f:replicas": {},
                "f:finalizers": {"v:\"b\"": {}},
                "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"app\"}": {".": {}, "f:resources": {".": {}}},
                    "k:{\"name\":\"sidecar\"}": {".": {}},
                    "k:{\"name\":\"absent\"}": {"f:image": {}}
                }}}
            }
        });
        remove_owned(&mut doc, &owned);
        assert_eq!(
            doc,
            json!({"spec": {
                "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}},
                "finalizers": ["a"],
            }})
        );
    }

    #[test]
    fn index_steps_and_malformed_keys() {
        let mut doc = json!({"args": ["a", "b"], "x": 1});
        remove_owned(
            &mut doc,
            &json!({"f:args": {"i:1": {}, "i:9": {}, "k:not json": {}}, "f:missing": {}}),
        );
        assert_eq!(doc, json!({"args": ["a"], "x": 1}));
    }
}
