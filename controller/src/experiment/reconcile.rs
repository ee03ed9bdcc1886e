//! One reconcile of one Experiment: read its ReplicaSets, Services and AnalysisRuns by the
//! names it gives them, plan, apply the plan's actions, and write the status when it changed.
//! The status is the only memory: a restarted controller continues from it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action as Requeue;
use kube::runtime::events::{Event, EventType};
use kube::{Resource, ResourceExt};
use linnet_analysis::args::{build_run_spec, describe, flatten_templates};
use linnet_crds::Validate;
use linnet_crds::analysis::{AnalysisRun, AnalysisTemplateRef};
use linnet_crds::experiment::{Experiment, ExperimentStatus, TemplateStatusCode};
use serde_json::json;
use tracing::{info, warn};

use super::objects::{self, Placeholders};
use super::plan::{self, Action, Observed, ReplicaSetState, RunState};
use super::{Context, Error};
use crate::analysis_run::status_patch::merge_diff;
use crate::rollout::analysis_runs::{fetch_templates, terminate};
use crate::rollout::objects::POD_TEMPLATE_HASH_LABEL;
use crate::rollout::objects::replicaset::{scale_down_deadline, scale_down_deadline_patch};
use crate::run::INSTANCE_ID_LABEL;

/// How often a finished or idle experiment is looked at again regardless.
const RESYNC: Duration = Duration::from_secs(300);

/// Reconciles one Experiment.
///
/// # Errors
/// [`Error::Kube`] when the API cannot be read or written; the reconcile is retried.
pub async fn reconcile(experiment: Arc<Experiment>, context: Arc<Context>) -> Result<Requeue, Error> {
    if experiment.metadata.deletion_timestamp.is_some() {
        return Ok(Requeue::await_change());
    }
    let namespace = experiment.namespace().unwrap_or_default();
    let name = experiment.name_any();
    let scope = Scope {
        context: &context,
        experiment: &experiment,
        namespace: &namespace,
        name: &name,
    };
    let observed = scope.observe().await?;
    let planned = plan::plan(&observed);
    for action in &planned.actions {
        scope.apply(action, &observed).await?;
    }
    scope.write_status(&observed.status, &planned.status).await?;
    Ok(Requeue::requeue(
        planned.requeue.map_or(RESYNC, |d| d.min(RESYNC)),
    ))
}

struct Scope<'a> {
    context: &'a Context,
    experiment: &'a Experiment,
    namespace: &'a str,
    name: &'a str,
}

impl Scope<'_> {
    fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.context.client.clone(), self.namespace)
    }

    fn kube(&self, what: String) -> impl FnOnce(kube::Error) -> Error + '_ {
        move |source| Error::Kube {
            experiment: format!("{}/{}", self.namespace, self.name),
            what,
            source,
        }
    }

    fn owned<K: Resource>(&self, object: &K) -> bool {
        let uid = self.experiment.metadata.uid.as_deref();
        object
            .meta()
            .owner_references
            .iter()
            .flatten()
            .any(|owner| owner.controller == Some(true) && Some(owner.uid.as_str()) == uid)
    }

    async fn observe(&self) -> Result<Observed, Error> {
        let spec = self.experiment.spec.clone();
        let invalid: Vec<String> = self
            .experiment
            .validate()
            .into_iter()
            .map(|finding| format!("{}: {}", finding.path, finding.message))
            .collect();
        let mut observed = Observed {
            name: self.name.to_string(),
            status: self.experiment.status.clone().unwrap_or_default(),
            now: Timestamp::now(),
            invalid,
            ..Observed::default()
        };
        if !observed.invalid.is_empty() {
            observed.spec = spec;
            return Ok(observed);
        }
        let replica_sets: Api<ReplicaSet> = self.api();
        let services: Api<Service> = self.api();
        for template in &spec.templates {
            let rs_name = plan::replica_set_name(self.name, &template.name);
            let found = replica_sets
                .get_opt(&rs_name)
                .await
                .map_err(self.kube(format!("get ReplicaSet {rs_name}")))?;
            if let Some(rs) = found.filter(|rs| self.owned(rs)) {
                observed
                    .replica_sets
                    .insert(template.name.clone(), replica_set_state(&rs));
            }
            let service_name = template
                .service
                .as_ref()
                .and_then(|s| s.name.clone())
                .unwrap_or_else(|| rs_name.clone());
            let service = services
                .get_opt(&service_name)
                .await
                .map_err(self.kube(format!("get Service {service_name}")))?;
            if service.is_some_and(|s| self.owned(&s)) {
                observed.services.insert(template.name.clone(), service_name);
            }
        }
        let runs: Api<AnalysisRun> = self.api();
        for analysis in spec.analyses.iter().flatten() {
            let run_name = plan::run_name(self.name, &analysis.name);
            let run = runs
                .get_opt(&run_name)
                .await
                .map_err(self.kube(format!("get AnalysisRun {run_name}")))?;
            match run.filter(|run| self.owned(run)) {
                Some(run) => {
                    let status = run.status.as_ref();
                    observed.runs.insert(
                        analysis.name.clone(),
                        RunState {
                            name: run_name,
                            phase: status.and_then(|s| s.phase),
                            message: status.and_then(|s| s.message.clone()),
                            terminating: run.spec.terminate == Some(true),
                        },
                    );
                }
                None => {
                    let root = root_of(analysis);
                    let templates =
                        fetch_templates(&self.context.client, self.namespace, std::slice::from_ref(&root))
                            .await
                            .map_err(|error| {
                                self.kube(format!("get {}", describe(&root)))(kube_error(error))
                            })?;
                    observed
                        .templates_found
                        .insert(analysis.name.clone(), templates.contains_key(&describe(&root)));
                }
            }
        }
        observed.spec = spec;
        Ok(observed)
    }

    async fn apply(&self, action: &Action, observed: &Observed) -> Result<(), Error> {
        let replica_sets: Api<ReplicaSet> = self.api();
        let params = PatchParams::default();
        match action {
            Action::CreateReplicaSet { template, replicas } => {
                let Some(spec) = self
                    .experiment
                    .spec
                    .templates
                    .iter()
                    .find(|t| &t.name == template)
                else {
                    return Ok(());
                };
                let collision = collision_count(&observed.status, template);
                let rs =
                    objects::replica_set(self.experiment, spec, collision, *replicas).map_err(|source| {
                        Error::Object {
                            experiment: self.name.to_string(),
                            source,
                        }
                    })?;
                info!(experiment = self.name, %template, replicas, "creating ReplicaSet");
                ignore_conflict(replica_sets.create(&PostParams::default(), &rs).await)
                    .map_err(self.kube(format!("create the ReplicaSet of template {template}")))
            }
            Action::ScaleReplicaSet { name, replicas } => {
                info!(experiment = self.name, replica_set = %name, replicas, "scaling ReplicaSet");
                let patch = Patch::Merge(json!({"spec": {"replicas": replicas}}));
                replica_sets
                    .patch(name, &params, &patch)
                    .await
                    .map(drop)
                    .map_err(self.kube(format!("scale ReplicaSet {name}")))
            }
            Action::AnnotateScaleDownDeadline { name, deadline } => {
                let patch = Patch::Merge(scale_down_deadline_patch(Some(*deadline)));
                replica_sets
                    .patch(name, &params, &patch)
                    .await
                    .map(drop)
                    .map_err(self.kube(format!("annotate ReplicaSet {name}")))
            }
            Action::CreateService { template } => self.create_service(template, observed).await,
            Action::DeleteService { name, .. } => {
                let services: Api<Service> = self.api();
                match services.delete(name, &DeleteParams::default()).await {
                    Ok(_) => Ok(()),
                    Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
                    Err(source) => Err(self.kube(format!("delete Service {name}"))(source)),
                }
            }
            Action::CreateAnalysisRun { analysis, name } => self.create_run(analysis, name, observed).await,
            Action::TerminateAnalysisRun { name } => terminate(&self.context.client, self.namespace, name)
                .await
                .map_err(self.kube(format!("terminate AnalysisRun {name}"))),
            Action::TemplateTransition {
                template,
                from,
                to,
                message,
            } => {
                self.template_event(template, from, *to, message.as_deref()).await;
                Ok(())
            }
        }
    }

    async fn create_service(&self, template: &str, observed: &Observed) -> Result<(), Error> {
        let (Some(spec), Some(rs)) = (
            self.experiment.spec.templates.iter().find(|t| t.name == template),
            observed.replica_sets.get(template),
        ) else {
            return Ok(());
        };
        let service = objects::service(self.experiment, spec, &rs.hash).map_err(|source| Error::Object {
            experiment: self.name.to_string(),
            source,
        })?;
        let Some(service) = service else {
            return Ok(());
        };
        let services: Api<Service> = self.api();
        ignore_conflict(services.create(&PostParams::default(), &service).await)
            .map_err(self.kube(format!("create the Service of template {template}")))
    }

    async fn create_run(&self, analysis: &str, name: &str, observed: &Observed) -> Result<(), Error> {
        let Some(wanted) = self
            .experiment
            .spec
            .analyses
            .iter()
            .flatten()
            .find(|a| a.name == analysis)
        else {
            return Ok(());
        };
        let root = root_of(wanted);
        let templates = fetch_templates(&self.context.client, self.namespace, std::slice::from_ref(&root))
            .await
            .map_err(|error| self.kube(format!("get {}", describe(&root)))(kube_error(error)))?;
        let hashes: BTreeMap<String, (String, String)> = observed
            .replica_sets
            .iter()
            .map(|(template, rs)| (template.clone(), (rs.hash.clone(), rs.name.clone())))
            .collect();
        let placeholders = Placeholders {
            templates: &hashes,
            available_at: observed
                .status
                .available_at
                .as_ref()
                .map(|t| t.0)
                .or(Some(observed.now)),
            experiment: self.experiment,
        };
        let built = objects::resolve_args(wanted.args.as_deref().unwrap_or_default(), &placeholders)
            .and_then(|args| {
                let flat = flatten_templates(std::slice::from_ref(&root), |r| templates.get(&describe(r)))
                    .map_err(|e| e.to_string())?;
                build_run_spec(&flat, &args).map_err(|e| e.to_string())
            });
        let mut spec = match built {
            Ok(spec) => spec,
            Err(reason) => {
                let note = format!("Failed to create AnalysisRun for analysis '{analysis}': {reason}");
                self.event(EventType::Warning, "AnalysisRunNotCreated", &note)
                    .await;
                return Err(self.kube(format!("create AnalysisRun {name}"))(
                    kube::Error::Service(reason.into()),
                ));
            }
        };
        let experiment_spec = &self.experiment.spec;
        if let Some(dry_run) = &experiment_spec.dry_run {
            let mut merged = dry_run.clone();
            merged.extend(spec.dry_run.take().unwrap_or_default());
            spec.dry_run = Some(merged);
        }
        if let Some(retention) = &experiment_spec.measurement_retention {
            let mut merged = retention.clone();
            merged.extend(spec.measurement_retention.take().unwrap_or_default());
            spec.measurement_retention = Some(merged);
        }
        let mut run = AnalysisRun::new(name, spec);
        run.metadata.namespace = Some(self.namespace.to_string());
        let metadata = experiment_spec.analysis_run_metadata.as_ref();
        let mut labels = metadata.and_then(|m| m.labels.clone()).unwrap_or_default();
        if let Some(id) = self.experiment.labels().get(INSTANCE_ID_LABEL) {
            labels.insert(INSTANCE_ID_LABEL.to_string(), id.clone());
        }
        run.metadata.labels = (!labels.is_empty()).then_some(labels);
        run.metadata.annotations = metadata.and_then(|m| m.annotations.clone());
        run.metadata.owner_references = Some(vec![objects::owner(self.experiment).map_err(|source| {
            Error::Object {
                experiment: self.name.to_string(),
                source,
            }
        })?]);
        info!(experiment = self.name, analysis_run = %name, "creating AnalysisRun");
        let runs: Api<AnalysisRun> = self.api();
        ignore_conflict(runs.create(&PostParams::default(), &run).await)
            .map_err(self.kube(format!("create AnalysisRun {name}")))
    }

    async fn template_event(
        &self,
        template: &str,
        from: &str,
        to: TemplateStatusCode,
        message: Option<&str>,
    ) {
        let to_name = format!("{to:?}");
        let mut note = format!("Template '{template}' transitioned from {from} -> {to_name}");
        if let Some(message) = message {
            note.push_str(": ");
            note.push_str(message);
        }
        let type_ = match to {
            TemplateStatusCode::Failed | TemplateStatusCode::Error => EventType::Warning,
            _ => EventType::Normal,
        };
        self.event(type_, &format!("Template{to_name}"), &note).await;
    }

    async fn event(&self, type_: EventType, reason: &str, note: &str) {
        let event = Event {
            type_,
            reason: reason.to_string(),
            note: Some(note.to_string()),
            action: "Experiment".to_string(),
            secondary: None,
        };
        if let Err(error) = self
            .context
            .recorder
            .publish(&event, &self.experiment.object_ref(&()))
            .await
        {
            warn!(experiment = self.name, %error, reason, "cannot record Event");
        }
    }

    /// Writes the new status as a merge patch of what changed (the Experiment CRD has no
    /// status subresource, as in Argo: the status is part of the main resource).
    async fn write_status(&self, old: &ExperimentStatus, new: &ExperimentStatus) -> Result<(), Error> {
        let encode = |status: &ExperimentStatus| {
            serde_json::to_value(status).map_err(|source| Error::EncodeStatus {
                experiment: self.name.to_string(),
                source,
            })
        };
        let Some(diff) = merge_diff(&encode(old)?, &encode(new)?) else {
            return Ok(());
        };
        let experiments: Api<Experiment> = self.api();
        experiments
            .patch(
                self.name,
                &PatchParams::default(),
                &Patch::Merge(json!({"status": diff})),
            )
            .await
            .map(drop)
            .map_err(self.kube("write the status".to_string()))
    }
}

fn root_of(analysis: &linnet_crds::experiment::ExperimentAnalysisTemplateRef) -> AnalysisTemplateRef {
    AnalysisTemplateRef {
        template_name: analysis.template_name.clone(),
        cluster_scope: analysis.cluster_scope,
    }
}

fn kube_error(error: crate::rollout::analysis_runs::CreateError) -> kube::Error {
    match error {
        crate::rollout::analysis_runs::CreateError::Fetch { source, .. }
        | crate::rollout::analysis_runs::CreateError::Create(source) => source,
        other => kube::Error::Service(other.to_string().into()),
    }
}

fn ignore_conflict<T>(result: Result<T, kube::Error>) -> Result<(), kube::Error> {
    match result {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(error) => Err(error),
    }
}

fn collision_count(status: &ExperimentStatus, template: &str) -> Option<i32> {
    status
        .template_statuses
        .iter()
        .flatten()
        .find(|t| t.name == template)
        .and_then(|t| t.collision_count)
}

fn replica_set_state(rs: &ReplicaSet) -> ReplicaSetState {
    let status = rs.status.as_ref();
    ReplicaSetState {
        name: rs.name_any(),
        hash: rs
            .labels()
            .get(POD_TEMPLATE_HASH_LABEL)
            .cloned()
            .unwrap_or_default(),
        wanted: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        replicas: status.map_or(0, |s| s.replicas),
        ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
        available: status.and_then(|s| s.available_replicas).unwrap_or(0),
        scale_down_deadline: scale_down_deadline(rs),
    }
}
