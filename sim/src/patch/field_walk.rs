//! Walking an object along field paths: the set of fields it sets, the value at a path, and
//! removing a path. Keyed lists are walked item by item by key, set lists by value; every other
//! list, like every scalar and atomic object, is one field.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::equality::json_equal;
use super::fields_v1::{FieldPath, FieldSet, PathElement};
use super::merge_keys::{ListKind, MergeKeys, Shape};

/// Top-level members that name the object's type rather than its content; never owned.
const TYPE_FIELDS: [&str; 2] = ["apiVersion", "kind"];

/// Metadata the server sets or that identifies the object; never owned.
const SERVER_SET_METADATA: [&str; 10] = [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// The shape at the top of `object`, from its `kind`.
pub(crate) fn root_shape(object: &Value) -> Shape {
    Shape::for_kind(object.get("kind").and_then(Value::as_str).unwrap_or_default())
}

/// The paths of every field `object` sets, leaving out those nobody may own.
/// Empty objects and empty lists count as fields of their own, as in the apiserver.
pub(crate) fn fields_of(object: &Value) -> FieldSet {
    let mut set = FieldSet::new();
    if let Value::Object(fields) = object {
        walk_map(fields, root_shape(object), &mut Vec::new(), &mut set);
    }
    set
}

fn is_never_owned(path: &[PathElement], key: &str) -> bool {
    match path {
        [] => TYPE_FIELDS.contains(&key),
        [PathElement::Field(parent)] if parent == "metadata" => SERVER_SET_METADATA.contains(&key),
        _ => false,
    }
}

fn walk_map(fields: &serde_json::Map<String, Value>, shape: Shape, path: &mut FieldPath, set: &mut FieldSet) {
    for (key, value) in fields {
        if is_never_owned(path, key) {
            continue;
        }
        walk_member(key, value, shape, path, set);
    }
}

/// The paths member `key` (of an object of `shape` at `path`) sets.
fn walk_member(key: &str, value: &Value, shape: Shape, path: &mut FieldPath, set: &mut FieldSet) {
    path.push(PathElement::Field(key.to_owned()));
    match value {
        Value::Object(children) if !children.is_empty() && !shape.is_atomic_object(key) => {
            walk_map(children, shape.field(key), path, set)
        }
        Value::Array(items) if !items.is_empty() => {
            walk_list(items, shape.field(key), shape.list(key), path, set)
        }
        _ => set.insert(path.clone()),
    }
    path.pop();
}

/// [`fields_of`] as a `FieldsV1` trie, built in the same walk: a create owns every field of
/// the object, and going through the set of paths first was most of what recording it cost.
pub(crate) fn fields_v1_of(object: &Value) -> Value {
    let mut trie = Map::new();
    if let Value::Object(fields) = object {
        trie_of_map(fields, root_shape(object), &mut Vec::new(), &mut trie);
    }
    Value::Object(trie)
}

/// Fills `trie` with the fields `fields` (an object of `shape` at `path`) sets.
fn trie_of_map(
    fields: &Map<String, Value>,
    shape: Shape,
    path: &mut FieldPath,
    trie: &mut Map<String, Value>,
) {
    for (key, value) in fields {
        if is_never_owned(path, key) {
            continue;
        }
        let element = PathElement::Field(key.to_owned());
        let mut below = Map::new();
        path.push(element);
        match value {
            Value::Object(children) if !children.is_empty() && !shape.is_atomic_object(key) => {
                trie_of_map(children, shape.field(key), path, &mut below);
                // A member whose fields nobody may own is not a field of its own.
                if below.is_empty() {
                    path.pop();
                    continue;
                }
            }
            Value::Array(items) if !items.is_empty() => {
                trie_of_list(items, shape.field(key), shape.list(key), path, &mut below)
            }
            _ => {}
        }
        if let Some(element) = path.pop() {
            trie.insert(element.encode(), Value::Object(below));
        }
    }
}

/// Fills `below` with the items of a list; an atomic list, or one whose items cannot be told
/// apart, is one field with nothing below it.
fn trie_of_list(
    items: &[Value],
    item_shape: Shape,
    list: ListKind,
    path: &mut FieldPath,
    below: &mut Map<String, Value>,
) {
    let Some(elements) = list_elements(items, list) else {
        return;
    };
    for (element, item) in elements {
        let mut item_fields = Map::new();
        path.push(element);
        if let Value::Object(fields) = item {
            trie_of_map(fields, item_shape, path, &mut item_fields);
        }
        if !item_fields.is_empty() {
            item_fields.insert(".".into(), Value::Object(Map::new()));
        }
        if let Some(element) = path.pop() {
            below.insert(element.encode(), Value::Object(item_fields));
        }
    }
}

/// What a write from `old` to `new` changes, as [`fields_of`] both would tell it: the paths
/// `new` sets that `old` lacks or holds another value at (`touched`; a list item only by
/// appearing, its content being judged field by field), and the paths `old` sets that `new`
/// does not (`removed`). Members equal in both are skipped whole, so the cost follows the size
/// of the change rather than of the object.
pub(crate) fn changed_fields(old: &Value, new: &Value) -> (FieldSet, FieldSet) {
    let mut diff = Diff {
        old_root: old,
        new_root: new,
        touched: FieldSet::new(),
        removed: FieldSet::new(),
    };
    let empty = serde_json::Map::new();
    let old_fields = old.as_object().unwrap_or(&empty);
    let new_fields = new.as_object().unwrap_or(&empty);
    // A kind change reshapes everything: compare the full sets.
    if root_shape(old) == root_shape(new) {
        diff.maps(old_fields, new_fields, root_shape(new), &mut Vec::new());
    } else {
        let (before, after) = (fields_of(old), fields_of(new));
        diff.sets(&before, &after);
    }
    (diff.touched, diff.removed)
}

struct Diff<'a> {
    old_root: &'a Value,
    new_root: &'a Value,
    touched: FieldSet,
    removed: FieldSet,
}

impl Diff<'_> {
    fn maps(
        &mut self,
        old: &serde_json::Map<String, Value>,
        new: &serde_json::Map<String, Value>,
        shape: Shape,
        path: &mut FieldPath,
    ) {
        for (key, new_value) in new {
            if is_never_owned(path, key) {
                continue;
            }
            let Some(old_value) = old.get(key) else {
                walk_member(key, new_value, shape, path, &mut self.touched);
                continue;
            };
            if old_value == new_value {
                continue;
            }
            match (old_value, new_value) {
                (Value::Object(old_children), Value::Object(new_children))
                    if !old_children.is_empty()
                        && !new_children.is_empty()
                        && !shape.is_atomic_object(key) =>
                {
                    path.push(PathElement::Field(key.clone()));
                    self.maps(old_children, new_children, shape.field(key), path);
                    path.pop();
                }
                (Value::Array(old_items), Value::Array(new_items))
                    if !old_items.is_empty() && !new_items.is_empty() =>
                {
                    let list = shape.list(key);
                    match (list_elements(old_items, list), list_elements(new_items, list)) {
                        (Some(before), Some(after)) => {
                            path.push(PathElement::Field(key.clone()));
                            self.items(&before, &after, shape.field(key), path);
                            path.pop();
                        }
                        _ => self.member(key, old_value, new_value, shape, path),
                    }
                }
                _ => self.member(key, old_value, new_value, shape, path),
            }
        }
        for (key, old_value) in old {
            if !new.contains_key(key) && !is_never_owned(path, key) {
                walk_member(key, old_value, shape, path, &mut self.removed);
            }
        }
    }

    /// One member that differs, compared through its whole field sets before and after.
    fn member(
        &mut self,
        key: &str,
        old_value: &Value,
        new_value: &Value,
        shape: Shape,
        path: &mut FieldPath,
    ) {
        let (mut before, mut after) = (FieldSet::new(), FieldSet::new());
        walk_member(key, old_value, shape, path, &mut before);
        walk_member(key, new_value, shape, path, &mut after);
        self.sets(&before, &after);
    }

    /// The items of a list walked item by item, matched by their path element: an item that
    /// appears is touched with its fields, one that goes is removed with its fields, and one
    /// in both is compared member by member, skipped whole when equal.
    fn items(
        &mut self,
        before: &[(PathElement, &Value)],
        after: &[(PathElement, &Value)],
        shape: Shape,
        path: &mut FieldPath,
    ) {
        for (element, new_item) in after {
            path.push(element.clone());
            match before.iter().find(|(old_element, _)| old_element == element) {
                None => {
                    self.touched.insert(path.clone());
                    if let Value::Object(fields) = new_item {
                        walk_map(fields, shape, path, &mut self.touched);
                    }
                }
                Some((_, old_item)) if old_item != new_item => {
                    if let (Value::Object(old_fields), Value::Object(new_fields)) = (old_item, new_item) {
                        self.maps(old_fields, new_fields, shape, path);
                    }
                }
                Some(_) => {}
            }
            path.pop();
        }
        for (element, old_item) in before {
            if after.iter().any(|(new_element, _)| new_element == element) {
                continue;
            }
            path.push(element.clone());
            self.removed.insert(path.clone());
            if let Value::Object(fields) = old_item {
                walk_map(fields, shape, path, &mut self.removed);
            }
            path.pop();
        }
    }

    /// Adds the touched and removed paths between the sets of one member before and after.
    fn sets(&mut self, before: &FieldSet, after: &FieldSet) {
        for path in after.iter() {
            if !before.contains(path) || value_changed(self.old_root, self.new_root, path) {
                self.touched.insert(path.clone());
            }
        }
        for path in before.iter() {
            if !after.contains(path) {
                self.removed.insert(path.clone());
            }
        }
    }
}

/// Whether the value at `path` differs between `before` and `after`. A list item is changed
/// only by appearing; its content is judged field by field.
pub(crate) fn value_changed(before: &Value, after: &Value, path: &[PathElement]) -> bool {
    let old = value_at(before, path);
    match path.last() {
        Some(PathElement::Key(_) | PathElement::Value(_)) => old.is_none(),
        _ => match (old, value_at(after, path)) {
            (Some(old), Some(new)) => !json_equal(old, new),
            (None, None) => false,
            _ => true,
        },
    }
}

fn walk_list(items: &[Value], item_shape: Shape, list: ListKind, path: &mut FieldPath, set: &mut FieldSet) {
    let Some(elements) = list_elements(items, list) else {
        set.insert(path.clone());
        return;
    };
    for (element, item) in elements {
        path.push(element);
        set.insert(path.clone());
        if let Value::Object(fields) = item {
            walk_map(fields, item_shape, path, set);
        }
        path.pop();
    }
}

/// The path element naming each item of a list walked item by item. `None` for an atomic list,
/// and for a list whose items cannot be told apart (a key missing, or two items alike), which
/// is then handled as atomic.
pub(crate) fn list_elements(items: &[Value], list: ListKind) -> Option<Vec<(PathElement, &Value)>> {
    let elements: Vec<(PathElement, &Value)> = items
        .iter()
        .map(|item| element_of(item, list).map(|element| (element, item)))
        .collect::<Option<_>>()?;
    let distinct: BTreeSet<&PathElement> = elements.iter().map(|(element, _)| element).collect();
    (distinct.len() == elements.len()).then_some(elements)
}

/// The path element naming `item` in a list of kind `list`.
pub(crate) fn element_of(item: &Value, list: ListKind) -> Option<PathElement> {
    match list {
        ListKind::Atomic => None,
        ListKind::Set => Some(PathElement::Value(item.to_string())),
        ListKind::Keyed(keys) => item_key(item, keys),
    }
}

/// The key of an item of a keyed list, with defaults for key fields the item leaves out.
fn item_key(item: &Value, keys: MergeKeys) -> Option<PathElement> {
    let Value::Object(fields) = item else {
        return None;
    };
    let mut parts = Vec::with_capacity(keys.apply.len());
    for key in keys.apply {
        let value = match (fields.get(key.name), key.default) {
            (Some(value), _) if !value.is_null() => value.to_string(),
            (_, Some(default)) => Value::String(default.to_owned()).to_string(),
            _ => return None,
        };
        parts.push((key.name.to_owned(), value));
    }
    parts.sort();
    Some(PathElement::Key(parts))
}

/// Where a walk stands: the shape of the current object and the kind of list it is in.
#[derive(Clone, Copy)]
struct Place {
    shape: Shape,
    list: ListKind,
}

impl Place {
    fn after(self, element: &PathElement) -> Place {
        match element {
            PathElement::Field(name) => Place {
                shape: self.shape.field(name),
                list: self.shape.list(name),
            },
            // Inside a list item the shape is already the item's.
            _ => Place {
                shape: self.shape,
                list: ListKind::Atomic,
            },
        }
    }
}

fn position(items: &[Value], element: &PathElement, list: ListKind) -> Option<usize> {
    match element {
        PathElement::Index(index) => (*index < items.len()).then_some(*index),
        _ => items
            .iter()
            .position(|item| element_of(item, list).as_ref() == Some(element)),
    }
}

/// The value at `path` in `object`, if there is one.
pub(crate) fn value_at<'a>(object: &'a Value, path: &[PathElement]) -> Option<&'a Value> {
    let mut place = Place {
        shape: root_shape(object),
        list: ListKind::Atomic,
    };
    let mut current = object;
    for element in path {
        current = match (element, current) {
            (PathElement::Field(name), Value::Object(fields)) => fields.get(name)?,
            (_, Value::Array(items)) => items.get(position(items, element, place.list)?)?,
            _ => return None,
        };
        place = place.after(element);
    }
    Some(current)
}

/// Removes the field or list item at `path` from `object`; whether there was one.
pub(crate) fn remove_at(object: &mut Value, path: &[PathElement]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut place = Place {
        shape: root_shape(object),
        list: ListKind::Atomic,
    };
    let mut current = object;
    for element in parents {
        let next = place.after(element);
        current = match (element, current) {
            (PathElement::Field(name), Value::Object(fields)) => match fields.get_mut(name) {
                Some(child) => child,
                None => return false,
            },
            (_, Value::Array(items)) => match position(items, element, place.list) {
                Some(index) => &mut items[index],
                None => return false,
            },
            _ => return false,
        };
        place = next;
    }
    match (last, current) {
        (PathElement::Field(name), Value::Object(fields)) => fields.remove(name).is_some(),
        (_, Value::Array(items)) => match position(items, last, place.list) {
            Some(index) => {
                items.remove(index);
                true
            }
            None => false,
        },
        _ => false,
    }
}
