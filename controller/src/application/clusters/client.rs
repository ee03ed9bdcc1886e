//! A kube client for a destination cluster, built from its cluster Secret.

use kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext,
};

use super::{ClusterError, Target};

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
        .map_err(|_| ClusterError::BadSecret {
            secret: cluster.secret.clone(),
            message: "config is not usable: caData, certData and keyData must be base64 PEM".to_string(),
        })?;
    kube::Client::try_from(kube_config).map_err(|e| failed(e.to_string()))
}
