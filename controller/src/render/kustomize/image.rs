//! Image overrides as `kustomize edit set image` reads them: `[old=]name[:tag|@digest]`, and
//! how one becomes an entry of a kustomization's `images` list.

use serde_json::{Map, Value};

/// One parsed override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ImageOverride {
    /// The image name the override applies to.
    pub name: String,
    pub new_name: Option<String>,
    pub new_tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageOverride {
    /// Parses `spec`; `None` when it names no image.
    pub fn parse(spec: &str) -> Option<ImageOverride> {
        let spec = spec.trim();
        let (old, new) = match spec.split_once('=') {
            Some((old, new)) => (Some(old), new),
            None => (None, spec),
        };
        let (reference, digest) = match new.split_once('@') {
            Some((reference, digest)) => (reference, Some(digest.to_string())),
            None => (new, None),
        };
        // A tag follows the last `:` after the last `/`; an earlier `:` is a registry port.
        let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
        let (image, tag) = match reference[last_slash..].rfind(':') {
            Some(colon) => {
                let colon = last_slash + colon;
                (&reference[..colon], Some(reference[colon + 1..].to_string()))
            }
            None => (reference, None),
        };
        if image.is_empty() || old.is_some_and(str::is_empty) {
            return None;
        }
        let name = old.unwrap_or(image).to_string();
        let new_name = old.map(|_| image.to_string()).filter(|n| *n != name);
        Some(ImageOverride {
            name,
            new_name,
            new_tag: tag.filter(|t| !t.is_empty()),
            digest,
        })
    }

    /// Sets this override in a kustomization's `images` list, replacing an entry for the same
    /// name as `kustomize edit set image` does.
    pub fn apply(&self, images: &mut Vec<Value>) {
        let mut entry = Map::new();
        entry.insert("name".into(), Value::from(self.name.clone()));
        if let Some(new_name) = &self.new_name {
            entry.insert("newName".into(), Value::from(new_name.clone()));
        }
        if let Some(tag) = &self.new_tag {
            entry.insert("newTag".into(), Value::from(tag.clone()));
        }
        if let Some(digest) = &self.digest {
            entry.insert("digest".into(), Value::from(digest.clone()));
        }
        let same_name = |image: &Value| image.get("name").and_then(Value::as_str) == Some(self.name.as_str());
        match images.iter_mut().find(|image| same_name(image)) {
            Some(existing) => *existing = Value::Object(entry),
            None => images.push(Value::Object(entry)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(spec: &str) -> (String, Option<String>, Option<String>, Option<String>) {
        let o = ImageOverride::parse(spec).unwrap();
        (o.name, o.new_name, o.new_tag, o.digest)
    }

    #[test]
    fn reads_the_forms_kustomize_accepts() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(parsed("nginx:1.25"), ("nginx".into(), None, s("1.25"), None));
        assert_eq!(
            parsed("nginx=ghcr.io/x/nginx:2"),
            ("nginx".into(), s("ghcr.io/x/nginx"), s("2"), None)
        );
        assert_eq!(
            parsed("registry:5000/app"),
            ("registry:5000/app".into(), None, None, None)
        );
        assert_eq!(
            parsed("registry:5000/app:v1"),
            ("registry:5000/app".into(), None, s("v1"), None)
        );
        assert_eq!(
            parsed("app@sha256:abc"),
            ("app".into(), None, None, s("sha256:abc"))
        );
        assert!(ImageOverride::parse("=x:1").is_none());
        assert!(ImageOverride::parse("").is_none());
    }

    #[test]
    fn replaces_an_entry_of_the_same_name() {
        let mut images = vec![serde_json::json!({"name": "nginx", "newTag": "1"})];
        ImageOverride::parse("nginx:2").unwrap().apply(&mut images);
        ImageOverride::parse("redis:7").unwrap().apply(&mut images);
        assert_eq!(
            images,
            vec![
                serde_json::json!({"name": "nginx", "newTag": "2"}),
                serde_json::json!({"name": "redis", "newTag": "7"})
            ]
        );
    }
}
