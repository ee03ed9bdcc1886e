//! Canary steps (`spec.strategy.canary.steps[]`). As in Argo, a step is a struct of optional
//! actions so that its JSON shape is identical; exactly one action must be set, which
//! [`CanaryStep::actions`] lets validation check.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::analysis_ref::RolloutAnalysis;
use super::experiment_step::RolloutExperimentStep;
use crate::common::IntOrDuration;
use crate::schema_shapes::free_form_object;

/// One step of a canary update. Set exactly one field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryStep {
    /// Percentage of traffic (or, without a traffic router, of replicas) to send to the canary,
    /// from 0 to `trafficRouting.maxTrafficWeight` (100 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_weight: Option<i32>,
    /// Waits: for `duration` if given, otherwise until the rollout is promoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<RolloutPause>,
    /// Runs an Experiment (extra ReplicaSets and analyses) and waits for it to finish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<RolloutExperimentStep>,
    /// Runs an AnalysisRun and waits for it to finish; failure aborts the update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<RolloutAnalysis>,
    /// Scales the canary ReplicaSet without changing its traffic weight (traffic routing only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_canary_scale: Option<SetCanaryScale>,
    /// Sends requests whose headers match to the canary (traffic routing only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_header_route: Option<SetHeaderRoute>,
    /// Mirrors a share of matching requests to the canary (traffic routing only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_mirror_route: Option<SetMirrorRoute>,
    /// Runs a step plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<PluginStep>,
}

/// The kinds of action a canary step can take, named as in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepAction {
    SetWeight,
    Pause,
    Experiment,
    Analysis,
    SetCanaryScale,
    SetHeaderRoute,
    SetMirrorRoute,
    Plugin,
}

impl StepAction {
    /// The field name of this action in a step.
    pub fn field_name(self) -> &'static str {
        match self {
            StepAction::SetWeight => "setWeight",
            StepAction::Pause => "pause",
            StepAction::Experiment => "experiment",
            StepAction::Analysis => "analysis",
            StepAction::SetCanaryScale => "setCanaryScale",
            StepAction::SetHeaderRoute => "setHeaderRoute",
            StepAction::SetMirrorRoute => "setMirrorRoute",
            StepAction::Plugin => "plugin",
        }
    }
}

impl CanaryStep {
    /// The actions this step sets, in field order. A valid step has exactly one.
    pub fn actions(&self) -> Vec<StepAction> {
        let present = [
            (self.set_weight.is_some(), StepAction::SetWeight),
            (self.pause.is_some(), StepAction::Pause),
            (self.experiment.is_some(), StepAction::Experiment),
            (self.analysis.is_some(), StepAction::Analysis),
            (self.set_canary_scale.is_some(), StepAction::SetCanaryScale),
            (self.set_header_route.is_some(), StepAction::SetHeaderRoute),
            (self.set_mirror_route.is_some(), StepAction::SetMirrorRoute),
            (self.plugin.is_some(), StepAction::Plugin),
        ];
        present
            .into_iter()
            .filter(|(set, _)| *set)
            .map(|(_, action)| action)
            .collect()
    }
}

/// A pause step: `{}` waits until promoted, `{duration: ...}` waits that long.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutPause {
    /// How long to wait: an integer number of seconds (`30`) or a duration with a unit
    /// (`"30s"`, `"5m"`, `"1h"`). Unset means wait until promoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<IntOrDuration>,
}

/// Scales the canary without touching traffic weights. Set one of the three fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetCanaryScale {
    /// Canary size as a percentage of `spec.replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    /// Canary size as a number of pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Go back to sizing the canary by its traffic weight, cancelling an earlier scale step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_traffic_weight: Option<bool>,
}

/// Routes requests carrying matching headers to the canary. Without `match`, removes the route.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetHeaderRoute {
    /// Name of the route; must be listed in `trafficRouting.managedRoutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Header conditions; a request matching all of them goes to the canary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "match")]
    pub matches: Option<Vec<HeaderRoutingMatch>>,
}

/// One header condition of a header route.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeaderRoutingMatch {
    /// Name of the request header.
    pub header_name: String,
    /// How the header's value must match.
    pub header_value: StringMatch,
}

/// A string condition: set one of `exact`, `prefix` or `regex`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StringMatch {
    /// The value must equal this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    /// The value must start with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The value must match this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

/// Mirrors matching requests to the canary; responses from the mirror are discarded. Without
/// `match`, removes the route.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetMirrorRoute {
    /// Name of the route; must be listed in `trafficRouting.managedRoutes`.
    pub name: String,
    /// Request conditions; a request matching any entry is mirrored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "match")]
    pub matches: Option<Vec<RouteMatch>>,
    /// Percentage of matching requests to mirror.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<i32>,
}

/// Conditions on a request's method, path and headers; all given ones must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouteMatch {
    /// Condition on the HTTP method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<StringMatch>,
    /// Condition on the URL path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<StringMatch>,
    /// Conditions on headers, by header name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, StringMatch>>,
}

/// A step carried out by a step plugin.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginStep {
    /// Name of the plugin, as configured for the controller.
    pub name: String,
    /// Configuration passed to the plugin as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_form_object")]
    pub config: Option<serde_json::Value>,
}
