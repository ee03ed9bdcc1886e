//! Table tests of pruning and defaulting, on schemas shaped like the project's CRDs.

use serde_json::{Value, json};

use super::defaults::defaulting_part;
use super::{Schema, apply_defaults, prune};

/// A resource with the given spec.
fn resource(spec: Value) -> Value {
    json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"}, "spec": spec})
}

/// A root schema whose spec has the given schema.
fn root_schema(spec: Value) -> Value {
    json!({"type": "object", "properties": {"spec": spec}})
}

/// Prunes `resource(spec)` with a spec schema; returns the pruned spec and the removed paths.
fn prune_spec(spec_schema: Value, spec: Value) -> (Value, Vec<String>) {
    let mut value = resource(spec);
    let removed = prune(&mut value, &root_schema(spec_schema));
    (value["spec"].take(), removed)
}

macro_rules! prune_cases {
    ($($name:ident: $schema:expr, $spec:expr => $kept:expr, [$($removed:literal),*];)*) => {$(
        #[test]
        fn $name() {
            let (kept, removed) = prune_spec($schema, $spec);
            assert_eq!(kept, $kept);
            assert_eq!(removed, [$($removed),*] as [&str; _]);
        }
    )*};
}

fn replicas_schema() -> Value {
    json!({"type": "object", "properties": {"replicas": {"type": "integer"}}})
}

prune_cases! {
    unknown_field_is_removed_and_reported: replicas_schema(), json!({"replicas": 1, "foo": 2})
        => json!({"replicas": 1}), ["spec.foo"];
    known_fields_are_kept: replicas_schema(), json!({"replicas": 1}) => json!({"replicas": 1}), [];
    fields_inside_array_items_are_pruned: json!({"type": "object", "properties": {"steps": {
            "type": "array", "items": {"type": "object", "properties": {"pause": {"type": "object"}}}}}}),
        json!({"steps": [{"pause": {}}, {"pause": {}, "bar": 1}]})
        => json!({"steps": [{"pause": {}}, {"pause": {}}]}), ["spec.steps[1].bar"];
    object_without_properties_loses_every_member:
        json!({"type": "object", "properties": {"pause": {"type": "object"}}}),
        json!({"pause": {"duration": "1m"}}) => json!({"pause": {}}), ["spec.pause.duration"];
    preserve_unknown_fields_keeps_unknown_members: json!({
            "type": "object", "x-kubernetes-preserve-unknown-fields": true,
            "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}}}),
        json!({"anything": {"x": 1}, "known": {"a": "y", "b": "z"}})
        => json!({"anything": {"x": 1}, "known": {"a": "y"}}), ["spec.known.b"];
    additional_properties_schema_prunes_map_values: json!({"type": "object", "properties": {"byName": {
            "type": "object",
            "additionalProperties": {"type": "object", "properties": {"a": {"type": "string"}}}}}}),
        json!({"byName": {"one": {"a": "1", "b": "2"}, "two": {"a": "3"}}})
        => json!({"byName": {"one": {"a": "1"}, "two": {"a": "3"}}}), ["spec.byName.one.b"];
    additional_properties_true_keeps_members: json!({"type": "object", "properties": {"labels": {
            "type": "object", "additionalProperties": true}}}),
        json!({"labels": {"x": {"deep": 1}}}) => json!({"labels": {"x": {"deep": 1}}}), [];
    int_or_string_keeps_either: json!({"type": "object", "properties": {
            "maxSurge": {"x-kubernetes-int-or-string": true},
            "maxUnavailable": {"x-kubernetes-int-or-string": true}}}),
        json!({"maxSurge": "25%", "maxUnavailable": 1})
        => json!({"maxSurge": "25%", "maxUnavailable": 1}), [];
    embedded_resource_keeps_its_envelope: json!({"type": "object", "properties": {"template": {
            "type": "object", "x-kubernetes-embedded-resource": true,
            "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}),
        json!({"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                            "spec": {"x": 1}, "extra": 1}})
        => json!({"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                               "spec": {"x": 1}}}),
        ["spec.template.extra"];
    envelope_fields_inside_ordinary_objects_are_pruned: replicas_schema(),
        json!({"replicas": 1, "kind": "x", "metadata": {}})
        => json!({"replicas": 1}), ["spec.kind", "spec.metadata"];
    all_of_does_not_add_properties: json!({"type": "object", "properties": {"a": {"type": "string"}},
                                           "allOf": [{"properties": {"b": {"type": "string"}}}]}),
        json!({"a": "1", "b": "2"}) => json!({"a": "1"}), ["spec.b"];
    array_without_items_empties_its_objects:
        json!({"type": "object", "properties": {"list": {"type": "array"}}}),
        json!({"list": [{"a": 1}, 2]}) => json!({"list": [{}, 2]}), ["spec.list[0].a"];
    removed_paths_come_in_document_order: json!({"type": "object", "properties": {
            "b": {"type": "object", "properties": {}}}}),
        json!({"a": 1, "b": {"x": 1}, "c": 2}) => json!({"b": {}}), ["spec.a", "spec.b.x", "spec.c"];
}

#[test]
fn root_envelope_is_left_alone_and_unknown_root_fields_go() {
    let mut value = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                           "metadata": {"name": "r", "unknownMeta": 1}, "spec": {}, "extra": true});
    let removed = prune(&mut value, &root_schema(replicas_schema()));
    assert_eq!(removed, ["extra"]);
    assert_eq!(
        value,
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                             "metadata": {"name": "r", "unknownMeta": 1}, "spec": {}})
    );
}

#[test]
fn status_is_pruned_by_its_own_schema() {
    let schema = json!({"type": "object", "properties": {
        "spec": {"type": "object"},
        "status": {"type": "object", "properties": {"phase": {"type": "string"}}}}});
    let mut value = json!({"kind": "Rollout", "spec": {}, "status": {"phase": "Healthy", "bogus": 1}});
    assert_eq!(prune(&mut value, &schema), ["status.bogus"]);
}

#[test]
fn prune_with_no_schema_keeps_only_the_envelope() {
    let mut value = resource(json!({"a": 1}));
    assert_eq!(prune(&mut value, &Value::Null), ["spec"]);
    assert_eq!(
        value,
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"}})
    );
}

/// Defaults `resource(spec)` with a spec schema and returns the spec, after checking that
/// defaulting by the schema's defaulting part fills the same.
fn defaulted_spec(spec_schema: Value, spec: Value) -> Value {
    let schema = root_schema(spec_schema);
    let mut value = resource(spec);
    let mut by_part = value.clone();
    apply_defaults(&mut value, &schema);
    Schema::new(schema).apply_defaults(&mut by_part);
    assert_eq!(by_part, value, "defaulting by the schema's defaulting part");
    value["spec"].take()
}

macro_rules! default_cases {
    ($($name:ident: $schema:expr, $spec:expr => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(defaulted_spec($schema, $spec), $expected);
        }
    )*};
}

fn strategy_schema() -> Value {
    json!({"type": "object", "properties": {
        "replicas": {"type": "integer", "default": 1},
        "paused": {"type": "boolean", "default": false, "nullable": true},
        "canary": {"type": "object", "properties": {
            "maxSurge": {"x-kubernetes-int-or-string": true, "default": "25%"},
            "steps": {"type": "array", "items": {"type": "object", "properties": {
                "setWeight": {"type": "integer", "default": 0}}}}}},
        "analysis": {"type": "object", "default": {}, "properties": {
            "successfulRunHistoryLimit": {"type": "integer", "default": 5}}},
        "metrics": {"type": "object", "additionalProperties": {"type": "object", "properties": {
            "count": {"type": "integer", "default": 1}}}}}})
}

default_cases! {
    absent_field_gets_its_default: strategy_schema(), json!({"paused": true})
        => json!({"replicas": 1, "paused": true, "analysis": {"successfulRunHistoryLimit": 5}});
    present_field_keeps_its_value: strategy_schema(), json!({"replicas": 3, "paused": true, "analysis": {}})
        => json!({"replicas": 3, "paused": true, "analysis": {"successfulRunHistoryLimit": 5}});
    null_in_a_non_nullable_field_gets_the_default: strategy_schema(),
        json!({"replicas": null, "paused": null})
        => json!({"replicas": 1, "paused": null, "analysis": {"successfulRunHistoryLimit": 5}});
    nested_default_applies_when_its_parent_exists: strategy_schema(), json!({"canary": {}})
        => json!({"replicas": 1, "paused": false, "canary": {"maxSurge": "25%"},
                  "analysis": {"successfulRunHistoryLimit": 5}});
    nested_default_does_not_create_its_parent: json!({"type": "object", "properties": {"canary": {
            "type": "object", "properties": {"maxSurge": {"default": "25%"}}}}}),
        json!({}) => json!({});
    defaults_apply_inside_array_items: strategy_schema(),
        json!({"replicas": 2, "paused": false, "canary": {"maxSurge": 1, "steps": [{}, {"setWeight": 20}]}})
        => json!({"replicas": 2, "paused": false,
                  "canary": {"maxSurge": 1, "steps": [{"setWeight": 0}, {"setWeight": 20}]},
                  "analysis": {"successfulRunHistoryLimit": 5}});
    defaults_apply_inside_map_values: strategy_schema(),
        json!({"replicas": 1, "paused": false, "analysis": {"successfulRunHistoryLimit": 1},
               "metrics": {"a": {}, "b": {"count": 3}}})
        => json!({"replicas": 1, "paused": false, "analysis": {"successfulRunHistoryLimit": 1},
                  "metrics": {"a": {"count": 1}, "b": {"count": 3}}});
}

#[test]
fn the_defaulting_part_keeps_only_the_paths_to_defaults() {
    let template = json!({"type": "object", "properties": {
        "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
        "spec": {"type": "object", "properties": {
            "containers": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"},
                "image": {"type": "string"},
                "ports": {"type": "array", "items": {"type": "object", "properties": {
                    "containerPort": {"type": "integer"},
                    "protocol": {"type": "string", "default": "TCP"}}}}}}}}}}});
    let part = defaulting_part(&root_schema(json!({"type": "object", "properties": {
        "replicas": {"type": "integer"},
        "paused": {"type": "boolean", "default": false, "nullable": true},
        "template": template}})));
    assert_eq!(
        part,
        Some(json!({"properties": {"spec": {"properties": {
            "paused": {"default": false, "nullable": true},
            "template": {"properties": {"spec": {"properties": {"containers": {"items": {
                "properties": {"ports": {"items": {"properties": {"protocol": {"default": "TCP"}}}}}}}}}}}}}}}))
    );
    assert_eq!(
        defaulting_part(&json!({"type": "object", "properties": {"a": {"type": "string"}}})),
        None
    );
}

#[test]
fn a_named_member_beside_additional_properties_does_not_take_their_defaults() {
    let schema = json!({"type": "object", "properties": {"fixed": {"type": "object"}},
        "additionalProperties": {"type": "object", "properties": {"count": {"default": 1}}}});
    assert_eq!(
        defaulted_spec(schema, json!({"fixed": {}, "other": {}})),
        json!({"fixed": {}, "other": {"count": 1}})
    );
}

#[test]
fn defaults_are_copies_of_the_schema_value() {
    let schema = root_schema(strategy_schema());
    let mut first = resource(json!({}));
    apply_defaults(&mut first, &schema);
    first["spec"]["analysis"]["successfulRunHistoryLimit"] = json!(9);
    let mut second = resource(json!({}));
    apply_defaults(&mut second, &schema);
    assert_eq!(
        second.pointer("/spec/analysis/successfulRunHistoryLimit"),
        Some(&json!(5))
    );
}
