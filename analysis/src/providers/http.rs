//! What the HTTP providers share: clients (one verifying TLS, one for `insecure`), headers
//! and basic auth, and sending a request with a timeout and a bounded answer, with every
//! failure turned into a [`ProviderError`] that names the address but no credential.

use std::sync::OnceLock;
use std::time::Duration;

use linnet_crds::analysis::providers::{Authentication, WebMetricHeader};
use reqwest::{Client, RequestBuilder, Url};

use super::ProviderError;

/// Answers larger than this are refused rather than read into memory.
pub(super) const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The two clients a provider uses, built on first use and then shared by all its requests
/// (so connections are reused).
#[derive(Default)]
pub(super) struct Clients {
    verifying: OnceLock<Result<Client, String>>,
    insecure: OnceLock<Result<Client, String>>,
}

impl Clients {
    pub(super) fn get(&self, insecure: bool) -> Result<&Client, String> {
        let cell = if insecure { &self.insecure } else { &self.verifying };
        cell.get_or_init(|| {
            // reqwest is built without a bundled crypto provider; ring is the one we ship.
            let _ = rustls::crypto::ring::default_provider().install_default();
            Client::builder()
                .danger_accept_invalid_certs(insecure)
                .build()
                .map_err(|error| error_chain(&error.without_url()))
        })
        .as_ref()
        .map_err(Clone::clone)
    }
}

/// Who is asking, for error messages.
#[derive(Clone, Copy)]
pub(super) struct Caller<'a> {
    pub metric: &'a str,
    pub provider: &'static str,
}

impl Caller<'_> {
    pub(super) fn invalid(&self, field: &'static str, reason: impl Into<String>) -> ProviderError {
        ProviderError::Invalid {
            metric: self.metric.to_string(),
            provider: self.provider,
            field,
            reason: reason.into(),
        }
    }

    pub(super) fn not_implemented(&self, feature: &'static str) -> ProviderError {
        ProviderError::NotImplemented {
            metric: self.metric.to_string(),
            provider: self.provider,
            feature,
        }
    }
}

/// `url` as shown in messages: no user name, password or query string, which may hold secrets.
pub(super) fn shown(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.to_string()
}

/// Adds the metric's headers and authentication to a request.
pub(super) fn authenticate(
    caller: Caller<'_>,
    mut request: RequestBuilder,
    headers: Option<&[WebMetricHeader]>,
    authentication: Option<&Authentication>,
) -> Result<RequestBuilder, ProviderError> {
    for header in headers.unwrap_or_default() {
        request = request.header(header.key.as_str(), header.value.as_str());
    }
    let Some(authentication) = authentication else {
        return Ok(request);
    };
    if authentication.sigv4.is_some() {
        return Err(caller.not_implemented("authentication.sigv4"));
    }
    if authentication.oauth2.is_some() {
        return Err(caller.not_implemented("authentication.oauth2"));
    }
    if let Some(basic) = &authentication.basic_auth {
        request = request.basic_auth(basic.username.clone().unwrap_or_default(), basic.password.clone());
    }
    Ok(request)
}

/// Sends `request` and reads the answer: its status and at most [`MAX_ANSWER_BYTES`] of body.
pub(super) async fn send(
    caller: Caller<'_>,
    address: &str,
    request: RequestBuilder,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), ProviderError> {
    let failed = |error: reqwest::Error| {
        if error.is_timeout() {
            ProviderError::Timeout {
                metric: caller.metric.to_string(),
                provider: caller.provider,
                address: address.to_string(),
                seconds: timeout.as_secs(),
            }
        } else {
            ProviderError::Unreachable {
                metric: caller.metric.to_string(),
                provider: caller.provider,
                address: address.to_string(),
                reason: error_chain(&error.without_url()),
            }
        }
    };
    let mut response = request.timeout(timeout).send().await.map_err(failed)?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(ProviderError::Decode {
                metric: caller.metric.to_string(),
                provider: caller.provider,
                address: address.to_string(),
                reason: format!("answer larger than {MAX_ANSWER_BYTES} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// An error with its causes, `a: b: c`, as one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The start of a body for an error message, cut at a character boundary.
pub(super) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
