//! Reactions timed by the API server: from the sim's request log (monotonic instants taken
//! when each request arrived and when its answer was ready), so no client round trip and no
//! watch delivery back to the benchmark is part of the figure.

use std::time::{Duration, Instant};

use linnet_sim::RequestRecord;

/// The field manager the benchmark's own writes carry, so the log tells them apart.
pub const BENCH_MANAGER: &str = "rollout-bench";

fn by_bench(r: &RequestRecord) -> bool {
    r.query.contains(&format!("fieldManager={BENCH_MANAGER}"))
}

fn rollout_path(r: &RequestRecord, name: &str, subresource: Option<&str>) -> bool {
    let tail = match subresource {
        Some(sub) => format!("/rollouts/{name}/{sub}"),
        None => format!("/rollouts/{name}"),
    };
    r.path.ends_with(&tail)
}

/// The server-side times of one template change: when the benchmark's patch was accepted,
/// the canary ReplicaSet's create, and the controller's first status write after it.
#[derive(Clone, Copy, Debug)]
pub struct TemplateChange {
    /// When the benchmark's patch arrived: the controller's writes come after it.
    pub arrived: Instant,
    pub accepted: Instant,
    pub created: Instant,
    pub status: Instant,
}

impl TemplateChange {
    /// From the template change accepted to both the create and the status write accepted.
    pub fn reaction(&self) -> Duration {
        self.answered().saturating_duration_since(self.accepted)
    }

    /// When the later of the controller's two writes was answered.
    pub fn answered(&self) -> Instant {
        self.created.max(self.status)
    }
}

/// Finds the template change of Rollout `name` in `log`: the benchmark's spec patch, then the
/// controller's POST of a ReplicaSet and its status patch, each the first after the patch.
pub fn template_change(log: &[RequestRecord], name: &str) -> Option<TemplateChange> {
    let patch = log
        .iter()
        .find(|r| r.method == "PATCH" && by_bench(r) && rollout_path(r, name, None))?;
    // By arrival, not by position in the log: a request is logged when answered, and the
    // controller's may be logged before the patch that caused it.
    let after = |r: &&RequestRecord| r.arrived > patch.arrived && r.status < 300 && !by_bench(r);
    let created = log
        .iter()
        .filter(after)
        .find(|r| r.method == "POST" && r.path.ends_with("/replicasets"))?;
    let status = log
        .iter()
        .filter(after)
        .find(|r| r.method == "PATCH" && rollout_path(r, name, Some("status")))?;
    Some(TemplateChange {
        arrived: patch.arrived,
        accepted: patch.answered,
        created: created.answered,
        status: status.answered,
    })
}

/// From the benchmark's promote (its status patch of `name`) accepted to the controller's
/// scale of ReplicaSet `canary` accepted.
pub fn promote(log: &[RequestRecord], name: &str, canary: &str) -> Option<Duration> {
    let patch = log
        .iter()
        .find(|r| r.method == "PATCH" && by_bench(r) && rollout_path(r, name, Some("status")))?;
    let scale = log.iter().find(|r| {
        r.arrived > patch.arrived
            && r.method == "PATCH"
            && r.status < 300
            && r.path.ends_with(&format!("/replicasets/{canary}"))
    })?;
    Some(scale.answered.saturating_duration_since(patch.answered))
}

/// Prints the requests answered from `from` on, until `until`, with times relative to `from`:
/// where a reaction spends its time.
pub fn print_trace(log: &[RequestRecord], from: Instant, until: Instant, title: &str) {
    eprintln!("  trace {title}:");
    for r in log {
        if r.answered < from || r.arrived > until || r.method == "GET" && r.query.contains("watch=") {
            continue;
        }
        let at = |i: Instant| {
            if i >= from {
                format!("+{:.3}", i.duration_since(from).as_secs_f64() * 1000.0)
            } else {
                format!("-{:.3}", from.duration_since(i).as_secs_f64() * 1000.0)
            }
        };
        let path = r.path.rsplit("/namespaces/").next().unwrap_or(&r.path);
        eprintln!(
            "    arrived {:>8} answered {:>8} ms  {} {} {} {}",
            at(r.arrived),
            at(r.answered),
            r.status,
            r.method,
            path,
            r.query
        );
    }
}
