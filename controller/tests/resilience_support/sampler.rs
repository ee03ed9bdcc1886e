//! Watching a rollout from the side while it runs: a task records every version of the
//! Rollout's status a watch delivers (and reads it every 50 ms besides), with the namespace's
//! ReplicaSets at each, tolerating API errors (tests run with faults), so a test can check
//! afterwards that no step was skipped or repeated and no ReplicaSet duplicated.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{Api, ListParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use linnet_crds::rollout::Rollout;
use serde_json::Value;
use tokio::task::JoinHandle;

/// One look at the Rollout and its ReplicaSets.
#[derive(Debug, Clone)]
pub struct Sample {
    pub pod_hash: String,
    pub step: Option<i64>,
    /// `startTime` of a `CanaryPauseStep` pause condition, if paused at a step.
    pub pause_start: Option<String>,
    /// The `rollouts-pod-template-hash` of every ReplicaSet in the namespace.
    pub replica_set_hashes: Vec<String>,
}

/// The sampling task; stopped on drop.
pub struct Sampler {
    samples: Arc<Mutex<Vec<Sample>>>,
    task: JoinHandle<()>,
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Sampler {
    /// Starts sampling Rollout `name` in `namespace`: every version a watch delivers (so a step
    /// that lasts less than the sampling period is still seen), and the namespace's
    /// ReplicaSets every 50 ms besides (so one that is created and deleted between two events
    /// of the Rollout is seen too, as long as it lives 50 ms).
    pub fn start(client: Client, namespace: &str, name: &str) -> Sampler {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let rollouts: Api<Rollout> = Api::namespaced(client.clone(), namespace);
        let replica_sets: Api<ReplicaSet> = Api::namespaced(client, namespace);
        let name = name.to_string();
        let into = samples.clone();
        let task = tokio::spawn(async move {
            let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
            let mut versions = watcher(rollouts.clone(), config)
                .default_backoff()
                .applied_objects()
                .boxed();
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            loop {
                let rollout = tokio::select! {
                    Some(Ok(rollout)) = versions.next() => Some(rollout),
                    _ = tick.tick() => rollouts.get(&name).await.ok(),
                };
                if let Some(rollout) = rollout
                    && let Some(sample) = sample(&rollout, &replica_sets).await
                    && let Ok(mut samples) = into.lock()
                {
                    samples.push(sample);
                }
            }
        });
        Sampler { samples, task }
    }

    pub fn samples(&self) -> Vec<Sample> {
        self.samples.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The step indexes seen while the Rollout's current hash was `hash`, repeats collapsed.
    pub fn steps_of(&self, hash: &str) -> Vec<i64> {
        let mut steps: Vec<i64> = Vec::new();
        for sample in self.samples().iter().filter(|s| s.pod_hash == hash) {
            if let Some(step) = sample.step
                && steps.last() != Some(&step)
            {
                steps.push(step);
            }
        }
        steps
    }

    /// The distinct (step, pause start time) pairs seen while the current hash was `hash`.
    pub fn pauses_of(&self, hash: &str) -> BTreeSet<(i64, String)> {
        self.samples()
            .iter()
            .filter(|s| s.pod_hash == hash)
            .filter_map(|s| Some((s.step?, s.pause_start.clone()?)))
            .collect()
    }

    /// Every ReplicaSet hash seen at any time.
    pub fn replica_set_hashes(&self) -> BTreeSet<String> {
        self.samples()
            .iter()
            .flat_map(|s| s.replica_set_hashes.iter().cloned())
            .collect()
    }
}

async fn sample(rollout: &Rollout, replica_sets: &Api<ReplicaSet>) -> Option<Sample> {
    let status = serde_json::to_value(&rollout.status).unwrap_or(Value::Null);
    let list = replica_sets.list(&ListParams::default()).await.ok()?;
    let pause_start = status["pauseConditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["reason"] == "CanaryPauseStep")
        .and_then(|c| c["startTime"].as_str())
        .map(str::to_string);
    Some(Sample {
        pod_hash: status["currentPodHash"].as_str().unwrap_or("").to_string(),
        step: status["currentStepIndex"].as_i64(),
        pause_start,
        replica_set_hashes: list
            .items
            .iter()
            .filter_map(|rs| rs.labels().get("rollouts-pod-template-hash").cloned())
            .collect(),
    })
}
