//! Names the workload controllers make up: the `pod-template-hash` of a pod template and
//! random five-character suffixes, both in the alphabet Kubernetes uses for generated names
//! (no vowels, so no accidental words, and no look-alike characters).

use serde_json::Value;

/// The characters of generated name suffixes.
pub const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// The hash of a pod template, given with the `pod-template-hash` label already removed.
///
/// FNV-1a over a canonical JSON rendering (object keys sorted), mixed with the Deployment's
/// `collisionCount`, then written in [`SAFE_ALPHABET`]. Equal templates give equal hashes;
/// bumping the collision count gives a different one.
pub fn pod_template_hash(template: &Value, collision_count: Option<i32>) -> String {
    let mut hasher = Fnv64::new();
    write_canonical(template, &mut hasher);
    if let Some(count) = collision_count {
        hasher.write(&count.to_le_bytes());
    }
    encode_safe(hasher.finish(), 10)
}

/// A stable 64-bit hash of a JSON value, independent of object key order.
pub fn stable_hash(value: &Value) -> u64 {
    let mut hasher = Fnv64::new();
    write_canonical(value, &mut hasher);
    hasher.finish()
}

/// Writes `value` in [`SAFE_ALPHABET`], at most `max_len` characters.
pub fn encode_safe(mut value: u64, max_len: usize) -> String {
    let base = SAFE_ALPHABET.len() as u64;
    let mut out = String::with_capacity(max_len);
    while out.len() < max_len {
        out.push(char::from(SAFE_ALPHABET[(value % base) as usize]));
        value /= base;
        if value == 0 {
            break;
        }
    }
    out
}

struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Fnv64 {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Feeds a JSON value to the hasher with object keys in sorted order, so the hash does not
/// depend on how the server or client happened to order fields.
fn write_canonical(value: &Value, hasher: &mut Fnv64) {
    match value {
        Value::Null => hasher.write(b"n"),
        Value::Bool(b) => hasher.write(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            hasher.write(b"#");
            hasher.write(n.to_string().as_bytes());
        }
        Value::String(s) => {
            hasher.write(b"\"");
            hasher.write(&(s.len() as u64).to_le_bytes());
            hasher.write(s.as_bytes());
        }
        Value::Array(items) => {
            hasher.write(b"[");
            for item in items {
                write_canonical(item, hasher);
            }
            hasher.write(b"]");
        }
        Value::Object(map) => {
            hasher.write(b"{");
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                hasher.write(&(key.len() as u64).to_le_bytes());
                hasher.write(key.as_bytes());
                write_canonical(&map[key.as_str()], hasher);
            }
            hasher.write(b"}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter_but_content_and_collisions_do() {
        let a: Value =
            serde_json::from_str(r#"{"metadata":{"labels":{"app":"web"}},"spec":{"x":1,"y":[1,2]}}"#)
                .unwrap_or_default();
        let b: Value =
            serde_json::from_str(r#"{"spec":{"y":[1,2],"x":1},"metadata":{"labels":{"app":"web"}}}"#)
                .unwrap_or_default();
        assert_eq!(pod_template_hash(&a, None), pod_template_hash(&b, None));
        let changed = json!({"metadata":{"labels":{"app":"web"}},"spec":{"x":2,"y":[1,2]}});
        assert_ne!(pod_template_hash(&a, None), pod_template_hash(&changed, None));
        assert_ne!(pod_template_hash(&a, None), pod_template_hash(&a, Some(1)));
    }

    #[test]
    fn hashes_use_only_the_safe_alphabet() {
        let hash = pod_template_hash(&json!({"spec": {"image": "nginx"}}), None);
        assert!(!hash.is_empty() && hash.len() <= 10);
        assert!(hash.bytes().all(|c| SAFE_ALPHABET.contains(&c)), "{hash}");
        assert_eq!(encode_safe(0, 5), "b");
        // Least significant digit first.
        assert_eq!(encode_safe(27, 5), "bc");
    }
}
