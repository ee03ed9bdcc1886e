//! The JSON merge patch (RFC 7386) that turns one value into another. Writing a whole status
//! with a plain merge patch would leave behind fields the new status no longer has; this patch
//! sets them to `null` and carries only what changed.

use serde_json::{Map, Value};

/// The merge patch that, applied to `old`, gives `new`; `None` when they are equal.
pub fn merge_patch(old: &Value, new: &Value) -> Option<Value> {
    if old == new {
        return None;
    }
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut patch = Map::new();
            for (key, old_value) in old {
                match new.get(key) {
                    None => {
                        patch.insert(key.clone(), Value::Null);
                    }
                    Some(new_value) => {
                        if let Some(change) = merge_patch(old_value, new_value) {
                            patch.insert(key.clone(), change);
                        }
                    }
                }
            }
            for (key, new_value) in new {
                if !old.contains_key(key) {
                    patch.insert(key.clone(), without_nulls(new_value));
                }
            }
            Some(Value::Object(patch))
        }
        _ => Some(without_nulls(new)),
    }
}

/// A merge patch cannot set a map member to `null` (that deletes it), so nulls inside added maps
/// are dropped: the result reads the same as the serialized value, which skips absent fields.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(target: &mut Value, patch: &Value) {
        if let (Value::Object(t), Value::Object(p)) = (&mut *target, patch) {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    apply(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        } else {
            *target = patch.clone();
        }
    }

    #[test]
    fn removed_fields_become_null_and_equal_values_are_left_out() {
        let old = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]});
        let new = json!({"b": {"c": 2, "d": 4}, "e": [1], "f": {"g": 5}});
        let patch = merge_patch(&old, &new).expect("values differ");
        assert_eq!(patch, json!({"a": null, "b": {"d": 4}, "e": [1], "f": {"g": 5}}));
        let mut patched = old.clone();
        apply(&mut patched, &patch);
        assert_eq!(patched, new);
    }

    #[test]
    fn equal_values_need_no_patch() {
        assert_eq!(merge_patch(&json!({"a": [1]}), &json!({"a": [1]})), None);
        assert_eq!(merge_patch(&json!(1), &json!(2)), Some(json!(2)));
    }
}
