//! The traffic loop: every tick, recompile routing if anything it reads changed, send each
//! source's share of requests (its rate times the time since the last tick, fractions
//! carried over), and merge the tick's counts into the registry.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

use super::compile::{self, Inputs};
use super::model::{Source, TickBuffer};
use crate::cluster::metrics::registry::{Registry, SourceKey};
use crate::cluster::rng::SimRng;
use crate::cluster::view::{ClusterView, RouteKind};

/// A stalled tick sends at most this much time's worth of requests, not a burst.
const MAX_TICK: Duration = Duration::from_secs(1);

pub async fn run(view: ClusterView, registry: Arc<Registry>, mut rng: SimRng, tick: Duration) {
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut sources: Vec<Source> = Vec::new();
    let mut seen_generation = None;
    let mut carry: HashMap<SourceKey, f64> = HashMap::new();
    let mut buffer = TickBuffer::default();
    let mut last = Instant::now();
    loop {
        interval.tick().await;
        let generation = generation(&view);
        if seen_generation != Some(generation) {
            seen_generation = Some(generation);
            sources = recompile(&view, &registry);
            carry.retain(|key, _| sources.iter().any(|s| &s.key == key));
        }
        let now = Instant::now();
        let elapsed = now.duration_since(last).min(MAX_TICK).as_secs_f64();
        last = now;
        buffer.reserve_series(registry.len());
        for source in &sources {
            let owed = carry.get(&source.key).copied().unwrap_or(0.0) + source.rps * elapsed;
            let requests = owed.floor();
            carry.insert(source.key.clone(), owed - requests);
            source.send(requests as u64, &mut rng, &mut buffer);
        }
        registry.merge(&buffer.deltas, &buffer.touched, &buffer.unrouted);
        buffer.clear();
    }
}

/// Moves when anything routing reads has changed.
fn generation(view: &ClusterView) -> u64 {
    [
        view.pods.generation(),
        view.services.generation(),
        view.ingresses.generation(),
        view.routes.generation(),
    ]
    .iter()
    .fold(0u64, |sum, g| sum.wrapping_mul(31).wrapping_add(*g))
}

fn recompile(view: &ClusterView, registry: &Registry) -> Vec<Source> {
    let inputs = Inputs {
        services: view.services.store.state(),
        pods: view.pods.store.state(),
        ingresses: view.ingresses.store.state(),
        http_routes: view.routes.objects(RouteKind::HttpRoute),
        virtual_services: view.routes.objects(RouteKind::VirtualService),
        destination_rules: view.routes.objects(RouteKind::DestinationRule),
        traffic_splits: view.routes.objects(RouteKind::TrafficSplit),
        traefik_services: view.routes.objects(RouteKind::TraefikService),
        apisix_routes: view.routes.objects(RouteKind::ApisixRoute),
    };
    let (sources, problems) = compile::compile(&inputs, &mut |key| registry.id(key));
    for problem in problems {
        tracing::warn!(%problem, "sim traffic source ignored");
    }
    sources
}
