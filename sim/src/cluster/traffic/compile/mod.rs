//! Compiling the cluster's routing objects into traffic [`Source`]s: which objects receive
//! traffic (`sim.linnet.dev/rps`), how their requests choose a backend Service, and which
//! ready pods answer for each backend.

mod apisix;
mod gateway;
mod ingress;
mod istio;
mod service;
mod smi;
mod traefik;

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::DynamicObject;

use super::headers::{HeaderEntry, HeaderModel, REQUEST_HEADERS};
use super::latency::LogNormal;
use super::model::{Backend, Route, Source, Target};
use crate::cluster::behaviour::PodBehaviour;
use crate::cluster::metrics::series::SeriesKey;
use crate::cluster::pods;
use crate::cluster::selector::{Labels, map_matches};

/// Requests per second a source receives.
pub const RPS: &str = "sim.linnet.dev/rps";

/// The objects traffic is compiled from.
#[derive(Default)]
pub struct Inputs {
    pub services: Vec<Arc<Service>>,
    pub pods: Vec<Arc<Pod>>,
    pub ingresses: Vec<Arc<Ingress>>,
    pub http_routes: Vec<Arc<DynamicObject>>,
    pub virtual_services: Vec<Arc<DynamicObject>>,
    pub destination_rules: Vec<Arc<DynamicObject>>,
    pub traffic_splits: Vec<Arc<DynamicObject>>,
    pub traefik_services: Vec<Arc<DynamicObject>>,
    pub apisix_routes: Vec<Arc<DynamicObject>>,
}

/// A source that could not be compiled (logged; the source sends nothing).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind} {namespace}/{name}: {reason}")]
pub struct Problem {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub reason: String,
}

/// Compiles every source; `series` gives the metrics id of a series key.
pub fn compile(inputs: &Inputs, series: &mut dyn FnMut(&SeriesKey) -> usize) -> (Vec<Source>, Vec<Problem>) {
    let mut out = Compiled {
        inputs,
        series,
        sources: Vec::new(),
        problems: Vec::new(),
    };
    service::compile(&mut out);
    ingress::compile(&mut out);
    gateway::compile(&mut out);
    istio::compile(&mut out);
    smi::compile(&mut out);
    traefik::compile(&mut out);
    apisix::compile(&mut out);
    (out.sources, out.problems)
}

/// Compilation state shared by the per-kind compilers.
struct Compiled<'a> {
    inputs: &'a Inputs,
    series: &'a mut dyn FnMut(&SeriesKey) -> usize,
    sources: Vec<Source>,
    problems: Vec<Problem>,
}

/// What a per-kind compiler hands over for one source.
struct SourceSpec<'m> {
    kind: &'static str,
    meta: &'m kube::api::ObjectMeta,
    headers: HeaderModel,
    routes: Vec<Route>,
    backends: Vec<BackendRef>,
}

/// A backend as routing names it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BackendRef {
    namespace: String,
    service: String,
    /// Extra labels the pods must carry (an Istio subset).
    subset: Option<Labels>,
}

impl Compiled<'_> {
    /// The rps and headers of an object if it is a traffic source.
    fn source_settings(
        &mut self,
        kind: &'static str,
        meta: &kube::api::ObjectMeta,
    ) -> Option<(f64, HeaderModel)> {
        let annotations = meta.annotations.as_ref()?;
        let rps = annotations.get(RPS)?;
        let rps = match rps.trim().parse::<f64>() {
            Ok(rps) if rps.is_finite() && rps >= 0.0 => rps,
            _ => {
                self.problem(kind, meta, format!("{RPS}: {rps:?} is not a rate >= 0"));
                return None;
            }
        };
        let headers = match annotations.get(REQUEST_HEADERS).map(|h| HeaderModel::parse(h)) {
            None => HeaderModel::default(),
            Some(Ok(model)) => model,
            Some(Err(error)) => {
                self.problem(kind, meta, format!("{REQUEST_HEADERS}: {error}"));
                return None;
            }
        };
        Some((rps, headers))
    }

    fn problem(&mut self, kind: &str, meta: &kube::api::ObjectMeta, reason: String) {
        self.problems.push(Problem {
            kind: kind.to_string(),
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            reason,
        });
    }

    /// Adds a source, resolving its backends to the ready pods that answer for them.
    fn add(&mut self, rps: f64, spec: SourceSpec<'_>) {
        let backends = spec.backends.iter().map(|b| self.backend(b)).collect();
        self.sources.push(Source {
            key: (
                spec.meta.namespace.clone().unwrap_or_default(),
                spec.kind.to_string(),
                spec.meta.name.clone().unwrap_or_default(),
            ),
            rps,
            headers: spec.headers,
            routes: spec.routes,
            backends,
        });
    }

    fn backend(&mut self, reference: &BackendRef) -> Backend {
        let service = self.inputs.services.iter().find(|s| {
            s.metadata.namespace.as_deref() == Some(reference.namespace.as_str())
                && s.metadata.name.as_deref() == Some(reference.service.as_str())
        });
        let Some(service) = service else {
            return Backend::default();
        };
        let mut targets = Vec::new();
        for pod in &self.inputs.pods {
            let in_subset = reference
                .subset
                .as_ref()
                .is_none_or(|labels| map_matches(labels, pods::labels(pod)));
            if !in_subset || !pods::is_endpoint_of(service, pod) || !pods::is_ready(pod) {
                continue;
            }
            let (behaviour, _) = PodBehaviour::from_annotations(pod.metadata.annotations.as_ref());
            let key = SeriesKey {
                namespace: reference.namespace.clone(),
                service: reference.service.clone(),
                pod: pod.metadata.name.clone().unwrap_or_default(),
                pod_template_hash: pods::template_hash(pod).to_string(),
            };
            targets.push(Target {
                series: (self.series)(&key),
                error_rate: behaviour.error_rate,
                latency: LogNormal::with_mean(behaviour.mean_latency),
            });
        }
        Backend { targets }
    }
}

/// Index of `reference` in `backends`, adding it if new.
fn backend_index(backends: &mut Vec<BackendRef>, reference: BackendRef) -> usize {
    if let Some(index) = backends.iter().position(|b| *b == reference) {
        return index;
    }
    backends.push(reference);
    backends.len() - 1
}

/// The mask of header entries named `name` (case-insensitive) whose value `accept`s.
fn header_mask(headers: &HeaderModel, name: &str, accept: impl Fn(&str) -> bool) -> u64 {
    let name = name.to_ascii_lowercase();
    headers.mask_where(|entry: &HeaderEntry| entry.name == name && accept(&entry.value))
}

/// A regular expression that must match a whole value; `None` if it does not compile.
fn full_match(pattern: &str) -> Option<regex::Regex> {
    regex::Regex::new(&format!("^(?:{pattern})$")).ok()
}

/// The `spec` of a dynamic object.
fn spec_of(object: &DynamicObject) -> &serde_json::Value {
    static NULL: serde_json::Value = serde_json::Value::Null;
    object.data.get("spec").unwrap_or(&NULL)
}

/// Annotations as a map (empty when there are none).
fn annotations(meta: &kube::api::ObjectMeta) -> BTreeMap<String, String> {
    meta.annotations.clone().unwrap_or_default()
}

#[cfg(test)]
mod tests;
