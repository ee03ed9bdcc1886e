//! The Go field order and `omitempty` tags of Argo Rollouts' canary step types
//! (`pkg/apis/rollouts/v1alpha1`), for the step hash.
//!
//! `experiment` and `plugin` steps are not listed: a Rollout that uses them gets an error naming
//! the field instead of a step hash that might differ from Argo's.

use super::go_json::{GoField, GoType, Kind};

use Kind::*;

const fn f(json: &'static str, kind: Kind) -> GoField {
    GoField { json, kind }
}

pub static CANARY_STEP: GoType = GoType {
    name: "CanaryStep",
    fields: &[
        f("setWeight", Ptr),
        f("pause", PtrStruct(&ROLLOUT_PAUSE)),
        f("analysis", PtrStruct(&ROLLOUT_ANALYSIS)),
        f("setCanaryScale", PtrStruct(&SET_CANARY_SCALE)),
        f("setHeaderRoute", PtrStruct(&SET_HEADER_ROUTE)),
        f("setMirrorRoute", PtrStruct(&SET_MIRROR_ROUTE)),
    ],
};

pub static ROLLOUT_PAUSE: GoType = GoType {
    name: "RolloutPause",
    fields: &[f("duration", PtrIntOrStr)],
};

pub static ROLLOUT_ANALYSIS: GoType = GoType {
    name: "RolloutAnalysis",
    fields: &[
        f("templates", List(&ANALYSIS_TEMPLATE_REF)),
        f("args", List(&ANALYSIS_RUN_ARGUMENT)),
        f("dryRun", List(&DRY_RUN)),
        f("measurementRetention", List(&MEASUREMENT_RETENTION)),
        // Held by value: Go writes `"analysisRunMetadata":{}` even when it is unset.
        f("analysisRunMetadata", Struct(&ANALYSIS_RUN_METADATA)),
    ],
};

pub static ANALYSIS_TEMPLATE_REF: GoType = GoType {
    name: "RolloutAnalysisTemplate",
    fields: &[f("templateName", StrAlways), f("clusterScope", Bool)],
};

pub static ANALYSIS_RUN_ARGUMENT: GoType = GoType {
    name: "AnalysisRunArgument",
    fields: &[
        f("name", StrAlways),
        f("value", Str),
        f("valueFrom", PtrStruct(&ARGUMENT_VALUE_FROM)),
    ],
};

pub static ARGUMENT_VALUE_FROM: GoType = GoType {
    name: "ArgumentValueFrom",
    fields: &[
        f("podTemplateHashValue", Ptr),
        f("fieldRef", PtrStruct(&FIELD_REF)),
    ],
};

pub static FIELD_REF: GoType = GoType {
    name: "FieldRef",
    fields: &[f("fieldPath", StrAlways)],
};

pub static DRY_RUN: GoType = GoType {
    name: "DryRun",
    fields: &[f("metricName", StrAlways)],
};

pub static MEASUREMENT_RETENTION: GoType = GoType {
    name: "MeasurementRetention",
    fields: &[f("metricName", StrAlways), f("limit", IntAlways)],
};

pub static ANALYSIS_RUN_METADATA: GoType = GoType {
    name: "AnalysisRunMetadata",
    fields: &[f("labels", StrMap), f("annotations", StrMap)],
};

pub static SET_CANARY_SCALE: GoType = GoType {
    name: "SetCanaryScale",
    fields: &[
        f("weight", Ptr),
        f("replicas", Ptr),
        f("matchTrafficWeight", Bool),
    ],
};

pub static SET_HEADER_ROUTE: GoType = GoType {
    name: "SetHeaderRoute",
    fields: &[f("name", Str), f("match", List(&HEADER_ROUTING_MATCH))],
};

pub static HEADER_ROUTING_MATCH: GoType = GoType {
    name: "HeaderRoutingMatch",
    // `headerValue` is a pointer without omitempty.
    fields: &[
        f("headerName", StrAlways),
        f("headerValue", NullableStruct(&STRING_MATCH)),
    ],
};

pub static STRING_MATCH: GoType = GoType {
    name: "StringMatch",
    fields: &[f("exact", Str), f("prefix", Str), f("regex", Str)],
};

pub static SET_MIRROR_ROUTE: GoType = GoType {
    name: "SetMirrorRoute",
    fields: &[
        f("name", StrAlways),
        f("match", List(&ROUTE_MATCH)),
        f("percentage", Ptr),
    ],
};

pub static ROUTE_MATCH: GoType = GoType {
    name: "RouteMatch",
    fields: &[
        f("method", PtrStruct(&STRING_MATCH)),
        f("path", PtrStruct(&STRING_MATCH)),
        f("headers", Map(&STRING_MATCH)),
    ],
};
