//! The Go field order and `omitempty` tags of `Volume` and the volume sources a pod template
//! commonly uses (`k8s.io/api/core/v1`, Kubernetes 1.33), for [`super::go_json`].

use super::go_json::{GoField, GoType, Kind};
use super::go_json_fields::{LOCAL_OBJECT_REFERENCE, OBJECT_FIELD_SELECTOR, RESOURCE_FIELD_SELECTOR};

use Kind::*;

const fn f(json: &'static str, kind: Kind) -> GoField {
    GoField { json, kind }
}

pub static VOLUME: GoType = GoType {
    name: "Volume",
    fields: &[f("name", StrAlways), f("", Inline(&VOLUME_SOURCE))],
};

/// The volume sources the encoder knows, in `VolumeSource` declaration order (the others, such
/// as cloud disks and legacy plugins, are left out on purpose and reported when used).
pub static VOLUME_SOURCE: GoType = GoType {
    name: "VolumeSource",
    fields: &[
        f("hostPath", PtrStruct(&HOST_PATH)),
        f("emptyDir", PtrStruct(&EMPTY_DIR)),
        f("secret", PtrStruct(&SECRET_VOLUME)),
        f("nfs", PtrStruct(&NFS)),
        f("persistentVolumeClaim", PtrStruct(&PERSISTENT_VOLUME_CLAIM)),
        f("downwardAPI", PtrStruct(&DOWNWARD_API_VOLUME)),
        f("configMap", PtrStruct(&CONFIG_MAP_VOLUME)),
        f("projected", PtrStruct(&PROJECTED)),
        f("csi", PtrStruct(&CSI)),
    ],
};

pub static HOST_PATH: GoType = GoType {
    name: "HostPathVolumeSource",
    fields: &[f("path", StrAlways), f("type", Ptr)],
};

pub static EMPTY_DIR: GoType = GoType {
    name: "EmptyDirVolumeSource",
    fields: &[f("medium", Str), f("sizeLimit", PtrQuantity)],
};

pub static SECRET_VOLUME: GoType = GoType {
    name: "SecretVolumeSource",
    fields: &[
        f("secretName", Str),
        f("items", List(&KEY_TO_PATH)),
        f("defaultMode", Ptr),
        f("optional", Ptr),
    ],
};

pub static KEY_TO_PATH: GoType = GoType {
    name: "KeyToPath",
    fields: &[f("key", StrAlways), f("path", StrAlways), f("mode", Ptr)],
};

pub static NFS: GoType = GoType {
    name: "NFSVolumeSource",
    fields: &[f("server", StrAlways), f("path", StrAlways), f("readOnly", Bool)],
};

pub static PERSISTENT_VOLUME_CLAIM: GoType = GoType {
    name: "PersistentVolumeClaimVolumeSource",
    fields: &[f("claimName", StrAlways), f("readOnly", Bool)],
};

pub static DOWNWARD_API_VOLUME: GoType = GoType {
    name: "DownwardAPIVolumeSource",
    fields: &[f("items", List(&DOWNWARD_API_FILE)), f("defaultMode", Ptr)],
};

pub static DOWNWARD_API_FILE: GoType = GoType {
    name: "DownwardAPIVolumeFile",
    fields: &[
        f("path", StrAlways),
        f("fieldRef", PtrStruct(&OBJECT_FIELD_SELECTOR)),
        f("resourceFieldRef", PtrStruct(&RESOURCE_FIELD_SELECTOR)),
        f("mode", Ptr),
    ],
};

pub static CONFIG_MAP_VOLUME: GoType = GoType {
    name: "ConfigMapVolumeSource",
    fields: &[
        f("", Inline(&LOCAL_OBJECT_REFERENCE)),
        f("items", List(&KEY_TO_PATH)),
        f("defaultMode", Ptr),
        f("optional", Ptr),
    ],
};

pub static PROJECTED: GoType = GoType {
    name: "ProjectedVolumeSource",
    fields: &[
        f("sources", ListAlways(&VOLUME_PROJECTION)),
        f("defaultMode", Ptr),
    ],
};

pub static VOLUME_PROJECTION: GoType = GoType {
    name: "VolumeProjection",
    fields: &[
        f("secret", PtrStruct(&PROJECTION_ITEMS)),
        f("downwardAPI", PtrStruct(&DOWNWARD_API_PROJECTION)),
        f("configMap", PtrStruct(&PROJECTION_ITEMS)),
        f("serviceAccountToken", PtrStruct(&SERVICE_ACCOUNT_TOKEN)),
    ],
};

/// `SecretProjection` and `ConfigMapProjection`.
pub static PROJECTION_ITEMS: GoType = GoType {
    name: "SecretProjection",
    fields: &[
        f("", Inline(&LOCAL_OBJECT_REFERENCE)),
        f("items", List(&KEY_TO_PATH)),
        f("optional", Ptr),
    ],
};

pub static DOWNWARD_API_PROJECTION: GoType = GoType {
    name: "DownwardAPIProjection",
    fields: &[f("items", List(&DOWNWARD_API_FILE))],
};

pub static SERVICE_ACCOUNT_TOKEN: GoType = GoType {
    name: "ServiceAccountTokenProjection",
    fields: &[
        f("audience", Str),
        f("expirationSeconds", Ptr),
        f("path", StrAlways),
    ],
};

pub static CSI: GoType = GoType {
    name: "CSIVolumeSource",
    fields: &[
        f("driver", StrAlways),
        f("readOnly", Ptr),
        f("fsType", Ptr),
        f("volumeAttributes", StrMap),
        f("nodePublishSecretRef", PtrStruct(&LOCAL_OBJECT_REFERENCE)),
    ],
};
