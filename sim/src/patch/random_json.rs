//! A small seeded generator of JSON documents, patches and schemas for the property tests of the
//! patch and schema engines. Names and values lean towards the ones the engines treat specially
//! (merge keys, directives, schema keywords), so random inputs reach the interesting branches.

use serde_json::{Map, Value, json};

/// xorshift64*: tiny, deterministic, good enough to spread test cases.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..bound` (`bound` must not be 0).
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const NAMES: &[&str] = &[
    "metadata",
    "spec",
    "status",
    "template",
    "containers",
    "initContainers",
    "env",
    "ports",
    "name",
    "containerPort",
    "protocol",
    "port",
    "volumes",
    "volumeMounts",
    "mountPath",
    "finalizers",
    "ownerReferences",
    "uid",
    "conditions",
    "type",
    "labels",
    "annotations",
    "replicas",
    "image",
    "kind",
    "apiVersion",
    "managedFields",
    "value",
    "$patch",
    "$retainKeys",
    "$setElementOrder/containers",
    "$setElementOrder/finalizers",
    "$deleteFromPrimitiveList/finalizers",
    "$setElementOrder",
    "properties",
    "items",
    "additionalProperties",
    "default",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "a",
    "b",
    "",
    "~",
    "/",
    ".",
];

const STRINGS: &[&str] = &[
    "nginx",
    "x",
    "replace",
    "delete",
    "merge",
    "TCP",
    "UDP",
    "Deployment",
    "Pod",
    "Service",
    "",
    "FieldsV1",
    "Apply",
    "Update",
    "f:spec",
    "k:{\"name\":\"x\"}",
    "v:1",
    "i:0",
    "/metadata/finalizers",
    "-",
    "0",
];

/// The kinds the strategic merge table knows, and some it does not.
const KINDS: &[&str] = &[
    "Deployment",
    "Pod",
    "Service",
    "ConfigMap",
    "CronJob",
    "PodTemplate",
    "",
];

/// A kind to patch as.
pub(crate) fn kind(rng: &mut Rng) -> &'static str {
    KINDS[rng.below(KINDS.len())]
}

fn scalar(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => json!(rng.below(100) as i64 - 20),
        3 => json!(rng.below(1000) as f64 / 8.0),
        _ => json!(rng.pick(STRINGS)),
    }
}

/// Any JSON value, nested at most `depth` levels.
pub(crate) fn value(rng: &mut Rng, depth: usize) -> Value {
    if depth == 0 {
        return scalar(rng);
    }
    match rng.below(10) {
        0..=3 => Value::Object(object(rng, depth - 1)),
        4..=5 => Value::Array((0..rng.below(4)).map(|_| list_item(rng, depth - 1)).collect()),
        _ => scalar(rng),
    }
}

/// A list item: often an object carrying a merge key, so keyed lists get exercised.
fn list_item(rng: &mut Rng, depth: usize) -> Value {
    if rng.chance(50) {
        let mut item = object(rng, depth);
        let key = *rng.pick(&["name", "containerPort", "port", "mountPath", "uid", "type"]);
        item.insert(
            key.into(),
            if rng.chance(70) {
                json!(rng.pick(&["a", "b", "c"]))
            } else {
                json!(80)
            },
        );
        Value::Object(item)
    } else {
        value(rng, depth)
    }
}

fn object(rng: &mut Rng, depth: usize) -> Map<String, Value> {
    (0..rng.below(5))
        .map(|_| (rng.pick(NAMES).to_string(), value(rng, depth)))
        .collect()
}

/// Objects shaped like the built-in kinds, to be mutated into test documents.
fn base_documents() -> [Value; 3] {
    [
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a", "b"]},
               "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                   "containers": [{"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80}],
                                   "env": [{"name": "A", "value": "1"}]},
                                  {"name": "sidecar", "image": "envoy"}],
                   "volumes": [{"name": "data", "emptyDir": {}}]}}}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
               "spec": {"ports": [{"port": 80, "protocol": "TCP"}, {"port": 443}]}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["x"]},
               "data": {"k": "v"}}),
    ]
}

/// A document: either random, or a built-in-like object with a few random changes.
pub(crate) fn document(rng: &mut Rng) -> Value {
    if rng.chance(30) {
        return Value::Object(object(rng, 4));
    }
    let mut doc = rng.pick(&base_documents()).clone();
    for _ in 0..rng.below(4) {
        mutate(rng, &mut doc);
    }
    doc
}

/// `doc` with a few random changes: an intent that overlaps what is stored.
pub(crate) fn variant_of(rng: &mut Rng, doc: &Value) -> Value {
    let mut variant = doc.clone();
    for _ in 0..=rng.below(3) {
        mutate(rng, &mut variant);
    }
    variant
}

/// Replaces or adds one member somewhere inside `doc`.
fn mutate(rng: &mut Rng, doc: &mut Value) {
    match doc {
        Value::Object(fields) if !fields.is_empty() && rng.chance(70) => {
            let keys: Vec<String> = fields.keys().cloned().collect();
            if let Some(child) = fields.get_mut(rng.pick(&keys)) {
                mutate(rng, child);
            }
        }
        Value::Array(items) if !items.is_empty() && rng.chance(70) => {
            let index = rng.below(items.len());
            mutate(rng, &mut items[index]);
        }
        Value::Object(fields) => {
            fields.insert(rng.pick(NAMES).to_string(), value(rng, 2));
        }
        other => *other = value(rng, 2),
    }
}

/// A merge-style patch: a random part of another document, with directives sprinkled in.
pub(crate) fn object_patch(rng: &mut Rng) -> Value {
    let mut patch = if rng.chance(40) {
        Value::Object(object(rng, 3))
    } else {
        document(rng)
    };
    thin_out(rng, &mut patch);
    patch
}

fn thin_out(rng: &mut Rng, value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|_, _| rng.chance(60));
            if rng.chance(15) {
                let directive = *rng.pick(&[
                    "$patch",
                    "$retainKeys",
                    "$setElementOrder/containers",
                    "$deleteFromPrimitiveList/finalizers",
                    "$setElementOrder/ports",
                ]);
                let argument = match rng.below(3) {
                    0 => json!(rng.pick(&["replace", "delete", "merge", "other"])),
                    1 => json!([{"name": "nginx"}, {"name": "x"}, "a"]),
                    _ => value_of_names(rng),
                };
                fields.insert(directive.into(), argument);
            }
            fields.values_mut().for_each(|child| thin_out(rng, child));
        }
        Value::Array(items) => {
            items.iter_mut().for_each(|item| thin_out(rng, item));
            if rng.chance(10) {
                items.push(json!({"$patch": rng.pick(&["replace", "delete", "merge"]), "name": "sidecar"}));
            }
        }
        _ => {}
    }
}

fn value_of_names(rng: &mut Rng) -> Value {
    Value::Array((0..rng.below(4)).map(|_| json!(rng.pick(NAMES))).collect())
}

/// A JSON patch: mostly operations on paths that exist in `doc`, some on paths that do not,
/// and some that are malformed.
pub(crate) fn json_patch_for(rng: &mut Rng, doc: &Value) -> Value {
    if rng.chance(5) {
        return value(rng, 2);
    }
    let mut pointers = Vec::new();
    collect_pointers(doc, String::new(), &mut pointers);
    let pointer = |rng: &mut Rng| -> String {
        match rng.below(10) {
            0 => rng.pick(STRINGS).to_string(),
            1 => format!("{}/-", rng.pick(&pointers)),
            2 => format!("{}/{}", rng.pick(&pointers), rng.pick(NAMES)),
            _ => rng.pick(&pointers).clone(),
        }
    };
    let operations = (0..rng.below(5))
        .map(|_| {
            let op = *rng.pick(&["add", "remove", "replace", "move", "copy", "test", "bogus"]);
            let mut operation = json!({"op": op, "path": pointer(rng)});
            if rng.chance(80) {
                operation["value"] = value(rng, 2);
            }
            if rng.chance(50) {
                operation["from"] = json!(pointer(rng));
            }
            if rng.chance(3) { value(rng, 1) } else { operation }
        })
        .collect();
    Value::Array(operations)
}

/// Every JSON pointer into `value`, the root included.
pub(crate) fn collect_pointers(value: &Value, here: String, pointers: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, child) in fields {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                collect_pointers(child, format!("{here}/{escaped}"), pointers);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_pointers(item, format!("{here}/{index}"), pointers);
            }
        }
        _ => {}
    }
    pointers.push(here);
}

/// A structural-ish schema: object, array and scalar nodes with the schema keywords.
pub(crate) fn schema(rng: &mut Rng, depth: usize) -> Value {
    if depth == 0 || rng.chance(25) {
        return if rng.chance(80) {
            json!({"type": "string", "default": scalar(rng)})
        } else {
            value(rng, 1)
        };
    }
    let mut node = Map::new();
    if rng.chance(30) {
        node.insert("type".into(), json!("array"));
        node.insert("items".into(), schema(rng, depth - 1));
    } else {
        node.insert("type".into(), json!("object"));
        let properties: Map<String, Value> = (0..rng.below(5))
            .map(|_| (rng.pick(NAMES).to_string(), schema(rng, depth - 1)))
            .collect();
        node.insert("properties".into(), Value::Object(properties));
        if rng.chance(20) {
            node.insert(
                "additionalProperties".into(),
                if rng.chance(50) {
                    json!(true)
                } else {
                    schema(rng, depth - 1)
                },
            );
        }
    }
    for flag in [
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-embedded-resource",
        "nullable",
    ] {
        if rng.chance(15) {
            node.insert(flag.into(), json!(rng.chance(80)));
        }
    }
    if rng.chance(20) {
        node.insert("default".into(), value(rng, 2));
    }
    Value::Object(node)
}

/// A document shaped by `schema`: members it names (some left out or null), map values, array
/// items, and now and then a random value where the schema expects something else.
pub(crate) fn document_for(rng: &mut Rng, schema: &Value, depth: usize) -> Value {
    if depth == 0 || rng.chance(10) {
        return if rng.chance(50) {
            Value::Null
        } else {
            value(rng, 1)
        };
    }
    if let Some(items) = schema.get("items") {
        return Value::Array(
            (0..rng.below(3))
                .map(|_| document_for(rng, items, depth - 1))
                .collect(),
        );
    }
    let mut members = Map::new();
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for (name, property) in properties {
            if rng.chance(60) {
                members.insert(name.clone(), document_for(rng, property, depth - 1));
            }
        }
    }
    if let Some(additional) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        for _ in 0..rng.below(3) {
            members.insert(
                rng.pick(NAMES).to_string(),
                document_for(rng, additional, depth - 1),
            );
        }
    }
    Value::Object(members)
}
