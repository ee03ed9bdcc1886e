//! Whether the planner may act on a Rollout at all: the spec must pass `linnet_crds`
//! validation, the Services and route objects it names must exist, its pods must not overlap
//! those of a Rollout that was there first, and it must use only what the planner implements.
//! Anything else is reported, field by field, instead of being half done.

use linnet_crds::{FieldPath, Finding, Validate};

use super::{Observed, OverlappingRollout};

/// Every reason not to act, each at the path of the field concerned.
pub(super) fn problems(obs: &Observed) -> Vec<Finding> {
    let mut problems: Vec<Finding> = obs
        .rollout
        .validate()
        .into_iter()
        .filter(Finding::is_error)
        .collect();
    problems.extend(missing_services(obs));
    problems.extend(
        obs.missing_routes
            .iter()
            .map(|missing| Finding::error(missing.field.clone(), missing.message.clone())),
    );
    problems.extend(obs.workload_problem.iter().cloned());
    problems.extend(overlaps(obs));
    problems.extend(unsupported(obs));
    problems
}

fn missing_services(obs: &Observed) -> Vec<Finding> {
    let Some(strategy) = obs.rollout.spec.strategy.as_ref() else {
        return Vec::new();
    };
    let at = FieldPath::root("spec").field("strategy");
    let mut named: Vec<(FieldPath, &String)> = Vec::new();
    if let Some(canary) = &strategy.canary {
        let at = at.field("canary");
        named.extend(
            canary
                .canary_service
                .as_ref()
                .map(|s| (at.field("canaryService"), s)),
        );
        named.extend(
            canary
                .stable_service
                .as_ref()
                .map(|s| (at.field("stableService"), s)),
        );
    }
    if let Some(blue_green) = &strategy.blue_green {
        let at = at.field("blueGreen");
        named.push((at.field("activeService"), &blue_green.active_service));
        named.extend(
            blue_green
                .preview_service
                .as_ref()
                .map(|s| (at.field("previewService"), s)),
        );
    }
    named
        .into_iter()
        .filter(|(_, name)| !obs.services.contains_key(name.as_str()))
        .map(|(path, name)| Finding::error(path, format!("Service \"{name}\" not found")))
        .collect()
}

/// Two Rollouts whose selectors reach each other's pods would fight over them; the one that
/// came later (by creation time, then name, so both sides agree) is the one reported.
fn overlaps(obs: &Observed) -> Vec<Finding> {
    let ours = (
        obs.rollout.metadata.creation_timestamp.as_ref().map(|t| t.0),
        obs.rollout.metadata.name.as_deref().unwrap_or_default(),
    );
    let came_first = |other: &&OverlappingRollout| (other.created, other.name.as_str()) < ours;
    obs.overlapping
        .iter()
        .filter(came_first)
        .map(|other| {
            if other.selected_by_us {
                Finding::error(
                    FieldPath::root("spec").field("selector"),
                    format!(
                        "selects the pods of Rollout \"{}\", which was there first",
                        other.name
                    ),
                )
            } else {
                Finding::error(
                    FieldPath::root("spec")
                        .field("template")
                        .field("metadata")
                        .field("labels"),
                    format!(
                        "the pods would also be selected by Rollout \"{}\", which was there first",
                        other.name
                    ),
                )
            }
        })
        .collect()
}

fn not_yet(path: FieldPath) -> Finding {
    Finding::error(path, "is not supported yet")
}

fn unsupported(obs: &Observed) -> Vec<Finding> {
    let spec = &obs.rollout.spec;
    let root = FieldPath::root("spec");
    let mut found = Vec::new();
    // Observation hands over a resolved `workloadRef` as a plain template (or names what
    // stopped it): a named one still here, with no template, was not resolved.
    let named = spec
        .workload_ref
        .as_ref()
        .is_some_and(|r| r.name.as_deref().is_some_and(|n| !n.is_empty()));
    if named && spec.template.is_none() && obs.workload_problem.is_none() {
        found.push(Finding::error(
            root.field("workloadRef"),
            "the referenced workload's template was not resolved",
        ));
    }
    let Some(canary) = spec.strategy.as_ref().and_then(|s| s.canary.as_ref()) else {
        return found;
    };
    let at = root.field("strategy").field("canary");
    if canary.ping_pong.is_some() {
        found.push(not_yet(at.field("pingPong")));
    }
    for (i, step) in canary.steps.iter().flatten().enumerate() {
        if step.experiment.is_some() {
            found.push(not_yet(at.field("steps").index(i).field("experiment")));
        }
        if step.plugin.is_some() {
            found.push(not_yet(at.field("steps").index(i).field("plugin")));
        }
    }
    found
}
