//! Resident memory and CPU of `linnet controller` per managed Rollout, at rest, at 1,000 and
//! 10,000 Rollouts, against a baseline of the same process managing none.
//!
//! Build the binary first, then run the benchmark (release build; about 3–5 minutes on 2 cores):
//!
//! ```sh
//! cargo build --release -p linnet
//! cargo bench -p linnet-controller --bench rollout_footprint
//! ```
//!
//! `LINNET_BIN` names another binary; `ROLLOUT_FOOTPRINT_SIZES=1000,10000` picks the sizes
//! (each adds Rollouts to the previous ones).
//!
//! The sim runs in this process (API only, with a stand-in that marks every ReplicaSet's
//! replicas ready, so no pods exist); the controller runs as its own process,
//! `linnet controller --namespace bench --leader-elect=false`, against the sim's kubeconfig. The
//! Rollouts are canaries of 1 replica with steps `setWeight: 50`, `pause: {}`, created 16 at a
//! time; a size is at rest when every Rollout is Healthy and 5 s have passed. Then the
//! controller's `VmRSS` (/proc/<pid>/status) is read and its CPU (utime + stime from
//! /proc/<pid>/stat) is measured over 10 s. The baseline is the same process before any Rollout
//! exists, after 5 s; per-Rollout memory is (RSS − baseline RSS) / Rollouts.

#[path = "rollout_bench/mod.rs"]
mod rollout_bench;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rollout_bench::{NAMESPACE, create_rollouts, start_sim, until_healthy, watch_all};

const PREFIX: &str = "r";
const REST: Duration = Duration::from_secs(5);
const WINDOW: Duration = Duration::from_secs(10);

/// The controller process, killed on drop even when the benchmark fails.
struct Controller(Child);

impl Drop for Controller {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Sample {
    rollouts: usize,
    rss_kib: u64,
    cpu_ms_per_s: f64,
    create_seconds: f64,
}

fn main() {
    let bin = std::env::var_os("LINNET_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/linnet"));
    assert!(
        bin.exists(),
        "no linnet binary at {}: run `cargo build --release -p linnet` first, or set LINNET_BIN",
        bin.display()
    );
    let sizes: Vec<usize> = std::env::var("ROLLOUT_FOOTPRINT_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1000, 10000]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("no tokio runtime: {e}"));
    runtime.block_on(run(bin, sizes));
}

async fn run(bin: PathBuf, sizes: Vec<usize>) {
    let mut sim = start_sim().await;
    let seen = watch_all(&mut sim);
    let child = Command::new(&bin)
        .args(["controller", "--namespace", NAMESPACE, "--leader-elect=false"])
        .env("KUBECONFIG", sim.sim.kubeconfig_path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let controller = Controller(child);
    let pid = controller.0.id();

    tokio::time::sleep(REST).await;
    let baseline = Sample {
        rollouts: 0,
        rss_kib: rss_kib(pid),
        cpu_ms_per_s: cpu_ms_per_s(pid).await,
        create_seconds: 0.0,
    };
    println!(
        "baseline: {:.1} MB resident, {:.2} ms CPU per s with no Rollout",
        baseline.rss_kib as f64 / 1024.0,
        baseline.cpu_ms_per_s
    );
    let mut samples = Vec::new();
    let mut created = 0;
    for size in sizes {
        let adding = size.saturating_sub(created);
        let started = Instant::now();
        create_in_batches(&sim.client, created, adding).await;
        let create_seconds = started.elapsed().as_secs_f64();
        // Ten minutes at most for all to become Healthy.
        until_healthy(&seen, PREFIX, size, Duration::from_secs(600)).await;
        let healthy_seconds = started.elapsed().as_secs_f64();
        created = size;
        tokio::time::sleep(REST).await;
        let sample = Sample {
            rollouts: size,
            rss_kib: rss_kib(pid),
            cpu_ms_per_s: cpu_ms_per_s(pid).await,
            create_seconds,
        };
        println!(
            "{size} Rollouts: {adding} created in {create_seconds:.1} s ({:.0}/s), all Healthy after {healthy_seconds:.1} s; {:.1} MB resident, {:.2} ms CPU per s",
            adding as f64 / create_seconds,
            sample.rss_kib as f64 / 1024.0,
            sample.cpu_ms_per_s
        );
        samples.push(sample);
    }
    drop(controller);

    println!();
    println!(
        "| Rollouts | RSS | RSS / baseline | per Rollout above baseline | CPU at rest | CPU per Rollout |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| 0 | {:.1} MB | 1.0× | — | {:.2} ms/s | — |",
        baseline.rss_kib as f64 / 1024.0,
        baseline.cpu_ms_per_s
    );
    for s in &samples {
        let above = s.rss_kib.saturating_sub(baseline.rss_kib) as f64;
        println!(
            "| {} | {:.1} MB | {:.1}× | {:.2} KiB | {:.2} ms/s | {:.4} ms/s |",
            s.rollouts,
            s.rss_kib as f64 / 1024.0,
            s.rss_kib as f64 / baseline.rss_kib.max(1) as f64,
            above / s.rollouts as f64,
            s.cpu_ms_per_s,
            s.cpu_ms_per_s / s.rollouts as f64
        );
    }
    if let Some(last) = samples.last() {
        println!(
            "headline: {:.1} MB resident at {} Rollouts ({:.1}× the empty controller; aim: under 300 MB at 10,000); creating them took {:.1} s",
            last.rss_kib as f64 / 1024.0,
            last.rollouts,
            last.rss_kib as f64 / baseline.rss_kib.max(1) as f64,
            last.create_seconds
        );
    }
}

/// Creates Rollouts `PREFIX-<first>`…, in chunks so that a progress line shows the sim's pace.
async fn create_in_batches(client: &kube::Client, first: usize, count: usize) {
    const CHUNK: usize = 1000;
    let mut done = 0;
    while done < count {
        let chunk = CHUNK.min(count - done);
        let started = Instant::now();
        create_rollouts(client, PREFIX, first + done..first + done + chunk, 1, 16).await;
        done += chunk;
        eprintln!(
            "  created {} Rollouts ({:.0}/s)",
            first + done,
            chunk as f64 / started.elapsed().as_secs_f64()
        );
    }
}

/// The process's resident set, in KiB, from /proc/<pid>/status.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("cannot read /proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"))
}

/// The process's CPU time (user + system), in clock ticks, from /proc/<pid>/stat.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| panic!("cannot read /proc/{pid}/stat: {e}"));
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

/// CPU milliseconds per second of wall time over [`WINDOW`].
async fn cpu_ms_per_s(pid: u32) -> f64 {
    // USER_HZ is 100 on Linux for every architecture this runs on.
    const TICK_MS: f64 = 10.0;
    let before = cpu_ticks(pid);
    let started = Instant::now();
    tokio::time::sleep(WINDOW).await;
    let ticks = cpu_ticks(pid).saturating_sub(before);
    ticks as f64 * TICK_MS / started.elapsed().as_secs_f64()
}
