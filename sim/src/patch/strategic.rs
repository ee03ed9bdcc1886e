//! Strategic merge patch for built-in kinds, as kubectl sends it.
//!
//! It is a merge patch (objects merge, `null` deletes) where lists named in
//! [`merge_keys`](super::merge_keys) merge item by item instead of being replaced, plus the
//! directives kubectl writes into patches:
//! - `$patch: replace | delete | merge` on an object, and `{"$patch": "replace"}` or
//!   `{<key>: .., "$patch": "delete"}` as items of a keyed list;
//! - `$setElementOrder/<list>`: the order the list's items should end up in;
//! - `$retainKeys`: the only fields an object keeps (used for unions like Deployment strategy);
//! - `$deleteFromPrimitiveList/<list>`: values to remove from a list of scalars.
//!
//! Item order follows the apiserver: items named in the patch take the patch's order (or the
//! `$setElementOrder` list's), and items only on the server keep their place relative to them.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::PatchError;
use super::equality::json_equal;
use super::list_order::{itself, order_items};
use super::merge_keys::{ListKind, Shape};

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";

/// Applies a strategic merge patch to `doc`, an object of `kind` (e.g. "Deployment").
pub fn strategic_merge_patch(doc: &Value, patch: &Value, kind: &str) -> Result<Value, PatchError> {
    let Value::Object(patch) = patch else {
        return Err(PatchError::Malformed(
            "a strategic merge patch must be a JSON object".into(),
        ));
    };
    let original = match doc {
        Value::Object(fields) => fields.clone(),
        _ => Map::new(),
    };
    let merged = merge_map(original, patch, Shape::for_kind(kind))?;
    Ok(Value::Object(merged.unwrap_or_default()))
}

/// What a `$patch` directive asks of the object it sits in.
enum MapDirective {
    Merge,
    Replace,
    Delete,
}

fn map_directive(patch: &Map<String, Value>) -> Result<MapDirective, PatchError> {
    match patch.get(PATCH) {
        None => Ok(MapDirective::Merge),
        Some(Value::String(directive)) => match directive.as_str() {
            "merge" => Ok(MapDirective::Merge),
            "replace" => Ok(MapDirective::Replace),
            "delete" => Ok(MapDirective::Delete),
            other => Err(PatchError::Malformed(format!(
                "unknown $patch directive {other:?}"
            ))),
        },
        Some(other) => Err(PatchError::Malformed(format!(
            "$patch must be a string, not {other}"
        ))),
    }
}

/// Merges `patch` into `original`. `None` means the patch deletes the object altogether.
fn merge_map(
    mut original: Map<String, Value>,
    patch: &Map<String, Value>,
    shape: Shape,
) -> Result<Option<Map<String, Value>>, PatchError> {
    match map_directive(patch)? {
        MapDirective::Delete => return Ok(None),
        // Replacing is merging into nothing: that also strips directives nested in the patch.
        MapDirective::Replace => original = Map::new(),
        MapDirective::Merge => {}
    }
    apply_retain_keys(&mut original, patch)?;
    let ordered_lists = apply_element_orders(&mut original, patch, shape)?;
    apply_primitive_deletions(&mut original, patch)?;
    for (key, value) in patch {
        if is_directive(key) || ordered_lists.contains(key) {
            continue;
        }
        merge_field(&mut original, key, value, shape)?;
    }
    Ok(Some(original))
}

fn is_directive(key: &str) -> bool {
    key == PATCH
        || key == RETAIN_KEYS
        || key.starts_with(SET_ELEMENT_ORDER)
        || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
}

/// Merges one member of the patch into `original`.
fn merge_field(
    original: &mut Map<String, Value>,
    key: &str,
    value: &Value,
    shape: Shape,
) -> Result<(), PatchError> {
    if value.is_null() {
        original.remove(key);
        return Ok(());
    }
    let child_shape = shape.field(key);
    let current = original.get_mut(key).map(Value::take);
    let merged = match (current, value) {
        (Some(Value::Object(current)), Value::Object(patch)) => {
            merge_map(current, patch, child_shape)?.map(Value::Object)
        }
        (_, Value::Object(patch)) => merge_map(Map::new(), patch, child_shape)?.map(Value::Object),
        (Some(Value::Array(current)), Value::Array(patch)) => Some(Value::Array(merge_list(
            current,
            patch,
            shape.list(key),
            child_shape,
        )?)),
        (_, Value::Array(patch)) => Some(Value::Array(merge_list(
            Vec::new(),
            patch,
            shape.list(key),
            child_shape,
        )?)),
        (_, scalar) => Some(scalar.clone()),
    };
    match merged {
        Some(merged) => original.insert(key.to_owned(), merged),
        None => original.remove(key),
    };
    Ok(())
}

fn merge_list(
    original: Vec<Value>,
    patch: &[Value],
    kind: ListKind,
    item_shape: Shape,
) -> Result<Vec<Value>, PatchError> {
    match kind {
        ListKind::Atomic => Ok(patch.to_vec()),
        ListKind::Set => merge_set(original, patch),
        ListKind::Keyed(keys) => merge_keyed(original, patch, keys.strategic, item_shape),
    }
}

/// A list of scalars merged as a set: the union, without duplicates.
fn merge_set(original: Vec<Value>, patch: &[Value]) -> Result<Vec<Value>, PatchError> {
    if patch.iter().any(|item| item.is_object() || item.is_array()) {
        return Err(PatchError::Invalid(
            "a list merged as a set may only hold scalars".into(),
        ));
    }
    let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
    for item in original.iter().chain(patch) {
        if !merged.iter().any(|kept| json_equal(kept, item)) {
            merged.push(item.clone());
        }
    }
    let patch_order: Vec<&Value> = patch.iter().collect();
    let server_order: Vec<&Value> = original.iter().collect();
    Ok(order_items(merged, &patch_order, &server_order, itself))
}

/// A list of objects merged item by item, matching items by the value of `key`.
fn merge_keyed(
    original: Vec<Value>,
    patch: &[Value],
    key: &str,
    item_shape: Shape,
) -> Result<Vec<Value>, PatchError> {
    let server_order: Vec<Value> = original
        .iter()
        .filter_map(|item| item.get(key))
        .cloned()
        .collect();
    let mut merged = original;
    let mut replace_all = false;
    let mut items = Vec::new();
    for item in patch {
        let Value::Object(fields) = item else {
            return Err(PatchError::Invalid(format!(
                "items of a list merged by {key:?} must be objects"
            )));
        };
        match fields.get(PATCH).map(|directive| directive.as_str()) {
            None | Some(Some("merge")) => items.push(fields),
            Some(Some("delete")) => {
                let wanted = merge_key_value(fields, key)?;
                merged.retain(|candidate| !has_key_value(candidate, key, wanted));
            }
            Some(Some("replace")) => replace_all = true,
            Some(_) => {
                return Err(PatchError::Malformed(format!(
                    "unknown $patch directive in list item {item}"
                )));
            }
        }
    }
    if replace_all {
        merged.clear();
    }
    let mut patch_order = Vec::with_capacity(items.len());
    for fields in items {
        let wanted = merge_key_value(fields, key)?;
        patch_order.push(wanted);
        match merged
            .iter()
            .position(|candidate| has_key_value(candidate, key, wanted))
        {
            Some(index) => {
                let current = match merged[index].take() {
                    Value::Object(current) => current,
                    _ => Map::new(),
                };
                match merge_map(current, fields, item_shape)? {
                    Some(item) => merged[index] = Value::Object(item),
                    None => drop(merged.remove(index)),
                }
            }
            None => merged.extend(merge_map(Map::new(), fields, item_shape)?.map(Value::Object)),
        }
    }
    let server_order: Vec<&Value> = server_order.iter().collect();
    Ok(order_items(merged, &patch_order, &server_order, |item| {
        item.get(key)
    }))
}

fn merge_key_value<'a>(fields: &'a Map<String, Value>, key: &str) -> Result<&'a Value, PatchError> {
    fields
        .get(key)
        .ok_or_else(|| PatchError::Invalid(format!("list item {fields:?} is missing its merge key {key:?}")))
}

fn has_key_value(item: &Value, key: &str, wanted: &Value) -> bool {
    item.get(key).is_some_and(|value| json_equal(value, wanted))
}

/// `$retainKeys`: drop every field of `original` not named in the list.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retained) = patch.get(RETAIN_KEYS) else {
        return Ok(());
    };
    let malformed = || PatchError::Malformed("$retainKeys must be a list of field names".into());
    let Value::Array(retained) = retained else {
        return Err(malformed());
    };
    let retained: BTreeSet<&str> = retained
        .iter()
        .map(|name| name.as_str().ok_or_else(malformed))
        .collect::<Result<_, _>>()?;
    if let Some((key, _)) = patch
        .iter()
        .find(|(key, value)| !value.is_null() && !key.starts_with('$') && !retained.contains(key.as_str()))
    {
        return Err(PatchError::Malformed(format!(
            "field {key:?} is in the patch but not in $retainKeys"
        )));
    }
    original.retain(|key, _| retained.contains(key.as_str()));
    Ok(())
}

/// `$setElementOrder/<list>`: merge the list now and put its items in the given order.
/// Returns the lists handled, so that the main loop skips them.
fn apply_element_orders(
    original: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    shape: Shape,
) -> Result<BTreeSet<String>, PatchError> {
    let mut handled = BTreeSet::new();
    for (directive, order) in patch {
        let Some(rest) = directive.strip_prefix(SET_ELEMENT_ORDER) else {
            continue;
        };
        let (Some(list), Value::Array(order)) = (rest.strip_prefix('/'), order) else {
            return Err(PatchError::Malformed(format!(
                "{directive} must be named $setElementOrder/<list> and hold a list"
            )));
        };
        let patch_list = match patch.get(list) {
            Some(Value::Array(items)) => Some(items),
            // A null list is a deletion; the main loop handles it.
            Some(Value::Null) => continue,
            Some(other) => {
                return Err(PatchError::Malformed(format!(
                    "{list} must be a list, not {other}"
                )));
            }
            None => None,
        };
        let current = match original.get(list) {
            Some(Value::Array(items)) => Some(items.clone()),
            _ => None,
        };
        let kind = shape.list(list);
        let merged = match (current.clone(), patch_list) {
            (Some(current), None) => current,
            (current, Some(patch_list)) => {
                merge_list(current.unwrap_or_default(), patch_list, kind, shape.field(list))?
            }
            (None, None) => continue,
        };
        let current = current.unwrap_or_default();
        let ordered = match kind {
            ListKind::Keyed(keys) => {
                let key = keys.strategic;
                let patch_order: Vec<&Value> = order.iter().filter_map(|item| item.get(key)).collect();
                let server_order: Vec<&Value> = current.iter().filter_map(|item| item.get(key)).collect();
                order_items(merged, &patch_order, &server_order, |item| item.get(key))
            }
            ListKind::Set => {
                let patch_order: Vec<&Value> = order.iter().collect();
                let server_order: Vec<&Value> = current.iter().collect();
                order_items(merged, &patch_order, &server_order, itself)
            }
            ListKind::Atomic => merged,
        };
        original.insert(list.to_owned(), Value::Array(ordered));
        handled.insert(list.to_owned());
    }
    Ok(handled)
}

/// `$deleteFromPrimitiveList/<list>`: remove the given values from a list of scalars.
fn apply_primitive_deletions(
    original: &mut Map<String, Value>,
    patch: &Map<String, Value>,
) -> Result<(), PatchError> {
    for (directive, doomed) in patch {
        let Some(rest) = directive.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) else {
            continue;
        };
        let (Some(list), Value::Array(doomed)) = (rest.strip_prefix('/'), doomed) else {
            return Err(PatchError::Malformed(format!(
                "{directive} must be named $deleteFromPrimitiveList/<list> and hold a list"
            )));
        };
        if let Some(Value::Array(items)) = original.get_mut(list) {
            items.retain(|item| !doomed.iter().any(|value| json_equal(item, value)));
        }
    }
    Ok(())
}
