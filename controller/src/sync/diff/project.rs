//! Desired-driven projection: the live object cut down to the fields the desired manifest sets.
//!
//! This is server-side apply's view of ownership: a field the manifest does not mention belongs
//! to someone else (the server's defaults, a controller, another tool), so it is no difference.
//! Lists the manifest sets are its own, though: live items it lacks stay in the projection and
//! show up as differences.
//!
//! Items of lists with a merge key (containers by name, ports by number and protocol, ...) are
//! paired by key whatever their order; other lists pair items by position. A field the manifest
//! sets that the live object lacks counts as equal when the manifest's value is a zero value the
//! server omits (`null`, `false`, `0`, `""`, `[]`) or the server's known default.

use serde_json::{Map, Value};

use super::defaults::known_default;

/// `live` restricted to the shape of `desired`, list items in the desired order.
pub(crate) fn project(kind: &str, desired: &Value, live: &Value) -> Value {
    project_at(kind, &mut Vec::new(), desired, live)
}

fn project_at(kind: &str, path: &mut Vec<String>, desired: &Value, live: &Value) -> Value {
    match (desired, live) {
        (Value::Object(wanted), Value::Object(found)) => {
            Value::Object(project_map(kind, path, wanted, found))
        }
        (Value::Array(wanted), Value::Array(found)) => Value::Array(project_list(kind, path, wanted, found)),
        _ => live.clone(),
    }
}

fn project_map(
    kind: &str,
    path: &mut Vec<String>,
    wanted: &Map<String, Value>,
    found: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, wanted_value) in wanted {
        path.push(key.clone());
        match found.get(key) {
            Some(found_value) => {
                out.insert(key.clone(), project_at(kind, path, wanted_value, found_value));
            }
            None if omitted_by_server(path, wanted_value)
                || known_default(kind, path, wanted).is_some_and(|d| same(&d, wanted_value)) =>
            {
                out.insert(key.clone(), wanted_value.clone());
            }
            None => {}
        }
        path.pop();
    }
    out
}

/// Zero values the server leaves out of what it returns. Empty maps only count for labels and
/// annotations: elsewhere `{}` can be meaningful (`emptyDir: {}`).
fn omitted_by_server(path: &[String], value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(flag) => !flag,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => {
            map.is_empty()
                && matches!(path, [m, field] if m == "metadata" && (field == "labels" || field == "annotations"))
        }
    }
}

fn project_list(kind: &str, path: &mut Vec<String>, wanted: &[Value], found: &[Value]) -> Vec<Value> {
    let merge_key = path.last().and_then(|field| merge_key(field, wanted));
    let mut paired = vec![false; found.len()];
    let mut out = Vec::with_capacity(found.len());
    path.push("*".into());
    for (position, wanted_item) in wanted.iter().enumerate() {
        let partner = match merge_key {
            Some(fields) => {
                let key = item_key(wanted_item, fields);
                (0..found.len()).find(|&i| !paired[i] && key.is_some() && item_key(&found[i], fields) == key)
            }
            None => (position < found.len()).then_some(position),
        };
        if let Some(i) = partner {
            paired[i] = true;
            out.push(project_at(kind, path, wanted_item, &found[i]));
        }
    }
    path.pop();
    out.extend(
        found
            .iter()
            .zip(&paired)
            .filter(|(_, p)| !**p)
            .map(|(item, _)| item.clone()),
    );
    out
}

/// The fields that identify an item of the list named `field`, when every desired item is a map
/// holding them. Port lists are keyed by number and protocol (TCP when absent).
fn merge_key(field: &str, items: &[Value]) -> Option<&'static [&'static str]> {
    let candidates: &[&'static [&'static str]] = match field {
        "containers" | "initContainers" | "ephemeralContainers" | "volumes" | "env" | "imagePullSecrets" => {
            &[&["name"]]
        }
        "ports" => &[&["containerPort", "protocol"], &["port", "protocol"]],
        "volumeMounts" => &[&["mountPath"]],
        "volumeDevices" => &[&["devicePath"]],
        "hostAliases" => &[&["ip"]],
        "conditions" => &[&["type"]],
        _ => return None,
    };
    candidates
        .iter()
        .copied()
        .find(|fields| items.iter().all(|item| item_key(item, fields).is_some()))
}

fn item_key(item: &Value, fields: &[&str]) -> Option<Vec<Value>> {
    let map = item.as_object()?;
    fields
        .iter()
        .map(|field| match (map.get(*field), *field) {
            (Some(value), _) => Some(value.clone()),
            (None, "protocol") => Some(Value::String("TCP".into())),
            (None, _) => None,
        })
        .collect()
}

/// Structural equality in which numbers compare by value (`1` equals `1.0`).
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(key, a)| y.get(key).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keyed_items_pair_by_key_and_unkeyed_by_position() {
        let desired = json!({"containers": [{"name": "b", "image": "b:2"}, {"name": "a"}], "args": ["x"]});
        let live = json!({
            "containers": [{"name": "a", "tty": false}, {"name": "b", "image": "b:1", "stdin": true}],
            "args": ["x", "y"],
        });
        let projected = project("Pod", &desired, &live);
        assert_eq!(
            projected["containers"],
            json!([{"name": "b", "image": "b:1"}, {"name": "a"}])
        );
        assert_eq!(projected["args"], json!(["x", "y"]), "unpaired live items stay");
    }

    #[test]
    fn ports_pair_by_number_and_protocol() {
        let desired = json!({"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]});
        let live = json!({"ports": [{"port": 53, "protocol": "TCP", "x": 1}, {"port": 53, "protocol": "UDP", "x": 2}]});
        let projected = project("Service", &desired, &live);
        assert_eq!(
            projected["ports"],
            json!([{"port": 53, "protocol": "UDP"}, {"port": 53}])
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(same(&json!({"a": [1]}), &json!({"a": [1.0]})));
        assert!(!same(&json!({"a": 1}), &json!({"a": 2})));
        assert!(!same(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }
}
