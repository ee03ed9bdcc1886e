//! Keeping Secret values out of diffs.
//!
//! Before a Secret is shown, every value of `data` and `stringData`, on both sides, is replaced
//! by a mask. Equal values get the same mask and different values different ones (`++++++++ (1)`,
//! `++++++++ (2)`, ...), so a changed key still shows as changed while its value stays hidden.
//! Comparison happens before masking, on the real values.

use serde_json::{Map, Value};

use crate::sync::object;

const MASKED_FIELDS: [&str; 2] = ["data", "stringData"];

pub(crate) fn is_secret(obj: &Value) -> bool {
    object::api_group(obj).is_empty() && object::kind(obj) == "Secret"
}

/// Moves `stringData` into `data`, base64-encoded, as the API server does on write; a key in
/// both takes the `stringData` value.
pub(crate) fn fold_string_data(secret: &mut Value) {
    let Some(root) = secret.as_object_mut() else {
        return;
    };
    let Some(Value::Object(string_data)) = root.remove("stringData") else {
        return;
    };
    let data = root.entry("data").or_insert_with(|| Value::Object(Map::new()));
    let Some(data) = data.as_object_mut() else {
        return;
    };
    for (key, value) in string_data {
        let text = value
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| value.to_string());
        data.insert(key, Value::String(base64(text.as_bytes())));
    }
}

/// Hands out masks, remembering which value got which so both sides of a diff agree.
#[derive(Debug, Default)]
pub(crate) struct Masker {
    seen: Vec<Value>,
}

impl Masker {
    /// Masks the values of a Secret's `data` and `stringData` in place.
    pub(crate) fn mask(&mut self, secret: &mut Value) {
        for field in MASKED_FIELDS {
            let Some(values) = secret.get_mut(field).and_then(Value::as_object_mut) else {
                continue;
            };
            for value in values.values_mut() {
                *value = Value::String(self.mask_for(value));
            }
        }
    }

    fn mask_for(&mut self, value: &Value) -> String {
        let number = match self.seen.iter().position(|seen| seen == value) {
            Some(index) => index + 1,
            None => {
                self.seen.push(value.clone());
                self.seen.len()
            }
        };
        format!("++++++++ ({number})")
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((group >> (18 - 6 * i)) & 0x3f) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base64_matches_the_standard_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
    }

    #[test]
    fn string_data_folds_into_data_and_wins() {
        let mut secret =
            json!({"kind": "Secret", "data": {"a": "eA==", "b": "eQ=="}, "stringData": {"b": "z"}});
        fold_string_data(&mut secret);
        assert_eq!(
            secret,
            json!({"kind": "Secret", "data": {"a": "eA==", "b": "eg=="}})
        );
    }

    #[test]
    fn equal_values_share_a_mask_and_different_values_do_not() {
        let mut masker = Masker::default();
        let mut left = json!({"data": {"a": "x", "b": "y"}});
        let mut right = json!({"data": {"a": "x", "b": "z"}, "stringData": {"c": "y"}});
        masker.mask(&mut left);
        masker.mask(&mut right);
        assert_eq!(left["data"]["a"], right["data"]["a"]);
        assert_ne!(left["data"]["b"], right["data"]["b"]);
        assert_eq!(left["data"]["b"], right["stringData"]["c"]);
    }
}
