//! What `linnet rollout status`, `get` and `list` print, computed from the objects alone.

use std::fmt::Write as _;

use k8s_openapi::api::apps::v1::ReplicaSet;
use linnet_controller::rollout::objects::{POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION};
use linnet_crds::rollout::{Rollout, RolloutAnalysisRunStatus, RolloutPhase};

use super::patches::{canary_steps, current_step};

/// The phase and message a user sees, read as Argo's plugin reads them: a spec change the
/// controller has not observed yet, or a promote it has not acted on, is still Progressing.
pub fn phase(rollout: &Rollout) -> (String, String) {
    let status = rollout.status.as_ref();
    if !generation_observed(rollout) {
        return progressing("waiting for rollout spec update to be observed");
    }
    let phase = status.and_then(|s| s.phase);
    let unpausing = phase == Some(RolloutPhase::Paused)
        && rollout.spec.paused != Some(true)
        && status
            .and_then(|s| s.pause_conditions.as_ref())
            .is_none_or(Vec::is_empty)
        && status.and_then(|s| s.controller_pause) != Some(true);
    if unpausing {
        return progressing("waiting for rollout to unpause");
    }
    match phase {
        Some(phase) => (
            format!("{phase:?}"),
            status.and_then(|s| s.message.clone()).unwrap_or_default(),
        ),
        None => progressing("waiting for the controller to write a status"),
    }
}

fn progressing(message: &str) -> (String, String) {
    ("Progressing".to_string(), message.to_string())
}

fn generation_observed(rollout: &Rollout) -> bool {
    let observed = rollout
        .status
        .as_ref()
        .and_then(|s| s.observed_generation.as_deref());
    // Argo's older controllers wrote a hash here; only a number can be compared.
    let Some(observed) = observed.and_then(|g| g.parse::<i64>().ok()) else {
        return true;
    };
    observed >= rollout.metadata.generation.unwrap_or(0)
}

/// `Healthy` or `Paused - CanaryPauseStep`: the phase, and the message when there is one.
pub fn status_line(phase: &str, message: &str) -> String {
    if message.is_empty() {
        phase.to_string()
    } else {
        format!("{phase} - {message}")
    }
}

/// Where `status --watch` stands.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Healthy,
    Degraded,
    Waiting,
}

pub fn verdict(phase: &str) -> Verdict {
    match phase {
        "Healthy" => Verdict::Healthy,
        "Degraded" => Verdict::Degraded,
        _ => Verdict::Waiting,
    }
}

fn strategy(rollout: &Rollout) -> &'static str {
    let strategy = rollout.spec.strategy.as_ref();
    if strategy.is_some_and(|s| s.blue_green.is_some()) {
        "BlueGreen"
    } else if strategy.is_some_and(|s| s.canary.is_some()) {
        "Canary"
    } else {
        "-"
    }
}

/// The weight of the last `setWeight` at or before the current step, as Argo's plugin shows
/// it: 100 past the last step, 0 when aborted, `None` when not a canary with steps.
pub fn set_weight(rollout: &Rollout) -> Option<i32> {
    let steps = rollout.spec.strategy.as_ref()?.canary.as_ref()?.steps.as_ref()?;
    if steps.is_empty() {
        return None;
    }
    if rollout.status.as_ref().and_then(|s| s.abort) == Some(true) {
        return Some(0);
    }
    let index = usize::try_from(current_step(rollout)).unwrap_or(0);
    if index >= steps.len() {
        return Some(100);
    }
    Some(
        steps[..=index]
            .iter()
            .rev()
            .find_map(|s| s.set_weight)
            .unwrap_or(0),
    )
}

/// The canary weight the controller last wrote (`status.canary.weights`, with a traffic
/// router); without a router, the share of ready pods that run the current template.
fn actual_weight(rollout: &Rollout, rows: &[ReplicaSetRow]) -> Option<i32> {
    let status = rollout.status.as_ref()?;
    if let Some(weights) = status.canary.as_ref().and_then(|c| c.weights.as_ref()) {
        return Some(weights.canary.weight);
    }
    let current = status.current_pod_hash.as_deref()?;
    let ready: i64 = rows.iter().map(|row| i64::from(row.ready.max(0))).sum();
    let on_current: i64 = rows
        .iter()
        .filter(|row| row.hash == current)
        .map(|row| i64::from(row.ready.max(0)))
        .sum();
    i32::try_from(on_current * 100 / ready.max(1))
        .ok()
        .filter(|_| ready > 0)
}

fn step_text(rollout: &Rollout) -> String {
    match canary_steps(rollout) {
        Some(count) if count > 0 => format!("{}/{count}", current_step(rollout).min(count)),
        _ => "-".to_string(),
    }
}

fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// `list`: one row per Rollout.
pub fn list_table(rollouts: &[Rollout]) -> String {
    let mut rows = vec![
        [
            "NAME",
            "STRATEGY",
            "STATUS",
            "STEP",
            "SET-WEIGHT",
            "READY",
            "DESIRED",
        ]
        .map(str::to_string),
    ];
    for rollout in rollouts {
        let status = rollout.status.as_ref();
        rows.push([
            rollout.metadata.name.clone().unwrap_or_default(),
            strategy(rollout).to_string(),
            phase(rollout).0,
            step_text(rollout),
            or_dash(set_weight(rollout)),
            format!(
                "{}/{}",
                status.and_then(|s| s.ready_replicas).unwrap_or(0),
                status.and_then(|s| s.replicas).unwrap_or(0)
            ),
            rollout.spec.replicas.unwrap_or(1).to_string(),
        ]);
    }
    columns(&rows)
}

fn columns<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

/// One ReplicaSet of the Rollout as `get` shows it.
struct ReplicaSetRow {
    revision: i64,
    name: String,
    hash: String,
    ready: i32,
    desired: i32,
}

fn replica_set_rows(rollout: &Rollout, replica_sets: &[ReplicaSet]) -> Vec<ReplicaSetRow> {
    let uid = rollout.metadata.uid.as_deref();
    let mut rows: Vec<ReplicaSetRow> = replica_sets
        .iter()
        .filter(|rs| {
            let owners = rs.metadata.owner_references.iter().flatten();
            owners
                .into_iter()
                .any(|o| o.controller == Some(true) && Some(o.uid.as_str()) == uid)
        })
        .map(|rs| {
            let annotations = rs.metadata.annotations.as_ref();
            let labels = rs.metadata.labels.as_ref();
            ReplicaSetRow {
                revision: annotations
                    .and_then(|a| a.get(REVISION_ANNOTATION))
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(0),
                name: rs.metadata.name.clone().unwrap_or_default(),
                hash: labels
                    .and_then(|l| l.get(POD_TEMPLATE_HASH_LABEL))
                    .cloned()
                    .unwrap_or_default(),
                ready: rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0),
                desired: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0),
            }
        })
        .collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.revision));
    rows
}

/// The AnalysisRuns the status names, with what they are for.
fn analysis_runs(rollout: &Rollout) -> Vec<(&'static str, &RolloutAnalysisRunStatus)> {
    let Some(status) = rollout.status.as_ref() else {
        return Vec::new();
    };
    let canary = status.canary.as_ref();
    let blue_green = status.blue_green.as_ref();
    [
        (
            "step",
            canary.and_then(|c| c.current_step_analysis_run_status.as_ref()),
        ),
        (
            "background",
            canary.and_then(|c| c.current_background_analysis_run_status.as_ref()),
        ),
        (
            "pre-promotion",
            blue_green.and_then(|b| b.pre_promotion_analysis_run_status.as_ref()),
        ),
        (
            "post-promotion",
            blue_green.and_then(|b| b.post_promotion_analysis_run_status.as_ref()),
        ),
    ]
    .into_iter()
    .filter_map(|(kind, run)| Some((kind, run?)))
    .collect()
}

/// `get`: a short readable summary of one Rollout and its ReplicaSets.
pub fn describe(rollout: &Rollout, replica_sets: &[ReplicaSet]) -> String {
    let status = rollout.status.as_ref();
    let (phase, message) = phase(rollout);
    let stable = status.and_then(|s| s.stable_rs.clone());
    let current = status.and_then(|s| s.current_pod_hash.clone());
    let rows = replica_set_rows(rollout, replica_sets);
    let mut out = String::new();
    let mut field = |label: &str, value: String| {
        let _ = writeln!(out, "{:<14}{value}", format!("{label}:"));
    };
    field("Name", rollout.metadata.name.clone().unwrap_or_default());
    field(
        "Namespace",
        rollout.metadata.namespace.clone().unwrap_or_default(),
    );
    field("Status", status_line(&phase, &message));
    field("Strategy", strategy(rollout).to_string());
    if canary_steps(rollout).is_some() {
        field("Step", step_text(rollout));
        field("SetWeight", or_dash(set_weight(rollout)));
        field("ActualWeight", or_dash(actual_weight(rollout, &rows)));
    }
    field("Stable", or_dash(stable.clone()));
    let role = if strategy(rollout) == "BlueGreen" {
        "Preview"
    } else {
        "Canary"
    };
    field(
        role,
        or_dash(current.clone().filter(|c| Some(c) != stable.as_ref())),
    );
    if !rows.is_empty() {
        let _ = writeln!(out, "ReplicaSets:");
        let mut table = vec![["REVISION", "NAME", "HASH", "READY", "ROLE"].map(str::to_string)];
        for row in rows {
            let role = if Some(&row.hash) == stable.as_ref() {
                "stable"
            } else if Some(&row.hash) == current.as_ref() {
                if role == "Preview" { "preview" } else { "canary" }
            } else {
                ""
            };
            table.push([
                row.revision.to_string(),
                row.name,
                row.hash,
                format!("{}/{}", row.ready, row.desired),
                role.to_string(),
            ]);
        }
        for line in columns(&table).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    let runs = analysis_runs(rollout);
    if !runs.is_empty() {
        let _ = writeln!(out, "AnalysisRuns:");
        for (kind, run) in runs {
            let message = run
                .message
                .as_deref()
                .map(|m| format!(" - {m}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {} ({kind}): {}{message}", run.name, run.status);
        }
    }
    out
}
