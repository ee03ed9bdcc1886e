//! Which objects in a cluster belong to an Application, and how an apply marks them, for each of
//! Argo CD's resource tracking methods:
//!
//! - `annotation` (Argo CD 3's default): `argocd.argoproj.io/tracking-id` decides and is the only
//!   mark written;
//! - `label` (the default before Argo CD 3): `app.kubernetes.io/instance: <instance>` decides and
//!   is the only mark written. The label names the Application only; the object's own kind,
//!   namespace and name say which resource it is. A label value holds at most 63 characters, so
//!   a longer instance name cannot be tracked this way (Argo CD's apply fails on it; here it is a
//!   spec error before anything is applied);
//! - `annotation+label`: the annotation decides, and the label is also written (cut to 63
//!   characters) for tools that read it.
//!
//! The instance name is the Application's name, or `<namespace>_<name>` for an Application
//! outside the control-plane namespace.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::sync::identity::{
    self, INSTANCE_LABEL, LABEL_VALUE_MAX, ResourceKey, TRACKING_ID_ANNOTATION, TrackingId,
};
use crate::sync::object::{self, str_at};

/// Argo CD's `application.resourceTrackingMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrackingMethod {
    #[default]
    Annotation,
    Label,
    AnnotationAndLabel,
}

impl TrackingMethod {
    /// Whether the tracking id annotation is written (and, then, decides ownership).
    pub fn writes_annotation(self) -> bool {
        matches!(
            self,
            TrackingMethod::Annotation | TrackingMethod::AnnotationAndLabel
        )
    }

    /// Whether the instance label is written.
    pub fn writes_label(self) -> bool {
        matches!(self, TrackingMethod::Label | TrackingMethod::AnnotationAndLabel)
    }

    /// The instance name that owns `obj` by the deciding mark of this method, if any: what an
    /// index of live objects by owner is keyed by. A malformed tracking id names no owner.
    pub fn owner(self, obj: &Value) -> Option<&str> {
        if self.writes_annotation() {
            let value = object::annotation(obj, TRACKING_ID_ANNOTATION)?;
            value.parse::<TrackingId>().ok()?;
            value.split_once(':').map(|(app, _)| app)
        } else {
            str_at(obj, &["metadata", "labels", INSTANCE_LABEL])
        }
    }
}

impl fmt::Display for TrackingMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrackingMethod::Annotation => "annotation",
            TrackingMethod::Label => "label",
            TrackingMethod::AnnotationAndLabel => "annotation+label",
        })
    }
}

/// A tracking method named by something other than `annotation`, `label` or `annotation+label`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tracking method {0:?}: expected annotation, label or annotation+label")]
pub struct UnknownTrackingMethod(pub String);

impl FromStr for TrackingMethod {
    type Err = UnknownTrackingMethod;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim() {
            "annotation" => Ok(TrackingMethod::Annotation),
            "label" => Ok(TrackingMethod::Label),
            "annotation+label" => Ok(TrackingMethod::AnnotationAndLabel),
            other => Err(UnknownTrackingMethod(other.to_string())),
        }
    }
}

/// How one Application tracks its objects: the method and the instance name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracking {
    pub method: TrackingMethod,
    pub instance: String,
}

impl Tracking {
    pub fn new(method: TrackingMethod, instance: impl Into<String>) -> Tracking {
        Tracking {
            method,
            instance: instance.into(),
        }
    }

    /// Tracking by annotation, the default.
    pub fn annotation(instance: impl Into<String>) -> Tracking {
        Tracking::new(TrackingMethod::Annotation, instance)
    }

    /// The value of the instance label: the whole instance name for the label method (which
    /// tracks by it), cut to fit for `annotation+label` (where it only informs).
    pub fn label_value(&self) -> String {
        match self.method {
            TrackingMethod::Label => self.instance.clone(),
            _ => identity::instance_label_value(&self.instance),
        }
    }

    /// Why this Application cannot be tracked with its method, if it cannot: the label method
    /// needs an instance name that fits a label value.
    pub fn problem(&self) -> Option<String> {
        let length = self.instance.chars().count();
        (self.method == TrackingMethod::Label && length > LABEL_VALUE_MAX).then(|| {
            format!(
                "the label tracking method needs an instance name of at most {LABEL_VALUE_MAX} characters, \
                 and {:?} has {length}; track by annotation instead",
                self.instance
            )
        })
    }

    /// Whether the live object `obj` belongs to this Application. A malformed tracking id
    /// belongs to no one.
    pub fn tracks(&self, obj: &Value) -> bool {
        if self.method.writes_annotation() {
            matches!(identity::tracking_id(obj), Some(Ok(id)) if id.app == self.instance)
        } else {
            self.problem().is_none()
                && str_at(obj, &["metadata", "labels", INSTANCE_LABEL]) == Some(self.instance.as_str())
        }
    }

    /// The label selector that finds this Application's objects when the label decides, so a
    /// list need not return every object of a kind.
    pub fn selector(&self) -> Option<String> {
        (self.method == TrackingMethod::Label && self.problem().is_none())
            .then(|| format!("{INSTANCE_LABEL}={}", self.instance))
    }

    /// Writes the marks of the method into `object` (keyed `key`), leaving its other labels and
    /// annotations as they are.
    pub fn mark(&self, object: &mut Value, key: &ResourceKey) {
        if self.method.writes_annotation() {
            let id = TrackingId {
                app: self.instance.clone(),
                key: key.clone(),
            };
            if let Some(annotations) = metadata_map(object, "annotations") {
                annotations.insert(TRACKING_ID_ANNOTATION.into(), Value::String(id.to_string()));
            }
        }
        if self.method.writes_label()
            && let Some(labels) = metadata_map(object, "labels")
        {
            labels.insert(INSTANCE_LABEL.into(), Value::String(self.label_value()));
        }
    }
}

/// `metadata.<field>` of `object` as a map, made (or replaced, when not a map) if needed; `None`
/// when the object itself is not a map.
fn metadata_map<'a>(object: &'a mut Value, field: &str) -> Option<&'a mut Map<String, Value>> {
    let metadata = object
        .as_object_mut()?
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !metadata.is_object() {
        *metadata = Value::Object(Map::new());
    }
    let map = metadata
        .as_object_mut()?
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    if !map.is_object() {
        *map = Value::Object(Map::new());
    }
    map.as_object_mut()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn web() -> ResourceKey {
        ResourceKey::new("apps", "Deployment", "shop", "web")
    }

    fn object(labels: Value, annotations: Value) -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "labels": labels, "annotations": annotations},
        })
    }

    #[test]
    fn methods_parse_and_print_as_argo_cd_names_them() {
        for (text, method) in [
            ("annotation", TrackingMethod::Annotation),
            ("label", TrackingMethod::Label),
            ("annotation+label", TrackingMethod::AnnotationAndLabel),
        ] {
            assert_eq!(text.parse::<TrackingMethod>(), Ok(method));
            assert_eq!(method.to_string(), text);
        }
        assert_eq!(
            "labels".parse::<TrackingMethod>(),
            Err(UnknownTrackingMethod("labels".into()))
        );
        assert_eq!(TrackingMethod::default(), TrackingMethod::Annotation);
    }

    #[test]
    fn each_method_writes_its_marks_and_keeps_the_others() {
        let id = "guestbook:apps/Deployment:shop/web";
        let cases = [
            (TrackingMethod::Annotation, Some(id), None),
            (TrackingMethod::Label, None, Some("guestbook")),
            (TrackingMethod::AnnotationAndLabel, Some(id), Some("guestbook")),
        ];
        for (method, annotation, label) in cases {
            let mut obj = object(json!({"tier": "web"}), json!({"note": "kept"}));
            Tracking::new(method, "guestbook").mark(&mut obj, &web());
            let read = |field: &str, key: &str| obj["metadata"][field][key].as_str().map(str::to_string);
            assert_eq!(
                read("annotations", TRACKING_ID_ANNOTATION).as_deref(),
                annotation,
                "{method}"
            );
            assert_eq!(read("labels", INSTANCE_LABEL).as_deref(), label, "{method}");
            assert_eq!(read("labels", "tier").as_deref(), Some("web"), "{method}");
            assert_eq!(read("annotations", "note").as_deref(), Some("kept"), "{method}");
        }
    }

    #[test]
    fn marks_are_written_into_objects_without_metadata_maps() {
        let mut obj =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": null}});
        let key = ResourceKey::new("", "ConfigMap", "shop", "c");
        Tracking::new(TrackingMethod::AnnotationAndLabel, "team_app").mark(&mut obj, &key);
        assert_eq!(obj["metadata"]["labels"][INSTANCE_LABEL], "team_app");
        assert_eq!(
            obj["metadata"]["annotations"][TRACKING_ID_ANNOTATION],
            "team_app:/ConfigMap:shop/c"
        );
    }

    #[test]
    fn a_label_overwrites_the_instance_label_a_chart_set() {
        let mut obj = object(json!({INSTANCE_LABEL: "helm-release"}), json!({}));
        Tracking::new(TrackingMethod::Label, "guestbook").mark(&mut obj, &web());
        assert_eq!(obj["metadata"]["labels"][INSTANCE_LABEL], "guestbook");
    }

    #[test]
    fn ownership_follows_the_deciding_mark() {
        let by_annotation =
            |app: &str| json!({TRACKING_ID_ANNOTATION: format!("{app}:apps/Deployment:shop/web")});
        let by_label = |app: &str| json!({INSTANCE_LABEL: app});
        // (method, labels, annotations, tracked by "guestbook")
        let cases = [
            (
                TrackingMethod::Annotation,
                json!({}),
                by_annotation("guestbook"),
                true,
            ),
            (
                TrackingMethod::Annotation,
                by_label("guestbook"),
                json!({}),
                false,
            ),
            (
                TrackingMethod::Annotation,
                json!({}),
                by_annotation("other"),
                false,
            ),
            (
                TrackingMethod::Annotation,
                json!({}),
                json!({TRACKING_ID_ANNOTATION: "guestbook"}),
                false,
            ),
            (TrackingMethod::Label, by_label("guestbook"), json!({}), true),
            (
                TrackingMethod::Label,
                by_label("other"),
                by_annotation("guestbook"),
                false,
            ),
            (
                TrackingMethod::Label,
                json!({}),
                by_annotation("guestbook"),
                false,
            ),
            (TrackingMethod::Label, by_label("guestbook-2"), json!({}), false),
            (
                TrackingMethod::AnnotationAndLabel,
                by_label("other"),
                by_annotation("guestbook"),
                true,
            ),
            (
                TrackingMethod::AnnotationAndLabel,
                by_label("guestbook"),
                json!({}),
                false,
            ),
        ];
        for (method, labels, annotations, tracked) in cases {
            let obj = object(labels.clone(), annotations.clone());
            assert_eq!(
                Tracking::new(method, "guestbook").tracks(&obj),
                tracked,
                "{method} with labels {labels} and annotations {annotations}"
            );
        }
    }

    #[test]
    fn the_owner_is_named_by_the_deciding_mark() {
        let both = object(
            json!({INSTANCE_LABEL: "by-label"}),
            json!({TRACKING_ID_ANNOTATION: "by-annotation:apps/Deployment:shop/web"}),
        );
        let malformed = object(json!({}), json!({TRACKING_ID_ANNOTATION: "by-annotation"}));
        let bare = object(json!({}), json!({}));
        // (method, object, owner)
        let cases = [
            (TrackingMethod::Annotation, &both, Some("by-annotation")),
            (TrackingMethod::AnnotationAndLabel, &both, Some("by-annotation")),
            (TrackingMethod::Label, &both, Some("by-label")),
            (TrackingMethod::Annotation, &malformed, None),
            (TrackingMethod::Label, &bare, None),
        ];
        for (method, obj, owner) in cases {
            assert_eq!(method.owner(obj), owner, "{method}");
        }
    }

    #[test]
    fn the_label_holds_the_whole_name_or_a_cut_informative_copy() {
        let long = format!("{}-x", "a".repeat(62));
        let label = Tracking::new(TrackingMethod::Label, long.clone());
        assert!(
            label.problem().is_some_and(|p| p.contains("64")),
            "{:?}",
            label.problem()
        );
        assert_eq!(label.selector(), None);
        let mut obj = object(json!({INSTANCE_LABEL: long.clone()}), json!({}));
        assert!(!label.tracks(&obj), "a name no label can hold tracks nothing");

        let both = Tracking::new(TrackingMethod::AnnotationAndLabel, long.clone());
        assert_eq!(both.problem(), None);
        assert_eq!(both.label_value(), "a".repeat(62));
        both.mark(&mut obj, &web());
        assert!(both.tracks(&obj));

        let fits = Tracking::new(TrackingMethod::Label, "team-a_guestbook");
        assert_eq!(fits.problem(), None);
        assert_eq!(fits.label_value(), "team-a_guestbook");
        assert_eq!(
            fits.selector().as_deref(),
            Some("app.kubernetes.io/instance=team-a_guestbook")
        );
        assert_eq!(Tracking::annotation("guestbook").selector(), None);
    }
}
