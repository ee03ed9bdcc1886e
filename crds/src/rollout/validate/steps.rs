//! Rules on canary steps: one action per step, weights within the router's scale, durations
//! that parse, routing-only steps only with a router, and route names the router manages.

use std::collections::BTreeSet;

use super::analysis::{check_analysis, check_args};
use super::numbers::non_negative;
use crate::common::parse_go_duration;
use crate::rollout::{
    CanaryStrategy, RolloutExperimentStep, SetCanaryScale, SetHeaderRoute, SetMirrorRoute, StepAction,
    StringMatch,
};
use crate::{FieldPath, Finding};

/// The weight scale when no router sets `maxTrafficWeight`.
const DEFAULT_MAX_TRAFFIC_WEIGHT: i32 = 100;

/// What every step needs to know about the canary around it.
struct StepContext<'a> {
    routed: bool,
    /// ALB matches headers by exact value only.
    exact_headers_only: bool,
    max_weight: i32,
    managed_routes: BTreeSet<&'a str>,
}

/// Checks `canary.steps`, found at `path`.
pub fn check_steps(canary: &CanaryStrategy, path: &FieldPath) -> Vec<Finding> {
    let routing = canary.traffic_routing.as_ref();
    let context = StepContext {
        routed: routing.is_some(),
        exact_headers_only: routing.is_some_and(|r| r.alb.is_some()),
        max_weight: routing
            .and_then(|r| r.max_traffic_weight)
            .unwrap_or(DEFAULT_MAX_TRAFFIC_WEIGHT),
        managed_routes: routing
            .and_then(|r| r.managed_routes.as_ref())
            .into_iter()
            .flatten()
            .map(|route| route.name.as_str())
            .collect(),
    };
    let mut findings = Vec::new();
    for (i, step) in canary.steps.iter().flatten().enumerate() {
        let step_path = path.index(i);
        findings.extend(check_action_count(&step.actions(), &step_path));
        if let Some(weight) = step.set_weight {
            findings.extend(check_weight(
                weight,
                context.max_weight,
                &step_path.field("setWeight"),
            ));
        }
        if let Some(duration) = step.pause.as_ref().and_then(|p| p.duration.as_ref())
            && let Err(message) = duration.to_duration()
        {
            findings.push(Finding::error(
                step_path.field("pause").field("duration"),
                message,
            ));
        }
        if let Some(scale) = &step.set_canary_scale {
            check_canary_scale(scale, &context, &step_path.field("setCanaryScale"), &mut findings);
        }
        if let Some(route) = &step.set_header_route {
            check_header_route(route, &context, &step_path.field("setHeaderRoute"), &mut findings);
        }
        if let Some(route) = &step.set_mirror_route {
            check_mirror_route(route, &context, &step_path.field("setMirrorRoute"), &mut findings);
        }
        if let Some(analysis) = &step.analysis {
            findings.extend(check_analysis(analysis, &step_path.field("analysis")));
        }
        if let Some(experiment) = &step.experiment {
            check_experiment(
                experiment,
                &context,
                &step_path.field("experiment"),
                &mut findings,
            );
        }
        if step.plugin.as_ref().is_some_and(|p| p.name.is_empty()) {
            findings.push(Finding::error(
                step_path.field("plugin").field("name"),
                "the plugin name is required",
            ));
        }
    }
    findings
}

/// A step does exactly one thing.
fn check_action_count(actions: &[StepAction], path: &FieldPath) -> Option<Finding> {
    match actions {
        [_] => None,
        [] => Some(Finding::error(
            path,
            "the step sets no action; set exactly one of setWeight, pause, setCanaryScale, analysis, \
             experiment, setHeaderRoute, setMirrorRoute, plugin",
        )),
        several => {
            let names: Vec<&str> = several.iter().map(|a| a.field_name()).collect();
            Some(Finding::error(
                path,
                format!(
                    "the step sets {}; set exactly one action per step",
                    names.join(" and ")
                ),
            ))
        }
    }
}

/// A weight runs from 0 to the router's `maxTrafficWeight`.
fn check_weight(weight: i32, max_weight: i32, path: &FieldPath) -> Option<Finding> {
    if weight < 0 {
        Some(Finding::error(
            path,
            format!("{weight} is negative; weights run from 0 to {max_weight}"),
        ))
    } else if weight > max_weight {
        Some(Finding::error(
            path,
            format!("{weight} is above maxTrafficWeight {max_weight}"),
        ))
    } else {
        None
    }
}

/// Steps that only a traffic router can carry out.
fn require_routing(action: &str, context: &StepContext, path: &FieldPath, findings: &mut Vec<Finding>) {
    if !context.routed {
        findings.push(Finding::error(
            path,
            format!("{action} needs trafficRouting; a basic canary cannot carry it out"),
        ));
    }
}

fn check_canary_scale(
    scale: &SetCanaryScale,
    context: &StepContext,
    path: &FieldPath,
    findings: &mut Vec<Finding>,
) {
    require_routing("setCanaryScale", context, path, findings);
    let set = usize::from(scale.weight.is_some())
        + usize::from(scale.replicas.is_some())
        + usize::from(scale.match_traffic_weight == Some(true));
    if set != 1 {
        findings.push(Finding::error(
            path,
            "set exactly one of weight, replicas and matchTrafficWeight: true",
        ));
    }
    if let Some(weight) = scale.weight {
        findings.extend(check_weight(weight, context.max_weight, &path.field("weight")));
    }
    findings.extend(non_negative(&path.field("replicas"), scale.replicas));
}

/// A managed route step names a route listed in `trafficRouting.managedRoutes`.
fn check_route_name(name: &str, context: &StepContext, path: &FieldPath, findings: &mut Vec<Finding>) {
    if name.is_empty() {
        findings.push(Finding::error(path, "the route name is required"));
    } else if context.routed && !context.managed_routes.contains(name) {
        findings.push(Finding::error(
            path,
            format!("route {name:?} is not listed in trafficRouting.managedRoutes"),
        ));
    }
}

fn check_header_route(
    route: &SetHeaderRoute,
    context: &StepContext,
    path: &FieldPath,
    findings: &mut Vec<Finding>,
) {
    require_routing("setHeaderRoute", context, path, findings);
    check_route_name(
        route.name.as_deref().unwrap_or_default(),
        context,
        &path.field("name"),
        findings,
    );
    for (i, header) in route.matches.iter().flatten().enumerate() {
        let match_path = path.field("match").index(i);
        if header.header_name.is_empty() {
            findings.push(Finding::error(
                match_path.field("headerName"),
                "headerName is required",
            ));
        }
        let value_path = match_path.field("headerValue");
        let value = &header.header_value;
        if context.exact_headers_only
            && (value.exact.is_none() || value.prefix.is_some() || value.regex.is_some())
        {
            findings.push(Finding::error(
                value_path,
                "ALB matches header values exactly; use exact only",
            ));
        } else {
            findings.extend(check_string_match(value, &value_path));
        }
    }
}

fn check_mirror_route(
    route: &SetMirrorRoute,
    context: &StepContext,
    path: &FieldPath,
    findings: &mut Vec<Finding>,
) {
    require_routing("setMirrorRoute", context, path, findings);
    check_route_name(&route.name, context, &path.field("name"), findings);
    if let Some(percentage) = route.percentage
        && !(0..=100).contains(&percentage)
    {
        findings.push(Finding::error(
            path.field("percentage"),
            format!("{percentage} is out of range; percentage runs from 0 to 100"),
        ));
    }
    for (i, rule) in route.matches.iter().flatten().enumerate() {
        let rule_path = path.field("match").index(i);
        let conditions = [("method", &rule.method), ("path", &rule.path)];
        for (field, condition) in conditions {
            if let Some(condition) = condition {
                findings.extend(check_string_match(condition, &rule_path.field(field)));
            }
        }
        for (name, condition) in rule.headers.iter().flatten() {
            findings.extend(check_string_match(
                condition,
                &rule_path.field("headers").key(name),
            ));
        }
    }
}

/// A string condition sets exactly one of exact, prefix and regex.
fn check_string_match(condition: &StringMatch, path: &FieldPath) -> Option<Finding> {
    let set = [&condition.exact, &condition.prefix, &condition.regex]
        .iter()
        .filter(|v| v.is_some())
        .count();
    (set != 1).then(|| Finding::error(path, "set exactly one of exact, prefix and regex"))
}

fn check_experiment(
    experiment: &RolloutExperimentStep,
    context: &StepContext,
    path: &FieldPath,
    findings: &mut Vec<Finding>,
) {
    if let Some(duration) = &experiment.duration
        && let Err(message) = parse_go_duration(duration)
    {
        findings.push(Finding::error(path.field("duration"), message));
    }
    let templates_path = path.field("templates");
    if experiment.templates.is_empty() {
        findings.push(Finding::error(
            &templates_path,
            "an experiment needs at least one template",
        ));
    }
    let mut names = BTreeSet::new();
    for (i, template) in experiment.templates.iter().enumerate() {
        let template_path = templates_path.index(i);
        if template.name.is_empty() {
            findings.push(Finding::error(
                template_path.field("name"),
                "the template name is required",
            ));
        } else if !names.insert(template.name.as_str()) {
            findings.push(Finding::error(
                template_path.field("name"),
                format!(
                    "template name {:?} is used twice in this experiment",
                    template.name
                ),
            ));
        }
        findings.extend(non_negative(&template_path.field("replicas"), template.replicas));
        if let Some(weight) = template.weight {
            let weight_path = template_path.field("weight");
            if context.routed {
                findings.extend(check_weight(weight, context.max_weight, &weight_path));
            } else {
                findings.push(Finding::error(
                    weight_path,
                    "an experiment template's weight needs trafficRouting",
                ));
            }
        }
    }
    for (i, analysis) in experiment.analyses.iter().flatten().enumerate() {
        let analysis_path = path.field("analyses").index(i);
        for (field, value) in [
            ("name", &analysis.name),
            ("templateName", &analysis.template_name),
        ] {
            if value.is_empty() {
                findings.push(Finding::error(
                    analysis_path.field(field),
                    format!("{field} is required"),
                ));
            }
        }
        findings.extend(check_args(
            analysis.args.as_deref().unwrap_or_default(),
            &analysis_path.field("args"),
        ));
    }
}

#[cfg(test)]
#[path = "steps_tests.rs"]
mod tests;
