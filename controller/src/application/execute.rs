//! The thin executor: server-side apply as field manager `linnet` (or replace), deletes, the
//! Application's status written through the main resource with a merge patch, the finalizer
//! released, and Events. It decides nothing; failures are handed back to the planner to record.

use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::runtime::events::{Event, EventType as KubeEventType};
use kube::{Resource, ResourceExt};
use linnet_crds::application::Application;
use serde_json::{Value, json};
use tracing::{info, warn};

use super::kinds::Kinds;
use super::merge_patch::merge_patch;
use super::model::{Action, ActionFailure, DeleteReason, EventType, PlannedEvent};
use super::plan::Plan;
use super::settings::{FIELD_MANAGER, REFRESH_ANNOTATION, is_resources_finalizer};
use crate::events::Recorder;

/// What carrying out a plan's actions did.
#[derive(Debug, Default)]
pub struct Executed {
    pub failures: Vec<ActionFailure>,
    /// The objects applied, as the server answered (for the live cache's read-your-writes).
    pub written: Vec<Value>,
}

/// Carries out `actions` in order. A failed action does not stop the others of the same wave,
/// as kubectl applies every manifest it was given.
pub async fn execute(client: &kube::Client, kinds: &Kinds, actions: &[Action]) -> Executed {
    let mut executed = Executed::default();
    for action in actions {
        match run(client, kinds, action).await {
            Ok(written) => executed.written.extend(written),
            Err(message) => executed.failures.push(ActionFailure {
                action: action.clone(),
                message,
            }),
        }
    }
    executed
}

/// Carries out one action; returns the object written, if it wrote one.
async fn run(client: &kube::Client, kinds: &Kinds, action: &Action) -> Result<Option<Value>, String> {
    match action {
        Action::CreateNamespace { name } => {
            let api: Api<DynamicObject> = Api::all_with(
                client.clone(),
                &kinds.lookup("v1", "Namespace").await.map_err(text)?.resource,
            );
            let object = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
            api.patch(name, &PatchParams::apply(FIELD_MANAGER), &Patch::Apply(&object))
                .await
                .map_err(text)?;
            Ok(None)
        }
        Action::Apply {
            key,
            object,
            replace,
            force_conflicts,
            validate,
            ..
        } => {
            let api_version = object
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let info = kinds.lookup(api_version, &key.kind).await.map_err(|e| {
                format!(
                    "the server does not serve {api_version} {}: {}",
                    key.kind,
                    text(e)
                )
            })?;
            let api: Api<DynamicObject> = if info.namespaced {
                Api::namespaced_with(client.clone(), &key.namespace, &info.resource)
            } else {
                Api::all_with(client.clone(), &info.resource)
            };
            let answered = |written: DynamicObject| written_value(written, &info.resource);
            if *replace {
                return replace_object(&api, &key.name, object)
                    .await
                    .map(answered)
                    .map(Some);
            }
            let mut params = PatchParams::apply(FIELD_MANAGER);
            params = if *validate {
                params.validation_strict()
            } else {
                params.validation_ignore()
            };
            if *force_conflicts {
                params = params.force();
            }
            match api.patch(&key.name, &params, &Patch::Apply(object)).await {
                Ok(written) => Ok(Some(answered(written))),
                Err(kube::Error::Api(e)) if e.code == 409 && !*force_conflicts => {
                    // Another manager owns fields Git sets: Git wins, as a client-side apply
                    // would have overwritten them; the takeover is logged.
                    info!(object = %key, conflict = %e.message, "taking over conflicting fields");
                    api.patch(&key.name, &params.force(), &Patch::Apply(object))
                        .await
                        .map(|written| Some(answered(written)))
                        .map_err(text)
                }
                Err(e) => Err(text(e)),
            }
        }
        Action::Delete {
            key,
            api_version,
            why,
            ..
        } => {
            let info = kinds.lookup(api_version, &key.kind).await.map_err(text)?;
            let api: Api<DynamicObject> = if info.namespaced {
                Api::namespaced_with(client.clone(), &key.namespace, &info.resource)
            } else {
                Api::all_with(client.clone(), &info.resource)
            };
            let policy = match why {
                DeleteReason::Prune | DeleteReason::Cascade => PropagationPolicy::Foreground,
                DeleteReason::HookPolicy | DeleteReason::BeforeHookCreation => PropagationPolicy::Background,
            };
            let params = DeleteParams {
                propagation_policy: Some(policy),
                ..DeleteParams::default()
            };
            match api.delete(&key.name, &params).await {
                Ok(_) => Ok(None),
                Err(kube::Error::Api(e)) if e.code == 404 => Ok(None),
                Err(e) => Err(text(e)),
            }
        }
    }
}

/// `Replace=true`: PUT over the live object (keeping its resourceVersion), or create it.
async fn replace_object(
    api: &Api<DynamicObject>,
    name: &str,
    object: &Value,
) -> Result<DynamicObject, String> {
    let mut desired: DynamicObject = serde_json::from_value(object.clone()).map_err(|e| e.to_string())?;
    match api.get_opt(name).await.map_err(text)? {
        Some(live) => {
            desired.metadata.resource_version = live.metadata.resource_version;
            api.replace(name, &PostParams::default(), &desired)
                .await
                .map_err(text)
        }
        None => api.create(&PostParams::default(), &desired).await.map_err(text),
    }
}

/// An object the server answered a write with, as JSON with its apiVersion and kind.
fn written_value(object: DynamicObject, resource: &kube::api::ApiResource) -> Value {
    let mut value = serde_json::to_value(&object).unwrap_or(Value::Null);
    if value.is_object() && value.get("apiVersion").is_none_or(Value::is_null) {
        value["apiVersion"] = Value::String(resource.api_version.clone());
        value["kind"] = Value::String(resource.kind.clone());
    }
    value
}

/// Writes what the plan changes on the Application: status (only the fields that differ),
/// the cleared operation, the removed refresh annotation, guarded by the resourceVersion read.
pub async fn write_application(
    api: &Api<Application>,
    app: &Application,
    plan: &Plan,
) -> Result<(), kube::Error> {
    let old = serde_json::to_value(&app.status).unwrap_or(Value::Null);
    let new = serde_json::to_value(&plan.status).unwrap_or(Value::Null);
    let mut patch = serde_json::Map::new();
    if let Some(change) = merge_patch(&old, &new) {
        patch.insert("status".into(), change);
    }
    let mut metadata = serde_json::Map::new();
    if plan.clear_operation {
        patch.insert("operation".into(), Value::Null);
    }
    if plan.remove_refresh_annotation {
        metadata.insert("annotations".into(), json!({ REFRESH_ANNOTATION: null }));
    }
    if patch.is_empty() && metadata.is_empty() {
        return Ok(());
    }
    // Written only over the version the plan was made from: a concurrent change (a new
    // operation, a refresh) makes this a conflict, and the pass is made again.
    if let Some(version) = &app.metadata.resource_version {
        metadata.insert("resourceVersion".into(), Value::String(version.clone()));
    }
    patch.insert("metadata".into(), Value::Object(metadata));
    api.patch(
        &app.name_any(),
        &PatchParams::default(),
        &Patch::Merge(Value::Object(patch)),
    )
    .await?;
    Ok(())
}

/// Lets the resources finalizer go, guarded by the resourceVersion read.
pub async fn remove_finalizer(api: &Api<Application>, app: &Application) -> Result<(), kube::Error> {
    let remaining: Vec<String> = app
        .finalizers()
        .iter()
        .filter(|f| !is_resources_finalizer(f))
        .cloned()
        .collect();
    let patch =
        json!({"metadata": {"finalizers": remaining, "resourceVersion": app.metadata.resource_version}});
    api.patch(&app.name_any(), &PatchParams::default(), &Patch::Merge(patch))
        .await?;
    Ok(())
}

/// Records Events on the Application; a failure to record is logged, never fatal.
pub async fn publish(recorder: &Recorder, app: &Application, events: &[PlannedEvent]) {
    let reference = app.object_ref(&());
    for planned in events {
        let event = Event {
            type_: match planned.type_ {
                EventType::Normal => KubeEventType::Normal,
                EventType::Warning => KubeEventType::Warning,
            },
            reason: planned.reason.to_string(),
            note: Some(planned.message.clone()),
            action: planned.reason.to_string(),
            secondary: None,
        };
        if let Err(error) = recorder.publish(&event, &reference).await {
            warn!(app = %app.name_any(), %error, "cannot record Event");
        }
    }
}

fn text(error: kube::Error) -> String {
    match error {
        kube::Error::Api(e) => e.message,
        other => other.to_string(),
    }
}
