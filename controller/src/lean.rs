//! Watched objects decoded without their `metadata.managedFields`.
//!
//! Every object the API server sends carries `managedFields`: a `FieldsV1` tree per manager,
//! often larger than the rest of the object. The controller's caches drop them, but kube
//! decodes them first into typed entries holding JSON trees; at 1,000 Rollouts a profile of the
//! reaction benchmark showed that decoding at about 5 % of the CPU. [`Lean`] decodes `K` from
//! the same JSON while skipping that one key's value unread, so the watches pay nothing for it.

use std::borrow::Cow;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use kube::runtime::watcher::Event;
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess, Visitor,
};
use serde::{Deserialize, forward_to_deserialize_any};

/// `K`, decoded with `metadata.managedFields` left out (the field reads `None`).
#[derive(Clone, Debug)]
pub struct Lean<K>(pub K);

impl<K: Resource> Resource for Lean<K> {
    type DynamicType = K::DynamicType;
    type Scope = K::Scope;

    fn kind(dt: &Self::DynamicType) -> Cow<'_, str> {
        K::kind(dt)
    }
    fn group(dt: &Self::DynamicType) -> Cow<'_, str> {
        K::group(dt)
    }
    fn version(dt: &Self::DynamicType) -> Cow<'_, str> {
        K::version(dt)
    }
    fn api_version(dt: &Self::DynamicType) -> Cow<'_, str> {
        K::api_version(dt)
    }
    fn plural(dt: &Self::DynamicType) -> Cow<'_, str> {
        K::plural(dt)
    }
    fn meta(&self) -> &ObjectMeta {
        self.0.meta()
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        self.0.meta_mut()
    }
}

impl<'de, K: DeserializeOwned> Deserialize<'de> for Lean<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        K::deserialize(Wrapped {
            inner: deserializer,
            level: Level::Object,
        })
        .map(Lean)
    }
}

/// The watch event of the lean object, as one of `K`.
pub fn unwrap_event<K>(event: Event<Lean<K>>) -> Event<K> {
    match event {
        Event::Apply(Lean(k)) => Event::Apply(k),
        Event::Delete(Lean(k)) => Event::Delete(k),
        Event::Init => Event::Init,
        Event::InitApply(Lean(k)) => Event::InitApply(k),
        Event::InitDone => Event::InitDone,
    }
}

/// Where a wrapped deserializer stands: the object (whose `metadata` value is wrapped in turn)
/// or its metadata (whose `managedFields` value is skipped).
#[derive(Clone, Copy)]
enum Level {
    Object,
    Metadata,
}

struct Wrapped<D> {
    inner: D,
    level: Level,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Wrapped<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(WrappedVisitor {
            inner: visitor,
            level: self.level,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = WrappedVisitor {
            inner: visitor,
            level: self.level,
        };
        self.inner.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_option(WrappedVisitor {
            inner: visitor,
            level: self.level,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

struct WrappedVisitor<V> {
    inner: V,
    level: Level,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for WrappedVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Wrapped {
            inner: deserializer,
            level: self.level,
        })
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(WrappedMap {
            inner: map,
            level: self.level,
            next_is_metadata: false,
        })
    }
}

struct WrappedMap<A> {
    inner: A,
    level: Level,
    next_is_metadata: bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for WrappedMap<A> {
    type Error = A::Error;

    fn next_key_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        loop {
            let Some(key) = self.inner.next_key::<Key<'de>>()? else {
                return Ok(None);
            };
            match self.level {
                Level::Metadata if key.as_str() == "managedFields" => {
                    self.inner.next_value::<IgnoredAny>()?;
                    continue;
                }
                Level::Object => self.next_is_metadata = key.as_str() == "metadata",
                Level::Metadata => {}
            }
            return match key {
                Key::Borrowed(key) => seed.deserialize(BorrowedStrDeserializer::new(key)),
                Key::Owned(key) => seed.deserialize(key.into_deserializer()),
            }
            .map(Some);
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        if std::mem::take(&mut self.next_is_metadata) {
            self.inner.next_value_seed(MetadataSeed(seed))
        } else {
            self.inner.next_value_seed(seed)
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A map key, borrowed from the input when it can be (no copy for the usual unescaped key).
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(key) => key,
            Key::Owned(key) => key,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(key))
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(key.to_string()))
            }
            fn visit_string<E: de::Error>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(key))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Decodes the `metadata` value through a wrapper that skips its `managedFields`.
struct MetadataSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for MetadataSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Wrapped {
            inner: deserializer,
            level: Level::Metadata,
        })
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::ReplicaSet;
    use linnet_crds::rollout::Rollout;
    use serde_json::{Value, json};

    use super::*;

    fn managed_fields() -> Value {
        json!([{"manager": "linnet", "operation": "Update", "apiVersion": "v1",
                "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:replicas": {}}, "f:status": {".": {}, "f:readyReplicas": {}}}}])
    }

    fn replica_set() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "web-abc", "namespace": "ns", "resourceVersion": "7",
                         "labels": {"rollouts-pod-template-hash": "abc"},
                         "managedFields": managed_fields(),
                         "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                              "name": "web", "uid": "u1", "controller": true}]},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
            "status": {"replicas": 3, "readyReplicas": 2}
        })
    }

    #[test]
    fn a_lean_object_is_the_object_without_its_managed_fields() {
        let text = replica_set().to_string();
        let Lean(lean): Lean<ReplicaSet> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("lean decode failed: {e}"));
        let mut full: ReplicaSet =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("decode failed: {e}"));
        assert!(full.metadata.managed_fields.is_some());
        full.metadata.managed_fields = None;
        assert_eq!(lean, full);
    }

    #[test]
    fn only_the_objects_own_managed_fields_are_skipped() {
        // A pod template's metadata is not the object's: a bad value there is still an error,
        // as it is without the wrapper.
        let mut bad = replica_set();
        bad["spec"]["template"]["metadata"]["managedFields"] = json!("not a list");
        let text = bad.to_string();
        let full = serde_json::from_str::<ReplicaSet>(&text);
        let lean = serde_json::from_str::<Lean<ReplicaSet>>(&text);
        assert!(full.is_err() && lean.is_err(), "{full:?} / {lean:?}");
        // While the object's own are skipped unread, whatever they hold.
        let mut odd = replica_set();
        odd["metadata"]["managedFields"] = json!("not a list");
        assert!(serde_json::from_value::<ReplicaSet>(odd.clone()).is_err());
        assert!(serde_json::from_str::<Lean<ReplicaSet>>(&odd.to_string()).is_ok());
    }

    #[test]
    fn a_rollout_decodes_lean_too_and_bad_input_is_still_an_error() {
        let rollout = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "managedFields": managed_fields(), "generation": 2},
            "spec": {"replicas": 2, "strategy": {"canary": {"steps": [{"setWeight": 20}]}}},
            "status": {"observedGeneration": "2"}
        });
        let text = rollout.to_string();
        let Lean(lean): Lean<Rollout> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("lean decode failed: {e}"));
        let mut full: Rollout = serde_json::from_str(&text).unwrap_or_else(|e| panic!("decode failed: {e}"));
        full.metadata.managed_fields = None;
        assert_eq!(serde_json::to_value(&lean).ok(), serde_json::to_value(&full).ok());
        assert_eq!(lean.metadata.generation, Some(2));
        for bad in [
            json!({"metadata": "not an object", "spec": {}}),
            json!({"metadata": {"name": 5}, "spec": {}}),
            json!({"metadata": {"name": "web"}, "spec": {"replicas": "two"}}),
        ] {
            assert!(
                serde_json::from_value::<Lean<Rollout>>(bad.clone()).is_err(),
                "{bad} decoded"
            );
        }
    }
}
