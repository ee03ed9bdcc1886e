//! What one pass reads: the repository credentials, the revision each render needs resolved and
//! rendered (on a blocking thread), and the live objects the Application tracks. Live objects
//! are listed for every kind and namespace the renders or the status name, and kept when their
//! tracking mark (annotation or label, by the tracking method) names this Application.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, DynamicObject, ListParams};
use linnet_crds::application::codes::OperationPhase;
use linnet_crds::application::{Application, ApplicationSource};
use serde_json::Value;

use super::kinds::{KindInfo, Kinds};
use super::live_cache::LiveCache;
use super::model::Rendered;
use super::plan::destination_namespace;
use super::resolved::Resolutions;
use super::settings::{self, AppSyncOptions};
use crate::render::{RenderContext, Renderer};
use crate::source::{RepoCache, RepoCredentials, RepoUrl};
use crate::sync::ResourceKey;
use crate::sync::tracking::Tracking;

/// The label of repository Secrets, and its value.
pub const SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";
pub const SECRET_TYPE_REPOSITORY: &str = "repository";

/// What the planner is given.
pub struct Observed {
    pub target: Result<Rendered, String>,
    pub operation_render: Option<Result<Rendered, String>>,
    pub live: BTreeMap<ResourceKey, Value>,
    pub namespace_exists: bool,
    pub invalid_spec: Vec<String>,
}

/// The sources and tools a pass reads with.
pub struct Sources {
    pub repos: Arc<RepoCache>,
    pub renderer: Arc<Renderer>,
    /// Namespaces searched for repository Secrets besides the Application's own.
    pub secret_namespaces: Vec<String>,
    pub resolutions: Arc<Resolutions>,
}

/// The cluster an Application deploys to, and where its live objects are read.
pub struct Destination<'a> {
    pub client: &'a kube::Client,
    /// The cluster's server URL ("" for the controller's own), naming it in the live cache.
    pub cluster: &'a str,
    pub live: &'a LiveCache,
}

/// `control` reads repository Secrets; the destination's client reads live objects (through the
/// live cache, or directly for a hard refresh).
pub async fn observe(
    control: &kube::Client,
    destination: &Destination<'_>,
    kinds: &Kinds,
    sources: &Sources,
    app: &Application,
    tracking: &Tracking,
    invalid_spec: Vec<String>,
) -> Result<Observed, kube::Error> {
    let mut invalid_spec = invalid_spec;
    let source = match (&app.spec.source, &app.spec.sources) {
        (Some(source), _) => Some(source.clone()),
        (None, Some(_)) => {
            invalid_spec.push("multi-source applications (spec.sources) are not implemented".into());
            None
        }
        (None, None) => {
            invalid_spec.push("spec.source is required".into());
            None
        }
    };
    let Some(source) = source.filter(|_| invalid_spec.is_empty()) else {
        return Ok(Observed {
            target: Err("the spec is invalid".into()),
            operation_render: None,
            live: live_of_status(destination, kinds, app, tracking, &[], Freshness::of(app)).await?,
            namespace_exists: true,
            invalid_spec,
        });
    };
    let app_namespace = app.metadata.namespace.clone().unwrap_or_default();
    let creds = credentials(
        control,
        &source.repo_url,
        &app_namespace,
        &sources.secret_namespaces,
    )
    .await;
    let ctx = RenderContext {
        app_name: app.metadata.name.clone().unwrap_or_default(),
        namespace: destination_namespace(app),
        kube_version: None,
        api_versions: Vec::new(),
    };
    let target_revision = source.target_revision.clone().unwrap_or_else(|| "HEAD".into());
    let fresh = Freshness::of(app);
    let mut target = render(sources, kinds, &source, &target_revision, &creds, &ctx, fresh).await;
    mark_labels(&mut target, tracking);
    let mut operation_render = match operation_source(app, &source) {
        None => None,
        Some((revision, op_source)) => {
            let same = target.as_ref().is_ok_and(|t| {
                (t.revision == revision || revision == target_revision) && t.source == op_source
            });
            if same {
                None
            } else {
                Some(render(sources, kinds, &op_source, &revision, &creds, &ctx, fresh).await)
            }
        }
    };
    if let Some(render) = operation_render.as_mut() {
        mark_labels(render, tracking);
    }
    let desired: Vec<&Value> = target
        .iter()
        .chain(operation_render.iter().flatten())
        .flat_map(|r| r.objects.iter())
        .collect();
    let live = live_of_status(destination, kinds, app, tracking, &desired, fresh).await?;
    let options = AppSyncOptions::of(app, None);
    let namespace_exists = if options.create_namespace {
        let namespaces: Api<Namespace> = Api::all(destination.client.clone());
        namespaces.get_opt(&destination_namespace(app)).await?.is_some()
    } else {
        true
    };
    Ok(Observed {
        target,
        operation_render,
        live,
        namespace_exists,
        invalid_spec,
    })
}

/// The revision and source a requested or running operation syncs, when there is one.
fn operation_source(
    app: &Application,
    spec_source: &ApplicationSource,
) -> Option<(String, ApplicationSource)> {
    let spec_revision = || {
        spec_source
            .target_revision
            .clone()
            .unwrap_or_else(|| "HEAD".into())
    };
    let running = app
        .status
        .as_ref()
        .and_then(|s| s.operation_state.as_ref())
        .filter(|s| s.phase == OperationPhase::Running);
    if let Some(state) = running {
        if let Some(result) = state.sync_result.as_ref().filter(|r| !r.revision.is_empty()) {
            let source = result.source.clone().unwrap_or_else(|| spec_source.clone());
            return Some((result.revision.clone(), source));
        }
        let sync = state.operation.sync.as_ref()?;
        let source = sync.source.clone().unwrap_or_else(|| spec_source.clone());
        return Some((sync.revision.clone().unwrap_or_else(spec_revision), source));
    }
    let sync = app.operation.as_ref()?.sync.as_ref()?;
    let source = sync.source.clone().unwrap_or_else(|| spec_source.clone());
    Some((sync.revision.clone().unwrap_or_else(spec_revision), source))
}

/// When the instance label is written, a render is compared as it is applied: a label a chart
/// sets itself would otherwise differ from the applied one on every pass.
fn mark_labels(rendered: &mut Result<Rendered, String>, tracking: &Tracking) {
    if !tracking.method.writes_label() {
        return;
    }
    for object in rendered.iter_mut().flat_map(|r| r.objects.iter_mut()) {
        let key = ResourceKey::of(object);
        tracking.mark(object, &key);
    }
}

/// Whether renders may come from the cache, or are made afresh for a hard refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    Cached,
    Fresh,
}

impl Freshness {
    fn of(app: &Application) -> Freshness {
        if settings::hard_refresh(app) {
            Freshness::Fresh
        } else {
            Freshness::Cached
        }
    }
}

/// Resolves, checks out and renders `source` at `revision`; errors become ComparisonError text.
/// The revision is resolved afresh on every pass; `fresh` also bypasses the render cache.
async fn render(
    sources: &Sources,
    kinds: &Kinds,
    source: &ApplicationSource,
    revision: &str,
    creds: &RepoCredentials,
    ctx: &RenderContext,
    fresh: Freshness,
) -> Result<Rendered, String> {
    let (repos, renderer) = (Arc::clone(&sources.repos), Arc::clone(&sources.renderer));
    let namespace = ctx.namespace.clone();
    let (source_owned, revision, creds, ctx) =
        (source.clone(), revision.to_string(), creds.clone(), ctx.clone());
    let (resolutions, asked) = (Arc::clone(&sources.resolutions), std::time::Instant::now());
    let rendered = tokio::task::spawn_blocking(move || {
        let commit = resolutions
            .resolve(&repos, &source_owned.repo_url, &revision, &creds, asked)
            .map_err(|e| creds.scrub(&e.to_string()))?;
        let tree = repos
            .checkout(&source_owned.repo_url, &commit, &creds)
            .map_err(|e| creds.scrub(&e.to_string()))?;
        let manifests = match fresh {
            Freshness::Cached => renderer.render(&tree, &source_owned, &ctx),
            Freshness::Fresh => renderer.render_fresh(&tree, &source_owned, &ctx),
        }
        .map_err(|e| creds.scrub(&e.to_string()))?;
        Ok::<_, String>((commit.to_string(), manifests))
    })
    .await
    .map_err(|e| format!("rendering stopped: {e}"))??;
    let (revision, manifests) = rendered;
    let mut objects = Vec::with_capacity(manifests.len());
    for manifest in manifests.iter() {
        let mut object = manifest.object.clone();
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if api_version.is_empty() || kind.is_empty() {
            return Err(format!("{}: an object has no apiVersion or kind", manifest.file));
        }
        let has_namespace = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty());
        // A kind not served yet (its CRD comes with this render) counts as namespaced.
        let namespaced = kinds
            .lookup(&api_version, &kind)
            .await
            .map_or(true, |k| k.namespaced);
        if namespaced && !has_namespace {
            if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
                metadata.insert("namespace".into(), Value::String(namespace.clone()));
            }
        } else if !namespaced
            && has_namespace
            && let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut)
        {
            metadata.remove("namespace");
        }
        objects.push(object);
    }
    Ok(Rendered {
        revision,
        source: source.clone(),
        objects,
    })
}

/// The credentials of the repository Secret whose `url` is `repo_url`, if any. A Secret that
/// cannot be listed leaves the repository anonymous.
async fn credentials(
    client: &kube::Client,
    repo_url: &str,
    app_namespace: &str,
    extra: &[String],
) -> RepoCredentials {
    let wanted = RepoUrl::parse(repo_url).map(|u| u.normalized().to_string()).ok();
    let namespaces: BTreeSet<&str> = std::iter::once(app_namespace)
        .chain(extra.iter().map(String::as_str))
        .filter(|ns| !ns.is_empty())
        .collect();
    let selector = format!("{SECRET_TYPE_LABEL}={SECRET_TYPE_REPOSITORY}");
    for namespace in namespaces {
        let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
        let Ok(list) = secrets.list(&ListParams::default().labels(&selector)).await else {
            continue;
        };
        for secret in list.items {
            let data: BTreeMap<String, String> = secret
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
                .chain(secret.string_data.unwrap_or_default())
                .collect();
            let (url, creds) = RepoCredentials::from_secret_data(&data);
            let url = url
                .and_then(|u| RepoUrl::parse(&u).ok())
                .map(|u| u.normalized().to_string());
            if url.is_some() && url == wanted {
                return creds;
            }
        }
    }
    RepoCredentials::default()
}

/// The live objects tracked by the Application among the kinds and namespaces of `desired` and
/// of what the status records.
async fn live_of_status(
    destination: &Destination<'_>,
    kinds: &Kinds,
    app: &Application,
    tracking: &Tracking,
    desired: &[&Value],
    fresh: Freshness,
) -> Result<BTreeMap<ResourceKey, Value>, kube::Error> {
    let client = destination.client;
    let mut wanted: BTreeSet<(String, String, String)> = BTreeSet::new();
    for obj in desired {
        let field = |path: &str| {
            obj.pointer(path)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        wanted.insert((field("/apiVersion"), field("/kind"), field("/metadata/namespace")));
    }
    let status = app.status.as_ref();
    let api_version = |group: &str, version: &str| {
        if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        }
    };
    for resource in status.and_then(|s| s.resources.as_ref()).into_iter().flatten() {
        wanted.insert((
            api_version(
                resource.group.as_deref().unwrap_or_default(),
                resource.version.as_deref().unwrap_or_default(),
            ),
            resource.kind.clone().unwrap_or_default(),
            resource.namespace.clone().unwrap_or_default(),
        ));
    }
    let records = status
        .and_then(|s| s.operation_state.as_ref())
        .and_then(|o| o.sync_result.as_ref())
        .and_then(|r| r.resources.as_ref());
    for record in records.into_iter().flatten() {
        wanted.insert((
            api_version(&record.group, &record.version),
            record.kind.clone(),
            record.namespace.clone(),
        ));
    }
    let mut live = BTreeMap::new();
    let mut listed = BTreeSet::new();
    for (api_version, kind, namespace) in wanted {
        if api_version.is_empty() || kind.is_empty() {
            continue;
        }
        let Ok(info) = kinds.lookup(&api_version, &kind).await else {
            continue;
        };
        let namespace = if info.namespaced { namespace } else { String::new() };
        if !listed.insert((
            info.resource.group.clone(),
            info.resource.kind.clone(),
            namespace.clone(),
        )) {
            continue;
        }
        let cached = match fresh {
            Freshness::Cached => {
                let live = destination.live;
                live.owned(destination.cluster, client, &info, &namespace, tracking)
                    .await
            }
            Freshness::Fresh => None,
        };
        let objects = match cached {
            Some(objects) => objects,
            None => match list_owned(client, &info, &namespace, tracking).await {
                Ok(objects) => objects,
                Err(kube::Error::Api(e)) if e.code == 404 => continue,
                Err(e) => return Err(e),
            },
        };
        for obj in objects {
            live.insert(ResourceKey::of(&obj), obj);
        }
    }
    Ok(live)
}

/// The objects of one kind in one namespace that `tracking` owns, listed from the server.
async fn list_owned(
    client: &kube::Client,
    info: &KindInfo,
    namespace: &str,
    tracking: &Tracking,
) -> Result<Vec<Value>, kube::Error> {
    let api: Api<DynamicObject> = if info.namespaced {
        Api::namespaced_with(client.clone(), namespace, &info.resource)
    } else {
        Api::all_with(client.clone(), &info.resource)
    };
    // With the label method the server leaves out what other Applications own.
    let params = match tracking.selector() {
        Some(selector) => ListParams::default().labels(&selector),
        None => ListParams::default(),
    };
    let list = api.list(&params).await?;
    let mut owned = Vec::new();
    for item in list.items {
        let Ok(mut obj) = serde_json::to_value(&item) else {
            continue;
        };
        if !tracking.tracks(&obj) {
            continue;
        }
        if obj.get("apiVersion").is_none() {
            obj["apiVersion"] = Value::String(info.resource.api_version.clone());
            obj["kind"] = Value::String(info.resource.kind.clone());
        }
        owned.push(obj);
    }
    Ok(owned)
}
