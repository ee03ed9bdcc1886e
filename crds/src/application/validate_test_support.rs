//! Test support for the validation tables: valid manifests to start from, a way to break
//! one field of them, and an assertion on the single finding a broken field must give.

use serde_json::{Value, json};

use crate::{Finding, Kind, Severity};

pub fn valid_app() -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "guestbook", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {
                "repoURL": "https://github.com/argoproj/argocd-example-apps.git",
                "targetRevision": "HEAD",
                "path": "guestbook"
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "guestbook"}
        }
    })
}

pub fn valid_project() -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "payments", "namespace": "argocd"},
        "spec": {
            "sourceRepos": ["https://github.com/example/payments-deploy.git"],
            "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "payments-*"}],
            "syncWindows": [{"kind": "deny", "schedule": "0 22 * * 5", "duration": "60h", "applications": ["*"]}],
            "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
            "roles": [{"name": "ci-deployer"}]
        }
    })
}

/// The findings for a valid manifest after `edit` sets `pointer` to `value`.
fn check_with(kind: Kind, mut doc: Value, edits: &[(&str, Value)]) -> Vec<Finding> {
    for (pointer, value) in edits {
        set(&mut doc, pointer, value.clone());
    }
    kind.check(&doc)
}

/// Sets the value at a JSON pointer, creating objects on the way; `null` removes the field.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer with a slash");
    let mut node = doc;
    for key in parent.split('/').skip(1) {
        node = if node.is_array() {
            &mut node[key.parse::<usize>().expect("index")]
        } else {
            node.as_object_mut()
                .expect("object")
                .entry(key)
                .or_insert_with(|| json!({}))
        };
    }
    let object = node.as_object_mut().expect("object parent");
    if value.is_null() {
        object.remove(last);
    } else {
        object.insert(last.to_string(), value);
    }
}

pub fn app(edits: &[(&str, Value)]) -> Vec<Finding> {
    check_with(Kind::Application, valid_app(), edits)
}

pub fn project(edits: &[(&str, Value)]) -> Vec<Finding> {
    check_with(Kind::AppProject, valid_project(), edits)
}

/// Asserts there is exactly one finding, at `path`, of `severity`, whose message has `words`.
pub fn assert_one(findings: &[Finding], path: &str, severity: Severity, words: &str) {
    assert_eq!(
        findings.len(),
        1,
        "expected one finding at {path}, got {findings:#?}"
    );
    assert_eq!(findings[0].path, path, "{findings:#?}");
    assert_eq!(findings[0].severity, severity, "{findings:#?}");
    assert!(
        findings[0].message.contains(words),
        "{:?} lacks {words:?}",
        findings[0].message
    );
}
