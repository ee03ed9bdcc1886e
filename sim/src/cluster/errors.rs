//! Why the simulated cluster could not start or an action failed.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("the API server URL {url:?} is not usable: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot make a client for the API server: {0}")]
    Client(#[source] kube::Error),
    #[error("the cluster's caches did not fill within {0:?}")]
    NotReady(std::time::Duration),
    #[error("cannot listen for metrics on {addr}: {source}")]
    MetricsBind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{action} {kind} {namespace}/{name}: {source}")]
    Api {
        action: &'static str,
        kind: &'static str,
        namespace: String,
        name: String,
        #[source]
        source: Box<kube::Error>,
    },
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl ClusterError {
    pub fn api(
        action: &'static str,
        kind: &'static str,
        namespace: &str,
        name: &str,
        source: kube::Error,
    ) -> ClusterError {
        ClusterError::Api {
            action,
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
            source: Box::new(source),
        }
    }

    /// An API error with this HTTP status code.
    pub fn is_status(&self, code: u16) -> bool {
        matches!(self, ClusterError::Api { source, .. } if has_status(source, code))
    }
}

/// Whether a kube error is the server's answer with this HTTP status code.
pub fn has_status(error: &kube::Error, code: u16) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == code)
}
