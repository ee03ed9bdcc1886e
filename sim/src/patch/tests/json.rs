//! JSON patch (RFC 6902) as the apiserver applies it.

use serde_json::{Value, json};

use super::{Expect, check};
use crate::patch::json_patch;

macro_rules! json_patch_cases {
    ($($name:ident: $doc:expr, $patch:expr => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            check(json_patch(&$doc, &$patch), $expected);
        }
    )*};
}

/// The document most cases start from.
fn pod() -> Value {
    pod_as("web", json!({"app": "web"}), json!(["a", "b"]))
}

/// `pod()` with another name, labels or args.
fn pod_as(name: &str, labels: Value, args: Value) -> Value {
    json!({"metadata": {"name": name, "labels": labels}, "spec": {"args": args}})
}

/// `pod()` as an expected result.
fn doc(name: &str, labels: Value, args: Value) -> Expect {
    Expect::Doc(pod_as(name, labels, args))
}

fn with_finalizers(finalizers: Value) -> Value {
    json!({"metadata": {"name": "web", "finalizers": finalizers}})
}

json_patch_cases! {
    empty_patch_is_identity: pod(), json!([]) => Expect::Doc(pod());
    add_creates_a_member: pod(),
        json!([{"op": "add", "path": "/metadata/labels/tier", "value": "front"}])
        => doc("web", json!({"app": "web", "tier": "front"}), json!(["a", "b"]));
    add_overwrites_an_existing_member: pod(),
        json!([{"op": "add", "path": "/metadata/labels/app", "value": "api"}])
        => doc("web", json!({"app": "api"}), json!(["a", "b"]));
    add_inserts_at_an_array_index: pod(),
        json!([{"op": "add", "path": "/spec/args/1", "value": "x"}])
        => doc("web", json!({"app": "web"}), json!(["a", "x", "b"]));
    add_with_dash_appends: pod(),
        json!([{"op": "add", "path": "/spec/args/-", "value": "c"}])
        => doc("web", json!({"app": "web"}), json!(["a", "b", "c"]));
    add_at_the_root_replaces_the_document: pod(),
        json!([{"op": "add", "path": "", "value": {"a": 1}}])
        => Expect::Doc(json!({"a": 1}));
    add_under_a_missing_parent_is_invalid: pod(),
        json!([{"op": "add", "path": "/status/phase", "value": "Running"}]) => Expect::Invalid;
    add_past_the_array_end_is_invalid: pod(),
        json!([{"op": "add", "path": "/spec/args/5", "value": "x"}]) => Expect::Invalid;
    add_to_a_scalar_is_invalid: pod(),
        json!([{"op": "add", "path": "/metadata/name/x", "value": 1}]) => Expect::Invalid;
    add_decodes_escaped_pointer_tokens: json!({"metadata": {"annotations": {}}}),
        json!([{"op": "add", "path": "/metadata/annotations/example.com~1note~0x", "value": "y"}])
        => Expect::Doc(json!({"metadata": {"annotations": {"example.com/note~x": "y"}}}));
    remove_deletes_a_member: pod(),
        json!([{"op": "remove", "path": "/metadata/labels"}])
        => Expect::Doc(json!({"metadata": {"name": "web"}, "spec": {"args": ["a", "b"]}}));
    remove_deletes_an_array_element: pod(),
        json!([{"op": "remove", "path": "/spec/args/0"}])
        => doc("web", json!({"app": "web"}), json!(["b"]));
    remove_of_a_missing_member_is_invalid: pod(),
        json!([{"op": "remove", "path": "/metadata/annotations"}]) => Expect::Invalid;
    remove_with_dash_is_invalid: pod(),
        json!([{"op": "remove", "path": "/spec/args/-"}]) => Expect::Invalid;
    replace_changes_a_value: pod(),
        json!([{"op": "replace", "path": "/metadata/name", "value": "api"}])
        => doc("api", json!({"app": "web"}), json!(["a", "b"]));
    replace_of_a_missing_member_is_invalid: pod(),
        json!([{"op": "replace", "path": "/spec/replicas", "value": 3}]) => Expect::Invalid;
    move_relocates_a_value: pod(),
        json!([{"op": "move", "from": "/metadata/labels", "path": "/spec/labels"}])
        => Expect::Doc(json!({"metadata": {"name": "web"},
                              "spec": {"args": ["a", "b"], "labels": {"app": "web"}}}));
    move_into_its_own_child_is_invalid: pod(),
        json!([{"op": "move", "from": "/spec", "path": "/spec/inner"}]) => Expect::Invalid;
    move_from_a_missing_member_is_invalid: pod(),
        json!([{"op": "move", "from": "/status", "path": "/x"}]) => Expect::Invalid;
    copy_duplicates_a_value: pod(),
        json!([{"op": "copy", "from": "/spec/args/0", "path": "/spec/args/-"}])
        => doc("web", json!({"app": "web"}), json!(["a", "b", "a"]));
    copy_from_a_missing_member_is_invalid: pod(),
        json!([{"op": "copy", "from": "/status", "path": "/x"}]) => Expect::Invalid;
    test_of_an_equal_value_holds: pod(),
        json!([{"op": "test", "path": "/metadata/labels", "value": {"app": "web"}}])
        => Expect::Doc(pod());
    test_of_a_different_value_fails: pod(),
        json!([{"op": "test", "path": "/metadata/name", "value": "api"}]) => Expect::TestFailed;
    test_compares_numbers_by_value: json!({"spec": {"replicas": 3}}),
        json!([{"op": "test", "path": "/spec/replicas", "value": 3.0}])
        => Expect::Doc(json!({"spec": {"replicas": 3}}));
    test_of_an_absent_member_with_null_holds: pod(),
        json!([{"op": "test", "path": "/metadata/finalizers", "value": null}]) => Expect::Doc(pod());
    test_of_a_present_null_with_null_holds: json!({"a": null}),
        json!([{"op": "test", "path": "/a", "value": null}]) => Expect::Doc(json!({"a": null}));
    test_of_an_absent_member_with_a_value_fails: pod(),
        json!([{"op": "test", "path": "/metadata/uid", "value": "1"}]) => Expect::TestFailed;
    test_under_a_missing_parent_is_invalid: pod(),
        json!([{"op": "test", "path": "/status/phase", "value": null}]) => Expect::Invalid;
    test_past_the_array_end_is_invalid: pod(),
        json!([{"op": "test", "path": "/spec/args/7", "value": null}]) => Expect::Invalid;
    failed_test_discards_earlier_operations: pod(), json!([
            {"op": "replace", "path": "/metadata/name", "value": "api"},
            {"op": "test", "path": "/metadata/name", "value": "web"}]) => Expect::TestFailed;
    patch_that_is_not_an_array_is_malformed: pod(), json!({"op": "add"}) => Expect::Malformed;
    operation_that_is_not_an_object_is_malformed: pod(), json!(["add"]) => Expect::Malformed;
    unknown_op_is_malformed: pod(),
        json!([{"op": "increment", "path": "/spec/replicas"}]) => Expect::Malformed;
    missing_op_is_malformed: pod(),
        json!([{"path": "/spec/replicas", "value": 1}]) => Expect::Malformed;
    add_without_value_is_malformed: pod(),
        json!([{"op": "add", "path": "/spec/replicas"}]) => Expect::Malformed;
    move_without_from_is_malformed: pod(),
        json!([{"op": "move", "path": "/spec/replicas"}]) => Expect::Malformed;
    pointer_without_leading_slash_is_malformed: pod(),
        json!([{"op": "remove", "path": "metadata/name"}]) => Expect::Malformed;
    pointer_with_a_bad_escape_is_malformed: pod(),
        json!([{"op": "remove", "path": "/metadata/na~2me"}]) => Expect::Malformed;
    malformed_operation_after_valid_ones_rejects_the_whole_patch: pod(), json!([
            {"op": "remove", "path": "/metadata/labels"}, {"op": "frobnicate"}]) => Expect::Malformed;
    finalizer_add_first_when_none_present: pod(), json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": ["x"]}])
        => Expect::Doc(json!({"metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["x"]},
                              "spec": {"args": ["a", "b"]}}));
    finalizer_add_first_fails_when_someone_added_one: with_finalizers(json!(["other"])), json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": ["x"]}]) => Expect::TestFailed;
    finalizer_append_to_the_current_list: with_finalizers(json!(["other"])), json!([
            {"op": "test", "path": "/metadata/finalizers", "value": ["other"]},
            {"op": "add", "path": "/metadata/finalizers/-", "value": "x"}])
        => Expect::Doc(with_finalizers(json!(["other", "x"])));
    finalizer_remove_by_index: with_finalizers(json!(["x", "other"])), json!([
            {"op": "test", "path": "/metadata/finalizers/0", "value": "x"},
            {"op": "remove", "path": "/metadata/finalizers/0"}])
        => Expect::Doc(with_finalizers(json!(["other"])));
    finalizer_remove_fails_when_the_list_moved: with_finalizers(json!(["other", "x"])), json!([
            {"op": "test", "path": "/metadata/finalizers/0", "value": "x"},
            {"op": "remove", "path": "/metadata/finalizers/0"}]) => Expect::TestFailed;
}

#[test]
fn a_failed_patch_leaves_the_input_untouched() {
    let doc = pod();
    let patch = json!([{"op": "remove", "path": "/metadata/labels"}, {"op": "remove", "path": "/nope"}]);
    assert!(json_patch(&doc, &patch).is_err());
    assert_eq!(doc, pod());
}
