//! The pod template hash and the step hash, computed exactly as Argo Rollouts computes them, so
//! that ReplicaSets it created are recognised and adopted rather than duplicated.
//!
//! Both are FNV-32a over the Go JSON encoding of a spec fragment (see [`super::go_json`]); the
//! template hash then mixes in `status.collisionCount`. The 32-bit sum is written in decimal
//! and each digit mapped into Kubernetes' safe alphabet (`rand.SafeEncodeString`).
//!
//! The template's `metadata.creationTimestamp` is encoded as `null` in its struct position,
//! which is what controllers up to Argo Rollouts 1.8 wrote. Later versions re-insert it at the
//! start of `metadata` instead; the two agree unless the template's metadata sets one of the
//! fields Go declares before it (`name`, `generateName`, `namespace`, `uid`, ...).

use k8s_openapi::api::core::v1::PodTemplateSpec;
use linnet_crds::rollout::{CanaryStep, Rollout};

use super::ObjectError;
use super::go_json::{self, GoJsonError};
use super::go_json_fields::POD_TEMPLATE_SPEC;
use super::go_json_steps::CANARY_STEP;

/// The characters Kubernetes uses in generated names: no vowels, no look-alikes.
const SAFE_ALPHABET: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";

/// FNV-1a with 32 bits (Go's `hash/fnv.New32a`).
#[derive(Clone, Copy, Debug)]
pub struct Fnv32a(u32);

impl Fnv32a {
    const OFFSET: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;

    pub fn new() -> Fnv32a {
        Fnv32a(Self::OFFSET)
    }

    pub fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u32::from(*byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    pub fn sum32(&self) -> u32 {
        self.0
    }
}

impl Default for Fnv32a {
    fn default() -> Self {
        Fnv32a::new()
    }
}

/// Kubernetes' `rand.SafeEncodeString`: each byte replaced by the alphabet character at
/// `byte % 27`.
pub fn safe_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| char::from(SAFE_ALPHABET[usize::from(byte) % SAFE_ALPHABET.len()]))
        .collect()
}

/// The hash Argo Rollouts writes in `rollouts-pod-template-hash` and `status.currentPodHash`,
/// for a template as written in the Rollout (before the hash label and injected
/// anti-affinity).
///
/// Fails, naming the field, when the template holds a field the Go encoding tables do not
/// cover.
pub fn pod_template_hash(
    template: &PodTemplateSpec,
    collision_count: Option<i32>,
) -> Result<String, ObjectError> {
    let value = serde_json::to_value(template).map_err(|error| ObjectError::Serialize {
        what: "spec.template",
        reason: error.to_string(),
    })?;
    let encoded =
        go_json::encode(&POD_TEMPLATE_SPEC, &value).map_err(|error| in_field("spec.template", error))?;
    Ok(hash_bytes(encoded.as_bytes(), collision_count))
}

/// The hash Argo writes in `status.currentStepHash`: over `canary.steps` for a canary, the
/// empty string for blue-green (Argo does not hash anything then).
pub fn step_hash(rollout: &Rollout) -> Result<String, ObjectError> {
    let strategy = rollout.spec.strategy.as_ref();
    let canary = match strategy {
        Some(strategy) if strategy.blue_green.is_none() => strategy.canary.as_ref(),
        _ => None,
    };
    match canary {
        Some(canary) => canary_steps_hash(canary.steps.as_deref()),
        None => Ok(String::new()),
    }
}

/// The hash of a list of canary steps; `None` is Go's nil slice (`null`).
pub fn canary_steps_hash(steps: Option<&[CanaryStep]>) -> Result<String, ObjectError> {
    let value = steps
        .map(serde_json::to_value)
        .transpose()
        .map_err(|error| ObjectError::Serialize {
            what: "spec.strategy.canary.steps",
            reason: error.to_string(),
        })?;
    let encoded = go_json::encode_list(&CANARY_STEP, value.as_ref())
        .map_err(|error| in_field("spec.strategy.canary.steps", error))?;
    Ok(hash_bytes(encoded.as_bytes(), None))
}

/// FNV-32a of `bytes`, then, when a collision count is given, of 8 more bytes (the count as a
/// little-endian u32 and four zeros), written as SafeEncodeString of the decimal sum.
pub fn hash_bytes(bytes: &[u8], collision_count: Option<i32>) -> String {
    let mut hasher = Fnv32a::new();
    hasher.write(bytes);
    if let Some(count) = collision_count {
        let mut extra = [0u8; 8];
        // Go converts the int32 to uint32 first: a negative count keeps its two's complement bits.
        extra[..4].copy_from_slice(&(count as u32).to_le_bytes());
        hasher.write(&extra);
    }
    safe_encode(&hasher.sum32().to_string())
}

fn in_field(field: &'static str, error: GoJsonError) -> ObjectError {
    ObjectError::GoEncoding { field, source: error }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a reference values: the offset basis for the empty input, and "a" from the FNV
    /// authors' published test vectors (also Go's `hash/fnv` tests).
    #[test]
    fn fnv32a_matches_published_vectors() {
        let cases: [(&[u8], u32); 3] = [(b"", 0x811c_9dc5), (b"a", 0xe40c_292c), (b"foobar", 0xbf9c_f968)];
        for (input, expected) in cases {
            let mut hasher = Fnv32a::new();
            hasher.write(input);
            assert_eq!(
                hasher.sum32(),
                expected,
                "fnv32a of {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// Digits '0'..'9' are bytes 48..57; 48 % 27 = 21 → '4', 49 → '5', ... 53 % 27 = 26 → '9',
    /// 54 % 27 = 0 → 'b', ..., 57 % 27 = 3 → 'f'.
    #[test]
    fn safe_encode_maps_digits_into_the_alphabet() {
        assert_eq!(safe_encode("0123456789"), "456789bcdf");
        assert_eq!(safe_encode(""), "");
        assert_eq!(safe_encode("a"), "v"); // 97 % 27 = 16 → 'v'
    }

    /// The empty input with no collision count hashes to the offset basis 2166136261, whose
    /// decimal digits encode digit by digit.
    #[test]
    fn hash_of_nothing_is_the_encoded_offset_basis() {
        assert_eq!(hash_bytes(b"", None), safe_encode("2166136261"));
    }

    /// The collision count adds exactly the 8 bytes `count as u32 LE, 0, 0, 0, 0`.
    #[test]
    fn collision_count_appends_eight_bytes() {
        let base = b"{\"metadata\":{}}";
        let mut with_count = base.to_vec();
        with_count.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(hash_bytes(base, Some(3)), hash_bytes(&with_count, None));
        assert_ne!(hash_bytes(base, Some(3)), hash_bytes(base, None));
        let mut with_zero = base.to_vec();
        with_zero.extend_from_slice(&[0; 8]);
        assert_eq!(hash_bytes(base, Some(0)), hash_bytes(&with_zero, None));
        let mut negative = base.to_vec();
        negative.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        assert_eq!(hash_bytes(base, Some(-1)), hash_bytes(&negative, None));
    }
}
