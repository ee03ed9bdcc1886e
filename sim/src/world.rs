//! The sim's state behind its single lock, and the create and update paths every write takes.
//!
//! Handlers parse HTTP, lock the world, and call these methods; all the apiserver's write rules
//! (server-set metadata, status isolation, generation, preconditions, no-op detection) live here.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::admission::{self, FieldValidation};
use crate::clock::{self, Clock};
use crate::crd;
use crate::engines;
use crate::errors::{ApiError, Subject};
use crate::gc::GcTask;
use crate::ids::IdGenerator;
use crate::meta;
use crate::registry::{Registry, ResourceDescriptor};
use crate::store::{Store, WatchEvent};

/// Everything a write needs to know besides the object.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions<'a> {
    pub dry_run: bool,
    pub validation: FieldValidation,
    pub manager: &'a str,
    /// `Some("status")` for writes to the status subresource.
    pub subresource: Option<&'a str>,
    /// A server-side apply: the object already carries its `managedFields`.
    pub apply: bool,
}

/// The outcome of a successful create or update.
#[derive(Debug)]
pub struct Written {
    pub object: Arc<Value>,
    pub created: bool,
    pub warnings: Vec<String>,
    /// The watch event the write made, whose encoding the answer shares; none when nothing
    /// was stored.
    pub event: Option<Arc<WatchEvent>>,
}

#[derive(Debug)]
pub struct World {
    pub registry: Registry,
    pub store: Store,
    pub ids: IdGenerator,
    pub clock: Arc<dyn Clock>,
    pub(crate) pending_gc: Vec<GcTask>,
}

impl World {
    pub fn new(store: Store, ids: IdGenerator, clock: Arc<dyn Clock>) -> World {
        World {
            registry: Registry::with_builtins(),
            store,
            ids,
            clock,
            pending_gc: Vec::new(),
        }
    }

    pub fn now(&self) -> String {
        clock::format_seconds(self.clock.now())
    }

    /// POST: stores a new object (or, with `dry_run`, returns what would be stored).
    pub fn create(
        &mut self,
        desc: &ResourceDescriptor,
        url_namespace: Option<&str>,
        body: Value,
        opts: WriteOptions<'_>,
    ) -> Result<Written, ApiError> {
        let admitted = admit_new(desc, body, opts.validation)?;
        self.create_admitted(desc, url_namespace, admitted, opts)
    }

    /// [`World::create`] of a body [`admit_new`] accepted.
    pub fn create_admitted(
        &mut self,
        desc: &ResourceDescriptor,
        url_namespace: Option<&str>,
        admitted: Admitted,
        opts: WriteOptions<'_>,
    ) -> Result<Written, ApiError> {
        let Admitted { mut object, warnings } = admitted;
        let namespace = self.resolve_namespace(desc, url_namespace, &mut object)?;
        let name = self.assign_name(desc, &namespace, &mut object)?;
        meta::validate_name(&name, desc.is_namespace(), &desc.subject(&name))?;
        if desc.namespaced {
            self.check_namespace_accepts(desc, &namespace, &name)?;
        }
        if self.store.get(&desc.id(), &namespace, &name).is_some() {
            return Err(ApiError::AlreadyExists(desc.subject(&name)));
        }
        let now = self.now();
        let uid = self.ids.uid();
        let metadata = meta::meta_mut(&mut object);
        for field in meta::SERVER_OWNED {
            metadata.remove(field);
        }
        metadata.insert("uid".into(), json!(uid));
        metadata.insert("creationTimestamp".into(), json!(now));
        metadata.insert("generation".into(), json!(1));
        if desc.status_subresource
            && let Some(map) = object.as_object_mut()
        {
            map.remove("status");
        }
        admission::apply_defaults(desc, &mut object);
        admission::validate(desc, None, &object)?;
        if desc.is_crd() {
            crd::accept(&mut object, &self.registry, &now)?;
        }
        let object = if opts.apply {
            object
        } else {
            meta::meta_mut(&mut object).remove("managedFields");
            engines::record_update(None, object, opts.manager, None, &now)
        };
        if opts.dry_run {
            return Ok(Written {
                object: Arc::new(object),
                created: true,
                warnings,
                event: None,
            });
        }
        let stored = self.store.write(&desc.id(), object);
        if desc.is_crd() {
            crd::register(&mut self.registry, &stored);
        }
        Ok(Written {
            event: self.store.newest_event_of(&stored),
            object: stored,
            created: true,
            warnings,
        })
    }

    /// PUT or PATCH: replaces `current` by `candidate` under the apiserver's update rules.
    pub fn replace(
        &mut self,
        desc: &ResourceDescriptor,
        current: &Arc<Value>,
        candidate: Value,
        opts: WriteOptions<'_>,
    ) -> Result<Written, ApiError> {
        let mut candidate = prepare_body(desc, candidate)?;
        let name = meta::meta_str(current, "name").unwrap_or_default().to_string();
        let namespace = meta::meta_str(current, "namespace")
            .unwrap_or_default()
            .to_string();
        check_identity(desc, &mut candidate, &name, &namespace)?;
        let sent_version = meta::meta_str(&candidate, "resourceVersion").unwrap_or_default();
        if !sent_version.is_empty() && Some(sent_version) != meta::meta_str(current, "resourceVersion") {
            return Err(conflict(desc.subject(&name)));
        }
        // Entries the server stored are known to be well formed: looking for unknown fields in
        // them again (decoding every manager's field set) was most of a typed check's cost.
        let stored_entries = take_stored_managed_fields(&mut candidate, current);
        // The usual status write leaves everything else as stored, and the stored object has
        // no unknown fields: only the status needs looking at, and the body is the result.
        let status_only = opts.subresource == Some("status") && only_status_differs(current, &candidate);
        let checked = if status_only {
            admission::check_status_fields(desc, &mut candidate, opts.validation)
        } else {
            admission::check_fields(desc, &mut candidate, opts.validation)
        };
        let carries_stored_entries = stored_entries.is_some();
        if let Some(entries) = stored_entries {
            meta::meta_mut(&mut candidate).insert("managedFields".into(), entries);
        }
        let warnings = checked?;
        let mut new = match opts.subresource {
            Some("status") if status_only => candidate,
            Some("status") => with_status_of(current.as_ref().clone(), &candidate),
            // The body is owned: only the stored status is copied into it.
            _ if desc.status_subresource => with_status_of(candidate, current),
            _ => candidate,
        };
        meta::keep_server_fields(current, &mut new);
        // A body that carried the stored entries leaves `new` with them (put back above, or
        // from the stored object for a status write): comparing them again would find so.
        if !opts.apply && !carries_stored_entries {
            let stored = meta::meta(current).and_then(|m| m.get("managedFields"));
            // A status write starts from the stored object, which carries them already.
            let carried = meta::meta(&new).and_then(|m| m.get("managedFields"));
            if carried != stored {
                match stored {
                    Some(fields) => meta::meta_mut(&mut new).insert("managedFields".into(), fields.clone()),
                    None => meta::meta_mut(&mut new).remove("managedFields"),
                };
            }
        }
        admission::apply_defaults(desc, &mut new);
        admission::validate(desc, Some(current), &new)?;
        let now = self.now();
        if desc.is_crd() {
            crd::accept(&mut new, &self.registry, &now)?;
        }
        if meta::spec_changed(current, &new, desc.status_subresource) {
            let next = meta::generation(current) + 1;
            meta::meta_mut(&mut new).insert("generation".into(), json!(next));
        }
        let unchanged =
            meta::same_content(current, &new) && (!opts.apply || meta::same_ownership(current, &new));
        if unchanged {
            return Ok(Written {
                object: current.clone(),
                created: false,
                warnings,
                event: None,
            });
        }
        let new = if opts.apply {
            new
        } else {
            engines::record_update(Some(current), new, opts.manager, opts.subresource, &now)
        };
        if opts.dry_run {
            return Ok(Written {
                object: Arc::new(new),
                created: false,
                warnings,
                event: None,
            });
        }
        if meta::is_deleting(&new) && meta::finalizers(&new).is_empty() && !crate::gc::holds_namespace(&new) {
            let removed = self.finish_removal(&desc.id(), &namespace, &name, Some(new));
            self.settle();
            let object = removed.ok_or_else(|| ApiError::NotFound(desc.subject(&name)))?;
            return Ok(Written {
                object,
                created: false,
                warnings,
                event: None,
            });
        }
        let stored = self.store.write(&desc.id(), new);
        if desc.is_crd() {
            crd::register(&mut self.registry, &stored);
        }
        if meta::is_deleting(&stored) {
            self.queue_check(&stored);
            self.settle();
        }
        Ok(Written {
            event: self.store.newest_event_of(&stored),
            object: stored,
            created: false,
            warnings,
        })
    }

    fn resolve_namespace(
        &self,
        desc: &ResourceDescriptor,
        url_namespace: Option<&str>,
        object: &mut Value,
    ) -> Result<String, ApiError> {
        let metadata = meta::meta_mut(object);
        if !desc.namespaced {
            metadata.remove("namespace");
            return Ok(String::new());
        }
        let body_namespace = metadata
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let namespace = match url_namespace {
            Some(url) if !body_namespace.is_empty() && body_namespace != url => {
                return Err(ApiError::BadRequest(
                    "the namespace of the provided object does not match the namespace sent on the request"
                        .into(),
                ));
            }
            Some(url) => url.to_string(),
            None if body_namespace.is_empty() => "default".to_string(),
            None => body_namespace,
        };
        metadata.insert("namespace".into(), json!(namespace));
        Ok(namespace)
    }

    /// The object's name, generated from `generateName` when it has none.
    fn assign_name(
        &mut self,
        desc: &ResourceDescriptor,
        namespace: &str,
        object: &mut Value,
    ) -> Result<String, ApiError> {
        if let Some(name) = meta::meta_str(object, "name").filter(|n| !n.is_empty()) {
            return Ok(name.to_string());
        }
        let Some(prefix) = meta::meta_str(object, "generateName").map(str::to_string) else {
            return Err(ApiError::Invalid {
                subject: desc.subject(""),
                causes: vec![crate::errors::Cause::new(
                    "FieldValueRequired",
                    "metadata.name",
                    "Required value: name or generateName is required",
                )],
            });
        };
        let mut name = String::new();
        for _ in 0..8 {
            name = format!("{prefix}{}", self.ids.name_suffix());
            if self.store.get(&desc.id(), namespace, &name).is_none() {
                break;
            }
        }
        meta::meta_mut(object).insert("name".into(), json!(name));
        Ok(name)
    }

    fn check_namespace_accepts(
        &self,
        desc: &ResourceDescriptor,
        namespace: &str,
        name: &str,
    ) -> Result<(), ApiError> {
        let namespaces = crate::gc::namespaces_id();
        let ns_subject = || Subject {
            group: String::new(),
            plural: "namespaces".into(),
            kind: "Namespace".into(),
            name: namespace.to_string(),
        };
        match self.store.get(&namespaces, "", namespace) {
            None => Err(ApiError::NotFound(Box::new(ns_subject()))),
            Some(ns) if meta::is_deleting(ns) => Err(ApiError::Forbidden {
                subject: desc.subject(name),
                message: format!(
                    "{} \"{name}\" is forbidden: unable to create new content in namespace {namespace} because it \
                     is being terminated",
                    desc.subject(name).qualified_resource()
                ),
            }),
            Some(_) => Ok(()),
        }
    }
}

/// A body to create, checked as far as it can be without the world.
pub struct Admitted {
    object: Value,
    warnings: Vec<String>,
}

/// What a create checks of its body alone: its type, and its fields against the schema (the
/// apiserver decodes a body before anything else). It needs no lock, so the create handler
/// runs it before taking the world's: a typed check is a third of a ReplicaSet create.
pub fn admit_new(
    desc: &ResourceDescriptor,
    body: Value,
    validation: FieldValidation,
) -> Result<Admitted, ApiError> {
    let mut object = prepare_body(desc, body)?;
    let warnings = admission::check_fields(desc, &mut object, validation)?;
    Ok(Admitted { object, warnings })
}

/// The 409 a stale resourceVersion gets.
pub fn conflict(subject: Box<Subject>) -> ApiError {
    ApiError::Conflict {
        subject,
        detail: "the object has been modified; please apply your changes to the latest version and try again"
            .into(),
    }
}

/// Checks the body is an object of this resource's kind, filling `apiVersion`/`kind` if absent.
fn prepare_body(desc: &ResourceDescriptor, mut body: Value) -> Result<Value, ApiError> {
    let Some(map) = body.as_object_mut() else {
        return Err(ApiError::BadRequest(
            "the request body must be a JSON object".into(),
        ));
    };
    let api_version = desc.api_version();
    for (field, expected) in [("apiVersion", api_version.as_str()), ("kind", desc.kind.as_str())] {
        match map.get(field).and_then(Value::as_str) {
            None | Some("") => {
                map.insert(field.into(), json!(expected));
            }
            Some(given) if given != expected => {
                return Err(ApiError::BadRequest(format!(
                    "the {field} of the provided object ({given}) does not match the resource ({expected})"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(body)
}

/// The name and namespace of an update body must be those of the URL (filled in when empty).
fn check_identity(
    desc: &ResourceDescriptor,
    object: &mut Value,
    name: &str,
    namespace: &str,
) -> Result<(), ApiError> {
    let metadata = meta::meta_mut(object);
    match metadata.get("name").and_then(Value::as_str) {
        None | Some("") => {
            metadata.insert("name".into(), json!(name));
        }
        Some(given) if given != name => {
            return Err(ApiError::BadRequest(format!(
                "the name of the object ({given}) does not match the name on the URL ({name})"
            )));
        }
        Some(_) => {}
    }
    if desc.namespaced {
        match metadata.get("namespace").and_then(Value::as_str) {
            None | Some("") => {
                metadata.insert("namespace".into(), json!(namespace));
            }
            Some(given) if given != namespace => {
                return Err(ApiError::BadRequest(
                    "the namespace of the provided object does not match the namespace sent on the request"
                        .into(),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Takes `metadata.managedFields` out of `candidate` when they are the ones `current` stores.
fn take_stored_managed_fields(candidate: &mut Value, current: &Value) -> Option<Value> {
    let stored = meta::meta(current).and_then(|m| m.get("managedFields"))?;
    let metadata = candidate.get_mut("metadata").and_then(Value::as_object_mut)?;
    if metadata.get("managedFields") != Some(stored) {
        return None;
    }
    metadata.remove("managedFields")
}

/// Whether `candidate` differs from `current` at most in its status and managed fields.
fn only_status_differs(current: &Value, candidate: &Value) -> bool {
    let (Some(current), Some(candidate)) = (current.as_object(), candidate.as_object()) else {
        return false;
    };
    same_except(current, candidate, &["status", "metadata"])
        && match (current.get("metadata"), candidate.get("metadata")) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => same_except(a, b, &["managedFields"]),
            (a, b) => a == b,
        }
}

/// Whether two objects hold equal members, `skip` aside.
fn same_except(a: &Map<String, Value>, b: &Map<String, Value>, skip: &[&str]) -> bool {
    let kept = |key: &&String| !skip.contains(&key.as_str());
    a.keys().filter(kept).all(|key| b.get(key) == a.get(key))
        && b.keys().filter(kept).all(|key| a.contains_key(key))
}

/// `base` with its `status` replaced by that of `status_source` (removed if it has none).
fn with_status_of(mut base: Value, status_source: &Value) -> Value {
    if let Some(map) = base.as_object_mut() {
        match status_source.get("status") {
            Some(status) => map.insert("status".into(), status.clone()),
            None => map.remove("status"),
        };
    }
    base
}
