//! The resource descriptors the sim serves: built-in kinds and kinds registered by CRDs.
//!
//! A descriptor says everything the server needs to route, validate and describe a resource:
//! its group/version/kind, plural and singular names, scope, short names, categories, which
//! subresources it has and how its objects are checked and defaulted.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::errors::Subject;
use crate::structural::Schema;
use crate::typed::TypedKind;

/// Where a resource's `/scale` subresource reads and writes the replica counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalePaths {
    /// JSON path such as `.spec.replicas`.
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

impl ScalePaths {
    /// The paths of Deployments, ReplicaSets and StatefulSets.
    pub fn apps() -> ScalePaths {
        ScalePaths {
            spec_replicas: ".spec.replicas".into(),
            status_replicas: ".status.replicas".into(),
            label_selector: Some(".spec.selector".into()),
        }
    }
}

/// Which field selectors a resource accepts beyond `metadata.name` and `metadata.namespace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldLabels {
    Generic,
    Pod,
    CoreEvent,
    Secret,
    Namespace,
}

/// One servable resource.
#[derive(Debug, Clone)]
pub struct ResourceDescriptor {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub status_subresource: bool,
    pub scale: Option<ScalePaths>,
    /// Whether strategic merge patch applies (built-ins only).
    pub strategic_merge: bool,
    pub field_labels: FieldLabels,
    /// The k8s-openapi type for unknown-field detection of built-ins.
    pub typed: Option<TypedKind>,
    /// The `openAPIV3Schema` of a CRD version, for pruning and defaulting.
    pub schema: Option<Arc<Schema>>,
    /// The CRD that registered this resource (`None` for built-ins).
    pub crd_name: Option<String>,
}

impl ResourceDescriptor {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The key objects of this resource are stored under, stable across versions.
    pub fn id(&self) -> ResourceId {
        ResourceId(Arc::from(format!("{}/{}", self.group, self.plural)))
    }

    pub fn subject(&self, name: &str) -> Box<Subject> {
        Box::new(Subject {
            group: self.group.clone(),
            plural: self.plural.clone(),
            kind: self.kind.clone(),
            name: name.to_string(),
        })
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    pub fn is_namespace(&self) -> bool {
        self.group.is_empty() && self.plural == "namespaces"
    }

    pub fn is_crd(&self) -> bool {
        self.group == "apiextensions.k8s.io" && self.plural == "customresourcedefinitions"
    }

    pub fn verbs(&self) -> Vec<&'static str> {
        vec![
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]
    }
}

/// `group/plural`: identifies a resource's object collection in the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(pub Arc<str>);

/// All resources currently served, indexed for routing.
#[derive(Debug, Default)]
pub struct Registry {
    /// Keyed by (group, version, plural).
    by_path: BTreeMap<(String, String, String), Arc<ResourceDescriptor>>,
}

impl Registry {
    pub fn with_builtins() -> Registry {
        let mut registry = Registry::default();
        for descriptor in crate::builtins::descriptors() {
            registry.insert(descriptor);
        }
        registry
    }

    pub fn insert(&mut self, descriptor: ResourceDescriptor) {
        let key = (
            descriptor.group.clone(),
            descriptor.version.clone(),
            descriptor.plural.clone(),
        );
        self.by_path.insert(key, Arc::new(descriptor));
    }

    /// Removes every resource registered by the named CRD.
    pub fn remove_crd(&mut self, crd_name: &str) {
        self.by_path
            .retain(|_, d| d.crd_name.as_deref() != Some(crd_name));
    }

    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceDescriptor>> {
        self.by_path
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
            .cloned()
    }

    /// The descriptor serving a given `apiVersion` and `kind` (used for owners and events).
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<Arc<ResourceDescriptor>> {
        self.by_path
            .values()
            .find(|d| d.kind == kind && d.api_version() == api_version)
            .cloned()
    }

    /// Every served resource, ordered by group, version and plural.
    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceDescriptor>> {
        self.by_path.values()
    }

    /// Group names in discovery order: the legacy core group first, then the rest sorted.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in self.by_path.values() {
            let versions = groups.entry(d.group.clone()).or_default();
            if !versions.contains(&d.version) {
                versions.push(d.version.clone());
            }
        }
        groups.into_iter().collect()
    }
}
