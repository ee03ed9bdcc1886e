//! The entries of `metadata.managedFields`: which manager set which fields, by apply or by
//! update, through which subresource, and when. The object itself is their only storage, so
//! they are decoded from it before a write and encoded back into the result.

use std::cell::OnceCell;

use serde_json::{Map, Value};

use super::fields_v1::{FieldSet, fields_v1_insert, fields_v1_remove};

/// How a manager wrote its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// What tells entries apart: the same manager has separate entries per operation and subresource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ManagerId {
    pub manager: String,
    pub operation: Operation,
    pub subresource: Option<String>,
}

/// One entry of `metadata.managedFields`.
///
/// An entry read from a stored object keeps its JSON and decodes its fields only when they
/// are read; while they are not edited it is written back as it was stored. Decoding and
/// encoding every manager's fields on each write was most of the cost of a write, and a
/// write usually edits one manager's entry.
#[derive(Debug, Clone)]
pub(crate) struct ManagedEntry {
    pub id: ManagerId,
    pub api_version: String,
    pub time: Option<String>,
    fields: OnceCell<FieldSet>,
    /// The entry as the server stored it, while its fields are unchanged.
    stored: Option<Value>,
}

impl ManagedEntry {
    pub fn new(id: ManagerId, api_version: String, time: Option<String>, fields: FieldSet) -> ManagedEntry {
        ManagedEntry {
            id,
            api_version,
            time,
            fields: OnceCell::from(fields),
            stored: None,
        }
    }

    /// An entry whose fields come as a `FieldsV1` trie, kept as given.
    pub fn encoded(id: ManagerId, api_version: String, time: String, trie: Value) -> ManagedEntry {
        let mut entry = ManagedEntry {
            id,
            api_version,
            time: Some(time),
            fields: OnceCell::new(),
            stored: None,
        };
        entry.stored = Some(encode_entry(&entry, trie));
        entry
    }

    /// The fields this manager owns.
    pub fn fields(&self) -> &FieldSet {
        self.fields.get_or_init(|| self.decode())
    }

    /// Removes `paths` from the manager's fields; whether any was there.
    fn remove_all(&mut self, paths: &FieldSet) -> bool {
        self.edit(&FieldSet::new(), paths)
    }

    /// The entry after a write by its manager that set `added` and removed `removed`: its
    /// time and apiVersion move only when its fields change or it writes another apiVersion,
    /// so that a write changing nothing leaves the object as it was.
    pub fn updated(
        mut self,
        added: &FieldSet,
        removed: &FieldSet,
        api_version: &str,
        now: &str,
    ) -> ManagedEntry {
        if self.edit(added, removed) || self.api_version != api_version {
            self.api_version = api_version.to_owned();
            self.time = Some(now.to_owned());
            if let Some(Value::Object(stored)) = &mut self.stored {
                stored.insert("apiVersion".into(), api_version.into());
                stored.insert("time".into(), now.into());
            }
        }
        self
    }

    /// Adds `added` to the fields and takes `removed` out; whether that changed them. Fields
    /// never decoded are edited in the stored trie, so the entry is not decoded and encoded
    /// again for a write of a few fields.
    fn edit(&mut self, added: &FieldSet, removed: &FieldSet) -> bool {
        if self.fields.get().is_none()
            && let Some(trie) = self.stored.as_mut().and_then(stored_trie)
        {
            let mut changed = false;
            for path in added.iter() {
                changed |= fields_v1_insert(trie, path);
            }
            for path in removed.iter() {
                changed |= fields_v1_remove(trie, path);
            }
            return changed;
        }
        let mut fields = self.fields.take().unwrap_or_else(|| self.decode());
        let mut changed = false;
        for path in added.iter() {
            if !fields.contains(path) {
                fields.insert(path.clone());
                changed = true;
            }
        }
        changed |= fields.remove_all(removed);
        self.fields = OnceCell::from(fields);
        if changed {
            self.stored = None;
        }
        changed
    }

    fn is_empty(&self) -> bool {
        match (self.fields.get(), &self.stored) {
            (None, Some(stored)) => stored
                .get("fieldsV1")
                .is_none_or(|encoded| encoded.as_object().is_some_and(Map::is_empty)),
            _ => self.fields().is_empty(),
        }
    }

    /// The stored fields; the server wrote them, so ones it cannot read count as none.
    fn decode(&self) -> FieldSet {
        self.stored
            .as_ref()
            .and_then(|stored| stored.get("fieldsV1"))
            .and_then(|encoded| FieldSet::from_fields_v1(encoded).ok())
            .unwrap_or_default()
    }

    /// The entry as JSON: as stored when unchanged, else encoded afresh.
    fn into_json(self) -> Value {
        match self.stored {
            Some(stored) => stored,
            None => encode_entry(&self, self.fields().to_fields_v1()),
        }
    }
}

/// All entries of one object.
#[derive(Debug, Clone, Default)]
pub(crate) struct ManagedFields {
    entries: Vec<ManagedEntry>,
}

impl ManagedFields {
    /// The entries stored in `object`. The server wrote them, so one it cannot read is dropped
    /// rather than failing the request.
    pub fn stored_in(object: &Value) -> ManagedFields {
        match object.pointer("/metadata/managedFields") {
            Some(Value::Array(entries)) => ManagedFields::stored(entries.clone()),
            _ => ManagedFields::default(),
        }
    }

    /// The entries stored in `object`, taken out of it rather than copied.
    pub fn taken_from(object: &mut Value) -> ManagedFields {
        let taken = object
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
            .and_then(|metadata| metadata.remove("managedFields"));
        match taken {
            Some(Value::Array(entries)) => ManagedFields::stored(entries),
            _ => ManagedFields::default(),
        }
    }

    /// Entries a client sent: every one decoded now, those that cannot be read dropped, and
    /// all encoded afresh when written.
    pub fn sent_in(object: &Value) -> ManagedFields {
        let entries = match object.pointer("/metadata/managedFields") {
            Some(Value::Array(entries)) => entries
                .iter()
                .filter_map(|entry| {
                    let mut parsed = parse_entry(entry.clone()).ok()?;
                    let encoded = entry.get("fieldsV1").unwrap_or(&Value::Null);
                    let fields = match encoded {
                        Value::Null => FieldSet::new(),
                        encoded => FieldSet::from_fields_v1(encoded).ok()?,
                    };
                    parsed.fields = OnceCell::from(fields);
                    parsed.stored = None;
                    Some(parsed)
                })
                .collect(),
            _ => Vec::new(),
        };
        ManagedFields { entries }
    }

    fn stored(entries: Vec<Value>) -> ManagedFields {
        let entries = entries
            .into_iter()
            .filter_map(|entry| parse_entry(entry).ok())
            .collect();
        ManagedFields { entries }
    }

    /// Takes this manager's entry out, to be put back changed.
    pub fn take(&mut self, id: &ManagerId) -> Option<ManagedEntry> {
        let index = self.entries.iter().position(|entry| &entry.id == id)?;
        Some(self.entries.remove(index))
    }

    /// Every entry but `id`'s.
    pub fn others<'a>(&'a self, id: &'a ManagerId) -> impl Iterator<Item = &'a ManagedEntry> {
        self.entries.iter().filter(move |entry| &entry.id != id)
    }

    /// The union of every entry's fields but `id`'s.
    pub fn owned_by_others(&self, id: &ManagerId) -> FieldSet {
        self.others(id)
            .fold(FieldSet::new(), |owned, entry| owned.union(entry.fields()))
    }

    /// Takes `fields` away from every manager but `id`: someone else now owns them alone.
    /// Returns whether anyone lost a field.
    pub fn release_from_others(&mut self, id: &ManagerId, fields: &FieldSet) -> bool {
        let mut released = false;
        for entry in self.entries.iter_mut().filter(|entry| &entry.id != id) {
            released |= entry.remove_all(fields);
        }
        released
    }

    pub fn put(&mut self, entry: ManagedEntry) {
        self.entries.push(entry);
    }

    /// Writes the entries into `object`'s metadata in the apiserver's order, leaving out
    /// managers that own nothing; no entries at all removes the member.
    pub fn write_into(mut self, object: &mut Value) {
        self.entries.retain(|entry| !entry.is_empty());
        self.entries.sort_by(|p, q| {
            (
                p.id.operation,
                &p.time,
                &p.id.manager,
                &p.api_version,
                &p.id.subresource,
            )
                .cmp(&(
                    q.id.operation,
                    &q.time,
                    &q.id.manager,
                    &q.api_version,
                    &q.id.subresource,
                ))
        });
        let Value::Object(fields) = object else {
            return;
        };
        let metadata = fields
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(metadata) = metadata else {
            return;
        };
        if self.entries.is_empty() {
            metadata.remove("managedFields");
        } else {
            let encoded = self.entries.into_iter().map(ManagedEntry::into_json).collect();
            metadata.insert("managedFields".into(), Value::Array(encoded));
        }
    }
}

/// The `fieldsV1` trie of a stored entry, to edit in place; `None` when it is not an object
/// (the server wrote it, so that does not happen).
fn stored_trie(entry: &mut Value) -> Option<&mut Map<String, Value>> {
    entry.get_mut("fieldsV1").and_then(Value::as_object_mut)
}

/// An entry's header, its fields left encoded in the stored JSON it keeps.
fn parse_entry(entry: Value) -> Result<ManagedEntry, String> {
    let text = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);
    let operation = match entry.get("operation").and_then(Value::as_str) {
        Some("Apply") => Operation::Apply,
        Some("Update") => Operation::Update,
        other => {
            return Err(format!(
                "managedFields operation must be Apply or Update, not {other:?}"
            ));
        }
    };
    match entry.get("fieldsType").and_then(Value::as_str) {
        Some("FieldsV1") | None => {}
        Some(other) => {
            return Err(format!(
                "managedFields fieldsType must be FieldsV1, not {other:?}"
            ));
        }
    }
    Ok(ManagedEntry {
        id: ManagerId {
            manager: text("manager").unwrap_or_default(),
            operation,
            subresource: text("subresource"),
        },
        api_version: text("apiVersion").unwrap_or_default(),
        time: text("time"),
        fields: OnceCell::new(),
        stored: Some(entry),
    })
}

/// One entry in the apiserver's member order, its fields being `fields_v1`.
fn encode_entry(entry: &ManagedEntry, fields_v1: Value) -> Value {
    let mut encoded = Map::new();
    encoded.insert("manager".into(), entry.id.manager.clone().into());
    encoded.insert("operation".into(), entry.id.operation.as_str().into());
    encoded.insert("apiVersion".into(), entry.api_version.clone().into());
    if let Some(time) = &entry.time {
        encoded.insert("time".into(), time.clone().into());
    }
    encoded.insert("fieldsType".into(), "FieldsV1".into());
    encoded.insert("fieldsV1".into(), fields_v1);
    if let Some(subresource) = &entry.id.subresource {
        encoded.insert("subresource".into(), subresource.clone().into());
    }
    Value::Object(encoded)
}
