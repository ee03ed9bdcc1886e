//! Server-side apply, and the bookkeeping every other write does so that applies see the
//! right owners.
//!
//! An apply body is the whole intent of one field manager. It is merged into the live object
//! (keyed lists item by item, everything else replaced), the fields it sets become that
//! manager's, fields the manager set last time and leaves out now are removed unless someone
//! else owns them too, and setting a field another manager owns to a different value is a
//! conflict unless forced. Ownership lives in `metadata.managedFields`.

use serde_json::{Map, Value};

use super::field_walk::{
    changed_fields, fields_of, fields_v1_of, list_elements, remove_at, root_shape, value_changed,
};
use super::fields_v1::{FieldSet, PathElement, path_string};
use super::managed_fields::{ManagedEntry, ManagedFields, ManagerId, Operation};
use super::merge_keys::{ListKind, Shape};
use super::{FieldConflict, PatchError};

/// Applies `applied`, the full intent of `manager`, to `live` (`None` creates the object).
/// `now` is the RFC 3339 time recorded for the manager's entry.
pub fn server_side_apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    now: &str,
) -> Result<Value, PatchError> {
    let applied = validated_intent(applied)?;
    let live = live.cloned().unwrap_or_else(|| Value::Object(Map::new()));
    let id = ManagerId {
        manager: manager.to_owned(),
        operation: Operation::Apply,
        subresource: None,
    };
    let mut managed = ManagedFields::stored_in(&live);
    let previous = managed.take(&id);
    let intent = fields_of(&applied);

    let mut merged = merge_value(&live, &applied, root_shape(&applied), ListKind::Atomic);
    let changed = changed_by_apply(&live, &merged, &intent);
    let conflicts = conflicts_with_others(&managed, &id, &changed);
    if !conflicts.is_empty() {
        if !force {
            return Err(PatchError::Conflict(conflicts));
        }
        managed.release_from_others(&id, &changed);
    }
    let previously_owned = previous
        .as_ref()
        .map(|entry| entry.fields().clone())
        .unwrap_or_default();
    let dropped = previously_owned.difference(&intent);
    remove_dropped_fields(
        &mut merged,
        &dropped,
        &managed.owned_by_others(&id).union(&intent),
    );

    let api_version = applied
        .get("apiVersion")
        .or_else(|| live.get("apiVersion"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    managed.put(updated_entry(id, previous, intent, api_version, now));
    managed.write_into(&mut merged);
    Ok(merged)
}

/// One conflict per field the apply changes that another manager owns.
fn conflicts_with_others(managed: &ManagedFields, id: &ManagerId, changed: &FieldSet) -> Vec<FieldConflict> {
    let mut conflicts = Vec::new();
    for entry in managed.others(id) {
        for path in entry.fields().intersection(changed).iter() {
            conflicts.push(FieldConflict {
                manager: entry.id.manager.clone(),
                field: path_string(path),
            });
        }
    }
    conflicts
}

/// Removes the fields a manager no longer applies, except those still `kept` by someone.
fn remove_dropped_fields(object: &mut Value, dropped: &FieldSet, kept: &FieldSet) {
    for path in dropped.iter() {
        // An item someone still owns part of stays, and so do the key fields that name it.
        if !kept.contains(path) && !kept.has_descendant(path) && !is_item_key_field(path) {
            remove_at(object, path);
        }
    }
}

/// Records a write that was not an apply (create, update, patch) by `manager`: it now owns the
/// fields it added or changed, which leave every other manager's set, and loses those it
/// removed. Returns `new` with its `metadata.managedFields` brought up to date.
pub fn record_update(
    old: Option<&Value>,
    new: &Value,
    manager: &str,
    subresource: Option<&str>,
    now: &str,
) -> Value {
    record_update_owned(old, new.clone(), manager, subresource, now)
}

/// [`record_update`] taking `new` by value, so a write does not copy the object it stores.
pub fn record_update_owned(
    old: Option<&Value>,
    mut new: Value,
    manager: &str,
    subresource: Option<&str>,
    now: &str,
) -> Value {
    let id = ManagerId {
        manager: manager.to_owned(),
        operation: Operation::Update,
        subresource: subresource.map(str::to_owned),
    };
    let api_version = new
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if old.is_none() && !sends_entries(&new) {
        // A create's writer owns every field: the trie is built straight from the object.
        let trie = fields_v1_of(&new);
        let mut managed = ManagedFields::default();
        managed.put(ManagedEntry::encoded(id, api_version, now.to_owned(), trie));
        managed.write_into(&mut new);
        return new;
    }
    let (touched, removed) = match old {
        Some(old) => changed_fields(old, &new),
        None => (fields_of(&new), FieldSet::new()),
    };
    let mut managed = managed_fields_to_keep(old, &mut new);
    managed.release_from_others(&id, &touched);
    let entry = match managed.take(&id) {
        // Edited in place: a controller rewriting its status keeps its entry as stored, or
        // changes a few paths of it, instead of decoding and encoding all its fields.
        Some(previous) => previous.updated(&touched, &removed, &api_version, now),
        None => ManagedEntry::new(id, api_version, Some(now.to_owned()), touched),
    };
    managed.put(entry);
    // Entries nobody's write changed are written back as they were stored.
    managed.write_into(&mut new);
    new
}

/// Whether `object` carries managedFields entries of its own (a client resetting them).
fn sends_entries(object: &Value) -> bool {
    matches!(object.pointer("/metadata/managedFields"), Some(Value::Array(entries)) if !entries.is_empty())
}

/// The managed fields a write starts from: those the client sent, when it sent different ones
/// (that is how a client resets them), else the stored ones.
fn managed_fields_to_keep(old: Option<&Value>, new: &mut Value) -> ManagedFields {
    let stored = old.and_then(|old| old.pointer("/metadata/managedFields"));
    let sent = new.pointer("/metadata/managedFields");
    let same = sent.is_some() && sent == stored;
    let reset = sends_entries(new) && !same;
    if reset {
        ManagedFields::sent_in(new)
    } else if same {
        // The object carries the stored entries along: take them rather than copy them.
        ManagedFields::taken_from(new)
    } else {
        old.map(ManagedFields::stored_in).unwrap_or_default()
    }
}

/// The manager's entry after a write: its time moves only when its fields change, so that a
/// write changing nothing leaves the object as it was.
fn updated_entry(
    id: ManagerId,
    previous: Option<ManagedEntry>,
    fields: FieldSet,
    api_version: &str,
    now: &str,
) -> ManagedEntry {
    let api_version = api_version.to_owned();
    match previous {
        Some(previous) if previous.fields() == &fields && previous.api_version == api_version => previous,
        _ => ManagedEntry::new(id, api_version, Some(now.to_owned()), fields),
    }
}

/// Whether `path` is a key field of a keyed list item, like `name` of a container.
fn is_item_key_field(path: &[PathElement]) -> bool {
    match path {
        [.., PathElement::Key(keys), PathElement::Field(name)] => keys.iter().any(|(key, _)| key == name),
        _ => false,
    }
}

/// Checks an apply body and drops its `null` members, which say nothing in an intent.
fn validated_intent(applied: &Value) -> Result<Value, PatchError> {
    if !applied.is_object() {
        return Err(PatchError::Malformed("an apply body must be an object".into()));
    }
    if applied
        .pointer("/metadata/managedFields")
        .is_some_and(|fields| !fields.is_null())
    {
        return Err(PatchError::Invalid(
            "metadata.managedFields must be nil in an apply request".into(),
        ));
    }
    let mut intent = applied.clone();
    drop_nulls(&mut intent);
    check_lists(&intent, root_shape(&intent), &mut Vec::new())?;
    Ok(intent)
}

fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|_, child| !child.is_null());
            fields.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Every keyed or set list in an intent must name each item once.
fn check_lists(value: &Value, shape: Shape, path: &mut Vec<PathElement>) -> Result<(), PatchError> {
    let Value::Object(fields) = value else {
        return Ok(());
    };
    for (key, child) in fields {
        path.push(PathElement::Field(key.clone()));
        match child {
            Value::Array(items) if shape.list(key) != ListKind::Atomic => {
                let Some(elements) = list_elements(items, shape.list(key)) else {
                    return Err(PatchError::Invalid(format!(
                        "{}: list items must have their key fields and be unique",
                        path_string(path)
                    )));
                };
                for (element, item) in elements {
                    path.push(element);
                    check_lists(item, shape.field(key), path)?;
                    path.pop();
                }
            }
            Value::Object(_) => check_lists(child, shape.field(key), path)?,
            _ => {}
        }
        path.pop();
    }
    Ok(())
}

/// The intent merged into the live object: objects member by member, keyed and set lists
/// item by item (live items first, new ones after, in the intent's order), the rest (atomic
/// objects included) replaced.
fn merge_value(live: &Value, applied: &Value, shape: Shape, list: ListKind) -> Value {
    match (live, applied) {
        (Value::Object(live_fields), Value::Object(applied_fields)) => {
            let mut merged = live_fields.clone();
            for (key, applied_child) in applied_fields {
                let child = match live_fields.get(key) {
                    Some(live_child) if !shape.is_atomic_object(key) => {
                        merge_value(live_child, applied_child, shape.field(key), shape.list(key))
                    }
                    _ => applied_child.clone(),
                };
                merged.insert(key.clone(), child);
            }
            Value::Object(merged)
        }
        (Value::Array(live_items), Value::Array(applied_items)) => {
            merge_items(live_items, applied_items, shape, list).unwrap_or_else(|| applied.clone())
        }
        _ => applied.clone(),
    }
}

fn merge_items(live: &[Value], applied: &[Value], item_shape: Shape, list: ListKind) -> Option<Value> {
    let live_elements = list_elements(live, list)?;
    let applied_elements = list_elements(applied, list)?;
    let mut merged = Vec::with_capacity(live.len() + applied.len());
    for (element, live_item) in &live_elements {
        match applied_elements
            .iter()
            .find(|(candidate, _)| candidate == element)
        {
            Some((_, applied_item)) => {
                merged.push(merge_value(live_item, applied_item, item_shape, ListKind::Atomic))
            }
            None => merged.push((*live_item).clone()),
        }
    }
    for (element, applied_item) in &applied_elements {
        if !live_elements.iter().any(|(candidate, _)| candidate == element) {
            merged.push((*applied_item).clone());
        }
    }
    Some(Value::Array(merged))
}

/// The fields of the intent whose value the apply changes: list items it adds, and fields
/// whose value differs from (or is missing in) the live object.
fn changed_by_apply(live: &Value, merged: &Value, intent: &FieldSet) -> FieldSet {
    intent
        .iter()
        .filter(|path| value_changed(live, merged, path))
        .cloned()
        .collect()
}
