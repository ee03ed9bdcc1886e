//! The rules a Rollout must obey beyond its JSON shape, as Argo Rollouts enforces them (plus a
//! few warnings where Argo silently ignores a setting). Every check is a pure function of the
//! spec that returns all the problems it sees, each at the path of the offending field.

mod analysis;
mod bluegreen;
mod canary;
mod numbers;
mod selector;
mod spec;
mod steps;
mod traffic;

#[cfg(test)]
mod test_support;

pub use selector::selects;

use super::Rollout;
use crate::{FieldPath, Finding, Validate};

/// Argo's default `revisionHistoryLimit`.
const DEFAULT_REVISION_HISTORY_LIMIT: i32 = 10;

impl Validate for Rollout {
    fn validate(&self) -> Vec<Finding> {
        let spec = &self.spec;
        let path = FieldPath::root("spec");
        let mut findings = spec::check_spec(spec, &path);
        findings.extend(selector::check_selector(spec, &path));
        let strategy_path = path.field("strategy");
        if let Some(strategy) = &spec.strategy {
            if let Some(canary) = &strategy.canary {
                findings.extend(canary::check_canary(canary, &strategy_path.field("canary")));
            }
            if let Some(blue_green) = &strategy.blue_green {
                let history_limit = spec
                    .revision_history_limit
                    .unwrap_or(DEFAULT_REVISION_HISTORY_LIMIT);
                let at = strategy_path.field("blueGreen");
                findings.extend(bluegreen::check_blue_green(blue_green, history_limit, &at));
            }
        }
        findings
    }
}
