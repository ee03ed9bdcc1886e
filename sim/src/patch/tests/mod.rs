//! Table tests of the patch engines, one file per engine. Each case is its own test, named after
//! the rule it checks.

mod apply;
mod fields_v1;
mod json;
mod merge;
mod patch_type;
mod properties;
mod strategic;

use serde_json::Value;

use super::PatchError;

/// What a case expects: the patched document, or an error of one kind.
#[derive(Debug)]
pub(super) enum Expect {
    Doc(Value),
    Malformed,
    TestFailed,
    Invalid,
}

/// Compares an engine's result with what the case expects, naming both on a mismatch.
pub(super) fn check(result: Result<Value, PatchError>, expected: Expect) {
    match (result, expected) {
        (Ok(actual), Expect::Doc(wanted)) => assert_eq!(actual, wanted),
        (Err(PatchError::Malformed(_)), Expect::Malformed)
        | (Err(PatchError::TestFailed(_)), Expect::TestFailed)
        | (Err(PatchError::Invalid(_)), Expect::Invalid) => {}
        (actual, wanted) => panic!("expected {wanted:?}, got {actual:?}"),
    }
}
