//! Sync windows: whether an Application may sync now, for automated and for manual syncs.
//!
//! The verdict follows Argo CD: only windows that match the Application count (by application
//! name, destination namespace, or destination cluster by server or name; with `andOperator`
//! every list given must match). An active deny window blocks, and lets manual syncs through only
//! when every active deny window sets `manualSync`. Otherwise an active allow window permits.
//! Otherwise, when allow windows exist but none is active, syncs are blocked, and manual syncs are
//! let through when any of those allow windows sets `manualSync`. With no matching window at all,
//! everything may sync.
//!
//! A window is active from each time its schedule fires (in its `timeZone`, UTC when omitted)
//! for `duration`: start included, end excluded.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use linnet_crds::application::project::SyncWindow;
use linnet_crds::application::{AppProject, Application};
use linnet_crds::common::parse_go_duration;

use super::Destination;
use super::cron::Schedule;
use super::glob::any_matches;

/// Whether syncs may start now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncVerdict {
    /// An automated sync (the sync policy's) may start.
    pub automated: bool,
    /// A manual sync (`spec.operation` set by a user) may start.
    pub manual: bool,
    /// Why syncs are blocked, naming the window; `None` when both may start.
    pub reason: Option<String>,
}

impl SyncVerdict {
    /// The verdict for one kind of sync.
    pub fn allows(&self, manual: bool) -> bool {
        if manual { self.manual } else { self.automated }
    }
}

/// A matching window that cannot be evaluated. Argo CD refuses to sync then; so should the caller.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
}

/// The sync verdict for `app` (deploying to `destination`) under `project`'s windows at `now`.
///
/// Fails when a window that matches the Application has a bad kind, schedule, duration or time
/// zone; windows that do not match are not read.
pub fn sync_verdict(
    project: &AppProject,
    app: &Application,
    destination: &Destination<'_>,
    now: Timestamp,
) -> Result<SyncVerdict, WindowError> {
    let app_name = app.metadata.name.as_deref().unwrap_or_default();
    let mut active_deny: Vec<(usize, &SyncWindow)> = Vec::new();
    let mut any_active_allow = false;
    let mut inactive_allow: Vec<(usize, &SyncWindow)> = Vec::new();
    for (i, window) in project.spec.sync_windows.iter().flatten().enumerate() {
        if !window_matches(window, app_name, destination) {
            continue;
        }
        let field = format!("spec.syncWindows[{i}]");
        let deny = match window.kind.as_deref() {
            Some("deny") => true,
            Some("allow") => false,
            other => {
                return Err(WindowError::Invalid {
                    field: format!("{field}.kind"),
                    message: format!("{other:?} is not a window kind; use allow or deny"),
                });
            }
        };
        match (deny, is_active(window, &field, now)?) {
            (true, true) => active_deny.push((i, window)),
            (true, false) => {}
            (false, true) => any_active_allow = true,
            (false, false) => inactive_allow.push((i, window)),
        }
    }
    let manual = |w: &SyncWindow| w.manual_sync == Some(true);
    if let Some((i, first)) = active_deny.first() {
        return Ok(SyncVerdict {
            automated: false,
            manual: active_deny.iter().all(|(_, w)| manual(w)),
            reason: Some(format!(
                "deny sync window spec.syncWindows[{i}] ({:?} for {}) is active",
                first.schedule.as_deref().unwrap_or_default(),
                first.duration.as_deref().unwrap_or_default()
            )),
        });
    }
    if any_active_allow || inactive_allow.is_empty() {
        return Ok(SyncVerdict {
            automated: true,
            manual: true,
            reason: None,
        });
    }
    let names: Vec<String> = inactive_allow
        .iter()
        .map(|(i, _)| format!("spec.syncWindows[{i}]"))
        .collect();
    Ok(SyncVerdict {
        automated: false,
        manual: inactive_allow.iter().any(|(_, w)| manual(w)),
        reason: Some(format!("no allow sync window is active ({})", names.join(", "))),
    })
}

fn window_matches(window: &SyncWindow, app_name: &str, dst: &Destination<'_>) -> bool {
    fn list(l: &Option<Vec<String>>) -> Option<&[String]> {
        l.as_deref().filter(|l| !l.is_empty())
    }
    let cluster_matches = |l: &[String]| {
        dst.server.is_some_and(|s| any_matches(l, s)) || dst.name.is_some_and(|n| any_matches(l, n))
    };
    let apps = list(&window.applications).map(|l| any_matches(l, app_name));
    let namespaces = list(&window.namespaces).map(|l| any_matches(l, dst.namespace));
    let clusters = list(&window.clusters).map(cluster_matches);
    let given = [apps, namespaces, clusters];
    if window.and_operator == Some(true) {
        given.iter().flatten().all(|m| *m)
    } else {
        given.iter().flatten().any(|m| *m)
    }
}

/// Whether the window is open at `now`: its latest firing at or before `now` plus `duration`
/// lies after `now`.
fn is_active(window: &SyncWindow, field: &str, now: Timestamp) -> Result<bool, WindowError> {
    let invalid = |name: &str, message: String| WindowError::Invalid {
        field: format!("{field}.{name}"),
        message,
    };
    let schedule_text = window.schedule.as_deref().unwrap_or_default();
    let schedule = Schedule::parse(schedule_text).map_err(|m| invalid("schedule", m))?;
    let duration = parse_go_duration(window.duration.as_deref().unwrap_or_default())
        .map_err(|m| invalid("duration", m))?;
    let duration =
        SignedDuration::try_from(duration).map_err(|_| invalid("duration", "is too long".to_string()))?;
    let zone = match window.time_zone.as_deref().map(str::trim) {
        None | Some("") | Some("UTC") => TimeZone::UTC,
        Some(name) => TimeZone::get(name).map_err(|e| {
            invalid(
                "timeZone",
                format!("{name:?} is not a time zone known to this system's tz database ({e})"),
            )
        })?,
    };
    if duration.is_zero() {
        return Ok(false);
    }
    // Look back one day more than the duration, so a shift of the clocks cannot hide a firing.
    let lookback = now
        .checked_sub(duration)
        .and_then(|t| t.checked_sub(SignedDuration::from_hours(24)))
        .unwrap_or(Timestamp::MIN);
    let civil_now = zone.to_datetime(now);
    let Some(fired) = schedule.latest_at_or_before(civil_now, zone.to_datetime(lookback)) else {
        return Ok(false);
    };
    let started = zone
        .to_ambiguous_timestamp(fired)
        .compatible()
        .map_err(|e| invalid("timeZone", format!("cannot place {fired} in the zone: {e}")))?;
    Ok(started <= now && started.checked_add(duration).is_ok_and(|end| now < end))
}
