//! Leader election through a `coordination.k8s.io/v1` Lease, so several replicas of the
//! controller can run and only one acts.
//!
//! [`run_with_leader_election`] wraps any work (the Rollout controller) from the outside: a
//! replica waits as a candidate until it holds the Lease, then runs the work while it renews
//! the Lease every retry period. Every write carries the resourceVersion it read, so two
//! replicas racing for the Lease cannot both win. A leader that cannot renew within the renew
//! deadline, or finds another holder, stops its work at once: it has stopped before the Lease
//! expires for the others. On shutdown the leader stops its work and releases the Lease.
//!
//! The decisions are pure ([`decision`]), as are the Lease objects written ([`lease`]).

pub mod decision;
pub mod lease;

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};
use tokio::sync::watch;
use tokio::time::{Instant, sleep, timeout_at};
use tracing::{debug, info, warn};

use decision::{Decision, LeaseRecord, Read, Timings, decide};
use lease::{Write, record_of, written};

/// The Lease name when none is given, as `linnet controller --lease-name` defaults it.
pub const DEFAULT_LEASE_NAME: &str = "linnet-controller-lock";
/// The lease duration when none is given: 15 s, as client-go and Argo Rollouts.
pub const DEFAULT_LEASE_DURATION: Duration = Duration::from_secs(15);

/// Which Lease, who this replica is, and the election's timings.
#[derive(Debug, Clone)]
pub struct LeaseOptions {
    pub namespace: String,
    pub name: String,
    /// `holderIdentity` written while this replica leads; unique per replica.
    pub identity: String,
    pub timings: Timings,
}

impl LeaseOptions {
    /// Options with the default timings (15 s lease, 10 s renew deadline, 2 s retry period).
    pub fn new(namespace: &str, name: &str, identity: &str) -> LeaseOptions {
        LeaseOptions {
            namespace: namespace.to_string(),
            name: name.to_string(),
            identity: identity.to_string(),
            timings: Timings::for_lease(DEFAULT_LEASE_DURATION),
        }
    }

    /// The same options with timings scaled to `lease_duration`.
    pub fn with_lease_duration(mut self, lease_duration: Duration) -> LeaseOptions {
        self.timings = Timings::for_lease(lease_duration);
        self
    }
}

/// A unique identity for this replica: the host name and a random suffix.
pub fn default_identity() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "linnet".to_string());
    // A randomly keyed hasher is a random source without another dependency.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("{host}_{:08x}", random as u32)
}

/// Why leader election could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("leader election: {0}")]
    InvalidOptions(&'static str),
}

/// How a run under leader election ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended<T> {
    /// The work returned by itself while this replica led; the Lease was released.
    WorkReturned(T),
    /// This replica lost the Lease (could not renew in time, or another took it); its work
    /// was stopped. Argo Rollouts exits then, so that the pod starts afresh as a candidate.
    LeadershipLost,
    /// The shutdown signal came; the work (if running) was stopped and the Lease released.
    Shutdown,
}

/// Tells the work to stop: completes when this replica stops leading.
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    /// Completes when the work should stop.
    pub async fn stopped(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// Runs `work` only while this replica holds the Lease, until `shutdown` completes, the work
/// returns or the Lease is lost. API errors are retried every retry period; they never end the
/// run. When leadership ends the work is told through its [`StopSignal`], given a short grace
/// (half the time between the renew deadline and the lease's expiry) and then dropped.
pub async fn run_with_leader_election<T, F>(
    client: Client,
    opts: LeaseOptions,
    shutdown: impl Future<Output = ()>,
    work: impl FnOnce(StopSignal) -> F,
) -> Result<Ended<T>, Error>
where
    F: Future<Output = T>,
{
    if let Some(problem) = opts.timings.problem() {
        return Err(Error::InvalidOptions(problem));
    }
    if opts.identity.is_empty() {
        return Err(Error::InvalidOptions("the identity must not be empty"));
    }
    let mut elector = Elector::new(client, opts);
    tokio::pin!(shutdown);
    info!(lease = %elector.opts.name, identity = %elector.opts.identity, "waiting to lead");
    loop {
        let attempt = tokio::select! {
            _ = &mut shutdown => return Ok(Ended::Shutdown),
            attempt = elector.attempt(None) => attempt,
        };
        match attempt {
            Attempt::Holding => break,
            Attempt::Wait(wait) => tokio::select! {
                _ = &mut shutdown => return Ok(Ended::Shutdown),
                _ = sleep(wait) => {}
            },
            Attempt::Lost => {}
        }
    }
    info!(lease = %elector.opts.name, identity = %elector.opts.identity, "leading");
    let (stop, stopped) = watch::channel(false);
    let work = work(StopSignal(stopped));
    tokio::pin!(work);
    let timings = elector.opts.timings;
    let grace = (timings.lease_duration - timings.renew_deadline) / 2;
    let mut renewed = Instant::now();
    loop {
        let renewal = async {
            sleep(timings.retry_period).await;
            let deadline = renewed + timings.renew_deadline;
            timeout_at(deadline, elector.attempt(Some(renewed.elapsed()))).await
        };
        let outcome = tokio::select! {
            output = &mut work => {
                elector.release().await;
                return Ok(Ended::WorkReturned(output));
            }
            _ = &mut shutdown => {
                stop_within(&stop, work.as_mut(), grace).await;
                elector.release().await;
                return Ok(Ended::Shutdown);
            }
            outcome = renewal => outcome,
        };
        match outcome {
            Ok(Attempt::Holding) => renewed = Instant::now(),
            Ok(Attempt::Lost) => break,
            Ok(Attempt::Wait(_)) | Err(_) if renewed.elapsed() >= timings.renew_deadline => break,
            Ok(Attempt::Wait(_)) | Err(_) => debug!("Lease not renewed this time; retrying"),
        }
    }
    warn!(lease = %elector.opts.name, identity = %elector.opts.identity, "lost the Lease; stopping");
    stop_within(&stop, work, grace).await;
    Ok(Ended::LeadershipLost)
}

/// Signals the work to stop and lets it run for at most `grace`; it is dropped after.
async fn stop_within<F: Future>(stop: &watch::Sender<bool>, work: F, grace: Duration) {
    let _ = stop.send(true);
    let _ = tokio::time::timeout(grace, work).await;
}

/// The outcome of one read-decide-write round.
enum Attempt {
    /// This replica holds the Lease (acquired or renewed it just now).
    Holding,
    /// Not this time: look again after this long.
    Wait(Duration),
    /// This replica led and must stop.
    Lost,
}

/// One replica's view of the Lease over time.
struct Elector {
    api: Api<Lease>,
    opts: LeaseOptions,
    /// The last record seen and when it was first seen so.
    observed: Option<(LeaseRecord, Instant)>,
}

impl Elector {
    fn new(client: Client, opts: LeaseOptions) -> Elector {
        Elector {
            api: Api::namespaced(client, &opts.namespace),
            opts,
            observed: None,
        }
    }

    /// Reads the Lease, decides, and writes what the decision asks for.
    async fn attempt(&mut self, since_renewal: Option<Duration>) -> Attempt {
        let read = self.api.get_opt(&self.opts.name).await;
        if let Err(error) = &read {
            debug!(%error, lease = %self.opts.name, "cannot read the Lease");
        }
        let now = Instant::now();
        let current = match &read {
            Ok(Some(lease)) => {
                let record = record_of(lease);
                if self.observed.as_ref().is_none_or(|(seen, _)| *seen != record) {
                    self.observed = Some((record, now));
                }
                self.observed.as_ref().map(|(record, since)| Read::Found {
                    record,
                    unchanged_for: now - *since,
                })
            }
            Ok(None) => Some(Read::Missing),
            Err(_) => Some(Read::Failed),
        };
        let decision = decide(
            current.unwrap_or(Read::Failed),
            &self.opts.identity,
            since_renewal,
            &self.opts.timings,
        );
        let previous = read.ok().flatten();
        match decision {
            Decision::Create => self.write(None, Write::Acquire).await,
            Decision::Acquire => self.write(previous.as_ref(), Write::Acquire).await,
            Decision::Renew => self.write(previous.as_ref(), Write::Renew).await,
            Decision::Wait(wait) => Attempt::Wait(wait),
            Decision::StepDown => Attempt::Lost,
        }
    }

    /// Creates or replaces the Lease; a conflict means someone else wrote first.
    async fn write(&mut self, previous: Option<&Lease>, write: Write) -> Attempt {
        let mut lease = written(
            previous,
            write,
            &self.opts.identity,
            self.opts.timings.lease_duration,
            Timestamp::now(),
        );
        let params = PostParams::default();
        let result = match previous {
            None => {
                lease.metadata.name = Some(self.opts.name.clone());
                self.api.create(&params, &lease).await
            }
            Some(_) => self.api.replace(&self.opts.name, &params, &lease).await,
        };
        match result {
            Ok(stored) => {
                self.observed = Some((record_of(&stored), Instant::now()));
                Attempt::Holding
            }
            Err(error) => {
                debug!(%error, lease = %self.opts.name, ?write, "cannot write the Lease");
                Attempt::Wait(self.opts.timings.retry_period)
            }
        }
    }

    /// Gives the Lease up if this replica still holds it; failures only delay the next
    /// leader by one lease duration.
    async fn release(&mut self) {
        let Ok(Some(current)) = self.api.get_opt(&self.opts.name).await else {
            return;
        };
        if record_of(&current).held_by() != Some(self.opts.identity.as_str()) {
            return;
        }
        let lease = written(
            Some(&current),
            Write::Release,
            &self.opts.identity,
            self.opts.timings.lease_duration,
            Timestamp::now(),
        );
        match self
            .api
            .replace(&current.name_any(), &PostParams::default(), &lease)
            .await
        {
            Ok(_) => info!(lease = %self.opts.name, identity = %self.opts.identity, "released the Lease"),
            Err(error) => warn!(%error, lease = %self.opts.name, "cannot release the Lease"),
        }
    }
}
