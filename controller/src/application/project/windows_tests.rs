//! Table tests of sync windows: verdicts, which windows apply, time zones and bad windows.

use jiff::Timestamp;
use linnet_crds::application::AppProjectSpec;
use linnet_crds::application::project::SyncWindow;

use super::tests::{app, project, strings};
use super::*;

fn window(kind: &str, schedule: &str, duration: &str) -> SyncWindow {
    SyncWindow {
        kind: Some(kind.to_string()),
        schedule: Some(schedule.to_string()),
        duration: Some(duration.to_string()),
        applications: strings(&["*"]),
        ..SyncWindow::default()
    }
}

fn manual(mut w: SyncWindow) -> SyncWindow {
    w.manual_sync = Some(true);
    w
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn verdict(windows: Vec<SyncWindow>, now: &str) -> SyncVerdict {
    let p = project(AppProjectSpec {
        sync_windows: Some(windows),
        ..AppProjectSpec::default()
    });
    let a = app(
        "https://github.com/org/app",
        "https://kubernetes.default.svc",
        "web",
    );
    let d = Destination {
        server: Some("https://kubernetes.default.svc"),
        name: Some("in-cluster"),
        namespace: "web",
    };
    sync_verdict(&p, &a, &d, at(now)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn sync_window_verdicts() {
    // 2026-11-22 is a Sunday.
    let night_deny = || window("deny", "0 22 * * *", "8h");
    let office_allow = || window("allow", "0 9 * * MON-FRI", "8h");
    let cases: Vec<(&str, Vec<SyncWindow>, &str, bool, bool)> = vec![
        ("no windows", vec![], "2026-11-22T23:00:00Z", true, true),
        (
            "deny active",
            vec![night_deny()],
            "2026-11-22T23:00:00Z",
            false,
            false,
        ),
        (
            "deny active across midnight",
            vec![night_deny()],
            "2026-11-23T05:59:00Z",
            false,
            false,
        ),
        (
            "deny over",
            vec![night_deny()],
            "2026-11-23T06:00:00Z",
            true,
            true,
        ),
        (
            "deny opens on the minute",
            vec![night_deny()],
            "2026-11-22T22:00:00Z",
            false,
            false,
        ),
        (
            "deny with manualSync",
            vec![manual(night_deny())],
            "2026-11-22T23:00:00Z",
            false,
            true,
        ),
        (
            "every active deny must allow manual",
            vec![manual(night_deny()), window("deny", "* * * * *", "1h")],
            "2026-11-22T23:00:00Z",
            false,
            false,
        ),
        (
            "allow active",
            vec![office_allow()],
            "2026-11-23T10:00:00Z",
            true,
            true,
        ),
        (
            "allow inactive blocks",
            vec![office_allow()],
            "2026-11-22T10:00:00Z",
            false,
            false,
        ),
        (
            "inactive allow with manualSync",
            vec![manual(office_allow())],
            "2026-11-22T10:00:00Z",
            false,
            true,
        ),
        (
            "deny wins over an active allow",
            vec![window("allow", "* * * * *", "1h"), night_deny()],
            "2026-11-22T23:00:00Z",
            false,
            false,
        ),
        (
            "zero duration is never open",
            vec![window("deny", "* * * * *", "0")],
            "2026-11-22T23:00:00Z",
            true,
            true,
        ),
    ];
    for (name, windows, now, automated, manual_ok) in cases {
        let v = verdict(windows, now);
        assert_eq!((v.automated, v.manual), (automated, manual_ok), "{name}: {v:?}");
        assert_eq!(v.reason.is_none(), automated && manual_ok, "{name}: {v:?}");
        assert_eq!(v.allows(true), manual_ok, "{name}");
    }
}

#[test]
fn windows_apply_only_to_what_they_name() {
    let mut by_ns = window("deny", "* * * * *", "1h");
    by_ns.applications = None;
    by_ns.namespaces = strings(&["db-*"]);
    assert!(
        verdict(vec![by_ns.clone()], "2026-11-22T23:00:00Z").automated,
        "web is not db-*"
    );
    let mut by_cluster = by_ns.clone();
    by_cluster.namespaces = None;
    by_cluster.clusters = strings(&["in-*"]);
    assert!(
        !verdict(vec![by_cluster], "2026-11-22T23:00:00Z").automated,
        "cluster by name"
    );
    // With andOperator every list given must match.
    let mut both = window("deny", "* * * * *", "1h");
    both.namespaces = strings(&["db-*"]);
    assert!(
        !verdict(vec![both.clone()], "2026-11-22T23:00:00Z").automated,
        "or: the app matches"
    );
    both.and_operator = Some(true);
    assert!(
        verdict(vec![both], "2026-11-22T23:00:00Z").automated,
        "and: the namespace does not"
    );
    // A window for another application is not even parsed.
    let mut other = window("deny", "not a schedule", "1h");
    other.applications = strings(&["billing"]);
    assert!(verdict(vec![other], "2026-11-22T23:00:00Z").automated);
}

#[test]
fn windows_in_a_time_zone() {
    // 22:00 in Paris is 21:00 UTC in winter.
    let mut paris = window("deny", "0 22 * * *", "1h");
    paris.time_zone = Some("Europe/Paris".to_string());
    assert!(!verdict(vec![paris.clone()], "2026-11-22T21:30:00Z").automated);
    assert!(verdict(vec![paris], "2026-11-22T22:30:00Z").automated);
}

#[test]
fn a_firing_in_a_skipped_hour_starts_when_the_clocks_resume() {
    // 2027-03-28: Paris skips from 02:00 to 03:00 (01:00 UTC). 02:30 local does not exist; the
    // window opens at 03:30 local (01:30 UTC) and stays open its hour.
    let mut paris = window("deny", "30 2 * * *", "1h");
    paris.time_zone = Some("Europe/Paris".to_string());
    assert!(verdict(vec![paris.clone()], "2027-03-28T01:15:00Z").automated);
    assert!(!verdict(vec![paris.clone()], "2027-03-28T01:45:00Z").automated);
    assert!(verdict(vec![paris], "2027-03-28T02:30:00Z").automated);
}

#[test]
fn bad_windows_are_errors_naming_the_field() {
    let p = |w: SyncWindow| {
        project(AppProjectSpec {
            sync_windows: Some(vec![window("allow", "* * * * *", "1h"), w]),
            ..AppProjectSpec::default()
        })
    };
    let a = app(
        "https://github.com/org/app",
        "https://kubernetes.default.svc",
        "web",
    );
    let d = Destination::of(&a.spec.destination);
    let mut zone = window("deny", "0 22 * * *", "1h");
    zone.time_zone = Some("Mars/Olympus_Mons".to_string());
    let cases = [
        (window("maybe", "0 22 * * *", "1h"), "spec.syncWindows[1].kind"),
        (window("deny", "0 22 * *", "1h"), "spec.syncWindows[1].schedule"),
        (
            window("deny", "0 22 * * *", "an hour"),
            "spec.syncWindows[1].duration",
        ),
        (zone, "spec.syncWindows[1].timeZone"),
    ];
    for (w, field) in cases {
        let error = sync_verdict(&p(w), &a, &d, at("2026-11-22T23:00:00Z")).expect_err(field);
        assert!(error.to_string().starts_with(field), "{field}: {error}");
    }
}
