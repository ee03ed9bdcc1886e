//! The web provider: an HTTP request whose JSON response (or a part of it picked by a JSON
//! path) is the measurement.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::http::{Authentication, WebMetricHeader};
use crate::schema_shapes::free_form_object;

/// The HTTP methods a web metric may use.
pub const WEB_METHODS: [&str; 3] = ["GET", "POST", "PUT"];

/// An HTTP request to measure with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebMetric {
    /// HTTP method: `GET`, `POST` or `PUT`. Default `GET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// URL to request; may hold `{{args.NAME}}` placeholders. Required.
    pub url: String,
    /// HTTP headers sent with the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<WebMetricHeader>>,
    /// Request body as text (`POST` and `PUT` only). Use either `body` or `jsonBody`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Request timeout in seconds. Default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    /// JSON path into the response that becomes `result`, e.g. `{$.data.ok}`. Default `{$}`,
    /// the whole response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// Skip verification of the server's TLS certificate. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
    /// Request body as JSON, written as YAML in the manifest (`POST` and `PUT` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_form_object")]
    pub json_body: Option<Value>,
    /// How the request authenticates (OAuth 2, basic auth or SigV4). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Authentication>,
}
