//! JSON patch (RFC 6902) with the apiserver's reading of it.
//!
//! The `json-patch` crate applies `add`, `remove`, `replace`, `move` and `copy`. Two things are
//! done here instead, to match the evanphx/json-patch library the apiserver uses:
//! - `test` of an absent object member with the value `null` holds; kube-runtime's finalizer
//!   helper sends `test /metadata/finalizers == null` before adding the first finalizer;
//! - numbers compare by value, so `1` equals `1.0`.
//!
//! Errors are sorted by cause: a patch that is not a list of well-formed operations is
//! `Malformed` (400); a `test` that does not hold is `TestFailed` (422); an operation whose path
//! does not exist in the document is `Invalid` (422).

use json_patch::{PatchOperation, TestOperation};
use serde_json::Value;

use super::PatchError;
use super::equality::json_equal;

const OPERATIONS: [&str; 6] = ["add", "remove", "replace", "move", "copy", "test"];

/// Applies a JSON patch to `doc`. All operations apply or none do: the input is never changed.
pub fn json_patch(doc: &Value, patch: &Value) -> Result<Value, PatchError> {
    let Value::Array(raw_operations) = patch else {
        return Err(PatchError::Malformed(
            "a JSON patch must be a JSON array of operations".into(),
        ));
    };
    let operations = raw_operations
        .iter()
        .enumerate()
        .map(|(index, raw)| parse_operation(index, raw))
        .collect::<Result<Vec<_>, _>>()?;

    let mut patched = doc.clone();
    for (index, operation) in operations.iter().enumerate() {
        match operation {
            PatchOperation::Test(test) => check_test(&patched, test, index)?,
            other => {
                json_patch::patch_unsafe(&mut patched, std::slice::from_ref(other)).map_err(|error| {
                    PatchError::Invalid(format!(
                        "operation {index} ({}): {}",
                        operation_name(other),
                        error.kind
                    ))
                })?
            }
        }
    }
    Ok(patched)
}

/// Reads one operation, telling an unknown `op` apart from a bad field so the message helps.
fn parse_operation(index: usize, raw: &Value) -> Result<PatchOperation, PatchError> {
    let Value::Object(fields) = raw else {
        return Err(PatchError::Malformed(format!(
            "operation {index} is not a JSON object"
        )));
    };
    match fields.get("op").and_then(Value::as_str) {
        Some(op) if OPERATIONS.contains(&op) => {}
        Some(op) => {
            return Err(PatchError::Malformed(format!(
                "operation {index}: unknown op {op:?}"
            )));
        }
        None => {
            return Err(PatchError::Malformed(format!(
                "operation {index}: missing string field \"op\""
            )));
        }
    }
    serde_json::from_value(raw.clone())
        .map_err(|error| PatchError::Malformed(format!("operation {index}: {error}")))
}

fn operation_name(operation: &PatchOperation) -> &'static str {
    match operation {
        PatchOperation::Add(_) => "add",
        PatchOperation::Remove(_) => "remove",
        PatchOperation::Replace(_) => "replace",
        PatchOperation::Move(_) => "move",
        PatchOperation::Copy(_) => "copy",
        PatchOperation::Test(_) => "test",
    }
}

fn check_test(doc: &Value, test: &TestOperation, index: usize) -> Result<(), PatchError> {
    let path = test.path.as_str();
    if let Some(actual) = doc.pointer(path) {
        return if json_equal(actual, &test.value) {
            Ok(())
        } else {
            Err(PatchError::TestFailed(format!(
                "operation {index}: test failed: value at {path} differs"
            )))
        };
    }
    // Absent target: only an absent member of an existing object can stand for `null`.
    let parent_is_object = test
        .path
        .split_back()
        .and_then(|(parent, _)| doc.pointer(parent.as_str()))
        .is_some_and(Value::is_object);
    match (parent_is_object, test.value.is_null()) {
        (true, true) => Ok(()),
        (true, false) => Err(PatchError::TestFailed(format!(
            "operation {index}: test failed: {path} is absent"
        ))),
        (false, _) => Err(PatchError::Invalid(format!(
            "operation {index} (test): path {path} does not exist"
        ))),
    }
}
