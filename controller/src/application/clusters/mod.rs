//! Destination clusters: `destination.server` / `destination.name` resolved through cluster Secrets.
//!
//! As in Argo CD, a cluster is a Secret labelled `argocd.argoproj.io/secret-type: cluster` with
//! the keys `name`, `server` and `config` (JSON: `bearerToken`, `username`/`password`,
//! `tlsClientConfig{insecure, caData, certData, keyData, serverName}`). The server
//! `https://kubernetes.default.svc` and the name `in-cluster` mean the cluster the controller
//! itself talks to. Resolution is pure ([`resolve`]); [`client_for`] builds the client.
//!
//! Credentials never leave this module in text: [`ClusterConfig`]'s `Debug` redacts them, and
//! errors name the Secret and the key, never a value.

mod client;
mod secret;

#[cfg(test)]
mod tests;

use k8s_openapi::api::core::v1::Secret;
use linnet_crds::application::ApplicationDestination;

pub use client::client_for;
pub use secret::{ClusterConfig, TlsClientConfig, cluster_from_secret};

/// The server URL that means "the cluster the controller runs against".
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
/// The cluster name that means the same.
pub const IN_CLUSTER_NAME: &str = "in-cluster";
/// The label that marks a Secret as a cluster, and its value.
pub const SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";
pub const SECRET_TYPE_CLUSTER: &str = "cluster";

/// Where an Application deploys to.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// The controller's own cluster: use its client.
    InCluster,
    /// A cluster registered by a Secret.
    Remote(Box<RemoteCluster>),
}

impl Target {
    /// The API server URL, for project checks and messages.
    pub fn server(&self) -> &str {
        match self {
            Target::InCluster => IN_CLUSTER_SERVER,
            Target::Remote(cluster) => &cluster.server,
        }
    }

    /// The cluster's name, for project checks and messages.
    pub fn name(&self) -> &str {
        match self {
            Target::InCluster => IN_CLUSTER_NAME,
            Target::Remote(cluster) => &cluster.name,
        }
    }
}

/// A cluster read from a cluster Secret.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteCluster {
    /// `name` of the Secret's data (the Secret's own name when absent).
    pub name: String,
    /// API server URL.
    pub server: String,
    /// The Secret it came from, as `namespace/name`.
    pub secret: String,
    /// How to authenticate and verify the server.
    pub config: ClusterConfig,
}

/// Why a destination could not be resolved or reached. No variant carries Secret data.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("spec.destination: set server or name")]
    NoDestination,
    #[error("spec.destination: set server or name, not both (server {server:?}, name {name:?})")]
    BothServerAndName { server: String, name: String },
    #[error("spec.destination.server: no cluster Secret registers server {server:?}")]
    UnknownServer { server: String },
    #[error("spec.destination.name: no cluster Secret is named {name:?}")]
    UnknownName { name: String },
    #[error("{field}: {count} cluster Secrets match {value:?} ({secrets})")]
    Ambiguous {
        field: &'static str,
        value: String,
        count: usize,
        secrets: String,
    },
    #[error("cluster Secret {secret}: {message}")]
    BadSecret { secret: String, message: String },
    #[error("cluster {cluster} ({server}): cannot build a client: {message}")]
    Client {
        cluster: String,
        server: String,
        message: String,
    },
}

impl ClusterError {
    /// None of these pass on their own: each needs a change to the Application or a cluster
    /// Secret (which wakes the controller). Failures to reach a cluster surface later, as the
    /// kube errors of the calls made with its client.
    pub fn is_transient(&self) -> bool {
        false
    }
}

/// Whether the Secret registers a cluster.
pub fn is_cluster_secret(secret: &Secret) -> bool {
    secret
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(SECRET_TYPE_LABEL))
        .is_some_and(|v| v == SECRET_TYPE_CLUSTER)
}

/// The cluster Secrets in `namespace` (Argo CD keeps them in its control-plane namespace).
pub async fn load_cluster_secrets(
    client: &kube::Client,
    namespace: &str,
) -> Result<Vec<Secret>, kube::Error> {
    let api: kube::Api<Secret> = kube::Api::namespaced(client.clone(), namespace);
    let selector = format!("{SECRET_TYPE_LABEL}={SECRET_TYPE_CLUSTER}");
    Ok(api
        .list(&kube::api::ListParams::default().labels(&selector))
        .await?
        .items)
}

/// Resolves the destination through the cluster Secrets among `secrets` (others are ignored).
pub fn resolve(destination: &ApplicationDestination, secrets: &[Secret]) -> Result<Target, ClusterError> {
    let server = destination
        .server
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let name = destination
        .name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let clusters = || {
        secrets
            .iter()
            .filter(|s| is_cluster_secret(s))
            .map(cluster_from_secret)
    };
    match (server, name) {
        (None, None) => Err(ClusterError::NoDestination),
        (Some(server), Some(name)) => Err(ClusterError::BothServerAndName {
            server: server.to_string(),
            name: name.to_string(),
        }),
        (Some(server), None) => {
            if same_server(server, IN_CLUSTER_SERVER) {
                return Ok(Target::InCluster);
            }
            let found = matching(
                clusters(),
                |c| same_server(&c.server, server),
                "spec.destination.server",
                server,
            )?;
            found.ok_or_else(|| ClusterError::UnknownServer {
                server: server.to_string(),
            })
        }
        (None, Some(name)) => {
            let found = matching(clusters(), |c| c.name == name, "spec.destination.name", name)?;
            match found {
                Some(target) => Ok(target),
                None if name == IN_CLUSTER_NAME => Ok(Target::InCluster),
                None => Err(ClusterError::UnknownName {
                    name: name.to_string(),
                }),
            }
        }
    }
}

/// The one cluster that `wanted` picks. Secrets that do not parse are skipped here (they cannot
/// be matched on a server they fail to name); reading them directly reports why.
fn matching(
    clusters: impl Iterator<Item = Result<RemoteCluster, ClusterError>>,
    wanted: impl Fn(&RemoteCluster) -> bool,
    field: &'static str,
    value: &str,
) -> Result<Option<Target>, ClusterError> {
    let mut found = Vec::new();
    for cluster in clusters.flatten() {
        if wanted(&cluster) {
            found.push(cluster);
        }
    }
    if found.len() > 1 {
        let secrets: Vec<&str> = found.iter().map(|c| c.secret.as_str()).collect();
        return Err(ClusterError::Ambiguous {
            field,
            value: value.to_string(),
            count: found.len(),
            secrets: secrets.join(", "),
        });
    }
    Ok(found.pop().map(|cluster| {
        if same_server(&cluster.server, IN_CLUSTER_SERVER) {
            Target::InCluster
        } else {
            Target::Remote(Box::new(cluster))
        }
    }))
}

fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}
