//! Traffic routers: pure edits of the objects that split requests between the stable and the
//! canary Service (Gateway API HTTPRoutes, NGINX Ingresses, Istio VirtualServices and
//! DestinationRules, SMI TrafficSplits, Traefik TraefikServices, APISIX ApisixRoutes, ALB
//! Ingress actions).
//!
//! Each function takes the live object as JSON and returns the edited object (or the object to
//! create); the executor writes it back with the resourceVersion it read, so a concurrent
//! change makes the write fail rather than be lost.

pub mod alb;
pub mod apisix;
pub mod gateway;
pub mod istio;
pub mod nginx;
pub mod smi;
pub mod traefik;

use serde_json::Value;

use super::ObjectError;

/// The weights to give the canary and the stable Service, out of `maxTrafficWeight`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weights {
    pub canary: i32,
    pub stable: i32,
}

impl Weights {
    /// Splits `total` (the Rollout's `maxTrafficWeight`, 100 when unset) so the canary gets
    /// `canary` (clamped to `0..=total`) and the stable Service the rest.
    pub fn split(canary: i32, max_traffic_weight: Option<i32>) -> Weights {
        let total = max_traffic_weight.unwrap_or(100).max(0);
        let canary = canary.clamp(0, total);
        Weights {
            canary,
            stable: total - canary,
        }
    }

    /// The total the two weights add up to.
    pub fn total(self) -> i32 {
        self.canary + self.stable
    }
}

/// The stable and canary Service names a route splits between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backends<'a> {
    pub stable: &'a str,
    pub canary: &'a str,
}

/// Names an object for errors: its kind and `metadata.name`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subject<'a> {
    pub kind: &'static str,
    pub name: &'a str,
}

impl<'a> Subject<'a> {
    pub fn of(kind: &'static str, object: &'a Value) -> Subject<'a> {
        Subject {
            kind,
            name: object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or(""),
        }
    }

    pub fn missing(self, field: impl Into<String>) -> ObjectError {
        ObjectError::MissingRouteField {
            kind: self.kind,
            name: self.name.to_string(),
            field: field.into(),
        }
    }

    pub fn no_route(self, route: &str) -> ObjectError {
        ObjectError::RouteNotFound {
            kind: self.kind,
            name: self.name.to_string(),
            route: route.to_string(),
        }
    }

    pub fn unsupported(self, what: impl Into<String>) -> ObjectError {
        ObjectError::Unsupported {
            kind: self.kind,
            name: self.name.to_string(),
            what: what.into(),
        }
    }
}

/// Whether `object` has an owner reference to the object with `uid`.
pub fn owned_by(object: &Value, uid: &str) -> bool {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|owner| owner.get("uid").and_then(Value::as_str) == Some(uid))
}

/// The array at `pointer` inside `object`, or an error naming `field`.
pub(crate) fn array_mut<'v>(
    object: &'v mut Value,
    pointer: &str,
    subject: Subject<'_>,
    field: &str,
) -> Result<&'v mut Vec<Value>, ObjectError> {
    object
        .pointer_mut(pointer)
        .and_then(Value::as_array_mut)
        .ok_or_else(|| subject.missing(field))
}

/// In a list of entries that each name a Service by their `key` field, sets the canary's and
/// the stable's `weight`; the error names the entry `field[key=service]` that is missing.
pub(crate) fn set_named_weights(
    entries: &mut [Value],
    key: &str,
    backends: Backends<'_>,
    weights: Weights,
    subject: Subject<'_>,
    field: &str,
) -> Result<(), ObjectError> {
    for (service, weight) in [
        (backends.canary, weights.canary),
        (backends.stable, weights.stable),
    ] {
        let entry = entries
            .iter_mut()
            .find(|entry| entry.get(key).and_then(Value::as_str) == Some(service))
            .and_then(Value::as_object_mut)
            .ok_or_else(|| subject.missing(format!("{field}[{key}={service}]")))?;
        entry.insert("weight".to_string(), Value::from(weight));
    }
    Ok(())
}

/// The canary's and the stable's integer `weight` in such a list; `None` when either entry
/// or its weight is absent.
pub(crate) fn named_weights(entries: &[Value], key: &str, backends: Backends<'_>) -> Option<Weights> {
    let weight_of = |service: &str| {
        let entry = entries
            .iter()
            .find(|entry| entry.get(key).and_then(Value::as_str) == Some(service))?;
        entry.get("weight")?.as_i64().and_then(|w| i32::try_from(w).ok())
    };
    Some(Weights {
        canary: weight_of(backends.canary)?,
        stable: weight_of(backends.stable)?,
    })
}

/// A regular expression matching strings that start with `prefix`, for routers that only
/// know exact and regex matches.
pub(crate) fn prefix_regex(prefix: &str) -> String {
    let mut regex = String::from("^");
    for ch in prefix.chars() {
        if "\\.+*?()|[]{}^$".contains(ch) {
            regex.push('\\');
        }
        regex.push(ch);
    }
    regex.push_str(".*");
    regex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_split_the_total() {
        let cases = [
            (
                0,
                None,
                Weights {
                    canary: 0,
                    stable: 100,
                },
            ),
            (
                20,
                None,
                Weights {
                    canary: 20,
                    stable: 80,
                },
            ),
            (
                100,
                None,
                Weights {
                    canary: 100,
                    stable: 0,
                },
            ),
            (
                150,
                None,
                Weights {
                    canary: 100,
                    stable: 0,
                },
            ),
            (
                -5,
                None,
                Weights {
                    canary: 0,
                    stable: 100,
                },
            ),
            (
                20,
                Some(1000),
                Weights {
                    canary: 20,
                    stable: 980,
                },
            ),
        ];
        for (canary, max, expected) in cases {
            assert_eq!(
                Weights::split(canary, max),
                expected,
                "canary {canary} of {max:?}"
            );
        }
        assert_eq!(Weights::split(20, Some(1000)).total(), 1000);
    }

    #[test]
    fn owned_by_reads_owner_references() {
        let object = serde_json::json!({"metadata": {"ownerReferences": [{"uid": "a"}, {"uid": "b"}]}});
        assert!(owned_by(&object, "b"));
        assert!(!owned_by(&object, "c"));
        assert!(!owned_by(&serde_json::json!({"metadata": {}}), "a"));
    }

    #[test]
    fn prefix_regex_escapes_metacharacters() {
        assert_eq!(prefix_regex("v1.2"), r"^v1\.2.*");
        assert_eq!(prefix_regex("a+b"), r"^a\+b.*");
    }
}
