//! Unknown-field detection against a CRD's structural schema.
//!
//! A real API server silently prunes fields its schema does not know, so a typo such as
//! `setWieght` would make a step do nothing. This walks a manifest beside the schema that
//! [`Kind::crd`] generates and reports each unknown field as a warning, with the nearest known
//! field name when one is close.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::{FieldPath, Finding, Kind};

/// Unknown fields of a document of `kind`, as warnings. `apiVersion`, `kind` and `metadata`
/// at the root are left to the API server.
pub fn unknown_fields(kind: Kind, doc: &Value) -> Vec<Finding> {
    let Some(schema) = schemas().get(&kind) else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        doc.as_object(),
    ) {
        for (key, value) in obj {
            if matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
                continue;
            }
            let path = FieldPath::root(key);
            match props.get(key) {
                Some(sub) => walk(sub, value, &path, &mut findings),
                None => findings.push(unknown(&path, key, props)),
            }
        }
    }
    findings
}

/// The `openAPIV3Schema` of each kind, generated once.
fn schemas() -> &'static HashMap<Kind, Value> {
    static SCHEMAS: OnceLock<HashMap<Kind, Value>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        Kind::ALL
            .into_iter()
            .filter_map(|kind| {
                let crd = kind.crd();
                let schema = crd
                    .spec
                    .versions
                    .first()?
                    .schema
                    .as_ref()?
                    .open_api_v3_schema
                    .as_ref()?;
                Some((kind, serde_json::to_value(schema).ok()?))
            })
            .collect()
    })
}

fn walk(schema: &Value, value: &Value, path: &FieldPath, findings: &mut Vec<Finding>) {
    if flag(schema, "x-kubernetes-preserve-unknown-fields") || flag(schema, "x-kubernetes-int-or-string") {
        return;
    }
    match value {
        Value::Object(obj) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (key, item) in obj {
                let item_path = path.field(key);
                match (props.and_then(|p| p.get(key)), additional) {
                    (Some(sub), _) => walk(sub, item, &item_path, findings),
                    (None, Some(sub)) => walk(sub, item, &path.key(key), findings),
                    (None, None) => {
                        if let Some(props) = props {
                            findings.push(unknown(&item_path, key, props));
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    walk(sub, item, &path.index(i), findings);
                }
            }
        }
        _ => {}
    }
}

fn flag(schema: &Value, name: &str) -> bool {
    schema.get(name).and_then(Value::as_bool).unwrap_or(false)
}

fn unknown(path: &FieldPath, key: &str, known: &Map<String, Value>) -> Finding {
    match nearest(key, known.keys().map(String::as_str)) {
        Some(near) => Finding::warning(path, format!("unknown field {key:?} (did you mean {near:?}?)")),
        None => Finding::warning(path, format!("unknown field {key:?}")),
    }
}

/// The known name closest to `key`, if it is close enough to be a likely typo.
fn nearest<'a>(key: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = key.to_ascii_lowercase();
    known
        .map(|k| (strsim::damerau_levenshtein(&lower, &k.to_ascii_lowercase()), k))
        .filter(|(d, k)| *d <= (k.len().max(key.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_name_finds_typos_only() {
        let known = ["setWeight", "pause", "setCanaryScale"];
        assert_eq!(nearest("setWieght", known.into_iter()), Some("setWeight"));
        assert_eq!(nearest("setweight", known.into_iter()), Some("setWeight"));
        assert_eq!(nearest("pasue", known.into_iter()), Some("pause"));
        assert_eq!(nearest("replicas", known.into_iter()), None);
    }

    #[test]
    fn walk_reports_unknown_keys_with_paths() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "steps": {"type": "array", "items": {"type": "object", "properties": {
                    "setWeight": {"type": "integer"}, "pause": {"type": "object"}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            }
        });
        let doc = serde_json::json!({
            "steps": [{"setWeight": 10}, {"setWieght": 20}],
            "labels": {"anything": "goes"},
            "free": {"whatever": {"deep": 1}},
            "stepz": []
        });
        let mut findings = Vec::new();
        walk(&schema, &doc, &FieldPath::root("spec"), &mut findings);
        let shown: Vec<String> = findings.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "spec.steps[1].setWieght: warning: unknown field \"setWieght\" (did you mean \"setWeight\"?)",
                "spec.stepz: warning: unknown field \"stepz\" (did you mean \"steps\"?)",
            ]
        );
    }
}
