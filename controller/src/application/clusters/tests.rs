//! Cluster Secrets read without showing their data, and clients built from them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use serde_json::json;

use super::*;

const TOKEN: &str = "tok-51ab0c";
const KEY: &str = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCg==";

fn secret(string_data: BTreeMap<&str, String>) -> Secret {
    serde_json::from_value(json!({
        "metadata": {"name": "c", "namespace": "argocd", "labels": {SECRET_TYPE_LABEL: SECRET_TYPE_CLUSTER}},
        "stringData": string_data,
    }))
    .expect("secret")
}

fn with_config(server: &str, config: serde_json::Value) -> Secret {
    secret(BTreeMap::from([
        ("name", "prod".to_string()),
        ("server", server.to_string()),
        ("config", config.to_string()),
    ]))
}

fn default_client() -> kube::Client {
    let config = kube::Config::new("http://127.0.0.1:9".parse().expect("uri"));
    kube::Client::try_from(config).expect("client")
}

#[test]
fn a_secret_reads_with_its_credentials_hidden() {
    let config = json!({
        "bearerToken": TOKEN,
        "username": "admin",
        "password": TOKEN,
        "tlsClientConfig": {"insecure": true, "caData": KEY, "keyData": KEY, "serverName": "api.internal"}
    });
    let cluster = cluster_from_secret(&with_config("https://prod.example:6443/", config)).expect("reads");
    assert_eq!(
        (cluster.name.as_str(), cluster.server.as_str()),
        ("prod", "https://prod.example:6443/")
    );
    assert_eq!(cluster.secret, "argocd/c");
    assert!(cluster.config.tls_client_config.insecure);
    let shown = format!("{cluster:?}");
    assert!(!shown.contains(TOKEN) && !shown.contains(KEY), "{shown}");
    assert!(
        shown.contains("api.internal") && shown.contains("key_data: \"<set>\""),
        "{shown}"
    );
}

#[test]
fn secrets_without_a_server_or_with_bad_config_are_errors() {
    let no_server = secret(BTreeMap::from([("name", "x".to_string())]));
    let error = cluster_from_secret(&no_server)
        .expect_err("no server")
        .to_string();
    assert_eq!(error, "cluster Secret argocd/c: has no server key");
    let wrong_type = with_config("https://x", json!({"bearerToken": 7, "password": TOKEN}));
    let error = cluster_from_secret(&wrong_type)
        .expect_err("bad config")
        .to_string();
    assert!(
        error.contains("config is not a cluster config") && !error.contains(TOKEN),
        "{error}"
    );
    // No name key: the Secret's own name.
    let unnamed = secret(BTreeMap::from([("server", "https://x".to_string())]));
    assert_eq!(cluster_from_secret(&unnamed).expect("reads").name, "c");
}

#[test]
fn resolution_by_server_ignores_a_trailing_slash_and_the_in_cluster_secret() {
    let prod = with_config("https://prod.example/", json!({}));
    let mut local = with_config(IN_CLUSTER_SERVER, json!({}));
    local.metadata.name = Some("local".to_string());
    local
        .string_data
        .as_mut()
        .expect("data")
        .insert("name".into(), "home".into());
    let secrets = [prod, local];
    let dest = |server: Option<&str>, name: Option<&str>| ApplicationDestination {
        server: server.map(str::to_string),
        name: name.map(str::to_string),
        namespace: None,
    };
    let by_server = resolve(&dest(Some("https://prod.example"), None), &secrets).expect("by server");
    assert_eq!(by_server.name(), "prod");
    // A Secret may rename the in-cluster destination; it still means the controller's own client.
    assert_eq!(
        resolve(&dest(None, Some("home")), &secrets).expect("by name"),
        Target::InCluster
    );
    // Secrets of other types do not count.
    let mut repo = with_config("https://repo.example", json!({}));
    repo.metadata.labels = None;
    let error = resolve(&dest(Some("https://repo.example"), None), &[repo]).expect_err("not a cluster");
    assert!(matches!(error, ClusterError::UnknownServer { .. }), "{error}");
}

#[tokio::test]
async fn clients_are_built_for_https_and_bad_tls_data_is_named_not_shown() {
    let insecure = with_config(
        "https://127.0.0.1:6443",
        json!({"bearerToken": TOKEN, "tlsClientConfig": {"insecure": true}}),
    );
    let target = Target::Remote(Box::new(cluster_from_secret(&insecure).expect("reads")));
    client_for(&target, &default_client())
        .await
        .expect("an https client");

    let bad = with_config(
        "https://127.0.0.1:6443",
        json!({"tlsClientConfig": {"caData": format!("!!{TOKEN}!!"), "keyData": format!("%%{TOKEN}")}}),
    );
    let target = Target::Remote(Box::new(cluster_from_secret(&bad).expect("reads")));
    let Err(error) = client_for(&target, &default_client()).await else {
        panic!("bad TLS data must not give a client");
    };
    assert!(!error.is_transient(), "bad data waits for a change to the Secret");
    let error = error.to_string();
    assert!(
        error.starts_with("cluster Secret argocd/c: config is not usable"),
        "{error}"
    );
    assert!(!error.contains(TOKEN), "{error}");
}
