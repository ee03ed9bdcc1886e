//! Property tests over seeded random inputs: no input makes an engine panic, and the identity
//! and idempotence laws hold. A failure names its seed so the case can be replayed.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::{Value, json};

use crate::patch::field_walk::{changed_fields, fields_of, fields_v1_of, value_changed};
use crate::patch::fields_v1::{fields_v1_insert, fields_v1_remove};
use crate::patch::managed_fields::{ManagedEntry, ManagedFields, ManagerId, Operation};
use crate::patch::random_json::{self, Rng};
use crate::patch::{
    FieldPath, FieldSet, json_patch, merge_patch, path_string, record_update, server_side_apply,
    strategic_merge_patch,
};
use crate::structural::{Schema, apply_defaults, prune};

const CASES: u64 = 3000;

/// Runs `property` once per seed, reporting the seed of the first case that panics or fails.
fn for_each_case(property: impl Fn(&mut Rng)) {
    for seed in 0..CASES {
        let outcome = catch_unwind(AssertUnwindSafe(|| property(&mut Rng::new(seed))));
        if let Err(cause) = outcome {
            let message = cause
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| cause.downcast_ref::<&str>().map(|text| text.to_string()))
                .unwrap_or_default();
            panic!("case with seed {seed} failed: {message}");
        }
    }
}

/// An apply intent: unrelated to `doc`, or a variant of it.
fn an_intent(rng: &mut Rng, doc: &Value) -> Value {
    if rng.chance(50) {
        random_json::variant_of(rng, doc)
    } else {
        random_json::document(rng)
    }
}

/// `doc` as stored after a write by another manager (by update or by apply), or as it is.
fn owned_by_someone(rng: &mut Rng, doc: Value) -> Value {
    match rng.below(3) {
        0 => record_update(None, &doc, "creator", None, "t0"),
        1 => server_side_apply(None, &doc, "other", false, "t0").unwrap_or(doc),
        _ => doc,
    }
}

#[test]
fn no_input_makes_an_engine_panic() {
    for_each_case(|rng| {
        let doc = random_json::document(rng);
        let _ = json_patch(&doc, &random_json::json_patch_for(rng, &doc));
        let _ = merge_patch(&doc, &random_json::value(rng, 3));
        let _ = strategic_merge_patch(&doc, &random_json::object_patch(rng), random_json::kind(rng));
        let intent = an_intent(rng, &doc);
        let live = owned_by_someone(rng, doc);
        let live = rng.chance(80).then_some(&live);
        let _ = server_side_apply(live, &intent, "m", rng.chance(50), "t");
        let _ = record_update(live, &intent, "m", rng.chance(30).then_some("status"), "t");
        let mut resource = random_json::document(rng);
        let schema = random_json::schema(rng, 4);
        let _ = prune(&mut resource, &schema);
        apply_defaults(&mut resource, &schema);
    });
}

#[test]
fn merge_patch_with_an_empty_object_is_identity() {
    for_each_case(|rng| {
        let doc = random_json::document(rng);
        assert_eq!(merge_patch(&doc, &json!({})), doc);
    });
}

#[test]
fn json_patch_with_no_operations_is_identity() {
    for_each_case(|rng| {
        let doc = random_json::value(rng, 4);
        assert_eq!(json_patch(&doc, &json!([])).ok(), Some(doc));
    });
}

#[test]
fn strategic_merge_patch_with_an_empty_object_is_identity() {
    for_each_case(|rng| {
        let doc = random_json::document(rng);
        assert_eq!(
            strategic_merge_patch(&doc, &json!({}), random_json::kind(rng)).ok(),
            Some(doc)
        );
    });
}

#[test]
fn json_patch_testing_present_values_is_identity() {
    for_each_case(|rng| {
        let doc = random_json::document(rng);
        let mut pointers = Vec::new();
        random_json::collect_pointers(&doc, String::new(), &mut pointers);
        let tests: Vec<Value> = pointers
            .iter()
            .filter(|_| rng.chance(30))
            .filter_map(|pointer| {
                doc.pointer(pointer)
                    .map(|value| json!({"op": "test", "path": pointer, "value": value}))
            })
            .collect();
        assert_eq!(json_patch(&doc, &Value::Array(tests)).ok(), Some(doc));
    });
}

#[test]
fn fields_v1_encoding_round_trips() {
    for_each_case(|rng| {
        let fields = fields_of(&random_json::document(rng));
        assert_eq!(
            FieldSet::from_fields_v1(&fields.to_fields_v1()).ok(),
            Some(fields)
        );
    });
}

#[test]
fn the_trie_of_an_object_is_its_field_set_encoded() {
    for_each_case(|rng| {
        let doc = random_json::document(rng);
        assert_eq!(
            fields_v1_of(&doc),
            fields_of(&doc).to_fields_v1(),
            "document {doc}"
        );
    });
}

#[test]
fn editing_an_encoded_set_in_place_gives_the_set_edited_and_encoded() {
    for_each_case(|rng| {
        let mut set = fields_of(&random_json::document(rng));
        // Paths to add and remove: some from the set, some from another document (often
        // sharing a prefix with the set's, since both come from the same names).
        let elsewhere = fields_of(&random_json::document(rng));
        let candidates: Vec<FieldPath> = set.iter().chain(elsewhere.iter()).cloned().collect();
        let mut trie = match set.to_fields_v1() {
            Value::Object(trie) => trie,
            other => panic!("a set encodes as an object, not {other}"),
        };
        for _ in 0..rng.below(8) {
            if candidates.is_empty() {
                break;
            }
            let path = rng.pick(&candidates).clone();
            let (expected, edited) = if rng.chance(50) {
                let absent = !set.contains(&path);
                set.insert(path.clone());
                (absent, fields_v1_insert(&mut trie, &path))
            } else {
                let present = set.contains(&path);
                set.remove_all(&[path.clone()].into_iter().collect());
                (present, fields_v1_remove(&mut trie, &path))
            };
            assert_eq!(edited, expected, "whether {} changed the set", path_string(&path));
            assert_eq!(
                Value::Object(trie.clone()),
                set.to_fields_v1(),
                "after {}",
                path_string(&path)
            );
        }
    });
}

#[test]
fn reapplying_an_accepted_intent_changes_nothing() {
    for_each_case(|rng| {
        let doc = random_json::document(rng);
        let intent = an_intent(rng, &doc);
        let live = owned_by_someone(rng, doc);
        let Ok(applied) = server_side_apply(Some(&live), &intent, "m", true, "t1") else {
            return;
        };
        let again = server_side_apply(Some(&applied), &intent, "m", false, "t2");
        assert_eq!(again.ok().as_ref(), Some(&applied), "intent {intent}");
    });
}

#[test]
fn pruning_twice_removes_nothing_the_second_time() {
    for_each_case(|rng| {
        let mut resource = random_json::document(rng);
        let schema = random_json::schema(rng, 4);
        prune(&mut resource, &schema);
        let once = resource.clone();
        assert_eq!(prune(&mut resource, &schema), Vec::<String>::new());
        assert_eq!(resource, once);
    });
}

#[test]
fn defaulting_twice_changes_nothing_the_second_time() {
    for_each_case(|rng| {
        let mut resource = random_json::document(rng);
        let schema = random_json::schema(rng, 4);
        apply_defaults(&mut resource, &schema);
        let once = resource.clone();
        apply_defaults(&mut resource, &schema);
        assert_eq!(resource, once);
    });
}

#[test]
fn defaulting_by_the_defaulting_part_fills_what_the_whole_schema_fills() {
    for_each_case(|rng| {
        let schema = random_json::schema(rng, 5);
        let mut by_whole = random_json::document_for(rng, &schema, 6);
        let mut by_part = by_whole.clone();
        apply_defaults(&mut by_whole, &schema);
        Schema::new(schema.clone()).apply_defaults(&mut by_part);
        assert_eq!(by_part, by_whole, "schema {schema}");
    });
}

/// The touched and removed fields of a write, computed from both objects' full field sets:
/// what [`changed_fields`] must agree with while skipping equal members.
fn changed_fields_in_full(old: &Value, new: &Value) -> (FieldSet, FieldSet) {
    let (before, after) = (fields_of(old), fields_of(new));
    let mut touched = FieldSet::new();
    for path in after.iter() {
        if !before.contains(path) || value_changed(old, new, path) {
            touched.insert(path.clone());
        }
    }
    (touched, before.difference(&after))
}

#[test]
fn changed_fields_agree_with_the_full_field_sets() {
    for_each_case(|rng| {
        let doc = random_json::document(rng);
        let other = if rng.chance(80) {
            random_json::variant_of(rng, &doc)
        } else {
            random_json::document(rng)
        };
        assert_eq!(changed_fields(&doc, &other), changed_fields_in_full(&doc, &other));
        assert_eq!(changed_fields(&other, &doc), changed_fields_in_full(&other, &doc));
    });
}

/// A non-apply write recorded from both objects' full field sets, every entry encoded again:
/// what [`record_update`] must produce while skipping equal members and unchanged entries.
fn record_update_in_full(
    old: Option<&Value>,
    new: &Value,
    manager: &str,
    subresource: Option<&str>,
) -> Value {
    let id = ManagerId {
        manager: manager.to_owned(),
        operation: Operation::Update,
        subresource: subresource.map(str::to_owned),
    };
    let stored = old.and_then(|old| old.pointer("/metadata/managedFields"));
    let mut managed = match new.pointer("/metadata/managedFields") {
        Some(Value::Array(sent)) if !sent.is_empty() && stored != new.pointer("/metadata/managedFields") => {
            ManagedFields::sent_in(new)
        }
        _ => old.map(ManagedFields::sent_in).unwrap_or_default(),
    };
    let (touched, removed) = changed_fields_in_full(old.unwrap_or(&Value::Null), new);
    managed.release_from_others(&id, &touched);
    let previous = managed.take(&id);
    let owned = previous
        .as_ref()
        .map(|entry| entry.fields().union(&touched))
        .unwrap_or_else(|| touched.clone())
        .difference(&removed);
    let api_version = new
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let entry = match previous {
        Some(previous) if previous.fields() == &owned && previous.api_version == api_version => previous,
        _ => ManagedEntry::new(id, api_version, Some("t".to_owned()), owned),
    };
    let mut result = new.clone();
    managed.put(entry);
    managed.write_into(&mut result);
    result
}

/// Gives `edited` the managed fields `stored` has, as the API server passes them to a write.
fn carry_managed_fields(stored: &Value, edited: &mut Value) {
    if let (Some(entries), Some(metadata)) = (
        stored.pointer("/metadata/managedFields"),
        edited.get_mut("metadata").and_then(Value::as_object_mut),
    ) {
        metadata.insert("managedFields".into(), entries.clone());
    }
}

#[test]
fn an_update_records_what_the_full_field_sets_give() {
    for_each_case(|rng| {
        let fresh = random_json::document(rng);
        let doc = owned_by_someone(rng, fresh);
        let mut edited = if rng.chance(80) {
            random_json::variant_of(rng, &doc)
        } else {
            random_json::document(rng)
        };
        // Mostly as the API server sends an update: with the stored entries.
        if rng.chance(80) {
            carry_managed_fields(&doc, &mut edited);
        }
        let subresource = rng.chance(30).then_some("status");
        let old = rng.chance(90).then_some(&doc);
        assert_eq!(
            record_update(old, &edited, "m", subresource, "t"),
            record_update_in_full(old, &edited, "m", subresource)
        );
        // Twice in a row: the second write changes nothing and keeps the entries as stored.
        let once = record_update(old, &edited, "m", subresource, "t");
        assert_eq!(record_update(Some(&once), &once, "m", subresource, "t2"), once);
        // Again by the same manager, mostly changing values of fields it owns already (as a
        // controller rewrites its status): its entry is kept only when the full sets agree.
        let mut again = random_json::variant_of(rng, &once);
        carry_managed_fields(&once, &mut again);
        assert_eq!(
            record_update(Some(&once), &again, "m", subresource, "t"),
            record_update_in_full(Some(&once), &again, "m", subresource)
        );
    });
}
