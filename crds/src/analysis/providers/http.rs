//! What the HTTP-based providers (Prometheus, web) share: request headers and the ways to
//! authenticate a request.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An HTTP header sent with each request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebMetricHeader {
    /// Header name, e.g. `Authorization` or `X-Scope-OrgID`.
    pub key: String,
    /// Header value; may hold `{{args.NAME}}` placeholders.
    pub value: String,
}

/// How requests authenticate. Set at most one method.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Authentication {
    /// AWS Signature Version 4 signing, for Amazon Managed Service for Prometheus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigv4: Option<Sigv4Config>,
    /// OAuth 2 client-credentials flow: a token is fetched and sent as a bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2Config>,
    /// HTTP basic authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
}

/// AWS SigV4 request signing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sigv4Config {
    /// AWS region the requests are signed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Named credentials profile to sign with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// ARN of an IAM role to assume before signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// OAuth 2 client credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2Config {
    /// URL of the token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Client ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Client secret; use a `{{args.NAME}}` argument read from a Secret rather than a literal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Scopes to request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// HTTP basic authentication credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BasicAuth {
    /// User name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password; use a `{{args.NAME}}` argument read from a Secret rather than a literal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl Authentication {
    /// The names of the methods that are set, in schema order.
    pub fn methods(&self) -> Vec<&'static str> {
        [
            ("sigv4", self.sigv4.is_some()),
            ("oauth2", self.oauth2.is_some()),
            ("basicAuth", self.basic_auth.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }
}
