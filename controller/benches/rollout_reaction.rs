//! Reaction time of the Rollout controller, as a multiple of one bare API round trip (a GET of a
//! Rollout) measured in the same run, at 1, 100 and 1,000 Rollouts.
//!
//! Run it with `cargo bench -p linnet-controller --bench rollout_reaction` (release build; about
//! 40 seconds on 2 cores after the build). `ROLLOUT_REACTION_SIZES=1,100` picks the sizes,
//! `ROLLOUT_REACTION_SAMPLES` the samples per size (default 1,000, so that the p99 is the
//! tenth slowest sample, not one stall of the shared machine); `ROLLOUT_REACTION_BREAKDOWN=1`
//! prints, per template change, when the canary ReplicaSet and when the status were seen.
//! `ROLLOUT_REACTION_PIN=1` runs the API side (the sim, the stand-in) on CPU 1 and the rest on
//! CPU 0 (`rollout_bench::placement`); by default the kernel places the threads.
//!
//! Each size gets a fresh in-process sim (API only), the controller running in-process with its
//! own client, and a stand-in for the ReplicaSet controller that marks replicas ready at once,
//! so the figures are the controller's reaction plus the API's, not pod start-up. The sim, the
//! stand-in, the controller and the benchmark's own watches each run on a tokio runtime of
//! their own, as separate processes would, so that no party's tasks wait in another's queue.
//! The Rollouts are canaries of 2 replicas with steps `setWeight: 50`, `pause: {}`. Once all are Healthy,
//! one warm-up update is made and printed but not counted (the first write after the creation
//! burst runs cold), then samples are taken one at a time, each on another Rollout while the
//! rest stay at rest:
//!
//! - `template change`: from sending the merge patch of a new image to the new canary
//!   ReplicaSet existing AND `status.currentPodHash` naming it, both as seen by watches the
//!   benchmark holds on ReplicaSets and Rollouts (so a watch delivery is part of each figure).
//! - `promote`: once the Rollout is paused at its step, from sending the status patch
//!   `kubectl argo rollouts promote` sends (`pauseConditions: null`) to the canary ReplicaSet
//!   being scaled to 2, the next step's action.
//!
//! Beside these client-side figures, the same reactions timed by the API server, from the sim's
//! request log (monotonic instants of each request's arrival and answer): `template change`
//! from the benchmark's patch answered to both the controller's ReplicaSet create and its first
//! status write after it answered; `promote` from the promote patch answered to the controller's
//! scale of the canary answered. No client round trip of the benchmark's and no watch delivery
//! back to it is in these. Each server-side template change is also split where the
//! controller's kube client hands its first write to the HTTP stack (a layer on that client
//! notes the instant): the controller's part (the watch delivering the change, the pass) and
//! the API's (the writes' transit, the sim answering both). `ROLLOUT_REACTION_TRACE=N` prints,
//! for the first N samples, every request of each reaction with its arrival and answer times.
//!
//! The round trip is the p50 of 200 GETs of one Rollout by the benchmark's client, in ten
//! bursts of 20 sequential GETs (each after 5 not counted) spread over the samples: one before
//! the first sample and one after each tenth of them, so that the unit is measured over the
//! same stretch as the reactions (one burst of 200 before the samples had a p50 anywhere from
//! 0.10 to 0.32 ms between runs on one machine, where the reactions' p50 moved by a tenth).
//! Ratios divide by that p50 (its p99 is printed too: the machine's own tail for one round
//! trip). Beside it,
//! the p50 of 200 sequential merge patches of a ConfigMap (the cheapest write) is a second
//! unit: a reaction needs at least three writes in a row (the user's patch, the controller's
//! create or scale, its status write) and two watch deliveries.
//!
//! A thread of the benchmark's own sleeps 1 ms at a time through the samples and notes how
//! late it wakes (`rollout_bench::stalls`): mostly the host not running the machine's CPUs for
//! a while.
//! A table counts the server-side template changes such a late wake-up overlapped, at four
//! thresholds, how many of the slowest 1 % they are, and the p99 of the others. The same
//! thread reads every 50 ms the time the host has taken from the CPUs (`steal` in
//! `/proc/stat`, `rollout_bench::steal`); the last table splits the server-side template
//! changes by whether the host took any around them.

#[path = "rollout_bench/mod.rs"]
mod rollout_bench;

use std::time::{Duration, Instant};

use kube::api::{Api, Patch, PatchParams};
use linnet_controller::run::{ControllerOptions, run_until};
use linnet_crds::rollout::Rollout;
use rollout_bench::handed::HandOffs;
use rollout_bench::placement;
use rollout_bench::server_side::{self, BENCH_MANAGER};
use rollout_bench::stalls::{StallProbe, Stalls};
use rollout_bench::{
    NAMESPACE, Shared, Sim, client_for, create_rollouts, handing_client_at, ms, quantile, read,
    replica_sets_of, round_trips, start_sim_with_stand_in_on, until, until_healthy, watch_all,
    watched_write_round_trips, write_round_trips,
};
use serde_json::json;
use tokio::sync::oneshot;

const PREFIX: &str = "r";
const SETTLE: Duration = Duration::from_secs(240);
const STEP: Duration = Duration::from_secs(30);
/// The GET round trip is measured in bursts spread over the samples (see the module's notes).
const GET_BURSTS: usize = 10;
const GETS_PER_BURST: usize = 20;
/// A wake-up of the stall probe this late means the machine did not run it for that long;
/// the figures are given for each.
const STALLS: [Duration; 4] = [
    Duration::from_micros(250),
    Duration::from_micros(500),
    Duration::from_millis(1),
    Duration::from_millis(2),
];

struct Figures {
    size: usize,
    create_seconds: f64,
    round_trip: Duration,
    /// The p99 of the same GETs: the machine's own tail for one bare round trip, beside which
    /// the reactions' p99 can be read.
    round_trip_p99: Duration,
    write_round_trip: Duration,
    watched_write: Duration,
    template: Vec<Duration>,
    promote: Vec<Duration>,
    server_template: Vec<Duration>,
    server_promote: Vec<Duration>,
    /// Each server-side template change split where the controller handed its first write to
    /// its HTTP client (see [`Split`]).
    template_split: Vec<Split>,
    /// When each server-side template change began and ended.
    template_spans: Vec<(Instant, Instant)>,
    /// The stall probe's wake-ups over the samples (see `rollout_bench::stalls`).
    stalls: Stalls,
    /// The first update, made before the samples and not counted.
    warm_up: Sample,
}

impl Figures {
    /// The controller's and the API's parts of each server-side template change.
    fn split_parts(&self) -> (Vec<Duration>, Vec<Duration>) {
        self.template_split.iter().map(|s| (s.controller, s.api)).unzip()
    }

    /// Per server-side template change: the ticks the host took from the CPUs around it, where
    /// the readings cover it.
    fn template_steal(&self) -> Vec<Option<u64>> {
        self.template_spans
            .iter()
            .map(|(from, to)| self.stalls.steal.steal_around(*from, *to))
            .collect()
    }

    /// Per server-side template change: whether the probe overslept by `threshold` during it.
    fn template_stalled(&self, threshold: Duration) -> Vec<bool> {
        self.template_spans
            .iter()
            .map(|(from, to)| self.stalls.stalled_during(*from, *to, threshold))
            .collect()
    }
}

/// One sample's figures: client-side and server-side, template change and promote.
struct Sample {
    template: Duration,
    promote: Duration,
    server_template: Duration,
    server_promote: Duration,
    template_split: Split,
    /// When the server-side template change began and ended.
    server_template_span: (Instant, Instant),
}

/// A server-side template change in two: from the user's patch accepted to the controller
/// handing its first write to its HTTP client (the watch delivering the change, the pass), and
/// from there to both writes answered (their transit, the API answering them).
#[derive(Clone, Copy)]
struct Split {
    controller: Duration,
    api: Duration,
}

fn main() {
    let pinned = placement::pinned();
    if pinned {
        // Every thread started from here on inherits it, unless placed on the API's CPU.
        placement::pin_current_thread(placement::CONTROLLER_CPU);
    }
    println!(
        "Placement: {}",
        if pinned {
            "the sim and the stand-in on CPU 1, the controller and the benchmark's own threads on CPU 0 (ROLLOUT_REACTION_PIN=1)"
        } else {
            "left to the kernel"
        }
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("no tokio runtime: {e}"));
    let sizes: Vec<usize> = std::env::var("ROLLOUT_REACTION_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 100, 1000]);
    let samples: usize = std::env::var("ROLLOUT_REACTION_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let mut all = Vec::new();
    for size in sizes {
        let figures = runtime.block_on(measure(size, samples));
        print_size(&figures);
        all.push(figures);
    }
    println!();
    println!(
        "Floor of a reaction: (write + watch delivery) to the controller, its write(s), (write + watch delivery) back:"
    );
    println!(
        "| Rollouts | write seen through a watch p50 | floor, template change (2 watched writes + 1 write) | floor, promote (2 watched writes) | template change p50 / floor | promote p50 / floor |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for f in &all {
        let template_floor = 2 * f.watched_write + f.write_round_trip;
        let promote_floor = 2 * f.watched_write;
        println!(
            "| {} | {} ms | {} ms | {} ms | {:.1}× | {:.1}× |",
            f.size,
            ms(f.watched_write),
            ms(template_floor),
            ms(promote_floor),
            quantile(&f.template, 0.5).as_secs_f64() / template_floor.as_secs_f64(),
            quantile(&f.promote, 0.5).as_secs_f64() / promote_floor.as_secs_f64(),
        );
    }
    println!();
    println!("Client-side (from the benchmark sending its patch to the change seen through its watches):");
    println!(
        "| Rollouts | GET round trip p50 | write round trip p50 | template change p50 / p99 | promote p50 / p99 |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for f in &all {
        let rt = f.round_trip.as_secs_f64();
        let ratio = |d: Duration| d.as_secs_f64() / rt;
        let writes = |d: Duration| d.as_secs_f64() / f.write_round_trip.as_secs_f64();
        let (t50, t99) = (quantile(&f.template, 0.5), quantile(&f.template, 0.99));
        let (p50, p99) = (quantile(&f.promote, 0.5), quantile(&f.promote, 0.99));
        println!(
            "| {} | {} ms | {} ms | {:.1}× / {:.1}× GET ({:.1}× / {:.1}× write; {} / {} ms) | {:.1}× / {:.1}× GET ({:.1}× / {:.1}× write; {} / {} ms) |",
            f.size,
            ms(f.round_trip),
            ms(f.write_round_trip),
            ratio(t50),
            ratio(t99),
            writes(t50),
            writes(t99),
            ms(t50),
            ms(t99),
            ratio(p50),
            ratio(p99),
            writes(p50),
            writes(p99),
            ms(p50),
            ms(p99),
        );
    }
    println!();
    println!(
        "Server-side (the API server's times: from the user's write accepted to the controller's write accepted):"
    );
    println!(
        "| Rollouts | GET round trip p50 / p99 | template change → ReplicaSet created and status written p50 / p99 | promote → canary scaled p50 / p99 |"
    );
    println!("|---:|---:|---:|---:|");
    for f in &all {
        let rt = f.round_trip.as_secs_f64();
        let ratio = |d: Duration| d.as_secs_f64() / rt;
        let (t50, t99) = (
            quantile(&f.server_template, 0.5),
            quantile(&f.server_template, 0.99),
        );
        let (p50, p99) = (
            quantile(&f.server_promote, 0.5),
            quantile(&f.server_promote, 0.99),
        );
        println!(
            "| {} | {} / {} ms | {:.1}× / {:.1}× GET ({} / {} ms) | {:.1}× / {:.1}× GET ({} / {} ms) |",
            f.size,
            ms(f.round_trip),
            ms(f.round_trip_p99),
            ratio(t50),
            ratio(t99),
            ms(t50),
            ms(t99),
            ratio(p50),
            ratio(p99),
            ms(p50),
            ms(p99),
        );
    }
    println!();
    println!(
        "Server-side template change, split where the controller hands its first write to its HTTP client:"
    );
    println!(
        "| Rollouts | patch accepted → first write handed (watch delivery, the pass) p50 / p99 | → both writes answered (transit, the API) p50 / p99 | slowest 1 %: the longer part the controller's / the API's |"
    );
    println!("|---:|---:|---:|---:|");
    for f in &all {
        let rt = f.round_trip.as_secs_f64();
        let ratio = |d: Duration| d.as_secs_f64() / rt;
        let (controller, api) = f.split_parts();
        let (c50, c99) = (quantile(&controller, 0.5), quantile(&controller, 0.99));
        let (a50, a99) = (quantile(&api, 0.5), quantile(&api, 0.99));
        let (by_controller, by_api) = slowest_by_part(f);
        println!(
            "| {} | {:.1}× / {:.1}× GET ({} / {} ms) | {:.1}× / {:.1}× GET ({} / {} ms) | {by_controller} / {by_api} |",
            f.size,
            ratio(c50),
            ratio(c99),
            ms(c50),
            ms(c99),
            ratio(a50),
            ratio(a99),
            ms(a50),
            ms(a99),
        );
    }
    print_stalls(&all);
    print_steal(&all);
    if let Some(largest) = all.last() {
        let rt = largest.round_trip.as_secs_f64();
        let client = quantile(&largest.template, 0.99).max(quantile(&largest.promote, 0.99));
        let server = quantile(&largest.server_template, 0.99).max(quantile(&largest.server_promote, 0.99));
        println!(
            "headline, client-side (patch sent → change seen through a watch): at {} Rollouts the slower p99 is {:.1} GET round trips (aim: under 10), {:.1} write round trips",
            largest.size,
            client.as_secs_f64() / rt,
            client.as_secs_f64() / largest.write_round_trip.as_secs_f64()
        );
        println!(
            "headline, server-side (patch accepted → controller's write accepted): at {} Rollouts the slower p99 is {:.1} GET round trips (aim: under 10)",
            largest.size,
            server.as_secs_f64() / rt,
        );
        let (controller, _) = largest.split_parts();
        println!(
            "headline, the controller's part of the server-side template change (patch accepted → its first write handed to its client): at {} Rollouts p50 {:.1}, p99 {:.1} GET round trips",
            largest.size,
            quantile(&controller, 0.5).as_secs_f64() / rt,
            quantile(&controller, 0.99).as_secs_f64() / rt,
        );
        println!(
            "the machine's own tail: a bare GET round trip's p99 was {:.1}× its p50 in this run",
            largest.round_trip_p99.as_secs_f64() / rt
        );
    }
}

/// The stall probe's lateness, and the server-side template changes a late wake-up overlapped,
/// at each threshold.
fn print_stalls(all: &[Figures]) {
    println!();
    println!(
        "The machine's own stalls: a thread sleeping 1 ms at a time woke late by (p50 / p99 / max) {}:",
        all.iter()
            .map(|f| {
                let late = f.stalls.lateness();
                format!(
                    "{} / {} / {} ms at {}",
                    ms(quantile(&late, 0.5)),
                    ms(quantile(&late, 0.99)),
                    ms(f.stalls.longest()),
                    f.size
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "| Rollouts | the probe woke late by | server-side template changes that overlapped | of the slowest 1 % | p99 of the others |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for f in all {
        let p99 = quantile(&f.server_template, 0.99);
        for threshold in STALLS {
            let stalled = f.template_stalled(threshold);
            let paired = || f.server_template.iter().zip(&stalled);
            let slowest = paired().filter(|(d, _)| **d >= p99).count();
            let slowest_stalled = paired().filter(|(d, s)| **d >= p99 && **s).count();
            let others: Vec<Duration> = paired().filter(|(_, s)| !**s).map(|(d, _)| *d).collect();
            println!(
                "| {} | ≥ {} ms | {} of {} | {slowest_stalled} of {slowest} | {:.1}× GET ({} ms) |",
                f.size,
                ms(threshold),
                stalled.iter().filter(|s| **s).count(),
                stalled.len(),
                quantile(&others, 0.99).as_secs_f64() / f.round_trip.as_secs_f64(),
                ms(quantile(&others, 0.99)),
            );
        }
    }
}

/// The host's steal over the run, and the server-side template changes with and without any
/// around them.
fn print_steal(all: &[Figures]) {
    println!();
    println!(
        "The host's steal (time the hypervisor ran something else while this machine's CPUs had work; `/proc/stat`, in ticks of 10 ms, read every 50 ms): {}:",
        all.iter()
            .map(|f| match f.stalls.steal.share() {
                Some(share) => format!("{:.1} % of the CPUs' time at {}", share * 100.0, f.size),
                None => format!("not readable at {}", f.size),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "| Rollouts | the host took, in the 50–150 ms around it | server-side template changes | of the slowest 1 % | p50 / p99 |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for f in all {
        let p99 = quantile(&f.server_template, 0.99);
        let steal = f.template_steal();
        let paired = || f.server_template.iter().zip(&steal);
        let slowest = paired().filter(|(d, _)| **d >= p99).count();
        for (label, took) in [("nothing", false), ("a tick or more", true)] {
            let these: Vec<Duration> = paired()
                .filter(|(_, ticks)| ticks.is_some_and(|t| (t > 0) == took))
                .map(|(d, _)| *d)
                .collect();
            let slowest_these = these.iter().filter(|d| **d >= p99).count();
            let rt = f.round_trip.as_secs_f64();
            println!(
                "| {} | {label} | {} of {} | {slowest_these} of {slowest} | {:.1}× / {:.1}× GET ({} / {} ms) |",
                f.size,
                these.len(),
                steal.len(),
                quantile(&these, 0.5).as_secs_f64() / rt,
                quantile(&these, 0.99).as_secs_f64() / rt,
                ms(quantile(&these, 0.5)),
                ms(quantile(&these, 0.99)),
            );
        }
    }
}

/// Among the server-side template changes at or above their p99: in how many the controller's
/// part was the longer, in how many the API's.
fn slowest_by_part(f: &Figures) -> (usize, usize) {
    let p99 = quantile(&f.server_template, 0.99);
    let slowest: Vec<&Split> = f
        .server_template
        .iter()
        .zip(&f.template_split)
        .filter(|(total, _)| **total >= p99)
        .map(|(_, split)| split)
        .collect();
    let by_controller = slowest
        .iter()
        .filter(|split| split.controller > split.api)
        .count();
    (by_controller, slowest.len() - by_controller)
}

fn named_runtime(name: &str) -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if placement::pinned() && matches!(name, "sim" | "stand-in") {
        builder.on_thread_start(|| placement::pin_current_thread(placement::API_CPU));
    }
    builder
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("no tokio runtime for the {name}: {e}"))
}

fn print_size(f: &Figures) {
    println!(
        "{} Rollouts: created and Healthy in {:.1} s; GET round trip p50 {} ms (p99 {} ms), write {} ms; client-side: template change p50 {} ms p99 {} ms, promote p50 {} ms p99 {} ms; server-side: template change p50 {} ms p99 {} ms, promote p50 {} ms p99 {} ms ({} samples each)",
        f.size,
        f.create_seconds,
        ms(f.round_trip),
        ms(f.round_trip_p99),
        ms(f.write_round_trip),
        ms(quantile(&f.template, 0.5)),
        ms(quantile(&f.template, 0.99)),
        ms(quantile(&f.promote, 0.5)),
        ms(quantile(&f.promote, 0.99)),
        ms(quantile(&f.server_template, 0.5)),
        ms(quantile(&f.server_template, 0.99)),
        ms(quantile(&f.server_promote, 0.5)),
        ms(quantile(&f.server_promote, 0.99)),
        f.template.len()
    );
    let w = &f.warm_up;
    println!(
        "  warm-up update before the samples (not counted): client-side template change {} ms, promote {} ms; server-side {} ms, {} ms",
        ms(w.template),
        ms(w.promote),
        ms(w.server_template),
        ms(w.server_promote)
    );
}

async fn measure(size: usize, samples: usize) -> Figures {
    // The sim, the stand-in, the controller and the benchmark each run on a runtime of their
    // own, as separate processes would: one scheduler's queue never holds another's tasks.
    let sim_runtime = named_runtime("sim");
    let stand_in_runtime = named_runtime("stand-in");
    let controller_runtime = named_runtime("controller");
    let stand_in = stand_in_runtime.handle().clone();
    let mut sim = sim_runtime
        .spawn(async move { start_sim_with_stand_in_on(&stand_in).await })
        .await
        .unwrap_or_else(|e| panic!("the sim did not start: {e}"));
    sim.client = client_for(&sim.sim).await;
    let seen = watch_all(&mut sim);
    let (stop, stopped) = oneshot::channel::<()>();
    let kubeconfig = sim.sim.kubeconfig_path().to_path_buf();
    let handed = HandOffs::default();
    let controller_handed = handed.clone();
    let controller = controller_runtime.spawn(async move {
        let controller_client = handing_client_at(&kubeconfig, &controller_handed).await;
        let opts = ControllerOptions {
            namespace: Some(NAMESPACE.to_string()),
            instance_id: None,
        };
        let shutdown = async move {
            let _ = stopped.await;
        };
        if let Err(error) = run_until(controller_client, opts, shutdown).await {
            panic!("controller failed: {error}");
        }
    });

    let started = Instant::now();
    create_rollouts(&sim.client, PREFIX, 0..size, 2, 16).await;
    until_healthy(&seen, PREFIX, size, SETTLE).await;
    let create_seconds = started.elapsed().as_secs_f64();

    let write_round_trip = quantile(&write_round_trips(&sim.client, 200).await, 0.5);
    let watched_write = quantile(&watched_write_round_trips(&sim.client, 200).await, 0.5);
    let api: Api<Rollout> = Api::namespaced(sim.client.clone(), NAMESPACE);
    let traced: usize = std::env::var("ROLLOUT_REACTION_TRACE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // The first update after the creation burst runs cold (10–20 ms client-side at 1,000
    // Rollouts, where the next ones take 1–3); it is made and printed, not counted.
    let warm_up = one_update(
        &sim,
        &api,
        &seen,
        &handed,
        &format!("{PREFIX}-0"),
        "app:warm-up",
        false,
    )
    .await;
    let mut template = Vec::with_capacity(samples);
    let mut promote = Vec::with_capacity(samples);
    let mut server_template = Vec::with_capacity(samples);
    let mut server_promote = Vec::with_capacity(samples);
    let mut template_split = Vec::with_capacity(samples);
    let mut template_spans = Vec::with_capacity(samples);
    let probe = StallProbe::start();
    let mut gets = Vec::with_capacity(GET_BURSTS * GETS_PER_BURST);
    let burst_every = samples.div_ceil(GET_BURSTS).max(1);
    for i in 0..samples {
        if i % burst_every == 0 {
            gets.extend(round_trips(&sim.client, &format!("{PREFIX}-0"), GETS_PER_BURST).await);
        }
        // Spread over the Rollouts: each sample changes one that is at rest.
        let name = format!("{PREFIX}-{}", (i * 7919) % size);
        let sample = one_update(
            &sim,
            &api,
            &seen,
            &handed,
            &name,
            &format!("app:{}", i + 2),
            i < traced,
        )
        .await;
        template.push(sample.template);
        promote.push(sample.promote);
        server_template.push(sample.server_template);
        server_promote.push(sample.server_promote);
        template_split.push(sample.template_split);
        template_spans.push(sample.server_template_span);
    }
    let stalls = probe.finish();

    let (round_trip, round_trip_p99) = (quantile(&gets, 0.5), quantile(&gets, 0.99));
    let _ = stop.send(());
    let _ = controller.await;
    drop(sim);
    sim_runtime.shutdown_background();
    stand_in_runtime.shutdown_background();
    controller_runtime.shutdown_background();
    Figures {
        size,
        create_seconds,
        round_trip,
        round_trip_p99,
        write_round_trip,
        watched_write,
        template,
        promote,
        server_template,
        server_promote,
        template_split,
        template_spans,
        stalls,
        warm_up,
    }
}

/// One update of Rollout `name` to `image`: the template change's and the promote's reaction,
/// seen by the client and by the server. With `trace`, prints the requests of each reaction.
async fn one_update(
    sim: &Sim,
    api: &Api<Rollout>,
    seen: &Shared,
    handed: &HandOffs,
    name: &str,
    image: &str,
    trace: bool,
) -> Sample {
    let params = PatchParams {
        field_manager: Some(BENCH_MANAGER.to_string()),
        ..PatchParams::default()
    };
    let before = rollout_bench::read(seen, |s| replica_sets_of(s, name));
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image,
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}}});
    sim.sim.clear_requests();
    handed.clear();
    let sent = Instant::now();
    api.patch(name, &params, &Patch::Merge(patch))
        .await
        .unwrap_or_else(|e| panic!("cannot patch Rollout {name}: {e}"));
    let (canary, hash, reacted) = until(
        seen,
        &format!("{name}: canary ReplicaSet and status"),
        STEP,
        |s| {
            let canary = s.replica_sets_by_owner.get(name)?.difference(&before).next()?;
            let rs = s.replica_sets.get(canary)?;
            let status_at = s.rollouts.get(name)?.hash_at.get(&rs.hash)?;
            Some((canary.clone(), rs.hash.clone(), rs.created.max(*status_at)))
        },
    )
    .await;
    let template = reacted.duration_since(sent);
    let created = read(seen, |s| s.replica_sets.get(&canary).map(|rs| rs.created)).unwrap_or(reacted);
    if std::env::var_os("ROLLOUT_REACTION_BREAKDOWN").is_some() {
        eprintln!(
            "  {name}: patch sent → canary ReplicaSet seen {} ms → status seen {} ms",
            ms(created.duration_since(sent)),
            ms(reacted.duration_since(created))
        );
    }

    until(seen, &format!("{name}: paused at the canary step"), STEP, |s| {
        let r = s.rollouts.get(name)?;
        (r.paused && r.current_hash == hash).then_some(())
    })
    .await;
    let log = sim.sim.requests();
    let server = server_side::template_change(&log, name)
        .unwrap_or_else(|| panic!("{name}: the request log lacks the template change's writes"));
    let first_write = handed
        .first_template_write(name, server.arrived)
        .unwrap_or_else(|| panic!("{name}: the controller's client handed no write of the template change"));
    let template_split = Split {
        controller: first_write.saturating_duration_since(server.accepted),
        api: server.answered().saturating_duration_since(first_write),
    };
    if trace {
        server_side::print_trace(&log, server.accepted, reacted, &format!("{name} template change"));
        eprintln!(
            "    the controller handed its first write to its client at +{} ms",
            ms(template_split.controller)
        );
    }
    sim.sim.clear_requests();
    let sent = Instant::now();
    api.patch_status(
        name,
        &params,
        &Patch::Merge(json!({"status": {"pauseConditions": null}})),
    )
    .await
    .unwrap_or_else(|e| panic!("cannot promote Rollout {name}: {e}"));
    let scaled = until(seen, &format!("{name}: canary scaled to 2"), STEP, |s| {
        s.replica_sets.get(&canary)?.replicas_at.get(&2).copied()
    })
    .await;
    let promote = scaled.duration_since(sent);

    until(seen, &format!("{name}: Healthy on the new template"), STEP, |s| {
        let r = s.rollouts.get(name)?;
        (r.phase == "Healthy" && r.stable_hash == hash && r.current_hash == hash).then_some(())
    })
    .await;
    let log = sim.sim.requests();
    let server_promote = server_side::promote(&log, name, &canary).unwrap_or_else(|| {
        server_side::print_trace(&log, sent, Instant::now(), &format!("{name} promote"));
        panic!("{name}: the request log lacks the promote's scale of {canary}")
    });
    if trace {
        server_side::print_trace(&log, sent, scaled, &format!("{name} promote"));
    }
    Sample {
        template,
        promote,
        server_template: server.reaction(),
        server_promote,
        template_split,
        server_template_span: (server.accepted, server.answered()),
    }
}
