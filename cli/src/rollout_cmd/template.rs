//! The JSON patches of `linnet rollout` that change `spec.template`: `undo` (the template of an
//! earlier revision's ReplicaSet) and `set image`. Both guard what they replace, so a patch
//! built from a stale read fails instead of writing over someone else's change. A Rollout
//! whose template comes from a workload (`spec.workloadRef`) has the patch sent to the
//! Deployment, ReplicaSet or PodTemplate it names, as Argo's plugin does: at the same path in
//! the first two, at `/template` in a PodTemplate.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use linnet_controller::rollout::objects::{POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION};
use linnet_controller::rollout::observe::workload::WorkloadKind;
use linnet_crds::rollout::Rollout;
use serde_json::{Value, json};

use super::error::OpError;
use super::patches::rollout_name;

/// Where a Rollout's pod template lives.
#[derive(Debug, PartialEq)]
pub enum TemplateHome {
    /// Its own `spec.template`.
    Rollout,
    /// The template of the workload its `workloadRef` names.
    Workload { kind: WorkloadKind, name: String },
}

impl TemplateHome {
    /// `patch` (a JSON patch of `/spec/template...`) moved to where the template lives here.
    pub fn relocate(&self, mut patch: Value) -> Value {
        let TemplateHome::Workload {
            kind: WorkloadKind::PodTemplate,
            ..
        } = self
        else {
            return patch;
        };
        for operation in patch.as_array_mut().into_iter().flatten() {
            if let Some(path) = operation.get("path").and_then(Value::as_str)
                && let Some(rest) = path.strip_prefix("/spec/template")
            {
                operation["path"] = Value::String(format!("/template{rest}"));
            }
        }
        patch
    }
}

/// Where `rollout`'s template lives; a `workloadRef` that names no workload linnet follows
/// (see the controller's `WorkloadKind`) is refused.
pub fn template_home(rollout: &Rollout) -> Result<TemplateHome, OpError> {
    let Some(reference) = &rollout.spec.workload_ref else {
        return Ok(TemplateHome::Rollout);
    };
    match (WorkloadKind::of(reference), reference.name.as_deref()) {
        (Some(kind), Some(name)) if !name.is_empty() => Ok(TemplateHome::Workload {
            kind,
            name: name.to_string(),
        }),
        _ => Err(OpError::WorkloadRef(rollout_name(rollout))),
    }
}

/// What `undo` found to do.
#[derive(Debug, PartialEq)]
pub enum Undo {
    /// Send this JSON patch to go back to `revision`.
    Patch { revision: i64, patch: Value },
    /// The template is already that of `revision`: nothing to send.
    AlreadyAt { revision: i64 },
}

/// `undo [--to-revision N]`: replaces `/spec/template` with the pod template of the
/// ReplicaSet (owned by this Rollout) at revision `N`, or at the revision before the newest
/// when `N` is not given, without its `rollouts-pod-template-hash` label, as Argo's plugin
/// does. `current` is the template as it is now, where it lives ([`template_home`]).
pub fn undo(
    rollout: &Rollout,
    current: Option<&PodTemplateSpec>,
    replica_sets: &[ReplicaSet],
    to_revision: Option<i64>,
) -> Result<Undo, OpError> {
    let name = rollout_name(rollout);
    let mut history: Vec<(i64, &ReplicaSet)> = replica_sets
        .iter()
        .filter(|rs| owned_by(rs, rollout))
        .filter_map(|rs| Some((revision_of(rs)?, rs)))
        .collect();
    history.sort_by_key(|(revision, _)| *revision);
    let revision = match to_revision {
        Some(revision) if revision > 0 => revision,
        _ => match history.len() {
            0 | 1 => return Err(OpError::NoHistory(name)),
            n => history[n - 2].0,
        },
    };
    let Some((_, rs)) = history.iter().find(|(r, _)| *r == revision) else {
        let known = history
            .iter()
            .map(|(r, _)| r.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(OpError::NoSuchRevision {
            rollout: name,
            revision,
            known: if known.is_empty() { "none".into() } else { known },
        });
    };
    let mut template = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .map(serde_json::to_value)
        .and_then(Result::ok)
        .unwrap_or(Value::Null);
    if template.is_null() {
        return Err(OpError::NoSuchRevision {
            rollout: name,
            revision,
            known: format!("revision {revision}'s ReplicaSet has no template"),
        });
    }
    if let Some(labels) = template
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(POD_TEMPLATE_HASH_LABEL);
    }
    let current = current.map(serde_json::to_value).and_then(Result::ok);
    if current.as_ref() == Some(&template) {
        return Ok(Undo::AlreadyAt { revision });
    }
    let patch = json!([{ "op": "replace", "path": "/spec/template", "value": template }]);
    Ok(Undo::Patch { revision, patch })
}

fn owned_by(rs: &ReplicaSet, rollout: &Rollout) -> bool {
    let Some(uid) = rollout.metadata.uid.as_deref() else {
        return false;
    };
    rs.metadata
        .owner_references
        .iter()
        .flatten()
        .any(|owner| owner.controller == Some(true) && owner.uid == uid)
}

fn revision_of(rs: &ReplicaSet) -> Option<i64> {
    rs.metadata
        .annotations
        .as_ref()?
        .get(REVISION_ANNOTATION)?
        .parse()
        .ok()
}

/// Splits `CONTAINER=IMAGE`.
pub fn parse_image_argument(argument: &str) -> Result<(String, String), OpError> {
    match argument.split_once('=') {
        Some((container, image)) if !container.is_empty() && !image.is_empty() => {
            Ok((container.to_string(), image.to_string()))
        }
        _ => Err(OpError::BadImageArgument(argument.to_string())),
    }
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// `set image CONTAINER=IMAGE`: a JSON patch setting the image of every container (init and
/// ephemeral too) with that name in `current` (Rollout `name`'s `spec.template`, where it
/// lives), or of all of them for `*`. Each change is preceded by a test of the container's
/// name at that index.
pub fn set_image(
    name: &str,
    current: Option<&PodTemplateSpec>,
    container: &str,
    image: &str,
) -> Result<Value, OpError> {
    let name = name.to_string();
    let template = current
        .map(serde_json::to_value)
        .and_then(Result::ok)
        .ok_or_else(|| OpError::NoTemplate(name.clone()))?;
    let mut operations = Vec::new();
    let mut known = Vec::new();
    for list in CONTAINER_LISTS {
        let containers = template
            .pointer(&format!("/spec/{list}"))
            .and_then(Value::as_array);
        for (index, found) in containers.into_iter().flatten().enumerate() {
            let Some(found) = found.get("name").and_then(Value::as_str) else {
                continue;
            };
            known.push(found.to_string());
            if container != "*" && container != found {
                continue;
            }
            let at = format!("/spec/template/spec/{list}/{index}");
            operations.push(json!({ "op": "test", "path": format!("{at}/name"), "value": found }));
            // `add` sets the member whether or not the container had an image.
            operations.push(json!({ "op": "add", "path": format!("{at}/image"), "value": image }));
        }
    }
    if operations.is_empty() {
        return Err(OpError::NoSuchContainer {
            rollout: name,
            container: container.to_string(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        });
    }
    Ok(Value::Array(operations))
}
