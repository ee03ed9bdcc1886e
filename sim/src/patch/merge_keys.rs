//! Which lists of built-in kinds merge by key, and by which key.
//!
//! The apiserver reads this from Go struct tags (`patchMergeKey`, `listType=map`); k8s-openapi
//! carries none of it, so it is written out here. A [`Shape`] names the Go struct a JSON object
//! stands for, as far as it matters for merging: it answers what shape a field's value has and
//! how a list field merges. Everything not named here is atomic: replaced whole.

/// The part of an object being merged, as far as list merging cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// The top of an object of some kind.
    Root(RootKind),
    ObjectMeta,
    PodTemplateSpec,
    PodSpec,
    Container,
    /// The spec of a kind that owns a pod template: Deployment, ReplicaSet, StatefulSet, ...
    WorkloadSpec,
    CronJobSpec,
    JobTemplateSpec,
    ServiceSpec,
    /// Any `status`: its `conditions` are keyed by `type`.
    Status,
    /// Nothing below here has list merge metadata.
    Opaque,
}

/// The kinds whose structure differs at the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootKind {
    Pod,
    Workload,
    CronJob,
    PodTemplate,
    Service,
    Other,
}

/// How a list field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListKind {
    /// Replaced whole.
    Atomic,
    /// A list of scalars merged as a set union (finalizers).
    Set,
    /// A list of objects merged item by item, matched by key.
    Keyed(MergeKeys),
}

/// The keys a keyed list matches items by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MergeKeys {
    /// The single `patchMergeKey` strategic merge patch uses.
    pub strategic: &'static str,
    /// The `listMapKeys` server-side apply uses, with the value a missing key defaults to.
    pub apply: &'static [ApplyKey],
}

/// One key field of a server-side-apply list map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ApplyKey {
    pub name: &'static str,
    /// The value the apiserver defaults this key to when an item leaves it out.
    pub default: Option<&'static str>,
}

/// A list keyed by one field, the same for strategic merge and for apply.
macro_rules! by {
    ($key:literal) => {
        ListKind::Keyed(MergeKeys {
            strategic: $key,
            apply: &[ApplyKey {
                name: $key,
                default: None,
            }],
        })
    };
}

const CONTAINER_PORTS: ListKind = ListKind::Keyed(MergeKeys {
    strategic: "containerPort",
    apply: &[
        ApplyKey {
            name: "containerPort",
            default: None,
        },
        ApplyKey {
            name: "protocol",
            default: Some("TCP"),
        },
    ],
});

const SERVICE_PORTS: ListKind = ListKind::Keyed(MergeKeys {
    strategic: "port",
    apply: &[
        ApplyKey {
            name: "port",
            default: None,
        },
        ApplyKey {
            name: "protocol",
            default: Some("TCP"),
        },
    ],
});

const TOPOLOGY_SPREAD: ListKind = ListKind::Keyed(MergeKeys {
    strategic: "topologyKey",
    apply: &[
        ApplyKey {
            name: "topologyKey",
            default: None,
        },
        ApplyKey {
            name: "whenUnsatisfiable",
            default: None,
        },
    ],
});

impl Shape {
    /// The shape at the top of an object of `kind` (e.g. "Deployment").
    pub(crate) fn for_kind(kind: &str) -> Shape {
        Shape::Root(match kind {
            "Pod" => RootKind::Pod,
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicationController" => {
                RootKind::Workload
            }
            "CronJob" => RootKind::CronJob,
            "PodTemplate" => RootKind::PodTemplate,
            "Service" => RootKind::Service,
            _ => RootKind::Other,
        })
    }

    /// The shape of the value of `field`; for a list field, the shape of its items.
    pub(crate) fn field(self, field: &str) -> Shape {
        match (self, field) {
            (Shape::Root(_), "metadata") => Shape::ObjectMeta,
            (Shape::Root(_), "status") => Shape::Status,
            (Shape::Root(RootKind::Pod), "spec") => Shape::PodSpec,
            (Shape::Root(RootKind::Workload), "spec") | (Shape::JobTemplateSpec, "spec") => {
                Shape::WorkloadSpec
            }
            (Shape::Root(RootKind::CronJob), "spec") => Shape::CronJobSpec,
            (Shape::Root(RootKind::Service), "spec") => Shape::ServiceSpec,
            (Shape::Root(RootKind::PodTemplate), "template") | (Shape::WorkloadSpec, "template") => {
                Shape::PodTemplateSpec
            }
            (Shape::CronJobSpec, "jobTemplate") => Shape::JobTemplateSpec,
            (Shape::PodTemplateSpec | Shape::JobTemplateSpec, "metadata") => Shape::ObjectMeta,
            (Shape::PodTemplateSpec, "spec") => Shape::PodSpec,
            (Shape::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => Shape::Container,
            _ => Shape::Opaque,
        }
    }

    /// Whether the object in `field` is owned and applied as one value rather than member by
    /// member (Go's `+structType=atomic`); only server-side apply makes that distinction.
    pub(crate) fn is_atomic_object(self, field: &str) -> bool {
        matches!((self, field), (Shape::WorkloadSpec, "selector"))
    }

    /// How the list in `field` merges.
    pub(crate) fn list(self, field: &str) -> ListKind {
        match (self, field) {
            (Shape::ObjectMeta, "finalizers") => ListKind::Set,
            (Shape::ObjectMeta, "ownerReferences") => by!("uid"),
            (
                Shape::PodSpec,
                "containers"
                | "initContainers"
                | "ephemeralContainers"
                | "volumes"
                | "imagePullSecrets"
                | "schedulingGates"
                | "resourceClaims",
            ) => by!("name"),
            (Shape::PodSpec, "hostAliases") => by!("ip"),
            (Shape::PodSpec, "topologySpreadConstraints") => TOPOLOGY_SPREAD,
            (Shape::Container, "env") => by!("name"),
            (Shape::Container, "ports") => CONTAINER_PORTS,
            (Shape::Container, "volumeMounts") => by!("mountPath"),
            (Shape::Container, "volumeDevices") => by!("devicePath"),
            (Shape::ServiceSpec, "ports") => SERVICE_PORTS,
            (Shape::Status, "conditions") => by!("type"),
            _ => ListKind::Atomic,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ListKind, Shape};

    fn list_at(kind: &str, path: &[&str], list: &str) -> ListKind {
        path.iter()
            .fold(Shape::for_kind(kind), |shape, field| shape.field(field))
            .list(list)
    }

    fn strategic_key(kind: ListKind) -> Option<&'static str> {
        match kind {
            ListKind::Keyed(keys) => Some(keys.strategic),
            _ => None,
        }
    }

    #[test]
    fn merge_keys_of_the_pod_template_lists() {
        let deployment_pod = ["spec", "template", "spec"];
        assert_eq!(
            strategic_key(list_at("Deployment", &deployment_pod, "containers")),
            Some("name")
        );
        assert_eq!(
            strategic_key(list_at("StatefulSet", &deployment_pod, "volumes")),
            Some("name")
        );
        assert_eq!(
            strategic_key(list_at("Job", &deployment_pod, "hostAliases")),
            Some("ip")
        );
        let container = ["spec", "template", "spec", "containers"];
        assert_eq!(
            strategic_key(list_at("ReplicaSet", &container, "ports")),
            Some("containerPort")
        );
        assert_eq!(
            strategic_key(list_at("DaemonSet", &container, "volumeMounts")),
            Some("mountPath")
        );
        let cron_container = [
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "spec",
            "initContainers",
        ];
        assert_eq!(
            strategic_key(list_at("CronJob", &cron_container, "env")),
            Some("name")
        );
        assert_eq!(
            strategic_key(list_at("Pod", &["spec", "containers"], "volumeDevices")),
            Some("devicePath")
        );
        assert_eq!(
            strategic_key(list_at("PodTemplate", &["template", "spec"], "imagePullSecrets")),
            Some("name")
        );
    }

    #[test]
    fn merge_keys_of_metadata_service_and_status() {
        assert_eq!(
            strategic_key(list_at("ConfigMap", &["metadata"], "ownerReferences")),
            Some("uid")
        );
        assert_eq!(list_at("ConfigMap", &["metadata"], "finalizers"), ListKind::Set);
        assert_eq!(
            strategic_key(list_at("Service", &["spec"], "ports")),
            Some("port")
        );
        assert_eq!(
            strategic_key(list_at("Deployment", &["status"], "conditions")),
            Some("type")
        );
    }

    #[test]
    fn other_lists_are_atomic() {
        let pod_spec = ["spec", "template", "spec"];
        assert_eq!(list_at("Deployment", &pod_spec, "tolerations"), ListKind::Atomic);
        assert_eq!(
            list_at("Deployment", &["spec", "template", "spec", "containers"], "args"),
            ListKind::Atomic
        );
        assert_eq!(list_at("ConfigMap", &["spec"], "containers"), ListKind::Atomic);
        assert_eq!(list_at("Deployment", &["spec"], "ports"), ListKind::Atomic);
    }

    #[test]
    fn workload_selectors_are_atomic_objects() {
        assert!(
            Shape::for_kind("Deployment")
                .field("spec")
                .is_atomic_object("selector")
        );
        assert!(
            !Shape::for_kind("Service")
                .field("spec")
                .is_atomic_object("selector")
        );
        assert!(
            !Shape::for_kind("Deployment")
                .field("spec")
                .is_atomic_object("template")
        );
    }

    #[test]
    fn apply_keys_of_ports_include_the_protocol_defaulting_to_tcp() {
        let ListKind::Keyed(keys) = list_at("Pod", &["spec", "containers"], "ports") else {
            panic!("container ports must be keyed");
        };
        let names: Vec<_> = keys.apply.iter().map(|key| (key.name, key.default)).collect();
        assert_eq!(names, [("containerPort", None), ("protocol", Some("TCP"))]);
        assert!(matches!(list_at("Service", &["spec"], "ports"), ListKind::Keyed(k) if k.apply.len() == 2));
    }
}
