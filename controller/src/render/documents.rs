//! Reading Kubernetes objects out of YAML and JSON text: multi-document YAML, `kind: List`
//! opened into its items, empty documents skipped.
//!
//! YAML is parsed with serde-saphyr under a budget, so a file of nested aliases (a "billion
//! laughs" bomb) fails after a bounded amount of work instead of exhausting memory.

use serde_json::Value;

/// Why text did not yield objects.
#[derive(Debug, PartialEq)]
pub(crate) enum DocumentError {
    /// The text is not valid YAML or JSON (or breaks the parser's budget).
    Syntax(String),
    /// Document `index` (counted from 1) is not a Kubernetes object.
    NotAnObject { index: usize, reason: String },
}

/// The parser budget: generous for large rendered outputs, tight on alias expansion. Errors
/// come without source snippets, to fit on one line of a status condition.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = 200_000;
    alias_limits.max_replay_stack_depth = 32;
    alias_limits.max_alias_expansions_per_anchor = 10_000;
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: 100_000,
            max_nodes: 20_000_000,
            max_events: 50_000_000,
            max_total_scalar_bytes: 256 * 1024 * 1024,
        },
        alias_limits: alias_limits,
        with_snippet: false,
    }
}

/// The objects in YAML text holding any number of documents.
pub(crate) fn objects_from_yaml(text: &str) -> Result<Vec<Value>, DocumentError> {
    let documents: Vec<Value> = serde_saphyr::from_multiple_with_options(text, yaml_options())
        .map_err(|e| DocumentError::Syntax(e.to_string()))?;
    objects_from_documents(documents)
}

/// The objects in a JSON file: one object or a `List`. `Ok(None)` when the JSON is valid but
/// does not look like a manifest at all (e.g. a `package.json` beside the manifests): such
/// files are skipped rather than refused.
pub(crate) fn objects_from_json(text: &[u8]) -> Result<Option<Vec<Value>>, DocumentError> {
    let value: Value = serde_json::from_slice(text).map_err(|e| DocumentError::Syntax(e.to_string()))?;
    let looks_like_manifest = value.get("apiVersion").is_some() && value.get("kind").is_some();
    if !looks_like_manifest {
        return Ok(None);
    }
    objects_from_documents(vec![value]).map(Some)
}

/// Checks each document and opens `List`s; null documents are skipped.
fn objects_from_documents(documents: Vec<Value>) -> Result<Vec<Value>, DocumentError> {
    let mut objects = Vec::with_capacity(documents.len());
    for (position, document) in documents.into_iter().enumerate() {
        let index = position + 1;
        if document.is_null() {
            continue;
        }
        let not_an_object = |reason: &str| DocumentError::NotAnObject {
            index,
            reason: reason.to_string(),
        };
        check_object(&document).map_err(not_an_object)?;
        if is_list(&document) {
            let Some(Value::Array(items)) = document.get("items").cloned() else {
                return Err(not_an_object("a List without an `items` array"));
            };
            for item in items {
                check_object(&item).map_err(|reason| not_an_object(&format!("item of a List: {reason}")))?;
                check_named(&item).map_err(|reason| not_an_object(&format!("item of a List: {reason}")))?;
                objects.push(item);
            }
        } else {
            check_named(&document).map_err(not_an_object)?;
            objects.push(document);
        }
    }
    Ok(objects)
}

/// `kind: List` (or `*List` in the core group, as kubectl treats `v1/ConfigMapList` and such).
fn is_list(object: &Value) -> bool {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    kind == "List" || (api_version == "v1" && kind.ends_with("List") && object.get("items").is_some())
}

fn check_object(document: &Value) -> Result<(), &'static str> {
    let Value::Object(map) = document else {
        return Err("expected a mapping");
    };
    let has_text = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if !has_text("apiVersion") {
        return Err("missing apiVersion");
    }
    if !has_text("kind") {
        return Err("missing kind");
    }
    Ok(())
}

fn check_named(object: &Value) -> Result<(), &'static str> {
    let metadata = object.get("metadata");
    let named = |key: &str| {
        metadata
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if named("name") || named("generateName") {
        Ok(())
    } else {
        Err("missing metadata.name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_documents_and_skips_empty_ones() {
        let text = "---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n---\n# only a comment\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n";
        let objects = objects_from_yaml(text).unwrap();
        let kinds: Vec<_> = objects.iter().map(|o| o["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["A", "B"]);
    }

    #[test]
    fn opens_lists() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: A, metadata: {name: a}}\n- {apiVersion: v1, kind: B, metadata: {name: b}}\n";
        assert_eq!(objects_from_yaml(text).unwrap().len(), 2);
    }

    #[test]
    fn refuses_documents_that_are_not_objects() {
        let err =
            objects_from_yaml("apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\nfoo: bar\n").unwrap_err();
        assert_eq!(
            err,
            DocumentError::NotAnObject {
                index: 2,
                reason: "missing apiVersion".into()
            }
        );
        let err = objects_from_yaml("- a\n- b\n").unwrap_err();
        assert!(
            matches!(err, DocumentError::NotAnObject { index: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn skips_json_that_is_no_manifest() {
        assert_eq!(objects_from_json(br#"{"name": "package"}"#).unwrap(), None);
        let objects =
            objects_from_json(br#"{"apiVersion":"v1","kind":"A","metadata":{"name":"a"}}"#).unwrap();
        assert_eq!(objects.map(|o| o.len()), Some(1));
    }
}
