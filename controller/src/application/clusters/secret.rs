//! Reading a cluster Secret: its name, server and `config`, with a `Debug` that shows which
//! credentials are set and never their values.

use std::fmt;

use k8s_openapi::api::core::v1::Secret;
use serde::Deserialize;

use super::{ClusterError, RemoteCluster};

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
