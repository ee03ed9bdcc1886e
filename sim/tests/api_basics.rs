//! Version, health, discovery and OpenAPI endpoints, over plain HTTP.

mod common;

use hyper::Method;
use serde_json::{Value, json};

const AGGREGATED: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

#[tokio::test]
async fn version_reports_1_32_and_health_endpoints_answer_ok() {
    let t = common::start().await;
    let version = t.get("/version?timeout=5s").await.json();
    assert_eq!(
        (version["major"].as_str(), version["minor"].as_str()),
        (Some("1"), Some("32"))
    );
    assert!(
        version["gitVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("v1.32."))
    );
    for path in ["/healthz", "/readyz", "/livez"] {
        let answer = t.get(path).await;
        assert_eq!((answer.status, answer.text()), (200, "ok".to_string()), "{path}");
    }
    assert_eq!(t.get("/openapi/v2").await.status, 404);
}

#[tokio::test]
async fn aggregated_discovery_when_asked_for() {
    let t = common::start().await;
    let answer = t
        .call_with(Method::GET, "/apis", &[("accept", AGGREGATED)], None)
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type").as_deref(),
        Some("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
    );
    let body = answer.json();
    assert_eq!(body["kind"], json!("APIGroupDiscoveryList"));
    let apps = body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["metadata"]["name"] == "apps")
        .cloned();
    let deployments = apps
        .and_then(|g| g["versions"][0]["resources"].as_array().cloned())
        .into_iter()
        .flatten()
        .find(|r| r["resource"] == "deployments")
        .unwrap_or_default();
    assert_eq!(deployments["shortNames"], json!(["deploy"]));
    assert_eq!(deployments["scope"], json!("Namespaced"));
    let subresources: Vec<&str> = deployments["subresources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["subresource"].as_str())
        .collect();
    assert_eq!(subresources, vec!["scale", "status"]);

    let core = t
        .call_with(Method::GET, "/api", &[("accept", AGGREGATED)], None)
        .await
        .json();
    assert_eq!(core["items"][0]["metadata"]["name"], json!(""));
}

#[tokio::test]
async fn legacy_discovery_otherwise() {
    let t = common::start().await;
    let api = t.get("/api").await;
    assert_eq!(api.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(api.json()["versions"], json!(["v1"]));
    let groups = t.get("/apis").await.json();
    let names: Vec<&str> = groups["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["name"].as_str())
        .collect();
    for expected in [
        "apps",
        "batch",
        "coordination.k8s.io",
        "apiextensions.k8s.io",
        "events.k8s.io",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let core = t.get("/api/v1").await.json();
    let pods = core["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "pods")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (pods["kind"].as_str(), pods["namespaced"].as_bool()),
        (Some("Pod"), Some(true))
    );
    assert_eq!(pods["categories"], json!(["all"]));
    let scale = t.get("/apis/apps/v1").await.json()["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "deployments/scale")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (scale["group"].as_str(), scale["kind"].as_str()),
        (Some("autoscaling"), Some("Scale"))
    );
    assert_eq!(t.get("/apis/nope.example.io/v1").await.status, 404);
}

#[tokio::test]
async fn crd_group_appears_in_discovery_once_established() {
    let t = common::start().await;
    let before = t.get("/apis").await.json();
    assert!(!before.to_string().contains("demo.example.io"));
    t.widget_crd().await;
    let crd = t
        .get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.demo.example.io")
        .await
        .json();
    let established = crd["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Established" && c["status"] == "True");
    assert!(established, "{crd}");
    let discovery = t
        .call_with(Method::GET, "/apis", &[("accept", AGGREGATED)], None)
        .await
        .json();
    let group = discovery["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["metadata"]["name"] == "demo.example.io");
    let widgets = group
        .map(|g| g["versions"][0]["resources"][0].clone())
        .unwrap_or(Value::Null);
    assert_eq!(widgets["resource"], json!("widgets"));
    assert_eq!(widgets["shortNames"], json!(["wd"]));
    assert_eq!(widgets["categories"], json!(["all"]));
}

#[tokio::test]
async fn openapi_v3_index_and_documents() {
    let t = common::start().await;
    let index = t.get("/openapi/v3").await.json();
    let url = index["paths"]["api/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(url.starts_with("/openapi/v3/api/v1?hash="), "{index}");
    let doc = t.get(&url).await.json();
    let patch = &doc["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "", "version": "v1", "kind": "ConfigMap"})
    );
    assert!(
        patch["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == "fieldValidation")
    );
    assert_eq!(t.get("/openapi/v3/apis/nope/v1").await.status, 404);
}

#[tokio::test]
async fn unknown_paths_and_resources_are_404_status_bodies() {
    let t = common::start().await;
    let answer = t.get("/apis/apps/v1/namespaces/default/gizmos").await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.json()["kind"], json!("Status"));
    assert_eq!(t.get("/nothing/here").await.status, 404);
}

#[tokio::test]
async fn initial_namespaces_exist() {
    let t = common::start().await;
    let list = t.get("/api/v1/namespaces").await.json();
    let names: Vec<&str> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["metadata"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        vec!["default", "kube-node-lease", "kube-public", "kube-system"]
    );
    assert_eq!(list["items"][0]["status"]["phase"], json!("Active"));
}

#[tokio::test]
async fn kubeconfig_points_at_the_server() {
    let t = common::start().await;
    let text = std::fs::read_to_string(t.sim.kubeconfig_path()).unwrap_or_default();
    assert!(text.contains(&format!("server: {}", t.sim.url())), "{text}");
    let sim_addr = t.sim.addr();
    assert!(sim_addr.ip().is_loopback() && sim_addr.port() != 0);
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let t = common::start().await;
    let addr = t.sim.addr();
    assert_eq!(t.get("/version").await.status, 200);
    drop(t);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let connect = tokio::net::TcpStream::connect(addr).await;
    assert!(connect.is_err(), "the listener should be closed");
}
