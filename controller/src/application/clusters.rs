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

use std::fmt;

use k8s_openapi::api::core::v1::Secret;
use kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext,
};
use linnet_crds::application::ApplicationDestination;
use serde::Deserialize;

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

/// The `config` key of a cluster Secret. Its `Debug` shows which credentials are set, never their values.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterConfig {
    #[serde(default)]
    pub bearer_token: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub tls_client_config: TlsClientConfig,
}

/// TLS settings of a cluster: base64 PEM data, as in a kubeconfig.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsClientConfig {
    #[serde(default)]
    pub insecure: bool,
    #[serde(default)]
    pub ca_data: Option<String>,
    #[serde(default)]
    pub cert_data: Option<String>,
    #[serde(default)]
    pub key_data: Option<String>,
    #[serde(default)]
    pub server_name: Option<String>,
}

fn shown(value: &Option<String>) -> &'static str {
    if value.is_some() { "<set>" } else { "<unset>" }
}

impl fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("bearer_token", &shown(&self.bearer_token))
            .field("username", &shown(&self.username))
            .field("password", &shown(&self.password))
            .field("tls_client_config", &self.tls_client_config)
            .finish()
    }
}

impl fmt::Debug for TlsClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClientConfig")
            .field("insecure", &self.insecure)
            .field("ca_data", &shown(&self.ca_data))
            .field("cert_data", &shown(&self.cert_data))
            .field("key_data", &shown(&self.key_data))
            .field("server_name", &self.server_name)
            .finish()
    }
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
    /// Only building a client can fail for reasons that may pass; the rest needs a change to the
    /// Application or a Secret.
    pub fn is_transient(&self) -> bool {
        matches!(self, ClusterError::Client { .. })
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

/// Reads a cluster Secret (`data`, or `stringData` when the Secret was never stored).
pub fn cluster_from_secret(secret: &Secret) -> Result<RemoteCluster, ClusterError> {
    let id = format!(
        "{}/{}",
        secret.metadata.namespace.as_deref().unwrap_or_default(),
        secret.metadata.name.as_deref().unwrap_or_default()
    );
    let bad = |message: String| ClusterError::BadSecret {
        secret: id.clone(),
        message,
    };
    let key = |k: &str| -> Result<Option<String>, ClusterError> {
        if let Some(bytes) = secret.data.as_ref().and_then(|d| d.get(k)) {
            return String::from_utf8(bytes.0.clone())
                .map(Some)
                .map_err(|_| bad(format!("data.{k} is not UTF-8")));
        }
        Ok(secret.string_data.as_ref().and_then(|d| d.get(k)).cloned())
    };
    let server = key("server")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad("has no server key".to_string()))?;
    let name = key("name")?
        .filter(|s| !s.trim().is_empty())
        .or_else(|| secret.metadata.name.clone())
        .unwrap_or_default();
    let config = match key("config")? {
        None => ClusterConfig::default(),
        Some(text) if text.trim().is_empty() => ClusterConfig::default(),
        // serde's message may quote the offending value: only its position is kept.
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            bad(format!(
                "config is not a cluster config ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?,
    };
    Ok(RemoteCluster {
        name,
        server: server.trim().to_string(),
        secret: id,
        config,
    })
}

/// A client for the target: the controller's own for [`Target::InCluster`], otherwise one built
/// from the cluster Secret (server URL, bearer token or basic auth, client certificate, CA,
/// `insecure`, `serverName`). Plain `http://` servers work too.
pub async fn client_for(
    target: &Target,
    default_client: &kube::Client,
) -> Result<kube::Client, ClusterError> {
    let cluster = match target {
        Target::InCluster => return Ok(default_client.clone()),
        Target::Remote(cluster) => cluster,
    };
    let failed = |message: String| ClusterError::Client {
        cluster: cluster.name.clone(),
        server: cluster.server.clone(),
        message,
    };
    let config = &cluster.config;
    let tls = &config.tls_client_config;
    let kubeconfig = Kubeconfig {
        clusters: vec![NamedCluster {
            name: "destination".to_string(),
            cluster: Some(Cluster {
                server: Some(cluster.server.clone()),
                insecure_skip_tls_verify: Some(tls.insecure),
                certificate_authority_data: tls.ca_data.clone(),
                tls_server_name: tls.server_name.clone(),
                ..Cluster::default()
            }),
            ..NamedCluster::default()
        }],
        auth_infos: vec![NamedAuthInfo {
            name: "destination".to_string(),
            auth_info: Some(AuthInfo {
                token: config.bearer_token.clone().map(Into::into),
                username: config.username.clone(),
                password: config.password.clone().map(Into::into),
                client_certificate_data: tls.cert_data.clone(),
                client_key_data: tls.key_data.clone().map(Into::into),
                ..AuthInfo::default()
            }),
            ..NamedAuthInfo::default()
        }],
        contexts: vec![NamedContext {
            name: "destination".to_string(),
            context: Some(Context {
                cluster: "destination".to_string(),
                user: Some("destination".to_string()),
                ..Context::default()
            }),
            ..NamedContext::default()
        }],
        current_context: Some("destination".to_string()),
        ..Kubeconfig::default()
    };
    let options = KubeConfigOptions {
        context: Some("destination".to_string()),
        ..KubeConfigOptions::default()
    };
    let kube_config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        // kube's message may quote part of the data it failed to decode: say where to look instead.
        .map_err(|_| {
            failed(
                "the Secret's config is not usable: caData, certData and keyData must be base64 PEM"
                    .to_string(),
            )
        })?;
    kube::Client::try_from(kube_config).map_err(|e| failed(e.to_string()))
}
