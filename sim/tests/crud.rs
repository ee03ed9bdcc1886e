//! Create, read, update, patch and delete through kube-rs and plain HTTP: resourceVersions,
//! conflicts, server-set metadata, generation, status isolation, dry runs and field validation.

mod common;

use hyper::Method;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

fn deployment(name: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}})
}

fn api_error(result: Result<impl std::fmt::Debug, kube::Error>) -> kube::core::Status {
    match result {
        Err(kube::Error::Api(status)) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn create_get_list_replace_delete_with_kube_rs() {
    let t = common::start().await;
    t.namespace("crud").await;
    let api: Api<ConfigMap> = Api::namespaced(t.client.clone(), "crud");
    let cm: ConfigMap =
        serde_json::from_value(common::configmap("crud", "cfg", json!({"a": "1"}))).unwrap_or_default();
    let created = api
        .create(&PostParams::default(), &cm)
        .await
        .unwrap_or_else(|e| panic!("create: {e}"));
    let meta = &created.metadata;
    assert!(meta.uid.as_deref().is_some_and(|u| u.len() == 36));
    assert!(meta.creation_timestamp.is_some());
    assert_eq!(meta.generation, Some(1));

    let fetched = api.get("cfg").await.unwrap_or_else(|e| panic!("get: {e}"));
    assert_eq!(
        fetched.data.as_ref().and_then(|d| d.get("a")).map(String::as_str),
        Some("1")
    );

    let list = api
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("list: {e}"));
    assert_eq!(list.items.len(), 1);
    assert!(list.metadata.resource_version.is_some_and(|v| !v.is_empty()));

    let mut changed = fetched.clone();
    changed.data = Some([("a".to_string(), "2".to_string())].into());
    let replaced = api
        .replace("cfg", &PostParams::default(), &changed)
        .await
        .unwrap_or_else(|e| panic!("replace: {e}"));
    assert_ne!(
        replaced.metadata.resource_version,
        fetched.metadata.resource_version
    );

    let stale = api_error(api.replace("cfg", &PostParams::default(), &changed).await);
    assert_eq!((stale.code, stale.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        stale.message,
        "Operation cannot be fulfilled on configmaps \"cfg\": the object has been modified; please apply your \
         changes to the latest version and try again"
    );

    let duplicate = api_error(api.create(&PostParams::default(), &cm).await);
    assert_eq!(
        (duplicate.code, duplicate.reason.as_str()),
        (409, "AlreadyExists")
    );
    assert_eq!(duplicate.message, "configmaps \"cfg\" already exists");

    let deleted = api
        .delete("cfg", &DeleteParams::default())
        .await
        .unwrap_or_else(|e| panic!("delete: {e}"));
    assert!(deleted.is_right(), "no finalizers: deleted at once");
    let missing = api_error(api.get("cfg").await);
    assert_eq!(
        (missing.code, missing.reason.as_str(), missing.message.as_str()),
        (404, "NotFound", "configmaps \"cfg\" not found")
    );
    assert!(api.get_opt("cfg").await.is_ok_and(|o| o.is_none()));
}

#[tokio::test]
async fn not_found_names_the_group() {
    let t = common::start().await;
    let api: Api<Deployment> = Api::namespaced(t.client.clone(), "default");
    let missing = api_error(api.get("web").await);
    assert_eq!(missing.message, "deployments.apps \"web\" not found");
    assert_eq!(
        missing.details.map(|d| (d.group, d.kind)),
        Some(("apps".to_string(), "deployments".to_string()))
    );
}

#[tokio::test]
async fn a_write_that_changes_nothing_keeps_the_resource_version() {
    let t = common::start().await;
    t.namespace("noop").await;
    let created = t
        .post(
            "/api/v1/namespaces/noop/configmaps",
            common::configmap("noop", "c", json!({"k": "v"})),
        )
        .await
        .json();
    let before = t.sim.resource_version();
    let patched = t
        .patch(
            "/api/v1/namespaces/noop/configmaps/c",
            "application/merge-patch+json",
            json!({"data": {"k": "v"}}),
        )
        .await
        .json();
    assert_eq!(common::rv(&patched), common::rv(&created));
    let replaced = t
        .put("/api/v1/namespaces/noop/configmaps/c", created.clone())
        .await
        .json();
    assert_eq!(common::rv(&replaced), common::rv(&created));
    assert_eq!(t.sim.resource_version(), before, "no revision was used");
    let changed = t
        .patch(
            "/api/v1/namespaces/noop/configmaps/c",
            "application/merge-patch+json",
            json!({"data": {"k": "w"}}),
        )
        .await
        .json();
    assert!(common::rv(&changed) > common::rv(&created));
}

#[tokio::test]
async fn generation_counts_spec_changes_only_and_status_is_isolated() {
    let t = common::start().await;
    t.namespace("gen").await;
    let path = "/apis/apps/v1/namespaces/gen/deployments";
    let mut body = deployment("web");
    body["status"] = json!({"replicas": 9});
    let created = t.post(path, body).await.json();
    assert_eq!(created["metadata"]["generation"], json!(1));
    assert!(
        created.get("status").is_none_or(|s| s.get("replicas").is_none()),
        "status dropped on create"
    );
    assert_eq!(
        created["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        json!("IfNotPresent")
    );

    let item = format!("{path}/web");
    let merge = "application/merge-patch+json";
    let labelled = t
        .patch(
            &item,
            merge,
            json!({"metadata": {"labels": {"tier": "fe"}}, "status": {"replicas": 5}}),
        )
        .await
        .json();
    assert_eq!(
        labelled["metadata"]["generation"],
        json!(1),
        "labels are not spec"
    );
    assert!(
        labelled["status"].get("replicas").is_none(),
        "status ignored on the main resource"
    );

    let status = t
        .patch(
            &format!("{item}/status"),
            merge,
            json!({"status": {"replicas": 5}, "spec": {"replicas": 7}}),
        )
        .await
        .json();
    assert_eq!(status["status"]["replicas"], json!(5));
    assert_eq!(
        status["spec"]["replicas"],
        json!(2),
        "spec ignored on the status subresource"
    );
    assert_eq!(status["metadata"]["generation"], json!(1));

    let scaled = t
        .patch(&item, merge, json!({"spec": {"replicas": 3}}))
        .await
        .json();
    assert_eq!(scaled["metadata"]["generation"], json!(2));
    assert_eq!(
        scaled["status"]["replicas"],
        json!(5),
        "status kept across spec writes"
    );
}

#[tokio::test]
async fn resource_version_in_a_patch_is_a_precondition() {
    let t = common::start().await;
    t.namespace("pre").await;
    t.post(
        "/api/v1/namespaces/pre/configmaps",
        common::configmap("pre", "c", json!({})),
    )
    .await;
    let answer = t
        .patch(
            "/api/v1/namespaces/pre/configmaps/c",
            "application/merge-patch+json",
            json!({"metadata": {"resourceVersion": "1"}, "data": {"x": "y"}}),
        )
        .await;
    assert_eq!(answer.status, 409);
    assert_eq!(answer.json()["reason"], json!("Conflict"));
}

#[tokio::test]
async fn dry_run_persists_nothing() {
    let t = common::start().await;
    t.namespace("dry").await;
    let before = t.sim.resource_version();
    let answer = t
        .post(
            "/api/v1/namespaces/dry/configmaps?dryRun=All",
            common::configmap("dry", "c", json!({})),
        )
        .await;
    assert_eq!(answer.status, 201);
    assert_eq!(answer.json()["metadata"]["name"], json!("c"));
    assert_eq!(t.get("/api/v1/namespaces/dry/configmaps/c").await.status, 404);
    t.post(
        "/api/v1/namespaces/dry/configmaps",
        common::configmap("dry", "c", json!({"k": "1"})),
    )
    .await;
    let mid = t.sim.resource_version();
    let patched = t
        .patch(
            "/api/v1/namespaces/dry/configmaps/c?dryRun=All",
            "application/merge-patch+json",
            json!({"data": {"k": "2"}}),
        )
        .await
        .json();
    assert_eq!(patched["data"]["k"], json!("2"));
    let deleted = t
        .delete("/api/v1/namespaces/dry/configmaps/c?dryRun=All", None)
        .await;
    assert_eq!(deleted.status, 200);
    let stored = t.get("/api/v1/namespaces/dry/configmaps/c").await.json();
    assert_eq!(stored["data"]["k"], json!("1"));
    assert_eq!(t.sim.resource_version(), mid);
    assert!(mid > before);
}

#[tokio::test]
async fn field_validation_strict_warn_and_ignore() {
    let t = common::start().await;
    t.namespace("fv").await;
    let mut body = common::configmap("fv", "c", json!({}));
    body["spec"] = json!({"foo": 1});
    let strict = t
        .post(
            "/api/v1/namespaces/fv/configmaps?fieldValidation=Strict",
            body.clone(),
        )
        .await;
    assert_eq!(strict.status, 400);
    assert_eq!(
        strict.json()["message"],
        json!(
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"spec\""
        )
    );
    let warned = t
        .post(
            "/api/v1/namespaces/fv/configmaps?fieldValidation=Warn",
            body.clone(),
        )
        .await;
    assert_eq!(warned.status, 201);
    assert_eq!(
        warned.header("warning").as_deref(),
        Some("299 - \"unknown field \\\"spec\\\"\"")
    );
    assert!(warned.json().get("spec").is_none(), "pruned");
    body["metadata"]["name"] = json!("d");
    let ignored = t
        .post("/api/v1/namespaces/fv/configmaps?fieldValidation=Ignore", body)
        .await;
    assert_eq!(ignored.status, 201);
    assert!(ignored.header("warning").is_none());

    let mut nested = deployment("web");
    nested["spec"]["template"]["spec"]["containers"][0]["colour"] = json!("red");
    let strict = t
        .post(
            "/apis/apps/v1/namespaces/fv/deployments?fieldValidation=Strict",
            nested,
        )
        .await
        .json();
    assert!(
        strict["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("unknown field \"spec.template.spec.containers[0].colour\"")),
        "{strict}"
    );
}

#[tokio::test]
async fn server_set_metadata_and_generate_name() {
    let t = common::start().await;
    t.namespace("meta").await;
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"generateName": "cfg-", "uid": "mine", "resourceVersion": "77", "creationTimestamp": "2000-01-01T00:00:00Z"}});
    let created = t.post("/api/v1/namespaces/meta/configmaps", body).await.json();
    let name = created["metadata"]["name"].as_str().unwrap_or_default();
    assert!(name.starts_with("cfg-") && name.len() == 9, "{name}");
    assert_ne!(created["metadata"]["uid"], json!("mine"));
    assert_ne!(
        created["metadata"]["creationTimestamp"],
        json!("2000-01-01T00:00:00Z")
    );
    assert_ne!(created["metadata"]["resourceVersion"], json!("77"));
}

#[tokio::test]
async fn invalid_names_missing_and_terminating_namespaces() {
    let t = common::start().await;
    let bad = t
        .post(
            "/api/v1/namespaces/default/configmaps",
            common::configmap("default", "Bad_Name", json!({})),
        )
        .await;
    assert_eq!(bad.status, 422);
    let body = bad.json();
    assert_eq!(body["reason"], json!("Invalid"));
    assert_eq!(body["details"]["causes"][0]["field"], json!("metadata.name"));

    let missing = t
        .post(
            "/api/v1/namespaces/ghost/configmaps",
            common::configmap("ghost", "c", json!({})),
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["message"], json!("namespaces \"ghost\" not found"));

    t.namespace("ending").await;
    let held = common::configmap("ending", "held", json!({}));
    let mut held = held;
    held["metadata"]["finalizers"] = json!(["test/hold"]);
    t.post("/api/v1/namespaces/ending/configmaps", held).await;
    t.delete("/api/v1/namespaces/ending", None).await;
    let refused = t
        .post(
            "/api/v1/namespaces/ending/configmaps",
            common::configmap("ending", "new", json!({})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(refused.json()["reason"], json!("Forbidden"));
}

#[tokio::test]
async fn protobuf_bodies_get_415() {
    let t = common::start().await;
    let answer = t
        .call(
            Method::POST,
            "/api/v1/namespaces/default/configmaps",
            Some("application/vnd.kubernetes.protobuf"),
            Some(json!({})),
        )
        .await;
    assert_eq!(answer.status, 415);
    assert_eq!(answer.json()["reason"], json!("UnsupportedMediaType"));
}

#[tokio::test]
async fn json_patch_test_failure_is_422_and_bad_patch_400() {
    let t = common::start().await;
    t.post(
        "/api/v1/namespaces/default/configmaps",
        common::configmap("default", "jp", json!({"a": "1"})),
    )
    .await;
    let path = "/api/v1/namespaces/default/configmaps/jp";
    let failed = t
        .patch(
            path,
            "application/json-patch+json",
            json!([{"op": "test", "path": "/data/a", "value": "2"}]),
        )
        .await;
    assert_eq!(failed.status, 422);
    let malformed = t
        .patch(path, "application/json-patch+json", json!({"op": "nope"}))
        .await;
    assert_eq!(malformed.status, 400);
    let absent_null = t
        .patch(
            path,
            "application/json-patch+json",
            json!([{"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": ["x/y"]}]),
        )
        .await;
    assert_eq!(absent_null.status, 200, "{}", absent_null.text());
    assert_eq!(absent_null.json()["metadata"]["finalizers"], json!(["x/y"]));
}

#[tokio::test]
async fn deployment_scale_subresource() {
    let t = common::start().await;
    t.namespace("sc").await;
    t.post("/apis/apps/v1/namespaces/sc/deployments", deployment("web"))
        .await;
    let api: Api<Deployment> = Api::namespaced(t.client.clone(), "sc");
    let scale = api
        .get_scale("web")
        .await
        .unwrap_or_else(|e| panic!("get_scale: {e}"));
    assert_eq!(scale.spec.and_then(|s| s.replicas), Some(2));
    assert_eq!(scale.status.and_then(|s| s.selector).as_deref(), Some("app=web"));
    let patched = api
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap_or_else(|e| panic!("patch_scale: {e}"));
    assert_eq!(patched.spec.and_then(|s| s.replicas), Some(5));
    let stored = api.get("web").await.unwrap_or_else(|e| panic!("get: {e}"));
    assert_eq!(stored.spec.and_then(|s| s.replicas), Some(5));
    assert_eq!(stored.metadata.generation, Some(2));
}

#[tokio::test]
async fn label_and_field_selectors_on_list() {
    let t = common::start().await;
    t.namespace("sel").await;
    for (name, tier) in [("a", "fe"), ("b", "be"), ("c", "fe")] {
        let mut cm = common::configmap("sel", name, json!({}));
        cm["metadata"]["labels"] = json!({"tier": tier});
        t.post("/api/v1/namespaces/sel/configmaps", cm).await;
    }
    let names = |list: Value| -> Vec<String> {
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["metadata"]["name"].as_str().map(str::to_string))
            .collect()
    };
    let fe = t
        .get("/api/v1/namespaces/sel/configmaps?labelSelector=tier%3Dfe")
        .await
        .json();
    assert_eq!(names(fe), vec!["a", "c"]);
    let not_fe = t
        .get("/api/v1/namespaces/sel/configmaps?labelSelector=tier+notin+(fe)")
        .await
        .json();
    assert_eq!(names(not_fe), vec!["b"]);
    let by_name = t
        .get("/api/v1/namespaces/sel/configmaps?fieldSelector=metadata.name%3Db")
        .await
        .json();
    assert_eq!(names(by_name), vec!["b"]);
    let everywhere = t
        .get("/api/v1/configmaps?fieldSelector=metadata.namespace%3Dsel")
        .await
        .json();
    assert_eq!(names(everywhere).len(), 3);
    let unsupported = t
        .get("/api/v1/namespaces/sel/configmaps?fieldSelector=status.phase%3DRunning")
        .await;
    assert_eq!(unsupported.status, 400);
    assert!(
        unsupported.json()["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("field label not supported: status.phase"))
    );
}

/// Patches racing on one object each land: none is applied to a version another has
/// already replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_merge_patches_of_one_object_all_land() {
    let t = common::start().await;
    t.namespace("race").await;
    // A large object makes patching it slow enough for the writers to overlap.
    let filler: serde_json::Map<String, Value> =
        (0..2000).map(|i| (format!("filler-{i}"), json!("x"))).collect();
    let created = t
        .post(
            "/api/v1/namespaces/race/configmaps",
            common::configmap("race", "c", Value::Object(filler)),
        )
        .await
        .json();
    const WRITERS: usize = 64;
    let api: Api<ConfigMap> = Api::namespaced(t.client.clone(), "race");
    let patches = (0..WRITERS).map(|i| {
        let api = api.clone();
        tokio::spawn(async move {
            let patch = json!({"data": {format!("k{i}"): format!("v{i}")}});
            api.patch("c", &PatchParams::default(), &Patch::Merge(patch))
                .await
        })
    });
    for outcome in futures::future::join_all(patches).await {
        let answer = outcome.unwrap_or_else(|e| panic!("patch task failed: {e}"));
        answer.unwrap_or_else(|e| panic!("patch refused: {e}"));
    }
    let stored = api
        .get("c")
        .await
        .unwrap_or_else(|e| panic!("cannot read c: {e}"));
    let data = stored.data.unwrap_or_default();
    let missing: Vec<String> = (0..WRITERS)
        .map(|i| format!("k{i}"))
        .filter(|key| !data.contains_key(key))
        .collect();
    assert!(missing.is_empty(), "lost writes: {missing:?}");
    let version: u64 = stored
        .metadata
        .resource_version
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no resourceVersion"));
    assert_eq!(
        version,
        common::rv(&created) + WRITERS as u64,
        "one revision per patch"
    );
}

#[tokio::test]
async fn managed_fields_a_write_sends_are_not_taken_for_the_stored_ones() {
    let t = common::start().await;
    t.namespace("owners").await;
    let path = "/api/v1/namespaces/owners/configmaps/c";
    let created = t
        .post(
            "/api/v1/namespaces/owners/configmaps?fieldManager=creator",
            common::configmap("owners", "c", json!({"k": "v", "kept": "1"})),
        )
        .await
        .json();
    let managers = |object: &Value| -> Vec<String> {
        object["metadata"]["managedFields"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| e["manager"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(managers(&created), vec!["creator"]);
    let mut sent = created.clone();
    sent["data"]["k"] = json!("w");
    sent["metadata"]["managedFields"] = json!([{"manager": "intruder", "operation": "Update",
        "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:k": {}}}}]);
    let replaced = t.put(&format!("{path}?fieldManager=editor"), sent).await.json();
    assert_eq!(managers(&replaced), vec!["creator", "editor"]);
    let mut without = replaced.clone();
    without["data"]["k"] = json!("x");
    if let Some(metadata) = without["metadata"].as_object_mut() {
        metadata.remove("managedFields");
    }
    let replaced = t
        .put(&format!("{path}?fieldManager=editor"), without)
        .await
        .json();
    assert_eq!(managers(&replaced), vec!["creator", "editor"]);
    assert_eq!(managers(&t.get(path).await.json()), vec!["creator", "editor"]);
}
