//! The rules around Applications, end to end: destination clusters resolved from cluster Secrets
//! and reached with a client built from them (two sims as two clusters), the refresh webhook
//! answering real HTTP requests on a loopback socket, and the Application controller obeying both
//! a project that refuses a repository and a destination in a second sim.

mod application_world;
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use application_world::{config_map, given_a_cluster_with_the_app_controller, install_crd, text};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use kube::api::{Api, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use linnet_controller::application::clusters::{self, Target};
use linnet_controller::application::project;
use linnet_controller::application::webhook::{self, PushEvent, PushedRef};
use linnet_crds::application::ApplicationDestination;
use linnet_crds::application::{AppProject, AppProjectSpec, Application};
use linnet_sim::{SimHandle, SimOptions};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

const TOKEN: &str = "tok-3f9a1c77e2";

async fn sim() -> (SimHandle, Client) {
    let sim = linnet_sim::start(SimOptions::default())
        .await
        .unwrap_or_else(|e| panic!("sim did not start: {e}"));
    let kubeconfig = Kubeconfig::read_from(sim.kubeconfig_path())
        .unwrap_or_else(|e| panic!("cannot read kubeconfig: {e}"));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("bad kubeconfig: {e}"));
    let client = Client::try_from(config).unwrap_or_else(|e| panic!("no client: {e}"));
    (sim, client)
}

async fn create_namespace(client: &Client, name: &str) {
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).expect("namespace");
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("cannot create namespace {name}: {e}"));
}

fn cluster_secret(name: &str, cluster_name: &str, server: &str, config: &str) -> Secret {
    let data: BTreeMap<String, ByteString> = [("name", cluster_name), ("server", server), ("config", config)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
        .collect();
    serde_json::from_value(json!({
        "metadata": {
            "name": name,
            "namespace": "argocd",
            "labels": {clusters::SECRET_TYPE_LABEL: clusters::SECRET_TYPE_CLUSTER},
        },
        "data": data,
    }))
    .expect("secret")
}

fn by_name(name: &str) -> ApplicationDestination {
    ApplicationDestination {
        name: Some(name.to_string()),
        namespace: Some("web".to_string()),
        server: None,
    }
}

fn by_server(server: &str) -> ApplicationDestination {
    ApplicationDestination {
        server: Some(server.to_string()),
        namespace: Some("web".to_string()),
        name: None,
    }
}

async fn namespaces_seen(client: &Client) -> Vec<String> {
    Api::<Namespace>::all(client.clone())
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("cannot list namespaces: {e}"))
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect()
}

#[tokio::test]
async fn a_cluster_secret_in_one_sim_reaches_the_other() {
    // Given two sims; only sim B has namespace only-in-b.
    let (_sim_a, client_a) = sim().await;
    let (sim_b, client_b) = sim().await;
    create_namespace(&client_a, "argocd").await;
    create_namespace(&client_b, "only-in-b").await;
    // And a cluster Secret in sim A registering sim B as "far", plus a Secret of another type.
    let config = format!(r#"{{"bearerToken": "{TOKEN}", "tlsClientConfig": {{"insecure": false}}}}"#);
    let secrets: Api<Secret> = Api::namespaced(client_a.clone(), "argocd");
    secrets
        .create(
            &PostParams::default(),
            &cluster_secret("cluster-far", "far", &sim_b.url(), &config),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot create the cluster Secret: {e}"));
    let mut repo = cluster_secret("repo", "far", "http://127.0.0.1:1", "{}");
    repo.metadata.labels = Some([(clusters::SECRET_TYPE_LABEL.to_string(), "repository".to_string())].into());
    secrets
        .create(&PostParams::default(), &repo)
        .await
        .expect("repository Secret");

    // When the controller reads the Secrets back and resolves destinations through them.
    let listed = secrets
        .list(&ListParams::default())
        .await
        .expect("list Secrets")
        .items;
    let far = clusters::resolve(&by_name("far"), &listed).unwrap_or_else(|e| panic!("by name: {e}"));
    let by_url = clusters::resolve(&by_server(&format!("{}/", sim_b.url())), &listed)
        .unwrap_or_else(|e| panic!("by server: {e}"));
    assert_eq!(far, by_url, "name and server find the same cluster");
    assert_eq!((far.name(), far.server()), ("far", sim_b.url().as_str()));

    // Then the client built from the Secret talks to sim B, and the in-cluster one to sim A.
    let remote = clusters::client_for(&far, &client_a)
        .await
        .unwrap_or_else(|e| panic!("client: {e}"));
    assert!(namespaces_seen(&remote).await.contains(&"only-in-b".to_string()));
    for local in [
        by_server(clusters::IN_CLUSTER_SERVER),
        by_name(clusters::IN_CLUSTER_NAME),
    ] {
        let target = clusters::resolve(&local, &listed).unwrap_or_else(|e| panic!("in-cluster: {e}"));
        assert_eq!(target, Target::InCluster);
        let client = clusters::client_for(&target, &client_a)
            .await
            .expect("in-cluster client");
        let seen = namespaces_seen(&client).await;
        assert!(seen.contains(&"argocd".to_string()) && !seen.contains(&"only-in-b".to_string()));
    }
    // And the token shows nowhere in the target's Debug form.
    let shown = format!("{far:?}");
    assert!(
        !shown.contains(TOKEN) && shown.contains("bearer_token: \"<set>\""),
        "{shown}"
    );
}

#[tokio::test]
async fn unknown_or_ambiguous_destinations_are_clear_errors() {
    let far = cluster_secret(
        "a",
        "far",
        "http://127.0.0.1:9",
        &format!(r#"{{"password": "{TOKEN}"}}"#),
    );
    let twin = cluster_secret("b", "far", "http://127.0.0.1:10", "{}");
    let broken = cluster_secret(
        "c",
        "broken",
        "http://127.0.0.1:11",
        &format!(r#"{{"insecure": "{TOKEN}""#),
    );
    let secrets = vec![far.clone(), twin, broken.clone()];
    let error = |d: ApplicationDestination, s: &[Secret]| {
        clusters::resolve(&d, s)
            .expect_err("must not resolve")
            .to_string()
    };
    let cases = [
        (
            error(by_name("near"), &secrets),
            "spec.destination.name: no cluster Secret is named \"near\"",
        ),
        (
            error(by_server("https://10.9.9.9"), &secrets),
            "spec.destination.server: no cluster Secret registers server \"https://10.9.9.9\"",
        ),
        (
            error(by_name("far"), &secrets),
            "spec.destination.name: 2 cluster Secrets match \"far\"",
        ),
        (
            error(ApplicationDestination::default(), &secrets),
            "spec.destination: set server or name",
        ),
        (
            error(
                ApplicationDestination {
                    server: Some("https://x".into()),
                    name: Some("far".into()),
                    namespace: None,
                },
                &secrets,
            ),
            "spec.destination: set server or name, not both",
        ),
    ];
    for (got, want) in cases {
        assert!(got.starts_with(want), "{got:?} should start with {want:?}");
    }
    // A Secret whose config does not parse is reported by name, without its contents.
    let bad = clusters::cluster_from_secret(&broken)
        .expect_err("bad config")
        .to_string();
    assert!(
        bad.starts_with("cluster Secret argocd/c: config is not a cluster config"),
        "{bad}"
    );
    assert!(!bad.contains(TOKEN), "secret data leaked: {bad}");
    let read = clusters::cluster_from_secret(&far).expect("good config");
    assert!(!format!("{read:?}").contains(TOKEN));
    assert!(!clusters::ClusterError::NoDestination.is_transient());
}

#[tokio::test]
async fn projects_are_read_from_the_cluster() {
    let (_sim, client) = sim().await;
    create_namespace(&client, "argocd").await;
    // Without the CRD there are none, and `default` is the permissive one.
    let none = project::load_projects(&client, "argocd")
        .await
        .expect("no CRD is not an error");
    assert!(none.is_empty());
    let default = project::find_project("default", &none).expect("default");
    assert_eq!(default.spec.source_repos.as_deref(), Some(&["*".to_string()][..]));

    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &AppProject::crd())
        .await
        .expect("AppProject CRD");
    let strict = AppProject::new(
        "default",
        AppProjectSpec {
            source_repos: Some(vec!["https://github.com/org/*".to_string()]),
            ..AppProjectSpec::default()
        },
    );
    Api::<AppProject>::namespaced(client.clone(), "argocd")
        .create(&PostParams::default(), &strict)
        .await
        .expect("create the default project");
    let found = project::load_projects(&client, "argocd")
        .await
        .expect("list projects");
    let default = project::find_project("default", &found).expect("default");
    assert_eq!(
        default.spec.source_repos, strict.spec.source_repos,
        "the stored default wins"
    );
}

/// A one-request API server that records the request head and answers an empty NamespaceList.
async fn recording_server() -> (String, oneshot::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let body = r#"{"apiVersion":"v1","kind":"NamespaceList","metadata":{},"items":[]}"#;
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(reply.as_bytes()).await;
        let _ = tx.send(String::from_utf8_lossy(&head).to_lowercase());
    });
    (url, rx)
}

#[tokio::test]
async fn credentials_from_the_secret_go_on_the_wire() {
    let (_sim, default_client) = sim().await;
    let cases = [
        (
            format!(r#"{{"bearerToken": "{TOKEN}"}}"#),
            format!("authorization: bearer {TOKEN}"),
        ),
        // "u:p" in base64.
        (
            r#"{"username": "u", "password": "p"}"#.to_string(),
            "authorization: basic dtpw".to_string(),
        ),
    ];
    for (config, header) in cases {
        let (url, seen) = recording_server().await;
        let secrets = [cluster_secret("s", "rec", &url, &config)];
        let target = clusters::resolve(&by_name("rec"), &secrets).expect("resolves");
        let client = clusters::client_for(&target, &default_client)
            .await
            .expect("client");
        let listed = Api::<Namespace>::all(client)
            .list(&ListParams::default())
            .await
            .expect("list");
        assert!(listed.items.is_empty());
        let head = tokio::time::timeout(Duration::from_secs(10), seen)
            .await
            .expect("request seen")
            .expect("head");
        assert!(head.contains(&header), "{header:?} not in:\n{head}");
    }
}

/// A case name, the request headers, the body and the status expected.
type Refusal<'a> = (&'a str, Vec<(&'a str, &'a str)>, String, u16);

struct Endpoint {
    url: String,
    events: mpsc::Receiver<PushEvent>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn endpoint(secret: Option<&str>) -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "http://{}{}",
        listener.local_addr().expect("addr"),
        webhook::WEBHOOK_PATH
    );
    let (tx, events) = mpsc::channel(16);
    let (stop, stopped) = oneshot::channel::<()>();
    let secret = secret.map(str::to_string);
    let task = tokio::spawn(webhook::serve(listener, secret, tx, async move {
        let _ = stopped.await;
    }));
    Endpoint {
        url,
        events,
        stop: Some(stop),
        task,
    }
}

fn github_push() -> String {
    json!({
        "ref": "refs/heads/main",
        "after": "0123456789abcdef0123456789abcdef01234567",
        "repository": {
            "html_url": "https://github.com/org/app",
            "clone_url": "https://github.com/org/app.git",
            "ssh_url": "git@github.com:org/app.git",
            "default_branch": "main"
        }
    })
    .to_string()
}

fn gitlab_push() -> String {
    json!({
        "object_kind": "tag_push",
        "ref": "refs/tags/v1.2.0",
        "checkout_sha": "89abcdef0123456789abcdef0123456789abcdef",
        "project": {
            "git_http_url": "https://gitlab.example/group/app.git",
            "git_ssh_url": "git@gitlab.example:group/app.git",
            "web_url": "https://gitlab.example/group/app",
            "default_branch": "main"
        }
    })
    .to_string()
}

async fn post(url: &str, headers: &[(&str, &str)], body: impl Into<reqwest::Body>) -> (u16, String) {
    let mut request = http_client().post(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn the_webhook_accepts_signed_pushes_and_refuses_the_rest() {
    let mut hook = endpoint(Some("s3cret")).await;
    let body = github_push();
    let signature = webhook::github_signature(body.as_bytes(), "s3cret");

    // A signed GitHub push is accepted and handed on.
    let github = [
        ("x-github-event", "push"),
        ("x-hub-signature-256", signature.as_str()),
    ];
    let (status, text) = post(&hook.url, &github, body.clone()).await;
    assert_eq!(status, 200, "{text}");
    let event = hook.events.recv().await.expect("a push event");
    assert_eq!(event.revision, PushedRef::Branch("main".to_string()));
    assert_eq!(
        event.commit.as_deref(),
        Some("0123456789abcdef0123456789abcdef01234567")
    );
    assert_eq!(event.default_branch.as_deref(), Some("main"));
    assert_eq!(event.repo_urls.len(), 3);

    // A GitLab tag push with the right token too.
    let gitlab = [("x-gitlab-event", "Tag Push Hook"), ("x-gitlab-token", "s3cret")];
    let (status, text) = post(&hook.url, &gitlab, gitlab_push()).await;
    assert_eq!(status, 200, "{text}");
    let event = hook.events.recv().await.expect("a push event");
    assert_eq!(event.revision, PushedRef::Tag("v1.2.0".to_string()));
    assert_eq!(webhook::repo_key(&event.repo_urls[1]), "gitlab.example/group/app");

    // Refusals, each with its status.
    let tampered = body.replace("main", "prod");
    let (not_json, no_repo) = ("{not json", r#"{"ref":"refs/heads/main"}"#);
    let signatures = [not_json, no_repo].map(|b| webhook::github_signature(b.as_bytes(), "s3cret"));
    let signed = |b: &str| {
        let i = usize::from(b == no_repo);
        vec![
            ("x-github-event", "push"),
            ("x-hub-signature-256", signatures[i].as_str()),
        ]
    };
    let bad_token = [("x-gitlab-event", "Push Hook"), ("x-gitlab-token", "guess")];
    let cases: Vec<Refusal> = vec![
        ("body changed after signing", github.to_vec(), tampered, 401),
        (
            "no signature",
            vec![("x-github-event", "push")],
            body.clone(),
            401,
        ),
        ("wrong GitLab token", bad_token.to_vec(), gitlab_push(), 401),
        ("not JSON", signed(not_json), not_json.to_string(), 400),
        ("no repository", signed(no_repo), no_repo.to_string(), 400),
        (
            "no event header",
            vec![("x-gitlab-token", "s3cret")],
            gitlab_push(),
            400,
        ),
        (
            "a ping",
            vec![("x-github-event", "ping"), ("x-gitlab-token", "s3cret")],
            "{}".into(),
            200,
        ),
    ];
    for (name, headers, body, want) in cases {
        let (status, text) = post(&hook.url, &headers, body).await;
        assert_eq!(status, want, "{name}: {text}");
    }
    assert!(
        hook.events.try_recv().is_err(),
        "refused deliveries must not be handed on"
    );

    // Shutdown ends the server.
    let _ = hook.stop.take().map(|s| s.send(()));
    tokio::time::timeout(Duration::from_secs(10), &mut hook.task)
        .await
        .expect("serve returns on shutdown")
        .expect("serve did not panic");
}

/// Sends a chunked request by hand (no declared length) and returns the status line.
async fn post_chunked(url: &str, total: usize) -> String {
    let authority = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("authority")
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.expect("connect");
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: {authority}\r\nx-github-event: push\r\ntransfer-encoding: chunked\r\n\r\n",
        webhook::WEBHOOK_PATH
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        // The server may answer and close before everything is sent.
        if stream.write_all(&frame).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut reply = Vec::new();
    let mut buf = [0u8; 1024];
    while !reply.contains(&b'\n') {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => reply.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&reply)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_webhook_survives_odd_requests() {
    let mut hook = endpoint(None).await;
    let base = hook.url.trim_end_matches(webhook::WEBHOOK_PATH).to_string();
    let client = http_client();
    let status = |r: reqwest::Response| r.status().as_u16();
    let get = client.get(&hook.url).send().await.expect("GET");
    assert_eq!(status(get), 405);
    let elsewhere = client
        .post(format!("{base}/api/other"))
        .body("{}")
        .send()
        .await
        .expect("POST");
    assert_eq!(status(elsewhere), 404);

    // Over the size limit: refused by its declared length, and by its length when streamed.
    let huge = vec![b' '; webhook::MAX_PAYLOAD_BYTES + 1];
    let (code, _) = post(&hook.url, &[("x-github-event", "push")], huge.clone()).await;
    assert_eq!(code, 413);
    let status_line = post_chunked(&hook.url, webhook::MAX_PAYLOAD_BYTES + 64 * 1024).await;
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line:?}");

    // Bodies of every shape get an answer; without a secret a valid push is accepted.
    let odd: Vec<Vec<u8>> = vec![
        vec![],
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{\"ref\": 7, \"repository\": {}}".to_vec(),
        b"{\"ref\": \"refs/heads/x\", \"repository\": {\"html_url\": \"\"}}".to_vec(),
        (0u8..=255).cycle().take(5000).collect(),
        "{\"ref\":\"\u{1F600}\"".as_bytes().to_vec(),
    ];
    for body in odd {
        let (code, text) = post(&hook.url, &[("x-github-event", "push")], body.clone()).await;
        assert_eq!(code, 400, "{:?}: {text}", String::from_utf8_lossy(&body));
    }
    let (code, text) = post(&hook.url, &[("x-github-event", "push")], github_push()).await;
    assert_eq!(code, 200, "{text}");
    assert!(hook.events.recv().await.is_some());

    // With the receiver gone, pushes are refused as unavailable rather than lost silently.
    hook.events.close();
    let (code, _) = post(&hook.url, &[("x-github-event", "push")], github_push()).await;
    assert_eq!(code, 503);
}

fn application(name: &str, repo: &str, revision: &str) -> Application {
    serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "apps"},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo, "targetRevision": revision, "path": "."},
            "destination": {"server": clusters::IN_CLUSTER_SERVER, "namespace": "web"},
        },
    }))
    .unwrap_or_else(|e| panic!("bad Application {name}: {e}"))
}

#[tokio::test]
async fn a_push_to_the_webhook_marks_the_matching_applications_for_refresh() {
    // Given Applications on the pushed repository's default branch, on another branch, at a
    // commit, and on another repository.
    let (_sim, client) = sim().await;
    create_namespace(&client, "apps").await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Application::crd())
        .await
        .expect("Application CRD");
    let apps: Api<Application> = Api::namespaced(client.clone(), "apps");
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let fixtures = [
        ("on-head", "git@github.com:org/app.git", "HEAD"),
        ("on-main", "https://GitHub.com/org/app", "main"),
        ("on-dev", "https://github.com/org/app", "dev"),
        ("at-commit", "https://github.com/org/app", sha),
        ("elsewhere", "https://github.com/org/other", "HEAD"),
    ];
    for (name, repo, revision) in fixtures {
        apps.create(&PostParams::default(), &application(name, repo, revision))
            .await
            .expect("create");
    }
    // And the webhook with the refresher behind it.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "http://{}{}",
        listener.local_addr().expect("addr"),
        webhook::WEBHOOK_PATH
    );
    let (tx, rx) = mpsc::channel(4);
    let server = tokio::spawn(webhook::serve(listener, None, tx, std::future::pending()));
    let refresher = tokio::spawn(webhook::run_refresher(
        client.clone(),
        rx,
        Some(vec!["apps".into()]),
    ));
    let _stop = AbortOnDrop(vec![server, refresher]);

    // When main is pushed.
    let (status, text) = post(&url, &[("x-github-event", "push")], github_push()).await;
    assert_eq!(status, 200, "{text}");

    // Then exactly the Applications following main are annotated.
    let want = ["on-head", "on-main"];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut annotated: Vec<String>;
    loop {
        annotated = apps
            .list(&ListParams::default())
            .await
            .expect("list Applications")
            .items
            .into_iter()
            .filter(|a| {
                a.metadata
                    .annotations
                    .as_ref()
                    .and_then(|m| m.get("argocd.argoproj.io/refresh"))
                    .map(String::as_str)
                    == Some("normal")
            })
            .filter_map(|a| a.metadata.name)
            .collect();
        annotated.sort();
        if annotated == want || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(annotated, want);
}

struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

const FAST: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_the_project_refuses_is_an_invalid_spec_and_nothing_is_applied() {
    // Given a project that permits only github.com/org repositories, and an automated
    // Application of that project whose repository is a local one
    let world = given_a_cluster_with_the_app_controller("rules-repo", FAST).await;
    install_crd(&world.client, AppProject::crd()).await;
    let team = AppProject::new(
        "team-a",
        AppProjectSpec {
            source_repos: Some(vec!["https://github.com/org/*".to_string()]),
            destinations: Some(vec![ApplicationDestination {
                server: Some("*".into()),
                namespace: Some("*".into()),
                name: None,
            }]),
            ..AppProjectSpec::default()
        },
    );
    Api::<AppProject>::namespaced(world.client.clone(), &world.namespace)
        .create(&PostParams::default(), &team)
        .await
        .expect("create the AppProject");
    world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"v": "1"}), json!({})),
        )],
        "one",
    );
    let mut spec = world.spec("cm", json!({"automated": {}}));
    spec["project"] = json!("team-a");
    world.create_app("settings", spec, &[]).await;

    // Then an InvalidSpecError names the field and the project, and nothing is applied
    let app = world
        .eventually("settings", "an InvalidSpecError", |a| {
            a["status"]["conditions"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["type"] == "InvalidSpecError"))
        })
        .await;
    let message = app["status"]["conditions"].to_string();
    assert!(
        message.contains("spec.source.repoURL") && message.contains("not permitted in project team-a"),
        "{message}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        world.writes_to("configmaps").is_empty(),
        "{:?}",
        world.writes_to("configmaps")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_whose_destination_is_a_second_sim_syncs_there() {
    // Given the controller on sim A, a second sim B with namespace web, and a cluster Secret in
    // the control-plane namespace registering sim B as "far"
    let world = given_a_cluster_with_the_app_controller("rules-far", FAST).await;
    let (sim_b, client_b) = sim().await;
    create_namespace(&client_b, "web").await;
    let mut far = cluster_secret(
        "cluster-far",
        "far",
        &sim_b.url(),
        &format!(r#"{{"bearerToken": "{TOKEN}"}}"#),
    );
    far.metadata.namespace = Some(world.namespace.clone());
    Api::<Secret>::namespaced(world.client.clone(), &world.namespace)
        .create(&PostParams::default(), &far)
        .await
        .expect("create the cluster Secret");

    // When an automated Application names cluster "far" as its destination
    world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"v": "far"}), json!({})),
        )],
        "one",
    );
    let mut spec = world.spec("cm", json!({"automated": {}}));
    spec["destination"] = json!({"name": "far", "namespace": "web"});
    world.create_app("settings", spec, &[]).await;

    // Then it syncs, and the ConfigMap exists in sim B only
    let app = world
        .eventually("settings", "Synced", |a| {
            text(a, "/status/sync/status") == "Synced"
        })
        .await;
    let in_b = Api::<ConfigMap>::namespaced(client_b.clone(), "web")
        .get_opt("settings")
        .await
        .expect("read sim B")
        .unwrap_or_else(|| panic!("no ConfigMap in sim B; app: {:#}", app["status"]));
    assert_eq!(
        in_b.data.as_ref().and_then(|d| d.get("v")).map(String::as_str),
        Some("far")
    );
    let in_a = Api::<ConfigMap>::namespaced(world.client.clone(), "web")
        .get_opt("settings")
        .await;
    assert!(
        !matches!(in_a, Ok(Some(_))),
        "the ConfigMap must not land in sim A"
    );
    assert!(
        !app.to_string().contains(TOKEN),
        "the cluster's token leaked into the Application"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deny_window_holds_a_manual_sync_until_it_is_lifted() {
    // Given a project whose deny window is open all the time, without manualSync
    let world = given_a_cluster_with_the_app_controller("rules-window", FAST).await;
    install_crd(&world.client, AppProject::crd()).await;
    let projects: Api<AppProject> = Api::namespaced(world.client.clone(), &world.namespace);
    let frozen: AppProject = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "frozen", "namespace": world.namespace},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "syncWindows": [{"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["*"]}],
        },
    }))
    .expect("an AppProject");
    projects
        .create(&PostParams::default(), &frozen)
        .await
        .expect("create the AppProject");
    world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"v": "1"}), json!({})),
        )],
        "one",
    );
    let mut spec = world.spec("cm", json!({}));
    spec["project"] = json!("frozen");
    world.create_app("settings", spec, &[]).await;

    // When a sync is asked for
    world.sync("settings", false).await;

    // Then it is refused with a SyncError naming the window, and nothing is applied
    let app = world
        .eventually("settings", "a SyncError", |a| {
            a["status"]["conditions"].to_string().contains("SyncError")
        })
        .await;
    let message = app["status"]["conditions"].to_string();
    assert!(
        message.contains("deny sync window spec.syncWindows[0]"),
        "{message}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(world.writes_to("configmaps").is_empty());

    // When the window is lifted, the waiting sync runs
    projects
        .patch(
            "frozen",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"spec": {"syncWindows": null}})),
        )
        .await
        .expect("lift the window");
    world
        .eventually("settings", "Synced", |a| {
            text(a, "/status/sync/status") == "Synced"
        })
        .await;
    assert!(world.object("v1", "ConfigMap", "settings").await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_to_the_controllers_webhook_picks_up_a_new_commit_at_once() {
    // Given the controller polling only hourly, serving the webhook with a secret
    let mut world = given_a_cluster_with_the_app_controller("rules-hook", Duration::from_secs(3600)).await;
    world.stop_controller().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    world.options.webhook_listen = Some(port);
    world.options.webhook_secret = Some("s3cret".to_string());
    world.start_controller();
    // And an automated Application synced at the first commit
    let first = world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"v": "1"}), json!({})),
        )],
        "one",
    );
    world
        .create_app("settings", world.spec("cm", json!({"automated": {}})), &[])
        .await;
    world
        .eventually("settings", "Synced at the first commit", |a| {
            text(a, "/status/sync/status") == "Synced" && text(a, "/status/sync/revision") == first
        })
        .await;

    // When a second commit lands, nothing notices it for a while (polling is hourly)
    let second = world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"v": "2"}), json!({})),
        )],
        "two",
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(text(&world.app("settings").await, "/status/sync/revision"), first);

    // Until the push arrives at the webhook
    let body = json!({
        "ref": "refs/heads/main",
        "after": second,
        "repository": {"html_url": world.repo_url(), "default_branch": "main"},
    })
    .to_string();
    let signature = webhook::github_signature(body.as_bytes(), "s3cret");
    let url = format!("http://{port}{}", webhook::WEBHOOK_PATH);
    let headers = [
        ("x-github-event", "push"),
        ("x-hub-signature-256", signature.as_str()),
    ];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    // The endpoint starts with the controller: retry until it listens.
    let (status, text_back) = loop {
        match http_client()
            .post(&url)
            .headers(header_map(&headers))
            .body(body.clone())
            .send()
            .await
        {
            Ok(response) => {
                let status = response.status().as_u16();
                break (status, response.text().await.unwrap_or_default());
            }
            Err(error) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the webhook never listened: {error}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(status, 200, "{text_back}");

    // Then the Application moves to the second commit and the ConfigMap follows
    world
        .eventually("settings", "Synced at the second commit", |a| {
            text(a, "/status/sync/status") == "Synced" && text(a, "/status/sync/revision") == second
        })
        .await;
    let cm = world
        .object("v1", "ConfigMap", "settings")
        .await
        .expect("the ConfigMap");
    assert_eq!(cm["data"]["v"], "2");
}

fn header_map(headers: &[(&'static str, &str)]) -> reqwest::header::HeaderMap {
    let mut map = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse().expect("a header value"));
    }
    map
}

/// A certificate for `san` (`IP:127.0.0.1`, `DNS:name`) signed by a fresh CA, made with the
/// openssl CLI (a self-signed leaf cannot be its own trust anchor in rustls).
struct TestCert {
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
    /// The CA as a cluster Secret's `caData`: base64 of its PEM.
    ca_data: String,
}

fn test_cert(san: &str) -> TestCert {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name).display().to_string();
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("openssl is needed for the TLS test: {e}"));
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let (ca_key, ca, key, csr, cert, ext) = (
        path("ca.key"),
        path("ca.pem"),
        path("key.pem"),
        path("leaf.csr"),
        path("cert.pem"),
        path("ext.cnf"),
    );
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "1",
                "-subj",
                "/CN=linnet-test-ca",
                "-keyout",
                &ca_key,
                "-out",
                &ca,
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &["-subj", "/CN=linnet-test", "-keyout", &key, "-out", &csr],
        ]
        .concat(),
    );
    std::fs::write(&ext, format!("subjectAltName={san}\n")).expect("extension file");
    openssl(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        &ext,
        "-out",
        &cert,
    ]);
    let ca_data = String::from_utf8(openssl(&["base64", "-A", "-in", &ca])).expect("base64 text");
    TestCert {
        cert_pem: std::fs::read(&cert).expect("cert"),
        key_pem: std::fs::read(&key).expect("key"),
        ca_data: ca_data.trim().to_string(),
    }
}

/// An HTTPS API server answering every request with an empty NamespaceList; returns its URL.
async fn tls_api_server(tls: &TestCert) -> (String, AbortOnDrop) {
    use std::sync::Arc;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::{ServerConfig, crypto};

    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&tls.cert_pem)
        .collect::<Result<_, _>>()
        .expect("certificate");
    let key = PrivateKeyDer::from_pem_slice(&tls.key_pem).expect("key");
    let config = ServerConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = r#"{"apiVersion":"v1","kind":"NamespaceList","metadata":{},"items":[]}"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, AbortOnDrop(vec![task]))
}

#[tokio::test]
async fn https_clusters_are_verified_with_the_secrets_ca_and_server_name() {
    let (_sim, default_client) = sim().await;
    let reach = |url: String, config: serde_json::Value| {
        let default_client = default_client.clone();
        async move {
            let secrets = [cluster_secret("tls", "tls", &url, &config.to_string())];
            let target = clusters::resolve(&by_name("tls"), &secrets).map_err(|e| e.to_string())?;
            let client = clusters::client_for(&target, &default_client)
                .await
                .map_err(|e| e.to_string())?;
            let (api, params) = (Api::<Namespace>::all(client), ListParams::default());
            match tokio::time::timeout(Duration::from_secs(10), api.list(&params)).await {
                Ok(result) => result.map(|_| ()).map_err(|e| e.to_string()),
                Err(_) => Err("timed out".to_string()),
            }
        }
    };
    // A certificate for 127.0.0.1: trusted through caData or with insecure, refused otherwise.
    let by_ip = test_cert("IP:127.0.0.1");
    let (url, _ip_server) = tls_api_server(&by_ip).await;
    let ca = json!({"tlsClientConfig": {"caData": by_ip.ca_data}});
    reach(url.clone(), ca)
        .await
        .unwrap_or_else(|e| panic!("with caData: {e}"));
    reach(url.clone(), json!({"tlsClientConfig": {"insecure": true}}))
        .await
        .unwrap_or_else(|e| panic!("insecure: {e}"));
    let refused = reach(url.clone(), json!({})).await;
    assert!(refused.is_err(), "an unknown CA must be refused");

    // A certificate only for the name linnet-test: trusted when serverName says so.
    let by_name_only = test_cert("DNS:linnet-test");
    let (url, _name_server) = tls_api_server(&by_name_only).await;
    let named = json!({"tlsClientConfig": {"caData": by_name_only.ca_data, "serverName": "linnet-test"}});
    reach(url.clone(), named)
        .await
        .unwrap_or_else(|e| panic!("with serverName: {e}"));
    let unnamed = json!({"tlsClientConfig": {"caData": by_name_only.ca_data}});
    assert!(
        reach(url, unnamed).await.is_err(),
        "a certificate for another name must be refused"
    );
}

/// A plain HTTP client. reqwest is built without a TLS crypto provider of its own, so the
/// test process installs ring's (each test runs in its own process).
fn http_client() -> reqwest::Client {
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
