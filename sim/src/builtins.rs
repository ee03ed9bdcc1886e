//! The table of built-in resources the sim serves from the start.

use crate::registry::{FieldLabels, ResourceDescriptor, ScalePaths};
use crate::typed::TypedKind;

/// One row of the built-in table; expanded into a [`ResourceDescriptor`].
struct Row {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    in_all: bool,
    status: bool,
    scale: bool,
    field_labels: FieldLabels,
    typed: TypedKind,
}

const fn row(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    typed: TypedKind,
) -> Row {
    Row {
        group,
        version,
        kind,
        plural,
        namespaced: true,
        short_names: &[],
        in_all: false,
        status: false,
        scale: false,
        field_labels: FieldLabels::Generic,
        typed,
    }
}

impl Row {
    const fn cluster(mut self) -> Row {
        self.namespaced = false;
        self
    }
    const fn short(mut self, names: &'static [&'static str]) -> Row {
        self.short_names = names;
        self
    }
    const fn all(mut self) -> Row {
        self.in_all = true;
        self
    }
    const fn status(mut self) -> Row {
        self.status = true;
        self
    }
    const fn scale(mut self) -> Row {
        self.scale = true;
        self
    }
    const fn fields(mut self, labels: FieldLabels) -> Row {
        self.field_labels = labels;
        self
    }
}

const APPS: &str = "apps";
const RBAC: &str = "rbac.authorization.k8s.io";

fn rows() -> Vec<Row> {
    use TypedKind as T;
    vec![
        row("", "v1", "Namespace", "namespaces", T::Namespace)
            .cluster()
            .short(&["ns"])
            .status()
            .fields(FieldLabels::Namespace),
        row("", "v1", "Pod", "pods", T::Pod)
            .short(&["po"])
            .all()
            .status()
            .fields(FieldLabels::Pod),
        row("", "v1", "Service", "services", T::Service)
            .short(&["svc"])
            .all()
            .status(),
        row("", "v1", "Endpoints", "endpoints", T::Endpoints).short(&["ep"]),
        row("", "v1", "ConfigMap", "configmaps", T::ConfigMap).short(&["cm"]),
        row("", "v1", "Secret", "secrets", T::Secret).fields(FieldLabels::Secret),
        row("", "v1", "ServiceAccount", "serviceaccounts", T::ServiceAccount).short(&["sa"]),
        row("", "v1", "PodTemplate", "podtemplates", T::PodTemplate),
        row("", "v1", "Event", "events", T::CoreEvent)
            .short(&["ev"])
            .fields(FieldLabels::CoreEvent),
        row(
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            T::PersistentVolumeClaim,
        )
        .short(&["pvc"])
        .status(),
        row(
            "discovery.k8s.io",
            "v1",
            "EndpointSlice",
            "endpointslices",
            T::EndpointSlice,
        ),
        row("events.k8s.io", "v1", "Event", "events", T::EventsEvent).short(&["ev"]),
        row(APPS, "v1", "ReplicaSet", "replicasets", T::ReplicaSet)
            .short(&["rs"])
            .all()
            .status()
            .scale(),
        row(APPS, "v1", "Deployment", "deployments", T::Deployment)
            .short(&["deploy"])
            .all()
            .status()
            .scale(),
        row(APPS, "v1", "StatefulSet", "statefulsets", T::StatefulSet)
            .short(&["sts"])
            .all()
            .status()
            .scale(),
        row(APPS, "v1", "DaemonSet", "daemonsets", T::DaemonSet)
            .short(&["ds"])
            .all()
            .status(),
        row("batch", "v1", "Job", "jobs", T::Job).all().status(),
        row("networking.k8s.io", "v1", "Ingress", "ingresses", T::Ingress)
            .short(&["ing"])
            .status(),
        row("coordination.k8s.io", "v1", "Lease", "leases", T::Lease),
        row(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            T::CustomResourceDefinition,
        )
        .cluster()
        .short(&["crd", "crds"])
        .status(),
        row(RBAC, "v1", "Role", "roles", T::Role),
        row(RBAC, "v1", "ClusterRole", "clusterroles", T::ClusterRole).cluster(),
        row(RBAC, "v1", "RoleBinding", "rolebindings", T::RoleBinding),
        row(
            RBAC,
            "v1",
            "ClusterRoleBinding",
            "clusterrolebindings",
            T::ClusterRoleBinding,
        )
        .cluster(),
        row(
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            T::HorizontalPodAutoscaler,
        )
        .short(&["hpa"])
        .all()
        .status(),
    ]
}

/// Descriptors of every built-in resource.
pub fn descriptors() -> Vec<ResourceDescriptor> {
    rows()
        .into_iter()
        .map(|r| ResourceDescriptor {
            group: r.group.to_string(),
            version: r.version.to_string(),
            kind: r.kind.to_string(),
            plural: r.plural.to_string(),
            singular: r.kind.to_lowercase(),
            namespaced: r.namespaced,
            short_names: r.short_names.iter().map(|s| s.to_string()).collect(),
            categories: if r.in_all {
                vec!["all".to_string()]
            } else {
                Vec::new()
            },
            status_subresource: r.status,
            scale: r.scale.then(ScalePaths::apps),
            strategic_merge: true,
            field_labels: r.field_labels,
            typed: Some(r.typed),
            schema: None,
            crd_name: None,
        })
        .collect()
}

/// Namespaces every cluster starts with.
pub const INITIAL_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];
