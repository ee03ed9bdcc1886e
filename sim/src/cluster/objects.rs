//! Small readers and builders over API objects that several simulated controllers share:
//! controller owner references, creation order and whole-second timestamps.

use std::cmp::Ordering;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};

/// The uid of the object's controller (the owner reference with `controller: true`).
pub fn controller_uid(meta: &ObjectMeta) -> Option<&str> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|owner| owner.controller == Some(true))
        .map(|owner| owner.uid.as_str())
}

/// Whether `meta`'s controller is the object with `uid`.
pub fn is_controlled_by(meta: &ObjectMeta, uid: &str) -> bool {
    controller_uid(meta) == Some(uid)
}

/// The owner reference a controller puts on what it creates.
pub fn controller_reference(api_version: &str, kind: &str, owner: &ObjectMeta) -> Option<OwnerReference> {
    Some(OwnerReference {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        name: owner.name.clone()?,
        uid: owner.uid.clone()?,
        controller: Some(true),
        block_owner_deletion: Some(true),
    })
}

/// The object's resourceVersion as a number (the sim's are), to compare what a cache shows
/// with what a write returned.
pub fn resource_version(meta: &ObjectMeta) -> Option<u64> {
    meta.resource_version.as_deref()?.parse().ok()
}

/// Oldest first, then by name: the order the upstream controllers use to pick among peers.
pub fn by_creation(a: &ObjectMeta, b: &ObjectMeta) -> Ordering {
    a.creation_timestamp
        .cmp(&b.creation_timestamp)
        .then_with(|| a.name.cmp(&b.name))
}

/// `now` cut to whole seconds, as `metav1.Time` is written on the wire. Statuses planned with
/// it compare equal to what was stored, so an unchanged status is not written again.
pub fn whole_seconds(now: jiff::Timestamp) -> Time {
    Time(jiff::Timestamp::from_second(now.as_second()).unwrap_or(now))
}

/// Seconds from `earlier` to `later` (negative when `later` is before).
pub fn seconds_between(earlier: &Time, later: jiff::Timestamp) -> f64 {
    later.duration_since(earlier.0).as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controller_is_the_owner_marked_controller() {
        let owner = ObjectMeta {
            name: Some("web".into()),
            uid: Some("u1".into()),
            ..ObjectMeta::default()
        };
        let reference = controller_reference("apps/v1", "Deployment", &owner);
        let Some(reference) = reference else {
            panic!("an owner with name and uid gives a reference");
        };
        assert_eq!(reference.block_owner_deletion, Some(true));
        let mut other = reference.clone();
        other.uid = "u2".into();
        other.controller = Some(false);
        let child = ObjectMeta {
            owner_references: Some(vec![other, reference]),
            ..ObjectMeta::default()
        };
        assert_eq!(controller_uid(&child), Some("u1"));
        assert!(is_controlled_by(&child, "u1"));
        assert!(!is_controlled_by(&child, "u2"));
        assert!(controller_reference("v1", "Pod", &ObjectMeta::default()).is_none());
    }

    #[test]
    fn whole_seconds_drop_the_fraction() {
        let now: jiff::Timestamp = "2024-05-01T10:00:00.750Z".parse().unwrap_or_default();
        assert_eq!(whole_seconds(now).0.to_string(), "2024-05-01T10:00:00Z");
        assert!((seconds_between(&whole_seconds(now), now) - 0.75).abs() < 1e-9);
    }
}
