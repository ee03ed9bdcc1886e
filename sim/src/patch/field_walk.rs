//! Walking an object along field paths: the set of fields it sets, the value at a path, and
//! removing a path. Keyed lists are walked item by item by key, set lists by value; every other
//! list, like every scalar and atomic object, is one field.

use std::collections::BTreeSet;

use serde_json::Value;

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
        path.push(PathElement::Field(key.clone()));
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
