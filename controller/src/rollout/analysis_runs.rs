//! The AnalysisRuns a Rollout creates for its analysis gates: their templates fetched through
//! the API (AnalysisTemplates in the Rollout's namespace, ClusterAnalysisTemplates cluster
//! wide, following `templates[]` includes), flattened and merged with the gate's arguments by
//! `linnet_analysis::args`, and wrapped in an object the Rollout owns.
//!
//! A template that does not exist, or templates that cannot be merged, make the create fail
//! with an error naming the template; the reconcile retries, so creating the template later
//! lets the rollout go on.

use std::collections::{BTreeMap, BTreeSet};

use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Resource, ResourceExt};
use linnet_analysis::args::{self, ArgsError, RolloutValues};
use linnet_crds::analysis::{
    AnalysisRun, AnalysisRunSpec, AnalysisTemplate, AnalysisTemplateRef, AnalysisTemplateSpec,
    ClusterAnalysisTemplate,
};
use linnet_crds::common::Metadata;
use linnet_crds::rollout::{AnalysisRunArgument, Rollout, RolloutAnalysisTemplate};
use serde_json::json;
use tracing::info;

use super::execute::Executor;
use super::objects::{ObjectError, POD_TEMPLATE_HASH_LABEL};
use super::plan::{AnalysisKind, EventType, RunOptions};
use super::reconcile::Error;
use crate::run::INSTANCE_ID_LABEL;

/// Label that tells which gate of the Rollout a run judges, as Argo Rollouts writes it.
pub const ROLLOUT_TYPE_LABEL: &str = "rollout-type";

/// Why a run cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// A template could not be read.
    #[error("cannot get {template}: {source}")]
    Fetch {
        template: String,
        #[source]
        source: kube::Error,
    },
    /// The templates cannot be merged into a run (missing template, cycle, conflict).
    #[error("{0}")]
    Build(#[from] ArgsError),
    /// The run object cannot be built from the Rollout.
    #[error("{0}")]
    Object(#[from] ObjectError),
    /// The API refused the run.
    #[error("cannot create it: {0}")]
    Create(#[source] kube::Error),
}

/// The value `rollout-type` takes for a gate.
pub fn rollout_type(kind: AnalysisKind) -> &'static str {
    match kind {
        AnalysisKind::Step => "Step",
        AnalysisKind::Background => "Background",
        AnalysisKind::PrePromotion => "PrePromotion",
        AnalysisKind::PostPromotion => "PostPromotion",
    }
}

/// The API's reference form of a Rollout-side template reference.
fn reference(template: &RolloutAnalysisTemplate) -> AnalysisTemplateRef {
    AnalysisTemplateRef {
        template_name: template.template_name.clone().unwrap_or_default(),
        cluster_scope: template.cluster_scope,
    }
}

/// Reads the templates `roots` name and every template they include, keyed by
/// [`args::describe`]. Templates that do not exist are left out: [`run_spec`] names them.
///
/// # Errors
/// [`CreateError::Fetch`] when the API cannot be read.
pub async fn fetch_templates(
    client: &Client,
    namespace: &str,
    roots: &[AnalysisTemplateRef],
) -> Result<BTreeMap<String, AnalysisTemplateSpec>, CreateError> {
    let namespaced: Api<AnalysisTemplate> = Api::namespaced(client.clone(), namespace);
    let cluster: Api<ClusterAnalysisTemplate> = Api::all(client.clone());
    let mut found = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let mut queue: Vec<AnalysisTemplateRef> = roots.to_vec();
    while let Some(next) = queue.pop() {
        let key = args::describe(&next);
        if next.template_name.is_empty() || !seen.insert(key.clone()) {
            continue;
        }
        let fetch_error = |source| CreateError::Fetch {
            template: key.clone(),
            source,
        };
        let spec = if next.cluster_scope == Some(true) {
            let template = cluster.get_opt(&next.template_name).await.map_err(fetch_error)?;
            template.map(|t| t.spec)
        } else {
            let template = namespaced
                .get_opt(&next.template_name)
                .await
                .map_err(fetch_error)?;
            template.map(|t| t.spec)
        };
        if let Some(spec) = spec {
            queue.extend(spec.templates.iter().flatten().cloned());
            found.insert(key, spec);
        }
    }
    Ok(found)
}

/// The spec of a run: the templates `roots` name, flattened, with the gate's arguments over
/// the templates' defaults.
///
/// # Errors
/// [`ArgsError::TemplateNotFound`] naming a template missing from `templates`, and the other
/// errors of [`args::flatten_templates`], [`args::rollout_args`] and [`args::build_run_spec`].
pub fn run_spec(
    rollout: &Rollout,
    templates: &BTreeMap<String, AnalysisTemplateSpec>,
    roots: &[AnalysisTemplateRef],
    gate_args: &[AnalysisRunArgument],
) -> Result<AnalysisRunSpec, ArgsError> {
    let flat = args::flatten_templates(roots, |r| templates.get(&args::describe(r)))?;
    let stable = rollout.status.as_ref().and_then(|s| s.stable_rs.as_deref());
    let field = |path: &str| rollout_field(rollout, path);
    let values = RolloutValues {
        stable_hash: stable,
        // The planner has already put the latest hash into the arguments that take it.
        latest_hash: None,
        field: &field,
    };
    let caller = args::rollout_args(gate_args, &values)?;
    args::build_run_spec(&flat, &caller)
}

/// The spec with the gate's options over the templates': its `dryRun` entries added to
/// theirs, its `measurementRetention` replacing theirs for the same metric.
pub fn with_options(mut spec: AnalysisRunSpec, options: &RunOptions) -> AnalysisRunSpec {
    if !options.dry_run.is_empty() {
        let dry_run = spec.dry_run.get_or_insert_default();
        for entry in &options.dry_run {
            if !dry_run.contains(entry) {
                dry_run.push(entry.clone());
            }
        }
    }
    if !options.measurement_retention.is_empty() {
        let retention = spec.measurement_retention.get_or_insert_default();
        for entry in &options.measurement_retention {
            retention.retain(|r| r.metric_name != entry.metric_name);
            retention.push(entry.clone());
        }
    }
    spec
}

/// A field of the Rollout by path: `metadata.name`, `metadata.namespace`, `metadata.uid`,
/// `metadata.labels['k']`, `metadata.annotations['k']`.
pub fn rollout_field(rollout: &Rollout, path: &str) -> Option<String> {
    let meta = &rollout.metadata;
    let keyed = |prefix: &str| {
        let rest = path.strip_prefix(prefix)?;
        let key = rest.strip_prefix("['").and_then(|k| k.strip_suffix("']"));
        key.or_else(|| rest.strip_prefix("[\"").and_then(|k| k.strip_suffix("\"]")))
    };
    match path {
        "metadata.name" => meta.name.clone(),
        "metadata.namespace" => meta.namespace.clone(),
        "metadata.uid" => meta.uid.clone(),
        _ => match (keyed("metadata.labels"), keyed("metadata.annotations")) {
            (Some(key), _) => meta.labels.as_ref()?.get(key).cloned(),
            (None, Some(key)) => meta.annotations.as_ref()?.get(key).cloned(),
            (None, None) => None,
        },
    }
}

/// The run object: in the Rollout's namespace, labelled with the pod-template hash, the gate
/// and the Rollout's controller instance (if any), and controlled by the Rollout.
///
/// # Errors
/// [`ObjectError::MissingRolloutField`] when the Rollout has no uid to be owned by.
pub fn run_object(
    rollout: &Rollout,
    name: &str,
    kind: AnalysisKind,
    pod_hash: &str,
    spec: AnalysisRunSpec,
    metadata: Option<&Metadata>,
) -> Result<AnalysisRun, ObjectError> {
    let owner = rollout
        .controller_owner_ref(&())
        .ok_or_else(|| ObjectError::MissingRolloutField {
            rollout: rollout.name_any(),
            field: "metadata.uid",
        })?;
    // The gate's own labels first, so the ones the controller relies on win.
    let mut labels = metadata.and_then(|m| m.labels.clone()).unwrap_or_default();
    labels.extend([
        (POD_TEMPLATE_HASH_LABEL.to_string(), pod_hash.to_string()),
        (ROLLOUT_TYPE_LABEL.to_string(), rollout_type(kind).to_string()),
    ]);
    if let Some(id) = rollout.labels().get(INSTANCE_ID_LABEL) {
        labels.insert(INSTANCE_ID_LABEL.to_string(), id.clone());
    }
    let mut run = AnalysisRun::new(name, spec);
    run.metadata.namespace = rollout.namespace();
    run.metadata.labels = Some(labels);
    run.metadata.annotations = metadata.and_then(|m| m.annotations.clone());
    run.metadata.owner_references = Some(vec![owner]);
    Ok(run)
}

/// What a create needs besides the client.
pub struct NewRun<'a> {
    pub rollout: &'a Rollout,
    pub name: &'a str,
    pub kind: AnalysisKind,
    pub pod_hash: &'a str,
    pub templates: &'a [RolloutAnalysisTemplate],
    pub args: &'a [AnalysisRunArgument],
    pub options: &'a RunOptions,
}

/// Fetches the templates, builds the run and creates it. A run that already exists (created by
/// an earlier pass) counts as created.
///
/// # Errors
/// Any [`CreateError`].
pub async fn create(client: &Client, new: &NewRun<'_>) -> Result<(), CreateError> {
    let namespace = new.rollout.namespace().unwrap_or_default();
    let roots: Vec<AnalysisTemplateRef> = new.templates.iter().map(reference).collect();
    let templates = fetch_templates(client, &namespace, &roots).await?;
    let spec = with_options(run_spec(new.rollout, &templates, &roots, new.args)?, new.options);
    let metadata = new.options.metadata.as_ref();
    let run = run_object(new.rollout, new.name, new.kind, new.pod_hash, spec, metadata)?;
    let api: Api<AnalysisRun> = Api::namespaced(client.clone(), &namespace);
    match api.create(&PostParams::default(), &run).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(source) => Err(CreateError::Create(source)),
    }
}

/// Performs `CreateAnalysisRun` for the executor. When the run cannot be created (a template
/// is missing) a Warning Event `AnalysisRunNotCreated` says why, and the error makes the
/// reconcile retry.
///
/// # Errors
/// [`Error::Hash`] when the pod template cannot be hashed, [`Error::Object`] when the Rollout
/// cannot own the run, [`Error::Kube`] otherwise (templates that cannot be merged have no
/// variant of their own and are reported as a failed call, which retries soon).
pub async fn apply_create(
    executor: &Executor<'_>,
    name: &str,
    kind: AnalysisKind,
    templates: &[RolloutAnalysisTemplate],
    args: &[AnalysisRunArgument],
    options: &RunOptions,
) -> Result<(), Error> {
    let rollout = executor.rollout;
    let new = NewRun {
        rollout,
        name,
        kind,
        pod_hash: executor.pod_hash,
        templates,
        args,
        options,
    };
    info!(rollout = %rollout.name_any(), analysis_run = %name, "creating AnalysisRun");
    let Err(error) = create(executor.client, &new).await else {
        return Ok(());
    };
    let message = format!("cannot create AnalysisRun {name}: {error}; retrying");
    executor
        .publish(EventType::Warning, "AnalysisRunNotCreated", &message)
        .await;
    let kube = |source| Error::Kube {
        rollout: rollout.name_any(),
        what: format!("create AnalysisRun {name}"),
        source,
    };
    Err(match error {
        CreateError::Fetch { source, .. } | CreateError::Create(source) => kube(source),
        CreateError::Object(source) => Error::Object {
            rollout: rollout.name_any(),
            source,
        },
        CreateError::Build(source) => kube(kube::Error::Service(Box::new(source))),
    })
}

/// Asks a run to stop (`spec.terminate: true`). A run that is gone needs no stopping.
///
/// # Errors
/// The API error of the patch.
pub async fn terminate(client: &Client, namespace: &str, name: &str) -> Result<(), kube::Error> {
    let api: Api<AnalysisRun> = Api::namespaced(client.clone(), namespace);
    let patch = Patch::Merge(json!({"spec": {"terminate": true}}));
    match api.patch(name, &PatchParams::default(), &patch).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(source),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rollout(labels: serde_json::Value) -> Rollout {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "labels": labels},
            "spec": {},
            "status": {"stableRS": "s1"},
        }))
        .unwrap_or_else(|e| panic!("bad Rollout: {e}"))
    }

    fn template(value: serde_json::Value) -> AnalysisTemplateSpec {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("bad template: {e}"))
    }

    fn root(name: &str) -> AnalysisTemplateRef {
        AnalysisTemplateRef {
            template_name: name.to_string(),
            cluster_scope: None,
        }
    }

    #[test]
    fn the_run_is_labelled_and_controlled_by_the_rollout() {
        let rollout = rollout(json!({(INSTANCE_ID_LABEL): "blue"}));
        let run = run_object(
            &rollout,
            "web-h-2-1",
            AnalysisKind::Step,
            "h",
            AnalysisRunSpec::default(),
            None,
        )
        .unwrap_or_else(|e| panic!("no run: {e}"));
        assert_eq!(run.metadata.namespace.as_deref(), Some("shop"));
        let labels = run.metadata.labels.unwrap_or_default();
        assert_eq!(labels.get(POD_TEMPLATE_HASH_LABEL).map(String::as_str), Some("h"));
        assert_eq!(labels.get(ROLLOUT_TYPE_LABEL).map(String::as_str), Some("Step"));
        assert_eq!(labels.get(INSTANCE_ID_LABEL).map(String::as_str), Some("blue"));
        let owners = run.metadata.owner_references.unwrap_or_default();
        assert_eq!(owners.len(), 1);
        assert_eq!(
            (owners[0].kind.as_str(), owners[0].uid.as_str()),
            ("Rollout", "u-1")
        );
        assert_eq!(owners[0].controller, Some(true));
    }

    #[test]
    fn a_rollout_without_uid_cannot_own_a_run() {
        let mut rollout = rollout(json!({}));
        rollout.metadata.uid = None;
        let result = run_object(
            &rollout,
            "r",
            AnalysisKind::Background,
            "h",
            AnalysisRunSpec::default(),
            None,
        );
        assert!(matches!(result, Err(ObjectError::MissingRolloutField { .. })));
    }

    #[test]
    fn included_templates_are_merged_and_the_gate_args_override_defaults() {
        let templates = BTreeMap::from([
            (
                "AnalysisTemplate/check".to_string(),
                template(json!({"args": [{"name": "svc"}, {"name": "hash", "value": "x"}],
                    "templates": [{"templateName": "base", "clusterScope": true}],
                    "metrics": [{"name": "a", "provider": {"web": {"url": "http://{{args.svc}}"}}}]})),
            ),
            (
                "ClusterAnalysisTemplate/base".to_string(),
                template(json!({"metrics": [{"name": "b", "provider": {"web": {"url": "http://b"}}}]})),
            ),
        ]);
        let gate_args = [AnalysisRunArgument {
            name: "svc".to_string(),
            value: Some("web".to_string()),
            value_from: None,
        }];
        let spec = run_spec(&rollout(json!({})), &templates, &[root("check")], &gate_args)
            .unwrap_or_else(|e| panic!("no spec: {e}"));
        let names: Vec<_> = spec.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        let args: Vec<_> = spec
            .args
            .unwrap_or_default()
            .into_iter()
            .map(|a| (a.name, a.value))
            .collect();
        assert_eq!(
            args,
            [
                ("svc".to_string(), Some("web".to_string())),
                ("hash".to_string(), Some("x".to_string()))
            ]
        );
    }

    #[test]
    fn a_missing_template_is_named() {
        let result = run_spec(&rollout(json!({})), &BTreeMap::new(), &[root("check")], &[]);
        assert_eq!(
            result.map(drop),
            Err(ArgsError::TemplateNotFound {
                template: "AnalysisTemplate/check".to_string()
            })
        );
    }

    #[test]
    fn rollout_fields_are_read_by_path() {
        let rollout = rollout(json!({"app": "web"}));
        assert_eq!(
            rollout_field(&rollout, "metadata.labels['app']").as_deref(),
            Some("web")
        );
        assert_eq!(rollout_field(&rollout, "metadata.name").as_deref(), Some("web"));
        assert_eq!(rollout_field(&rollout, "spec.replicas"), None);
    }

    #[test]
    fn the_gate_metadata_labels_and_annotates_the_run_without_hiding_the_controller_labels() {
        let metadata = Metadata {
            labels: Some(BTreeMap::from([
                ("team".to_string(), "shop".to_string()),
                (ROLLOUT_TYPE_LABEL.to_string(), "mine".to_string()),
            ])),
            annotations: Some(BTreeMap::from([("note".to_string(), "canary".to_string())])),
        };
        let run = run_object(
            &rollout(json!({})),
            "r",
            AnalysisKind::Step,
            "h",
            AnalysisRunSpec::default(),
            Some(&metadata),
        )
        .unwrap_or_else(|e| panic!("no run: {e}"));
        let labels = run.metadata.labels.unwrap_or_default();
        assert_eq!(labels.get("team").map(String::as_str), Some("shop"));
        assert_eq!(labels.get(ROLLOUT_TYPE_LABEL).map(String::as_str), Some("Step"));
        let annotations = run.metadata.annotations.unwrap_or_default();
        assert_eq!(annotations.get("note").map(String::as_str), Some("canary"));
    }

    #[test]
    fn the_gate_options_add_dry_run_and_override_retention() {
        use linnet_crds::common::{DryRun, MeasurementRetention};
        let spec: AnalysisRunSpec = serde_json::from_value(json!({
            "metrics": [],
            "dryRun": [{"metricName": "a"}],
            "measurementRetention": [{"metricName": "a", "limit": 3}, {"metricName": "b", "limit": 4}],
        }))
        .unwrap_or_else(|e| panic!("bad spec: {e}"));
        let options = RunOptions {
            dry_run: vec![
                DryRun {
                    metric_name: "a".to_string(),
                },
                DryRun {
                    metric_name: "c.*".to_string(),
                },
            ],
            measurement_retention: vec![MeasurementRetention {
                metric_name: "a".to_string(),
                limit: 20,
            }],
            metadata: None,
        };
        let spec = with_options(spec, &options);
        let dry: Vec<_> = spec
            .dry_run
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.metric_name)
            .collect();
        assert_eq!(dry, ["a", "c.*"]);
        let kept: Vec<_> = spec
            .measurement_retention
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.metric_name, r.limit))
            .collect();
        assert_eq!(kept, [("b".to_string(), 4), ("a".to_string(), 20)]);
        let untouched = with_options(AnalysisRunSpec::default(), &RunOptions::default());
        assert_eq!(untouched, AnalysisRunSpec::default());
    }
}
