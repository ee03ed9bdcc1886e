//! The JSON merge patch that turns a run's stored status into its new one. AnalysisRun has no
//! status subresource (as in Argo), so status goes through the main resource; a field the new
//! status drops is sent as `null` so that the merge removes it.

use serde_json::{Map, Value};

/// The merge patch from `old` to `new`, `None` when they are equal.
pub fn merge_diff(old: &Value, new: &Value) -> Option<Value> {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut patch = Map::new();
            for (key, value) in new {
                match old.get(key) {
                    Some(before) => {
                        if let Some(change) = merge_diff(before, value) {
                            patch.insert(key.clone(), change);
                        }
                    }
                    None => {
                        patch.insert(key.clone(), value.clone());
                    }
                }
            }
            for key in old.keys().filter(|key| !new.contains_key(*key)) {
                patch.insert(key.clone(), Value::Null);
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        _ if old == new => None,
        _ => Some(new.clone()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Applies a merge patch as the API server does (RFC 7386).
    fn apply(target: &Value, patch: &Value) -> Value {
        match (target, patch) {
            (Value::Object(target), Value::Object(patch)) => {
                let mut out = target.clone();
                for (key, value) in patch {
                    if value.is_null() {
                        out.remove(key);
                    } else {
                        let before = out.get(key).cloned().unwrap_or(Value::Null);
                        out.insert(key.clone(), apply(&before, value));
                    }
                }
                Value::Object(out)
            }
            (_, Value::Object(_)) => apply(&json!({}), patch),
            _ => patch.clone(),
        }
    }

    #[test]
    fn equal_statuses_need_no_patch() {
        let status = json!({"phase": "Running", "metricResults": [{"name": "a"}]});
        assert_eq!(merge_diff(&status, &status), None);
    }

    #[test]
    fn the_patch_turns_the_old_status_into_the_new_one() {
        let old = json!({"phase": "Running", "message": "x", "runSummary": {"count": 1, "error": 1}});
        let new = json!({"phase": "Failed", "runSummary": {"count": 2}, "metricResults": [{"name": "a"}]});
        let patch = merge_diff(&old, &new).unwrap_or_default();
        assert_eq!(patch["message"], Value::Null);
        assert_eq!(patch["runSummary"], json!({"count": 2, "error": null}));
        assert_eq!(apply(&old, &patch), new);
    }

    #[test]
    fn a_first_status_is_sent_whole() {
        let new = json!({"phase": "Running"});
        assert_eq!(merge_diff(&Value::Null, &new), Some(new));
    }
}
