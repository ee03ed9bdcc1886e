//! Why a provider could not measure. Each variant names the metric and the provider; none
//! holds a header value, a password or a token.

/// A failed measurement, shown as the measurement's `message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("metric {metric:?} ({provider}): {field} is required")]
    MissingField {
        metric: String,
        provider: &'static str,
        field: &'static str,
    },
    #[error("metric {metric:?} ({provider}): {feature} is not implemented")]
    NotImplemented {
        metric: String,
        provider: &'static str,
        feature: &'static str,
    },
    #[error("metric {metric:?} ({provider}): invalid {field}: {reason}")]
    Invalid {
        metric: String,
        provider: &'static str,
        field: &'static str,
        reason: String,
    },
    #[error("metric {metric:?} ({provider}): request to {address} timed out after {seconds}s")]
    Timeout {
        metric: String,
        provider: &'static str,
        address: String,
        seconds: u64,
    },
    #[error("metric {metric:?} ({provider}): request to {address} failed: {reason}")]
    Unreachable {
        metric: String,
        provider: &'static str,
        address: String,
        reason: String,
    },
    #[error("metric {metric:?} ({provider}): {address} answered HTTP {status}: {body}")]
    Status {
        metric: String,
        provider: &'static str,
        address: String,
        status: u16,
        body: String,
    },
    #[error("metric {metric:?} (prometheus): {address} returned {error_type}: {error}")]
    Prometheus {
        metric: String,
        address: String,
        error_type: String,
        error: String,
    },
    #[error("metric {metric:?} ({provider}): cannot read the answer of {address}: {reason}")]
    Decode {
        metric: String,
        provider: &'static str,
        address: String,
        reason: String,
    },
    #[error("metric {metric:?} ({provider}): condition: {reason}")]
    Condition {
        metric: String,
        provider: &'static str,
        reason: String,
    },
    #[error("metric {metric:?}: no supported provider (has {has})")]
    Unsupported { metric: String, has: String },
}
