//! JSON merge patch (RFC 7386): `null` deletes a member, objects merge member by member, and
//! any other value (arrays included) replaces what was there.

use serde_json::Value;

/// Applies a merge patch to `doc`. A patch that is not an object replaces the whole document,
/// as the RFC says; the server rejects results that are not objects.
pub fn merge_patch(doc: &Value, patch: &Value) -> Value {
    let mut merged = doc.clone();
    json_patch::merge(&mut merged, patch);
    merged
}
