//! The order strategic merge patch leaves a merged list in, as the apiserver computes it.
//!
//! Items the patch names come in the patch's order (or the `$setElementOrder` list's); items
//! only on the server keep their relative order; the two are interleaved so that a server-only
//! item goes before a patch item only when both were on the server and it came first there.
//! So a server list `[a, b, c]` patched with `[b, d]` becomes `[a, b, d, c]`, while a patch
//! `[d, b]` gives `[d, a, b, c]`: a new item has no server place to wait for.

use std::collections::VecDeque;

use serde_json::Value;

use super::equality::json_equal;

/// The identity of an item of a list of scalars: the item itself.
pub(crate) fn itself(item: &Value) -> Option<&Value> {
    Some(item)
}

/// Puts `merged` in the order the apiserver gives it: items named in `patch_order` in that
/// order, interleaved with the other items, which keep their order from `server_order`.
/// `identity` gives what an item is compared by (its merge key value, or itself).
pub(crate) fn order_items(
    merged: Vec<Value>,
    patch_order: &[&Value],
    server_order: &[&Value],
    identity: impl Fn(&Value) -> Option<&Value>,
) -> Vec<Value> {
    let position = |order: &[&Value], item: &Value| {
        identity(item).and_then(|id| order.iter().position(|candidate| json_equal(candidate, id)))
    };
    let (mut from_patch, mut server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|item| position(patch_order, item).is_some());
    from_patch.sort_by_key(|item| position(patch_order, item));
    server_only.sort_by_key(|item| position(server_order, item).unwrap_or(usize::MAX));

    let with_place = |items: Vec<Value>| -> VecDeque<(Option<usize>, Value)> {
        items
            .into_iter()
            .map(|item| (position(server_order, &item), item))
            .collect()
    };
    let (mut left, mut right) = (with_place(server_only), with_place(from_patch));
    let mut ordered = Vec::with_capacity(left.len() + right.len());
    loop {
        // A server-only item goes first only when both are on the server and it came first there.
        let take_left = match (left.front(), right.front()) {
            (Some((Some(a), _)), Some((Some(b), _))) => a < b,
            (Some(_), Some(_)) | (None, Some(_)) => false,
            (Some(_), None) => true,
            (None, None) => break,
        };
        let next = if take_left {
            left.pop_front()
        } else {
            right.pop_front()
        };
        ordered.extend(next.map(|(_, item)| item));
    }
    ordered
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{itself, order_items};

    fn order(merged: Value, patch: Value, server: Value) -> Value {
        let (Value::Array(merged), Value::Array(patch), Value::Array(server)) = (merged, patch, server)
        else {
            panic!("test lists must be arrays");
        };
        let patch: Vec<&Value> = patch.iter().collect();
        let server: Vec<&Value> = server.iter().collect();
        Value::Array(order_items(merged, &patch, &server, itself))
    }

    #[test]
    fn new_patch_items_go_before_server_only_items() {
        assert_eq!(
            order(json!(["a", "b", "c"]), json!(["c"]), json!(["a", "b"])),
            json!(["c", "a", "b"])
        );
    }

    #[test]
    fn server_items_keep_their_place_around_patched_ones() {
        let merged = json!(["a", "b", "c", "d"]);
        let server = json!(["a", "b", "c"]);
        assert_eq!(
            order(merged.clone(), json!(["b", "d"]), server.clone()),
            json!(["a", "b", "d", "c"])
        );
        assert_eq!(
            order(merged, json!(["d", "b"]), server),
            json!(["d", "a", "b", "c"])
        );
    }

    #[test]
    fn patch_order_wins_over_server_order() {
        assert_eq!(
            order(json!(["a", "b"]), json!(["b", "a"]), json!(["a", "b"])),
            json!(["b", "a"])
        );
    }
}
