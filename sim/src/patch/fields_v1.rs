//! Sets of field paths, the unit of ownership in server-side apply, and their `FieldsV1`
//! encoding in `metadata.managedFields`.
//!
//! `FieldsV1` is a trie written as nested JSON objects. Each key is one path element:
//! `f:<field>` for an object member, `k:<json object>` for an item of a keyed list,
//! `v:<json>` for an item of a set list, `i:<index>` for a list position. A path in the set
//! with nothing below it is `{}`; a path in the set that also has children carries `".": {}`.
//! For example `{"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{}}}}}`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

/// One step of a path into an object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// A member of an object, by name.
    Field(String),
    /// An item of a keyed list, by its key fields: names sorted, values as compact JSON text.
    Key(Vec<(String, String)>),
    /// An item of a set list, by its value as compact JSON text.
    Value(String),
    /// An item of a list, by position.
    Index(usize),
}

/// A path from the top of an object down to one field or list item.
pub type FieldPath = Vec<PathElement>;

/// A set of field paths: the fields one manager owns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet(BTreeSet<FieldPath>);

impl FieldSet {
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    pub fn insert(&mut self, path: FieldPath) {
        self.0.insert(path);
    }

    pub fn contains(&self, path: &[PathElement]) -> bool {
        self.0.contains(path)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The paths in order: a path always comes right before the paths below it.
    pub fn iter(&self) -> impl Iterator<Item = &FieldPath> {
        self.0.iter()
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.union(&other.0).cloned().collect())
    }

    /// Removes every path of `other`; whether any was here.
    pub fn remove_all(&mut self, other: &FieldSet) -> bool {
        let mut removed = false;
        for path in &other.0 {
            removed |= self.0.remove(path);
        }
        removed
    }

    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.difference(&other.0).cloned().collect())
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.intersection(&other.0).cloned().collect())
    }

    /// Whether the set holds a path strictly below `prefix`.
    pub fn has_descendant(&self, prefix: &[PathElement]) -> bool {
        self.0
            .range(prefix.to_vec()..)
            .take_while(|path| path.starts_with(prefix))
            .any(|path| path.len() > prefix.len())
    }

    /// The set in the `FieldsV1` format.
    pub fn to_fields_v1(&self) -> Value {
        let mut root = TrieNode::default();
        for path in &self.0 {
            let node = path.iter().fold(&mut root, |node, element| {
                node.children.entry(element.clone()).or_default()
            });
            node.member = true;
        }
        root.encode()
    }

    /// Reads a set from the `FieldsV1` format; the error says what is wrong with it.
    pub fn from_fields_v1(encoded: &Value) -> Result<FieldSet, String> {
        let mut set = FieldSet::new();
        decode_node(encoded, &mut Vec::new(), &mut set)?;
        Ok(set)
    }
}

impl FromIterator<FieldPath> for FieldSet {
    fn from_iter<I: IntoIterator<Item = FieldPath>>(paths: I) -> FieldSet {
        FieldSet(paths.into_iter().collect())
    }
}

/// A path as the apiserver writes it in conflict messages:
/// `.spec.template.spec.containers[name="nginx"].image`.
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(ToString::to_string).collect()
}

impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                write!(f, "[{}]", parts.join(","))
            }
            PathElement::Value(value) => write!(f, "[={value}]"),
            PathElement::Index(index) => write!(f, "[{index}]"),
        }
    }
}

impl PathElement {
    /// The element as a `FieldsV1` key.
    pub(crate) fn encode(&self) -> String {
        match self {
            PathElement::Field(name) => format!("f:{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{}:{value}", Value::String(name.clone())))
                    .collect();
                format!("k:{{{}}}", parts.join(","))
            }
            PathElement::Value(value) => format!("v:{value}"),
            PathElement::Index(index) => format!("i:{index}"),
        }
    }

    /// Reads one `FieldsV1` key.
    fn decode(encoded: &str) -> Result<PathElement, String> {
        let bad = || format!("invalid FieldsV1 key {encoded:?}");
        let (prefix, rest) = encoded.split_once(':').ok_or_else(bad)?;
        match prefix {
            "f" => Ok(PathElement::Field(rest.to_owned())),
            "k" => match serde_json::from_str::<Value>(rest) {
                Ok(Value::Object(fields)) => {
                    let mut fields: Vec<(String, String)> = fields
                        .into_iter()
                        .map(|(name, value)| (name, value.to_string()))
                        .collect();
                    fields.sort();
                    Ok(PathElement::Key(fields))
                }
                _ => Err(bad()),
            },
            "v" => serde_json::from_str::<Value>(rest)
                .map(|value| PathElement::Value(value.to_string()))
                .map_err(|_| bad()),
            "i" => rest.parse().map(PathElement::Index).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

#[derive(Default)]
struct TrieNode {
    member: bool,
    children: BTreeMap<PathElement, TrieNode>,
}

impl TrieNode {
    fn encode(&self) -> Value {
        let mut encoded = Map::new();
        if self.member && !self.children.is_empty() {
            encoded.insert(".".into(), Value::Object(Map::new()));
        }
        for (element, child) in &self.children {
            encoded.insert(element.encode(), child.encode());
        }
        Value::Object(encoded)
    }
}

/// Adds `path` to the `FieldsV1` trie `trie` in place, keeping the form
/// [`FieldSet::to_fields_v1`] writes; whether it was not there yet. Editing the stored trie
/// saves decoding a manager's whole set and encoding it again for a change of a few fields.
pub fn fields_v1_insert(trie: &mut Map<String, Value>, path: &[PathElement]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let key = first.encode();
    let Some(child) = trie.get_mut(&key).and_then(Value::as_object_mut) else {
        let mut child = Map::new();
        fields_v1_insert(&mut child, rest);
        trie.insert(key, Value::Object(child));
        return true;
    };
    if rest.is_empty() {
        // `{}` is a path with nothing below it; one with children is marked by ".".
        return !child.is_empty() && child.insert(".".into(), Value::Object(Map::new())).is_none();
    }
    if child.is_empty() {
        // A path about to get children stays in the set by its ".".
        child.insert(".".into(), Value::Object(Map::new()));
    }
    fields_v1_insert(child, rest)
}

/// Removes `path` from the `FieldsV1` trie `trie` in place (the paths below it stay), keeping
/// the form [`FieldSet::to_fields_v1`] writes; whether it was there.
pub fn fields_v1_remove(trie: &mut Map<String, Value>, path: &[PathElement]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let key = first.encode();
    let Some(child) = trie.get_mut(&key).and_then(Value::as_object_mut) else {
        return false;
    };
    let removed = if rest.is_empty() {
        child.is_empty() || child.remove(".").is_some()
    } else {
        fields_v1_remove(child, rest)
    };
    if !removed {
        return false;
    }
    if child.is_empty() {
        // Nothing is left below a path that was not in the set itself.
        trie.remove(&key);
    } else if child.len() == 1 && child.contains_key(".") {
        // A path in the set with no children left is written `{}`.
        child.clear();
    }
    true
}

fn decode_node(encoded: &Value, path: &mut FieldPath, set: &mut FieldSet) -> Result<(), String> {
    let Value::Object(children) = encoded else {
        return Err(format!("FieldsV1 entries must be objects, found {encoded}"));
    };
    // An empty object below the top marks a path with nothing under it.
    if children.is_empty() && !path.is_empty() {
        set.insert(path.clone());
    }
    for (key, child) in children {
        if key == "." {
            if !path.is_empty() {
                set.insert(path.clone());
            }
            continue;
        }
        path.push(PathElement::decode(key)?);
        decode_node(child, path, set)?;
        path.pop();
    }
    Ok(())
}
