//! `ignoreDifferences`: parts of an object whose differences do not make it OutOfSync.
//!
//! A rule applies to the objects its group and kind match (`*` matches any), narrowed by name
//! and namespace when given. It names fields by RFC 6901 JSON pointer (`~1` stands for `/`, `~0`
//! for `~`), or by the field managers whose fields (in the live object's `managedFields`) are
//! ignored. JQ path expressions are not implemented: a rule using one yields a
//! [`SyncError::UnsupportedIgnore`] instead of being skipped without a word.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fields_v1;
use crate::sync::SyncError;
use crate::sync::identity::ResourceKey;
use crate::sync::object::items_at;

/// One `spec.ignoreDifferences` entry, in Argo CD's JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IgnoreRule {
    pub group: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub json_pointers: Vec<String>,
    pub jq_path_expressions: Vec<String>,
    pub managed_fields_managers: Vec<String>,
}

impl IgnoreRule {
    /// Whether the rule concerns the object with this key.
    pub fn matches(&self, key: &ResourceKey) -> bool {
        let fits = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        let narrows = |pattern: &str, value: &str| pattern.is_empty() || pattern == value;
        fits(&self.group, &key.group)
            && fits(&self.kind, &key.kind)
            && narrows(&self.name, &key.name)
            && narrows(&self.namespace, &key.namespace)
    }
}

/// The ignored parts of one object, gathered from every rule that matches it.
#[derive(Debug, Default)]
pub(crate) struct Ignored {
    /// JSON pointers, split into unescaped tokens.
    pointers: Vec<Vec<String>>,
    /// FieldsV1 trees of the ignored managers.
    managed: Vec<Value>,
}

/// Gathers what `rules` ignore for the object `key`, whose live object is `live`.
pub(crate) fn gather(rules: &[IgnoreRule], key: &ResourceKey, live: &Value) -> (Ignored, Vec<SyncError>) {
    let mut ignored = Ignored::default();
    let mut errors = Vec::new();
    for rule in rules.iter().filter(|r| r.matches(key)) {
        for pointer in &rule.json_pointers {
            match parse_pointer(pointer) {
                Some(tokens) => ignored.pointers.push(tokens),
                None => errors.push(SyncError::InvalidJsonPointer {
                    object: Box::new(key.clone()),
                    pointer: pointer.clone(),
                }),
            }
        }
        for expression in &rule.jq_path_expressions {
            errors.push(SyncError::UnsupportedIgnore {
                object: Box::new(key.clone()),
                field: "jqPathExpressions",
                expression: expression.clone(),
            });
        }
        for entry in items_at(live, &["metadata", "managedFields"]) {
            let manager = entry.get("manager").and_then(Value::as_str).unwrap_or_default();
            if rule.managed_fields_managers.iter().any(|m| m == manager)
                && let Some(fields) = entry.get("fieldsV1")
            {
                ignored.managed.push(fields.clone());
            }
        }
    }
    (ignored, errors)
}

impl Ignored {
    /// Removes every ignored part from `doc`.
    pub(crate) fn remove_from(&self, doc: &mut Value) {
        for tokens in &self.pointers {
            remove_pointer(doc, tokens);
        }
        for fields in &self.managed {
            fields_v1::remove_owned(doc, fields);
        }
    }
}

/// `""` is the whole document; anything else must start with `/`.
fn parse_pointer(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|token| token.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

fn remove_pointer(doc: &mut Value, tokens: &[String]) {
    let Some((last, parents)) = tokens.split_last() else {
        *doc = Value::Null;
        return;
    };
    let mut node = doc;
    for token in parents {
        let next = match node {
            Value::Object(map) => map.get_mut(token),
            Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            _ => None,
        };
        let Some(next) = next else {
            return;
        };
        node = next;
    }
    match node {
        Value::Object(map) => {
            map.remove(last);
        }
        Value::Array(items) => {
            if let Some(i) = last.parse::<usize>().ok().filter(|i| *i < items.len()) {
                items.remove(i);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_unescape_slash_and_tilde() {
        assert_eq!(
            parse_pointer("/a~1b/c~0d/0"),
            Some(vec!["a/b".into(), "c~d".into(), "0".into()])
        );
        assert_eq!(parse_pointer("a/b"), None);
        let mut doc = json!({"metadata": {"annotations": {"x/y": "1", "z": "2"}}, "list": [1, 2, 3]});
        remove_pointer(&mut doc, &["metadata".into(), "annotations".into(), "x/y".into()]);
        remove_pointer(&mut doc, &["list".into(), "1".into()]);
        remove_pointer(&mut doc, &["nowhere".into(), "deep".into()]);
        assert_eq!(
            doc,
            json!({"metadata": {"annotations": {"z": "2"}}, "list": [1, 3]})
        );
    }

    #[test]
    fn rules_match_by_group_kind_name_and_namespace() {
        let key = ResourceKey::new("apps", "Deployment", "prod", "web");
        let rule = |group: &str, kind: &str, name: &str, namespace: &str| IgnoreRule {
            group: group.into(),
            kind: kind.into(),
            name: name.into(),
            namespace: namespace.into(),
            ..IgnoreRule::default()
        };
        assert!(rule("apps", "Deployment", "", "").matches(&key));
        assert!(rule("*", "*", "web", "prod").matches(&key));
        assert!(!rule("", "Deployment", "", "").matches(&key));
        assert!(!rule("apps", "StatefulSet", "", "").matches(&key));
        assert!(!rule("apps", "Deployment", "api", "").matches(&key));
        assert!(!rule("apps", "Deployment", "", "dev").matches(&key));
    }
}
