//! JSON merge patch (RFC 7386), including the examples of the RFC's appendix.

use serde_json::json;

use crate::patch::merge_patch;

macro_rules! merge_patch_cases {
    ($($name:ident: $doc:expr, $patch:expr => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(merge_patch(&$doc, &$patch), $expected);
        }
    )*};
}

merge_patch_cases! {
    empty_patch_is_identity: json!({"a": {"b": [1]}}), json!({}) => json!({"a": {"b": [1]}});
    scalar_member_is_replaced: json!({"a": "b"}), json!({"a": "c"}) => json!({"a": "c"});
    new_member_is_added: json!({"a": "b"}), json!({"b": "c"}) => json!({"a": "b", "b": "c"});
    null_deletes_a_member: json!({"a": "b", "b": "c"}), json!({"a": null}) => json!({"b": "c"});
    null_for_an_absent_member_changes_nothing: json!({"a": 1}), json!({"z": null}) => json!({"a": 1});
    objects_merge_recursively: json!({"spec": {"replicas": 1, "paused": true}}),
        json!({"spec": {"replicas": 3}})
        => json!({"spec": {"replicas": 3, "paused": true}});
    arrays_are_replaced_whole: json!({"a": [{"b": "c"}, 2]}), json!({"a": [1]}) => json!({"a": [1]});
    object_replaces_a_scalar: json!({"a": "c"}), json!({"a": {"b": "c"}}) => json!({"a": {"b": "c"}});
    nulls_inside_a_new_object_are_dropped: json!({}), json!({"a": {"bb": {"ccc": null}}})
        => json!({"a": {"bb": {}}});
    non_object_patch_replaces_the_document: json!({"a": 1}), json!(["x"]) => json!(["x"]);
    object_patch_on_a_scalar_document_starts_from_empty: json!("text"), json!({"a": 1}) => json!({"a": 1});
    kubectl_label_patch: json!({"metadata": {"name": "web", "labels": {"app": "web"}}}),
        json!({"metadata": {"labels": {"tier": "front", "app": null}}})
        => json!({"metadata": {"name": "web", "labels": {"tier": "front"}}});
    scale_subresource_patch: json!({"spec": {"replicas": 1, "selector": "app=web"}}),
        json!({"spec": {"replicas": 5}})
        => json!({"spec": {"replicas": 5, "selector": "app=web"}});
}
