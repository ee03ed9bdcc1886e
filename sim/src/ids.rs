//! Random identifiers: object uids (UUID v4 format) and `generateName` suffixes.
//!
//! A seed makes a run reproducible; without one the generator seeds itself from the
//! process's hash randomness, so two sims never hand out the same uids.

use std::hash::{BuildHasher, RandomState};

/// The alphabet the apiserver uses for generated name suffixes (no vowels, no look-alikes).
const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
const SUFFIX_LEN: usize = 5;

/// A small SplitMix64 generator: fast, seedable, good enough for identifiers.
#[derive(Debug, Clone)]
pub struct IdGenerator {
    state: u64,
}

impl IdGenerator {
    pub fn new(seed: Option<u64>) -> IdGenerator {
        let state = seed.unwrap_or_else(|| RandomState::new().hash_one(std::time::SystemTime::now()));
        IdGenerator { state }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniformly distributed number in `[0, 1)`.
    pub fn next_fraction(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A random UUID in the canonical v4 text form.
    pub fn uid(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&hi.to_be_bytes());
        bytes[8..].copy_from_slice(&lo.to_be_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
        bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// A five-character suffix for `generateName`.
    pub fn name_suffix(&mut self) -> String {
        (0..SUFFIX_LEN)
            .map(|_| {
                let index = (self.next_u64() % SUFFIX_ALPHABET.len() as u64) as usize;
                SUFFIX_ALPHABET[index] as char
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_has_the_v4_shape() {
        let uid = IdGenerator::new(Some(7)).uid();
        let groups: Vec<&str> = uid.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            vec![8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'));
        assert!(matches!(groups[3].chars().next(), Some('8' | '9' | 'a' | 'b')));
    }

    #[test]
    fn same_seed_same_sequence_and_different_seeds_differ() {
        let (mut a, mut b, mut c) = (
            IdGenerator::new(Some(1)),
            IdGenerator::new(Some(1)),
            IdGenerator::new(Some(2)),
        );
        assert_eq!(a.uid(), b.uid());
        assert_eq!(a.name_suffix(), b.name_suffix());
        assert_ne!(a.uid(), c.uid());
    }

    #[test]
    fn suffix_uses_the_apiserver_alphabet() {
        let suffix = IdGenerator::new(Some(3)).name_suffix();
        assert_eq!(suffix.len(), 5);
        assert!(suffix.bytes().all(|b| SUFFIX_ALPHABET.contains(&b)));
    }
}
