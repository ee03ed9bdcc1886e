//! Synthetic request headers, declared on a traffic source with the annotation
//! `sim.linnet.dev/request-headers`.
//!
//! The value is a comma-separated list of `Name=value:fraction` entries: that fraction of
//! requests carries the header `Name: value` (fraction defaults to 1). Entries with the same
//! name are alternatives of one draw, so `X-Canary=always:0.1,X-Canary=never:0.2` sends
//! `always` on 10 %, `never` on 20 % and no `X-Canary` on 70 % of requests. Different names
//! are drawn independently. Names compare case-insensitively, values exactly.
//!
//! A request's headers are a bit mask over the entries, so routing rules are compiled to masks
//! once and matching a request costs a few AND operations.

pub const REQUEST_HEADERS: &str = "sim.linnet.dev/request-headers";

/// At most this many entries (one bit each in a `u64`).
pub const MAX_ENTRIES: usize = 64;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HeaderSpecError {
    #[error("entry {0:?} is not Name=value[:fraction]")]
    Malformed(String),
    #[error("entry {0:?}: the fraction must be between 0 and 1")]
    Fraction(String),
    #[error("the fractions of header {0:?} add up to more than 1")]
    Overcommitted(String),
    #[error("more than {MAX_ENTRIES} entries")]
    TooMany,
}

/// One header value some requests carry.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderEntry {
    /// Lower-cased.
    pub name: String,
    pub value: String,
    pub fraction: f64,
}

/// The header entries of a source, grouped by name for drawing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeaderModel {
    entries: Vec<HeaderEntry>,
    /// Per header name: (cumulative fraction, entry bit) in entry order.
    draws: Vec<Vec<(f64, u64)>>,
}

impl HeaderModel {
    pub fn parse(spec: &str) -> Result<HeaderModel, HeaderSpecError> {
        let mut entries = Vec::new();
        for raw in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, rest) = raw
                .split_once('=')
                .ok_or_else(|| HeaderSpecError::Malformed(raw.into()))?;
            let (value, fraction) = match rest.rsplit_once(':') {
                Some((value, fraction)) => {
                    let fraction: f64 = fraction
                        .trim()
                        .parse()
                        .map_err(|_| HeaderSpecError::Malformed(raw.into()))?;
                    (value, fraction)
                }
                None => (rest, 1.0),
            };
            if !(0.0..=1.0).contains(&fraction) {
                return Err(HeaderSpecError::Fraction(raw.into()));
            }
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty() {
                return Err(HeaderSpecError::Malformed(raw.into()));
            }
            entries.push(HeaderEntry {
                name,
                value: value.trim().to_string(),
                fraction,
            });
        }
        if entries.len() > MAX_ENTRIES {
            return Err(HeaderSpecError::TooMany);
        }
        let mut names: Vec<&str> = Vec::new();
        for entry in &entries {
            if !names.contains(&entry.name.as_str()) {
                names.push(&entry.name);
            }
        }
        let mut draws = Vec::new();
        for name in names {
            let mut cumulative = 0.0;
            let mut draw = Vec::new();
            for (bit, entry) in entries.iter().enumerate().filter(|(_, e)| e.name == name) {
                cumulative += entry.fraction;
                draw.push((cumulative, 1u64 << bit));
            }
            if cumulative > 1.0 + 1e-9 {
                return Err(HeaderSpecError::Overcommitted(name.to_string()));
            }
            draws.push(draw);
        }
        Ok(HeaderModel { entries, draws })
    }

    pub fn entries(&self) -> &[HeaderEntry] {
        &self.entries
    }

    /// The entries a predicate accepts, as a mask.
    pub fn mask_where(&self, accept: impl Fn(&HeaderEntry) -> bool) -> u64 {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| accept(e))
            .fold(0, |mask, (bit, _)| mask | (1u64 << bit))
    }

    /// Draws one request's headers; `unit` gives uniform numbers in [0, 1).
    pub fn draw(&self, mut unit: impl FnMut() -> f64) -> u64 {
        let mut mask = 0;
        for draw in &self.draws {
            let u = unit();
            if let Some((_, bit)) = draw.iter().find(|(cumulative, _)| u < *cumulative) {
                mask |= bit;
            }
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::rng::SimRng;

    #[test]
    fn parses_entries_with_and_without_fractions() {
        let model = HeaderModel::parse("X-Canary=always:0.1, x-user = beta").unwrap_or_default();
        assert_eq!(
            model.entries(),
            &[
                HeaderEntry {
                    name: "x-canary".into(),
                    value: "always".into(),
                    fraction: 0.1
                },
                HeaderEntry {
                    name: "x-user".into(),
                    value: "beta".into(),
                    fraction: 1.0
                },
            ]
        );
        assert_eq!(model.mask_where(|e| e.name == "x-user"), 0b10);
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(matches!(
            HeaderModel::parse("novalue"),
            Err(HeaderSpecError::Malformed(_))
        ));
        assert!(matches!(
            HeaderModel::parse("a=b:2"),
            Err(HeaderSpecError::Fraction(_))
        ));
        assert!(matches!(
            HeaderModel::parse("a=b:x"),
            Err(HeaderSpecError::Malformed(_))
        ));
        assert!(matches!(
            HeaderModel::parse("a=b:0.6,a=c:0.6"),
            Err(HeaderSpecError::Overcommitted(_))
        ));
        assert_eq!(HeaderModel::parse("").map(|m| m.entries().len()), Ok(0));
    }

    #[test]
    fn same_name_entries_are_exclusive_and_fractions_hold() {
        let model = HeaderModel::parse("h=a:0.2,h=b:0.3,g=x:0.5").unwrap_or_default();
        let mut rng = SimRng::new(11);
        let n = 100_000;
        let mut counts = [0u32; 3];
        for _ in 0..n {
            let mask = model.draw(|| rng.unit());
            assert_ne!(mask & 0b011, 0b011, "both values of one header");
            for (bit, count) in counts.iter_mut().enumerate() {
                if mask & (1 << bit) != 0 {
                    *count += 1;
                }
            }
        }
        for (count, p) in counts.iter().zip([0.2, 0.3, 0.5]) {
            let sd = (n as f64 * p * (1.0 - p)).sqrt();
            assert!((f64::from(*count) - n as f64 * p).abs() < 5.0 * sd, "{counts:?}");
        }
    }
}
