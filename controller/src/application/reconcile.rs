//! One reconcile pass over one Application: observe, plan (pure), carry out the actions, record
//! any failures, write the status, then look again when the plan or the refresh interval says.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use kube::api::Api;
use kube::runtime::controller::Action as Requeue;
use kube::{Client, ResourceExt};
use linnet_crds::application::Application;
use linnet_crds::application::codes::OperationPhase;
use tracing::{debug, warn};

use super::execute;
use super::kinds::Kinds;
use super::live_cache::LiveCache;
use super::observe::{self, Destination, Sources};
use super::operation;
use super::plan::{self, PlanInputs};
use super::settings;
use super::{clusters, rules, webhook};
use crate::events::Recorder;
use crate::sync::tracking::{Tracking, TrackingMethod};

/// Backoff after a failed API call.
const TRANSIENT_RETRY: Duration = Duration::from_secs(5);
/// Backoff after a status write lost to a concurrent change.
const CONFLICT_RETRY: Duration = Duration::from_millis(200);

/// How often and how the controller refreshes Applications.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Polling period of every Application (Argo CD's `timeout.reconciliation`).
    pub refresh_interval: Duration,
    /// Up to this much is added to each period, spread by Application, so polls do not bunch.
    pub refresh_jitter: Duration,
    /// How long after a sync self-heal waits before reverting drift.
    pub self_heal_timeout: Duration,
    /// The namespace whose Applications track objects by bare name.
    pub control_plane_namespace: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Application {app}: cannot {what}: {source}")]
    Kube {
        app: String,
        what: &'static str,
        #[source]
        source: kube::Error,
    },
}

/// What every pass shares.
pub struct Context {
    pub client: Client,
    pub recorder: Recorder,
    /// Discovery per destination cluster, by server URL ("" for the controller's own).
    pub kinds: Mutex<HashMap<String, Arc<Kinds>>>,
    pub sources: Sources,
    pub timing: Timing,
    /// How Applications mark the objects they own, and recognize them.
    pub tracking_method: TrackingMethod,
    /// The live objects of every destination, watched and indexed by owner.
    pub live: LiveCache,
}

impl Context {
    /// The discovery cache of a cluster, made on first use.
    pub fn kinds_of(&self, cluster: &str, client: &Client) -> Arc<Kinds> {
        let mut known = self.kinds.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(
            known
                .entry(cluster.to_string())
                .or_insert_with(|| Arc::new(Kinds::new(client.clone()))),
        )
    }
}

pub async fn reconcile(cached: Arc<Application>, ctx: Arc<Context>) -> Result<Requeue, Error> {
    let now = Timestamp::now();
    let name = cached.name_any();
    let namespace = cached.namespace().unwrap_or_default();
    let kube_error = |what: &'static str| {
        let app = format!("{namespace}/{name}");
        move |source| Error::Kube { app, what, source }
    };
    // The watch cache may not have caught up with this controller's last status write; a
    // decision taken on an older status could start an operation twice. Read it fresh.
    let api: Api<Application> = Api::namespaced(ctx.client.clone(), &namespace);
    let Some(app) = api
        .get_opt(&name)
        .await
        .map_err(kube_error("read the Application"))?
    else {
        return Ok(Requeue::await_change());
    };
    let instance = settings::instance_name(&namespace, &name, &ctx.timing.control_plane_namespace);
    let tracking = Tracking::new(ctx.tracking_method, instance);
    let rules = rules::gather(&ctx.client, &ctx.timing.control_plane_namespace, &app, now)
        .await
        .map_err(kube_error("read projects and clusters"))?;
    let mut invalid_spec = rules.invalid_spec.clone();
    invalid_spec.extend(tracking.problem());
    let (client, cluster) = match &rules.target {
        Some(target) => match clusters::client_for(target, &ctx.client).await {
            Ok(client) => (client, target.server().to_string()),
            Err(error) => {
                invalid_spec.push(error.to_string());
                (ctx.client.clone(), String::new())
            }
        },
        None => (ctx.client.clone(), String::new()),
    };
    let kinds = ctx.kinds_of(&cluster, &client);
    let observed = observe::observe(
        &ctx.client,
        &Destination {
            client: &client,
            cluster: &cluster,
            live: &ctx.live,
        },
        &kinds,
        &ctx.sources,
        &app,
        &tracking,
        invalid_spec,
    )
    .await
    .map_err(kube_error("observe"))?;
    let rendered = observed
        .target
        .iter()
        .chain(observed.operation_render.iter().flatten());
    let objects: Vec<serde_json::Value> = rendered.flat_map(|r| r.objects.iter().cloned()).collect();
    let forbidden = rules::forbidden(&rules, &app, &objects);
    let mut plan = plan::plan(&PlanInputs {
        app: &app,
        now,
        tracking: &tracking,
        target: &observed.target,
        operation_render: observed.operation_render.as_ref(),
        live: &observed.live,
        namespace_exists: observed.namespace_exists,
        invalid_spec: observed.invalid_spec.clone(),
        forbidden,
        windows: rules.windows.clone(),
        self_heal_timeout: ctx.timing.self_heal_timeout,
    });
    debug!(app = %name, actions = plan.actions.len(), "planned");
    let executed = execute::execute(&client, &kinds, &plan.actions).await;
    for written in executed.written {
        ctx.live.record_applied(&cluster, written);
    }
    let failures = executed.failures;
    if !failures.is_empty() {
        for failure in &failures {
            warn!(app = %name, action = ?failure.action.key(), message = %failure.message, "action failed");
        }
        if let Some(state) = plan.status.operation_state.take() {
            let retry = state
                .operation
                .retry
                .clone()
                .or_else(|| app.spec.sync_policy.as_ref().and_then(|p| p.retry.clone()));
            let (state, events) = operation::record_failures(state, &failures, now, retry.as_ref());
            plan.events.extend(events);
            plan.status.operation_state = Some(state);
        }
    }
    if plan.remove_finalizer {
        execute::remove_finalizer(&api, &app)
            .await
            .map_err(kube_error("remove the finalizer"))?;
        return Ok(Requeue::await_change());
    }
    if app.metadata.deletion_timestamp.is_some() {
        return Ok(plan.requeue.map_or_else(Requeue::await_change, Requeue::requeue));
    }
    keep_quiet_when_unchanged(&app, &mut plan, ctx.timing.refresh_interval, now);
    execute::write_application(&api, &app, &plan)
        .await
        .map_err(kube_error("write the status"))?;
    execute::publish(&ctx.recorder, &app, &plan.events).await;
    let running = plan
        .status
        .operation_state
        .as_ref()
        .is_some_and(|s| s.phase == OperationPhase::Running);
    let poll = polling_delay(&ctx.timing, &format!("{namespace}/{name}"));
    let wait = match plan.requeue {
        Some(wait) => wait.min(poll),
        None if running => operation::OPERATION_POLL,
        None => poll,
    };
    Ok(Requeue::requeue(wait))
}

/// A pass that changed nothing but `reconciledAt` writes nothing (every write wakes the
/// controller again), unless the last recorded refresh is a full interval old.
fn keep_quiet_when_unchanged(app: &Application, plan: &mut plan::Plan, interval: Duration, now: Timestamp) {
    let Some(old) = app.status.as_ref() else {
        return;
    };
    let mut same = plan.status.clone();
    same.reconciled_at = old.reconciled_at.clone();
    let recent = old.reconciled_at.as_ref().is_some_and(|at| {
        now.duration_since(at.0)
            .try_into()
            .is_ok_and(|elapsed: Duration| elapsed < interval)
    });
    if &same == old && recent {
        plan.status = same;
    }
}

/// The refresh interval plus this Application's fixed share of the jitter.
pub fn polling_delay(timing: &Timing, key: &str) -> Duration {
    let interval = timing.refresh_interval;
    let fraction = if interval.is_zero() {
        0.0
    } else {
        timing.refresh_jitter.as_secs_f64() / interval.as_secs_f64()
    };
    let now = Timestamp::now();
    let next = webhook::next_refresh(now, interval, fraction, key);
    Duration::try_from(next.duration_since(now)).unwrap_or(interval)
}

pub fn error_policy(app: Arc<Application>, error: &Error, _ctx: Arc<Context>) -> Requeue {
    let Error::Kube { source, .. } = error;
    if matches!(source, kube::Error::Api(e) if e.code == 409) {
        // Someone changed the Application since it was read: look again at once.
        debug!(app = %app.name_any(), %error, "status write conflicted");
        return Requeue::requeue(CONFLICT_RETRY);
    }
    warn!(app = %app.name_any(), %error, "reconcile failed");
    Requeue::requeue(TRANSIENT_RETRY)
}
