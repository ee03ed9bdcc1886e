//! Field sets: which fields an object sets, and the `FieldsV1` encoding of managedFields.

use serde_json::{Value, json};

use crate::patch::field_walk::fields_of;
use crate::patch::{FieldSet, PathElement, path_string};

fn field(name: &str) -> PathElement {
    PathElement::Field(name.into())
}

fn key(name: &str, value: &str) -> PathElement {
    PathElement::Key(vec![(name.into(), value.into())])
}

fn set_of(paths: &[&[PathElement]]) -> FieldSet {
    paths.iter().map(|path| path.to_vec()).collect()
}

/// The set from the brief: a label and one container's image.
fn label_and_image() -> FieldSet {
    let nginx = key("name", "\"nginx\"");
    set_of(&[
        &[field("metadata"), field("labels"), field("app")],
        &[field("spec"), field("containers"), nginx.clone()],
        &[field("spec"), field("containers"), nginx, field("image")],
    ])
}

/// managedFields as a real apiserver wrote them for `kubectl create deployment web --image=nginx --port=80`.
fn kubectl_create_fields() -> Value {
    json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {
        "f:replicas": {}, "f:selector": {},
        "f:template": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {
            "f:containers": {"k:{\"name\":\"nginx\"}": {
                ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {},
                "f:ports": {".": {}, "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
                    ".": {}, "f:containerPort": {}, "f:protocol": {}}},
                "f:resources": {}}},
            "f:restartPolicy": {}}}}})
}

#[test]
fn encode_writes_the_kubernetes_format() {
    let expected = json!({"f:metadata": {"f:labels": {"f:app": {}}},
                          "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}}}}});
    assert_eq!(label_and_image().to_fields_v1(), expected);
}

#[test]
fn decode_reads_the_kubernetes_format() {
    let encoded = label_and_image().to_fields_v1();
    assert_eq!(FieldSet::from_fields_v1(&encoded).ok(), Some(label_and_image()));
}

#[test]
fn decode_then_encode_round_trips_apiserver_output() {
    let decoded = FieldSet::from_fields_v1(&kubectl_create_fields());
    let decoded = decoded.unwrap_or_else(|error| panic!("decode failed: {error}"));
    assert!(
        decoded.contains(&[field("metadata"), field("labels")]),
        "a path marked with '.' is a member"
    );
    assert!(
        !decoded.contains(&[field("spec")]),
        "a path without '.' is only a parent"
    );
    assert_eq!(decoded.to_fields_v1(), kubectl_create_fields());
}

#[test]
fn set_items_and_indexes_round_trip() {
    let set = set_of(&[
        &[
            field("metadata"),
            field("finalizers"),
            PathElement::Value("\"x\"".into()),
        ],
        &[field("spec"), field("args"), PathElement::Index(2)],
    ]);
    let encoded = set.to_fields_v1();
    assert_eq!(
        encoded,
        json!({"f:metadata": {"f:finalizers": {"v:\"x\"": {}}}, "f:spec": {"f:args": {"i:2": {}}}})
    );
    assert_eq!(FieldSet::from_fields_v1(&encoded).ok(), Some(set));
}

#[test]
fn decode_rejects_what_is_not_fields_v1() {
    let bad = [
        json!([]),
        json!({"f:spec": 1}),
        json!({"x:spec": {}}),
        json!({"spec": {}}),
        json!({"k:not json": {}}),
        json!({"k:[1]": {}}),
        json!({"i:minus": {}}),
        json!({"v:{": {}}),
    ];
    for encoded in bad {
        assert!(
            FieldSet::from_fields_v1(&encoded).is_err(),
            "{encoded} should not decode"
        );
    }
}

#[test]
fn paths_print_as_in_apiserver_conflicts() {
    let image = [
        field("spec"),
        field("containers"),
        key("name", "\"nginx\""),
        field("image"),
    ];
    assert_eq!(path_string(&image), ".spec.containers[name=\"nginx\"].image");
    let port = [
        field("ports"),
        PathElement::Key(vec![
            ("containerPort".into(), "80".into()),
            ("protocol".into(), "\"TCP\"".into()),
        ]),
    ];
    assert_eq!(path_string(&port), ".ports[containerPort=80,protocol=\"TCP\"]");
    assert_eq!(
        path_string(&[field("finalizers"), PathElement::Value("\"x\"".into())]),
        ".finalizers[=\"x\"]"
    );
}

#[test]
fn has_descendant_looks_only_below_the_prefix() {
    let set = label_and_image();
    assert!(set.has_descendant(&[field("metadata")]));
    assert!(set.has_descendant(&[field("spec"), field("containers")]));
    assert!(!set.has_descendant(&[field("metadata"), field("labels"), field("app")]));
    assert!(!set.has_descendant(&[field("status")]));
}

#[test]
fn fields_of_walks_keyed_and_set_lists_and_skips_server_metadata() {
    let object = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "uid": "1", "resourceVersion": "5", "generation": 1,
                     "creationTimestamp": "t", "finalizers": ["x"], "labels": {}},
        "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}], "args": ["a"]}]}
    });
    let c = key("name", "\"c\"");
    let port = PathElement::Key(vec![
        ("containerPort".into(), "80".into()),
        ("protocol".into(), "\"TCP\"".into()),
    ]);
    let in_c = |rest: &[PathElement]| -> Vec<PathElement> {
        [field("spec"), field("containers"), c.clone()]
            .into_iter()
            .chain(rest.iter().cloned())
            .collect()
    };
    let expected = set_of(&[
        &[
            field("metadata"),
            field("finalizers"),
            PathElement::Value("\"x\"".into()),
        ],
        &[field("metadata"), field("labels")],
        &in_c(&[]),
        &in_c(&[field("args")]),
        &in_c(&[field("name")]),
        &in_c(&[field("ports"), port.clone()]),
        &in_c(&[field("ports"), port, field("containerPort")]),
    ]);
    assert_eq!(fields_of(&object), expected);
}

#[test]
fn fields_of_treats_a_keyed_list_with_duplicate_keys_as_atomic() {
    let object = json!({"kind": "Pod", "spec": {"containers": [{"name": "c"}, {"name": "c"}]}});
    assert_eq!(
        fields_of(&object),
        set_of(&[&[field("spec"), field("containers")]])
    );
}
