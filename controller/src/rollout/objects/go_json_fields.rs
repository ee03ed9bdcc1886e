//! The Go field order and `omitempty` tags of the pod template types (`k8s.io/api/core/v1` and
//! `metav1`, Kubernetes 1.33), as [`super::go_json`] needs them to reproduce `json.Marshal`.
//!
//! Each table lists a struct's JSON fields in declaration order. Fields without `omitempty`
//! use the `*Always` kinds; structs held by value use [`Kind::Struct`], which Go never omits.
//! The volume types live in [`super::go_json_volumes`]. Volume sources and other rarely used
//! types that are not listed make the encoder fail with the field's name rather than produce a
//! hash Argo would not produce.

use super::go_json::{GoField, GoType, Kind};
use super::go_json_volumes::VOLUME;

use Kind::*;

const fn f(json: &'static str, kind: Kind) -> GoField {
    GoField { json, kind }
}

pub static POD_TEMPLATE_SPEC: GoType = GoType {
    name: "PodTemplateSpec",
    fields: &[f("metadata", Struct(&OBJECT_META)), f("spec", Struct(&POD_SPEC))],
};

pub static OBJECT_META: GoType = GoType {
    name: "ObjectMeta",
    fields: &[
        f("name", Str),
        f("generateName", Str),
        f("namespace", Str),
        f("selfLink", Str),
        f("uid", Str),
        f("resourceVersion", Str),
        f("generation", Int),
        // A struct before Go 1.24's `omitzero`: written as null when unset, which Argo keeps.
        f("creationTimestamp", Time),
        f("deletionTimestamp", Ptr),
        f("deletionGracePeriodSeconds", Ptr),
        f("labels", StrMap),
        f("annotations", StrMap),
        f("ownerReferences", List(&OWNER_REFERENCE)),
        f("finalizers", StrList),
    ],
};

pub static OWNER_REFERENCE: GoType = GoType {
    name: "OwnerReference",
    fields: &[
        f("apiVersion", StrAlways),
        f("kind", StrAlways),
        f("name", StrAlways),
        f("uid", StrAlways),
        f("controller", Ptr),
        f("blockOwnerDeletion", Ptr),
    ],
};

pub static POD_SPEC: GoType = GoType {
    name: "PodSpec",
    fields: &[
        f("volumes", List(&VOLUME)),
        f("initContainers", List(&CONTAINER)),
        f("containers", ListAlways(&CONTAINER)),
        f("ephemeralContainers", List(&CONTAINER)),
        f("restartPolicy", Str),
        f("terminationGracePeriodSeconds", Ptr),
        f("activeDeadlineSeconds", Ptr),
        f("dnsPolicy", Str),
        f("nodeSelector", StrMap),
        f("serviceAccountName", Str),
        f("serviceAccount", Str),
        f("automountServiceAccountToken", Ptr),
        f("nodeName", Str),
        f("hostNetwork", Bool),
        f("hostPID", Bool),
        f("hostIPC", Bool),
        f("shareProcessNamespace", Ptr),
        f("securityContext", PtrStruct(&POD_SECURITY_CONTEXT)),
        f("imagePullSecrets", List(&LOCAL_OBJECT_REFERENCE)),
        f("hostname", Str),
        f("subdomain", Str),
        f("affinity", PtrStruct(&AFFINITY)),
        f("schedulerName", Str),
        f("tolerations", List(&TOLERATION)),
        f("hostAliases", List(&HOST_ALIAS)),
        f("priorityClassName", Str),
        f("priority", Ptr),
        f("dnsConfig", PtrStruct(&POD_DNS_CONFIG)),
        f("readinessGates", List(&POD_READINESS_GATE)),
        f("runtimeClassName", Ptr),
        f("enableServiceLinks", Ptr),
        f("preemptionPolicy", Ptr),
        f("overhead", QuantityMap),
        f("topologySpreadConstraints", List(&TOPOLOGY_SPREAD_CONSTRAINT)),
        f("setHostnameAsFQDN", Ptr),
        f("os", PtrStruct(&POD_OS)),
        f("hostUsers", Ptr),
        f("schedulingGates", List(&POD_SCHEDULING_GATE)),
        f("resourceClaims", List(&POD_RESOURCE_CLAIM)),
        f("resources", PtrStruct(&RESOURCE_REQUIREMENTS)),
    ],
};

pub static CONTAINER: GoType = GoType {
    name: "Container",
    fields: &[
        f("name", StrAlways),
        f("image", Str),
        f("command", StrList),
        f("args", StrList),
        f("workingDir", Str),
        f("ports", List(&CONTAINER_PORT)),
        f("envFrom", List(&ENV_FROM_SOURCE)),
        f("env", List(&ENV_VAR)),
        f("resources", Struct(&RESOURCE_REQUIREMENTS)),
        f("resizePolicy", List(&CONTAINER_RESIZE_POLICY)),
        f("restartPolicy", Ptr),
        f("volumeMounts", List(&VOLUME_MOUNT)),
        f("volumeDevices", List(&VOLUME_DEVICE)),
        f("livenessProbe", PtrStruct(&PROBE)),
        f("readinessProbe", PtrStruct(&PROBE)),
        f("startupProbe", PtrStruct(&PROBE)),
        f("lifecycle", PtrStruct(&LIFECYCLE)),
        f("terminationMessagePath", Str),
        f("terminationMessagePolicy", Str),
        f("imagePullPolicy", Str),
        f("securityContext", PtrStruct(&SECURITY_CONTEXT)),
        f("stdin", Bool),
        f("stdinOnce", Bool),
        f("tty", Bool),
    ],
};

pub static CONTAINER_PORT: GoType = GoType {
    name: "ContainerPort",
    fields: &[
        f("name", Str),
        f("hostPort", Int),
        f("containerPort", IntAlways),
        f("protocol", Str),
        f("hostIP", Str),
    ],
};

pub static ENV_FROM_SOURCE: GoType = GoType {
    name: "EnvFromSource",
    fields: &[
        f("prefix", Str),
        f("configMapRef", PtrStruct(&OPTIONAL_REFERENCE)),
        f("secretRef", PtrStruct(&OPTIONAL_REFERENCE)),
    ],
};

/// `ConfigMapEnvSource` and `SecretEnvSource`: an embedded `LocalObjectReference` and `optional`.
pub static OPTIONAL_REFERENCE: GoType = GoType {
    name: "ConfigMapEnvSource",
    fields: &[f("", Inline(&LOCAL_OBJECT_REFERENCE)), f("optional", Ptr)],
};

pub static LOCAL_OBJECT_REFERENCE: GoType = GoType {
    name: "LocalObjectReference",
    fields: &[f("name", Str)],
};

pub static ENV_VAR: GoType = GoType {
    name: "EnvVar",
    fields: &[
        f("name", StrAlways),
        f("value", Str),
        f("valueFrom", PtrStruct(&ENV_VAR_SOURCE)),
    ],
};

pub static ENV_VAR_SOURCE: GoType = GoType {
    name: "EnvVarSource",
    fields: &[
        f("fieldRef", PtrStruct(&OBJECT_FIELD_SELECTOR)),
        f("resourceFieldRef", PtrStruct(&RESOURCE_FIELD_SELECTOR)),
        f("configMapKeyRef", PtrStruct(&KEY_SELECTOR)),
        f("secretKeyRef", PtrStruct(&KEY_SELECTOR)),
    ],
};

pub static OBJECT_FIELD_SELECTOR: GoType = GoType {
    name: "ObjectFieldSelector",
    fields: &[f("apiVersion", Str), f("fieldPath", StrAlways)],
};

pub static RESOURCE_FIELD_SELECTOR: GoType = GoType {
    name: "ResourceFieldSelector",
    fields: &[
        f("containerName", Str),
        f("resource", StrAlways),
        f("divisor", Quantity),
    ],
};

/// `ConfigMapKeySelector` and `SecretKeySelector`.
pub static KEY_SELECTOR: GoType = GoType {
    name: "ConfigMapKeySelector",
    fields: &[
        f("", Inline(&LOCAL_OBJECT_REFERENCE)),
        f("key", StrAlways),
        f("optional", Ptr),
    ],
};

pub static RESOURCE_REQUIREMENTS: GoType = GoType {
    name: "ResourceRequirements",
    fields: &[
        f("limits", QuantityMap),
        f("requests", QuantityMap),
        f("claims", List(&RESOURCE_CLAIM)),
    ],
};

pub static RESOURCE_CLAIM: GoType = GoType {
    name: "ResourceClaim",
    fields: &[f("name", StrAlways), f("request", Str)],
};

pub static CONTAINER_RESIZE_POLICY: GoType = GoType {
    name: "ContainerResizePolicy",
    fields: &[f("resourceName", StrAlways), f("restartPolicy", StrAlways)],
};

pub static VOLUME_MOUNT: GoType = GoType {
    name: "VolumeMount",
    fields: &[
        f("name", StrAlways),
        f("readOnly", Bool),
        f("recursiveReadOnly", Ptr),
        f("mountPath", StrAlways),
        f("subPath", Str),
        f("mountPropagation", Ptr),
        f("subPathExpr", Str),
    ],
};

pub static VOLUME_DEVICE: GoType = GoType {
    name: "VolumeDevice",
    fields: &[f("name", StrAlways), f("devicePath", StrAlways)],
};

pub static PROBE: GoType = GoType {
    name: "Probe",
    fields: &[
        f("", Inline(&PROBE_HANDLER)),
        f("initialDelaySeconds", Int),
        f("timeoutSeconds", Int),
        f("periodSeconds", Int),
        f("successThreshold", Int),
        f("failureThreshold", Int),
        f("terminationGracePeriodSeconds", Ptr),
    ],
};

pub static PROBE_HANDLER: GoType = GoType {
    name: "ProbeHandler",
    fields: &[
        f("exec", PtrStruct(&EXEC_ACTION)),
        f("httpGet", PtrStruct(&HTTP_GET_ACTION)),
        f("tcpSocket", PtrStruct(&TCP_SOCKET_ACTION)),
        f("grpc", PtrStruct(&GRPC_ACTION)),
    ],
};

pub static EXEC_ACTION: GoType = GoType {
    name: "ExecAction",
    fields: &[f("command", StrList)],
};

pub static HTTP_GET_ACTION: GoType = GoType {
    name: "HTTPGetAction",
    fields: &[
        f("path", Str),
        f("port", IntOrStr),
        f("host", Str),
        f("scheme", Str),
        f("httpHeaders", List(&HTTP_HEADER)),
    ],
};

pub static HTTP_HEADER: GoType = GoType {
    name: "HTTPHeader",
    fields: &[f("name", StrAlways), f("value", StrAlways)],
};

pub static TCP_SOCKET_ACTION: GoType = GoType {
    name: "TCPSocketAction",
    fields: &[f("port", IntOrStr), f("host", Str)],
};

pub static GRPC_ACTION: GoType = GoType {
    name: "GRPCAction",
    // `service` is a pointer without omitempty: written as null when unset.
    fields: &[f("port", IntAlways), f("service", PtrAlways)],
};

pub static LIFECYCLE: GoType = GoType {
    name: "Lifecycle",
    fields: &[
        f("postStart", PtrStruct(&LIFECYCLE_HANDLER)),
        f("preStop", PtrStruct(&LIFECYCLE_HANDLER)),
        f("stopSignal", Ptr),
    ],
};

pub static LIFECYCLE_HANDLER: GoType = GoType {
    name: "LifecycleHandler",
    fields: &[
        f("exec", PtrStruct(&EXEC_ACTION)),
        f("httpGet", PtrStruct(&HTTP_GET_ACTION)),
        f("tcpSocket", PtrStruct(&TCP_SOCKET_ACTION)),
        f("sleep", PtrStruct(&SLEEP_ACTION)),
    ],
};

pub static SLEEP_ACTION: GoType = GoType {
    name: "SleepAction",
    fields: &[f("seconds", IntAlways)],
};

pub static SECURITY_CONTEXT: GoType = GoType {
    name: "SecurityContext",
    fields: &[
        f("capabilities", PtrStruct(&CAPABILITIES)),
        f("privileged", Ptr),
        f("seLinuxOptions", PtrStruct(&SE_LINUX_OPTIONS)),
        f("windowsOptions", PtrStruct(&WINDOWS_OPTIONS)),
        f("runAsUser", Ptr),
        f("runAsGroup", Ptr),
        f("runAsNonRoot", Ptr),
        f("readOnlyRootFilesystem", Ptr),
        f("allowPrivilegeEscalation", Ptr),
        f("procMount", Ptr),
        f("seccompProfile", PtrStruct(&SECCOMP_PROFILE)),
        f("appArmorProfile", PtrStruct(&APP_ARMOR_PROFILE)),
    ],
};

pub static CAPABILITIES: GoType = GoType {
    name: "Capabilities",
    fields: &[f("add", StrList), f("drop", StrList)],
};

pub static SE_LINUX_OPTIONS: GoType = GoType {
    name: "SELinuxOptions",
    fields: &[f("user", Str), f("role", Str), f("type", Str), f("level", Str)],
};

pub static WINDOWS_OPTIONS: GoType = GoType {
    name: "WindowsSecurityContextOptions",
    fields: &[
        f("gmsaCredentialSpecName", Ptr),
        f("gmsaCredentialSpec", Ptr),
        f("runAsUserName", Ptr),
        f("hostProcess", Ptr),
    ],
};

pub static SECCOMP_PROFILE: GoType = GoType {
    name: "SeccompProfile",
    fields: &[f("type", StrAlways), f("localhostProfile", Ptr)],
};

pub static APP_ARMOR_PROFILE: GoType = GoType {
    name: "AppArmorProfile",
    fields: &[f("type", StrAlways), f("localhostProfile", Ptr)],
};

pub static POD_SECURITY_CONTEXT: GoType = GoType {
    name: "PodSecurityContext",
    fields: &[
        f("seLinuxOptions", PtrStruct(&SE_LINUX_OPTIONS)),
        f("windowsOptions", PtrStruct(&WINDOWS_OPTIONS)),
        f("runAsUser", Ptr),
        f("runAsGroup", Ptr),
        f("runAsNonRoot", Ptr),
        f("supplementalGroups", IntList),
        f("supplementalGroupsPolicy", Ptr),
        f("fsGroup", Ptr),
        f("sysctls", List(&SYSCTL)),
        f("fsGroupChangePolicy", Ptr),
        f("seccompProfile", PtrStruct(&SECCOMP_PROFILE)),
        f("appArmorProfile", PtrStruct(&APP_ARMOR_PROFILE)),
        f("seLinuxChangePolicy", Ptr),
    ],
};

pub static SYSCTL: GoType = GoType {
    name: "Sysctl",
    fields: &[f("name", StrAlways), f("value", StrAlways)],
};

pub static AFFINITY: GoType = GoType {
    name: "Affinity",
    fields: &[
        f("nodeAffinity", PtrStruct(&NODE_AFFINITY)),
        f("podAffinity", PtrStruct(&POD_AFFINITY)),
        f("podAntiAffinity", PtrStruct(&POD_AFFINITY)),
    ],
};

pub static NODE_AFFINITY: GoType = GoType {
    name: "NodeAffinity",
    fields: &[
        f(
            "requiredDuringSchedulingIgnoredDuringExecution",
            PtrStruct(&NODE_SELECTOR),
        ),
        f(
            "preferredDuringSchedulingIgnoredDuringExecution",
            List(&PREFERRED_SCHEDULING_TERM),
        ),
    ],
};

pub static NODE_SELECTOR: GoType = GoType {
    name: "NodeSelector",
    fields: &[f("nodeSelectorTerms", ListAlways(&NODE_SELECTOR_TERM))],
};

pub static NODE_SELECTOR_TERM: GoType = GoType {
    name: "NodeSelectorTerm",
    fields: &[
        f("matchExpressions", List(&SELECTOR_REQUIREMENT)),
        f("matchFields", List(&SELECTOR_REQUIREMENT)),
    ],
};

/// `NodeSelectorRequirement` and `metav1.LabelSelectorRequirement` share this shape.
pub static SELECTOR_REQUIREMENT: GoType = GoType {
    name: "NodeSelectorRequirement",
    fields: &[
        f("key", StrAlways),
        f("operator", StrAlways),
        f("values", StrList),
    ],
};

pub static PREFERRED_SCHEDULING_TERM: GoType = GoType {
    name: "PreferredSchedulingTerm",
    fields: &[
        f("weight", IntAlways),
        f("preference", Struct(&NODE_SELECTOR_TERM)),
    ],
};

/// `PodAffinity` and `PodAntiAffinity` share this shape.
pub static POD_AFFINITY: GoType = GoType {
    name: "PodAffinity",
    fields: &[
        f(
            "requiredDuringSchedulingIgnoredDuringExecution",
            List(&POD_AFFINITY_TERM),
        ),
        f(
            "preferredDuringSchedulingIgnoredDuringExecution",
            List(&WEIGHTED_POD_AFFINITY_TERM),
        ),
    ],
};

pub static POD_AFFINITY_TERM: GoType = GoType {
    name: "PodAffinityTerm",
    fields: &[
        f("labelSelector", PtrStruct(&LABEL_SELECTOR)),
        f("namespaces", StrList),
        f("topologyKey", StrAlways),
        f("namespaceSelector", PtrStruct(&LABEL_SELECTOR)),
        f("matchLabelKeys", StrList),
        f("mismatchLabelKeys", StrList),
    ],
};

pub static WEIGHTED_POD_AFFINITY_TERM: GoType = GoType {
    name: "WeightedPodAffinityTerm",
    fields: &[
        f("weight", IntAlways),
        f("podAffinityTerm", Struct(&POD_AFFINITY_TERM)),
    ],
};

pub static LABEL_SELECTOR: GoType = GoType {
    name: "LabelSelector",
    fields: &[
        f("matchLabels", StrMap),
        f("matchExpressions", List(&SELECTOR_REQUIREMENT)),
    ],
};

pub static TOLERATION: GoType = GoType {
    name: "Toleration",
    fields: &[
        f("key", Str),
        f("operator", Str),
        f("value", Str),
        f("effect", Str),
        f("tolerationSeconds", Ptr),
    ],
};

pub static HOST_ALIAS: GoType = GoType {
    name: "HostAlias",
    fields: &[f("ip", StrAlways), f("hostnames", StrList)],
};

pub static POD_DNS_CONFIG: GoType = GoType {
    name: "PodDNSConfig",
    fields: &[
        f("nameservers", StrList),
        f("searches", StrList),
        f("options", List(&POD_DNS_CONFIG_OPTION)),
    ],
};

pub static POD_DNS_CONFIG_OPTION: GoType = GoType {
    name: "PodDNSConfigOption",
    fields: &[f("name", Str), f("value", Ptr)],
};

pub static POD_READINESS_GATE: GoType = GoType {
    name: "PodReadinessGate",
    fields: &[f("conditionType", StrAlways)],
};

pub static TOPOLOGY_SPREAD_CONSTRAINT: GoType = GoType {
    name: "TopologySpreadConstraint",
    fields: &[
        f("maxSkew", IntAlways),
        f("topologyKey", StrAlways),
        f("whenUnsatisfiable", StrAlways),
        f("labelSelector", PtrStruct(&LABEL_SELECTOR)),
        f("minDomains", Ptr),
        f("nodeAffinityPolicy", Ptr),
        f("nodeTaintsPolicy", Ptr),
        f("matchLabelKeys", StrList),
    ],
};

pub static POD_RESOURCE_CLAIM: GoType = GoType {
    name: "PodResourceClaim",
    fields: &[
        f("name", StrAlways),
        f("resourceClaimName", Ptr),
        f("resourceClaimTemplateName", Ptr),
    ],
};

pub static POD_OS: GoType = GoType {
    name: "PodOS",
    fields: &[f("name", StrAlways)],
};

pub static POD_SCHEDULING_GATE: GoType = GoType {
    name: "PodSchedulingGate",
    fields: &[f("name", StrAlways)],
};
