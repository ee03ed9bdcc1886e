//! Events on an AnalysisRun when its phase changes, with the reasons Argo Rollouts uses
//! (`AnalysisRunRunning`, `AnalysisRunSuccessful`, `AnalysisRunFailed`, `AnalysisRunError`,
//! `AnalysisRunInconclusive`): Warning for Failed and Error, Normal otherwise.

use kube::Resource;
use kube::runtime::events::{Event, EventType};
use linnet_crds::analysis::{AnalysisPhase, AnalysisRun};
use tracing::warn;

use crate::events::Recorder;

/// The Event a change from `old` to `new` calls for, as (type, reason, note); `None` when the
/// phase did not change or the run has no phase yet.
pub fn phase_event(
    old: Option<AnalysisPhase>,
    new: Option<AnalysisPhase>,
    message: Option<&str>,
) -> Option<(EventType, String, String)> {
    let new = new.filter(|new| Some(*new) != old)?;
    let name = format!("{new:?}");
    let event_type = match new {
        AnalysisPhase::Failed | AnalysisPhase::Error => EventType::Warning,
        _ => EventType::Normal,
    };
    let note = match (new.is_completed(), message) {
        (true, Some(message)) => format!("AnalysisRun completed: {name}: {message}"),
        (true, None) => format!("AnalysisRun completed: {name}"),
        (false, _) => format!("AnalysisRun {name}"),
    };
    Some((event_type, format!("AnalysisRun{name}"), note))
}

/// Records the Event for a phase change, if any. A failure to record is logged, never fatal.
pub async fn publish_phase_change(
    recorder: &Recorder,
    run: &AnalysisRun,
    old: Option<AnalysisPhase>,
    new: Option<AnalysisPhase>,
    message: Option<&str>,
) {
    let Some((type_, reason, note)) = phase_event(old, new, message) else {
        return;
    };
    let event = Event {
        type_,
        reason: reason.clone(),
        note: Some(note),
        action: "Analyze".to_string(),
        secondary: None,
    };
    if let Err(error) = recorder.publish(&event, &run.object_ref(&())).await {
        warn!(analysisrun = ?run.metadata.name, %error, reason, "cannot record Event");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_phase_change_has_its_reason_and_type() {
        use AnalysisPhase::*;
        let cases = [
            (
                None,
                Some(Running),
                Some((EventType::Normal, "AnalysisRunRunning")),
            ),
            (
                Some(Running),
                Some(Successful),
                Some((EventType::Normal, "AnalysisRunSuccessful")),
            ),
            (
                Some(Running),
                Some(Failed),
                Some((EventType::Warning, "AnalysisRunFailed")),
            ),
            (
                Some(Running),
                Some(Error),
                Some((EventType::Warning, "AnalysisRunError")),
            ),
            (
                Some(Running),
                Some(Inconclusive),
                Some((EventType::Normal, "AnalysisRunInconclusive")),
            ),
            (Some(Running), Some(Running), None),
            (Some(Running), None, None),
        ];
        for (old, new, expected) in cases {
            let event = phase_event(old, new, Some("m"));
            let got = event.as_ref().map(|(t, r, _)| (*t, r.as_str()));
            assert_eq!(got, expected, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn a_completed_run_says_why() {
        let event = phase_event(
            Some(AnalysisPhase::Running),
            Some(AnalysisPhase::Failed),
            Some("Metric \"x\" assessed Failed"),
        );
        let note = event.map(|(_, _, note)| note).unwrap_or_default();
        assert_eq!(
            note,
            "AnalysisRun completed: Failed: Metric \"x\" assessed Failed"
        );
    }
}
