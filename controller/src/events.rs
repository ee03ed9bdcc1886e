//! Kubernetes Events (`events.k8s.io/v1`), recorded as kube-runtime's `Recorder` records them:
//! the same event (type, action, reason, reporter, regarding and related object) within six
//! minutes is counted in the first one's `series` by a patch rather than created again.
//!
//! kube-runtime's recorder sweeps its whole cache of recent events on every publish; at 1,000
//! Rollouts that scan of thousands of entries took a few percent of the CPU of a reaction. Here
//! the cache is swept at most once a minute, so a publish costs one lookup.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event as K8sEvent, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType, Reporter};
use kube::{Client, ResourceExt};
use serde_json::json;

/// How long a recorded event is counted again rather than created anew.
const SERIES_WINDOW: SignedDuration = SignedDuration::from_mins(6);
/// How often the cache drops events older than [`SERIES_WINDOW`].
const SWEEP_EVERY: SignedDuration = SignedDuration::from_mins(1);

/// Publishes Events for a controller; clones share one cache.
#[derive(Clone)]
pub struct Recorder {
    client: Client,
    reporter: Reporter,
    cache: Arc<Mutex<Cache>>,
}

#[derive(Default)]
struct Cache {
    recent: HashMap<EventKey, Recent>,
    swept_at: Option<Timestamp>,
}

/// What counting an event again needs of the one recorded: its name, how often it was seen
/// and when last. (Keeping the whole Event, as kube-runtime does, held about a kilobyte per
/// event for six minutes: some 24 MB just after 10,000 Rollouts were created.)
#[derive(Clone, Debug, PartialEq)]
struct Recent {
    name: String,
    count: i32,
    last_seen: Timestamp,
}

/// What makes two events the same: the fields of an object reference, compared as strings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct EventKey {
    event_type: &'static str,
    action: String,
    reason: String,
    regarding: [Option<String>; 5],
    related: Option<[Option<String>; 5]>,
}

fn reference_key(reference: &ObjectReference) -> [Option<String>; 5] {
    [
        reference.api_version.clone(),
        reference.kind.clone(),
        reference.namespace.clone(),
        reference.name.clone(),
        reference.uid.clone(),
    ]
}

fn type_name(event_type: EventType) -> &'static str {
    match event_type {
        EventType::Normal => "Normal",
        EventType::Warning => "Warning",
    }
}

impl Recorder {
    pub fn new(client: Client, reporter: Reporter) -> Recorder {
        Recorder {
            client,
            reporter,
            cache: Arc::default(),
        }
    }

    /// Creates the event on `regarding` (in its namespace, `default` for a cluster-scoped
    /// object), or counts it in the series of the same event recorded within six minutes.
    pub async fn publish(&self, event: &Event, regarding: &ObjectReference) -> Result<(), kube::Error> {
        let now = Timestamp::now();
        let key = EventKey {
            event_type: type_name(event.type_),
            action: event.action.clone(),
            reason: event.reason.clone(),
            regarding: reference_key(regarding),
            related: event.secondary.as_ref().map(reference_key),
        };
        let namespace = regarding.namespace.as_deref().unwrap_or("default");
        let events: Api<K8sEvent> = Api::namespaced(self.client.clone(), namespace);
        let recorded = match self.recent(&key, now) {
            Some(earlier) => {
                let series = EventSeries {
                    count: earlier.count + 1,
                    last_observed_time: MicroTime(now),
                };
                let patch = Patch::Merge(json!({ "series": series }));
                events
                    .patch(&earlier.name, &PatchParams::default(), &patch)
                    .await?;
                Recent {
                    count: series.count,
                    last_seen: now,
                    ..earlier
                }
            }
            None => {
                let new = self.new_event(event, regarding, now);
                events.create(&PostParams::default(), &new).await?;
                Recent {
                    name: new.name_any(),
                    count: 1,
                    last_seen: now,
                }
            }
        };
        self.lock().recent.insert(key, recorded);
        Ok(())
    }

    /// The same event recorded within the window, if any; sweeps the cache now and then.
    fn recent(&self, key: &EventKey, now: Timestamp) -> Option<Recent> {
        let mut cache = self.lock();
        let due = cache.swept_at.is_none_or(|at| at + SWEEP_EVERY <= now);
        if due {
            cache.recent.retain(|_, e| e.last_seen + SERIES_WINDOW > now);
            cache.swept_at = Some(now);
        }
        let earlier = cache.recent.get(key)?;
        (earlier.last_seen + SERIES_WINDOW > now).then(|| earlier.clone())
    }

    fn new_event(&self, event: &Event, regarding: &ObjectReference, now: Timestamp) -> K8sEvent {
        let reporter = &self.reporter;
        let name = regarding.name.as_deref().unwrap_or(&reporter.controller);
        K8sEvent {
            action: Some(event.action.clone()),
            reason: Some(event.reason.clone()),
            event_time: Some(MicroTime(now)),
            regarding: Some(regarding.clone()),
            related: event.secondary.clone(),
            note: event.note.clone(),
            metadata: ObjectMeta {
                namespace: regarding.namespace.clone(),
                name: Some(format!("{name}.{:x}", now.as_nanosecond())),
                ..ObjectMeta::default()
            },
            reporting_controller: Some(reporter.controller.clone()),
            reporting_instance: Some(
                reporter
                    .instance
                    .clone()
                    .unwrap_or_else(|| reporter.controller.clone()),
            ),
            type_: Some(type_name(event.type_).to_string()),
            ..K8sEvent::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorder() -> Recorder {
        let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap_or_else(|e| panic!("{e}")));
        let client = Client::try_from(config).unwrap_or_else(|e| panic!("no client: {e}"));
        Recorder::new(client, Reporter::from("test".to_string()))
    }

    fn key(reason: &str) -> EventKey {
        EventKey {
            event_type: "Normal",
            action: String::new(),
            reason: reason.to_string(),
            regarding: [
                None,
                Some("Rollout".into()),
                Some("ns".into()),
                Some("web".into()),
                None,
            ],
            related: None,
        }
    }

    fn seen_at(at: Timestamp) -> Recent {
        Recent {
            name: "web.1".to_string(),
            count: 1,
            last_seen: at,
        }
    }

    #[tokio::test]
    async fn an_event_is_counted_again_only_within_the_window_and_old_ones_are_swept() {
        let recorder = recorder();
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap_or_else(|e| panic!("{e}"));
        let minutes = |m: i64| t0 + SignedDuration::from_mins(m);
        recorder.lock().recent.insert(key("A"), seen_at(t0));
        recorder.lock().recent.insert(key("B"), seen_at(minutes(4)));
        assert!(recorder.recent(&key("A"), minutes(5)).is_some());
        assert!(recorder.recent(&key("C"), minutes(5)).is_none());
        // Six minutes after A was seen it is a new event; the sweep a minute after the last
        // one drops it and keeps B.
        assert!(recorder.recent(&key("A"), minutes(6)).is_none());
        assert_eq!(recorder.lock().recent.len(), 1);
        assert!(recorder.lock().recent.contains_key(&key("B")));
        // A series is judged by its last observation.
        let series = Recent {
            count: 3,
            ..seen_at(minutes(9))
        };
        recorder.lock().recent.insert(key("A"), series);
        assert!(recorder.recent(&key("A"), minutes(14)).is_some());
        assert!(recorder.recent(&key("A"), minutes(15)).is_none());
    }
}
