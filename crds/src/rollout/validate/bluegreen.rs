//! Rules on the blue-green strategy: an active service, a distinct preview service, sane
//! counts, and well-formed pre/post-promotion analyses.

use super::analysis::check_analysis;
use super::canary::check_anti_affinity;
use super::numbers::{IntOrPercent, int_or_percent, non_negative};
use crate::rollout::BlueGreenStrategy;
use crate::{FieldPath, Finding};

/// Every rule of `spec.strategy.blueGreen`, at `path`.
/// `revision_history_limit` is the spec's (10 when unset): old ReplicaSets waiting to be scaled
/// down must be among those kept.
pub fn check_blue_green(
    blue_green: &BlueGreenStrategy,
    revision_history_limit: i32,
    path: &FieldPath,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let active = blue_green.active_service.as_str();
    if active.is_empty() {
        findings.push(Finding::error(
            path.field("activeService"),
            "activeService is required",
        ));
    }
    if let Some(preview) = blue_green.preview_service.as_deref()
        && !active.is_empty()
        && preview == active
    {
        findings.push(Finding::error(
            path.field("previewService"),
            format!("{preview:?} is also the activeService; preview and active services must differ"),
        ));
    }
    let counts = [
        ("previewReplicaCount", blue_green.preview_replica_count),
        ("autoPromotionSeconds", blue_green.auto_promotion_seconds),
        ("scaleDownDelaySeconds", blue_green.scale_down_delay_seconds),
        (
            "scaleDownDelayRevisionLimit",
            blue_green.scale_down_delay_revision_limit,
        ),
        (
            "abortScaleDownDelaySeconds",
            blue_green.abort_scale_down_delay_seconds,
        ),
    ];
    for (field, value) in counts {
        findings.extend(non_negative(&path.field(field), value));
    }
    if let Some(limit) = blue_green.scale_down_delay_revision_limit
        && limit > revision_history_limit
    {
        findings.push(Finding::error(
            path.field("scaleDownDelayRevisionLimit"),
            format!("{limit} is above revisionHistoryLimit {revision_history_limit}; it cannot keep more than that"),
        ));
    }
    // Blue-green defaults maxUnavailable to 0; the value only has to be well-formed.
    int_or_percent(
        &path.field("maxUnavailable"),
        blue_green.max_unavailable.as_ref(),
        IntOrPercent::Count(0),
        &mut findings,
    );
    let analyses = [
        ("prePromotionAnalysis", &blue_green.pre_promotion_analysis),
        ("postPromotionAnalysis", &blue_green.post_promotion_analysis),
    ];
    for (field, analysis) in analyses {
        if let Some(analysis) = analysis {
            findings.extend(check_analysis(analysis, &path.field(field)));
        }
    }
    if let Some(anti_affinity) = &blue_green.anti_affinity {
        findings.extend(check_anti_affinity(anti_affinity, &path.field("antiAffinity")));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, assert_finding, blue_green};
    use crate::Severity::Error;
    use crate::rollout::{BlueGreenStrategy, Rollout, RolloutAnalysis};

    fn strategy(rollout: &mut Rollout) -> &mut BlueGreenStrategy {
        rollout
            .spec
            .strategy
            .as_mut()
            .and_then(|s| s.blue_green.as_mut())
            .unwrap()
    }

    #[test]
    fn each_blue_green_rule_reports_at_its_path() {
        type Case = (fn(&mut BlueGreenStrategy), &'static str, &'static str);
        let cases: [Case; 6] = [
            (
                |s| s.active_service.clear(),
                "activeService",
                "activeService is required",
            ),
            (
                |s| s.preview_service = Some("checkout-active".into()),
                "previewService",
                "\"checkout-active\" is also the activeService",
            ),
            (
                |s| s.preview_replica_count = Some(-1),
                "previewReplicaCount",
                "-1 is negative",
            ),
            (
                |s| s.scale_down_delay_revision_limit = Some(11),
                "scaleDownDelayRevisionLimit",
                "11 is above revisionHistoryLimit 10",
            ),
            (
                |s| s.pre_promotion_analysis = Some(RolloutAnalysis::default()),
                "prePromotionAnalysis.templates",
                "no analysis template is named",
            ),
            (
                |s| {
                    s.max_unavailable = Some(
                        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("1/2".into()),
                    )
                },
                "maxUnavailable",
                "\"1/2\" is neither an integer nor a percentage",
            ),
        ];
        for (mutate, field, message) in cases {
            let mut rollout = blue_green();
            mutate(strategy(&mut rollout));
            let path = format!("spec.strategy.blueGreen.{field}");
            assert_finding(&rollout, Error, &path, message, message);
        }
    }

    #[test]
    fn a_preview_service_is_optional() {
        let mut rollout = blue_green();
        strategy(&mut rollout).preview_service = None;
        assert_clean(&rollout);
    }
}
