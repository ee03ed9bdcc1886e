//! Tests of the Rollout's wire shape and CRD, and of the Rollout fixtures under `crds/tests/`.

use std::fs;
use std::path::{Path, PathBuf};

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResourceExt;
use serde_json::{Value, json};

use super::*;
use crate::Kind;
use crate::common::IntOrDuration;

fn minimal(spec_extra: Value, status: Option<Value>) -> Value {
    let mut doc = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "checkout"}},
            "template": {
                "metadata": {"labels": {"app": "checkout"}},
                "spec": {"containers": [{"name": "checkout", "image": "registry.example.com/checkout:1.4.2"}]}
            },
            "strategy": {"canary": {"steps": [{"setWeight": 50}]}}
        }
    });
    if let (Some(spec), Some(extra)) = (doc["spec"].as_object_mut(), spec_extra.as_object()) {
        spec.extend(extra.clone());
    }
    if let Some(status) = status {
        doc["status"] = status;
    }
    doc
}

#[test]
fn observed_generation_is_a_string() {
    let doc = minimal(
        json!({}),
        Some(json!({"observedGeneration": "7", "HPAReplicas": 4})),
    );
    let rollout: Rollout = serde_json::from_value(doc.clone()).unwrap();
    let status = rollout.status.as_ref().unwrap();
    assert_eq!(status.observed_generation.as_deref(), Some("7"));
    assert_eq!(status.hpa_replicas, Some(4));
    assert_eq!(Kind::Rollout.round_trip(&doc), Ok(doc));

    let as_number = minimal(json!({}), Some(json!({"observedGeneration": 7})));
    let findings = Kind::Rollout.check(&as_number);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].path, "status.observedGeneration");
}

#[test]
fn pause_durations_keep_their_int_or_string_form() {
    let steps = json!([{"pause": {"duration": 30}}, {"pause": {"duration": "30s"}}, {"pause": {}}]);
    let doc = minimal(json!({"strategy": {"canary": {"steps": steps}}}), None);
    let rollout: Rollout = serde_json::from_value(doc.clone()).unwrap();
    let canary = rollout
        .spec
        .strategy
        .as_ref()
        .and_then(|s| s.canary.as_ref())
        .unwrap();
    let durations: Vec<_> = canary
        .steps
        .iter()
        .flatten()
        .map(|s| s.pause.clone().unwrap().duration)
        .collect();
    assert_eq!(
        durations,
        [
            Some(IntOrDuration::Seconds(30)),
            Some(IntOrDuration::Text("30s".into())),
            None
        ]
    );
    assert_eq!(Kind::Rollout.round_trip(&doc), Ok(doc));
}

#[test]
fn surge_and_unavailable_take_counts_and_percentages() {
    let canary = json!({"canary": {"maxSurge": "25%", "maxUnavailable": 1, "steps": [{"setWeight": 50}]}});
    let doc = minimal(json!({"strategy": canary}), None);
    let rollout: Rollout = serde_json::from_value(doc.clone()).unwrap();
    let canary = rollout.spec.strategy.and_then(|s| s.canary).unwrap();
    assert_eq!(canary.max_surge, Some(IntOrString::String("25%".into())));
    assert_eq!(canary.max_unavailable, Some(IntOrString::Int(1)));
    assert_eq!(Kind::Rollout.round_trip(&doc), Ok(doc));
}

#[test]
fn the_crd_has_argos_names_subresources_and_columns() {
    let crd = Rollout::crd();
    assert_eq!(crd.metadata.name.as_deref(), Some("rollouts.argoproj.io"));
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.short_names, Some(vec!["ro".to_string()]));
    let version = &crd.spec.versions[0];
    let subresources = version.subresources.as_ref().unwrap();
    assert!(subresources.status.is_some());
    let scale = subresources.scale.as_ref().unwrap();
    assert_eq!(scale.spec_replicas_path, ".spec.replicas");
    assert_eq!(scale.status_replicas_path, ".status.HPAReplicas");
    assert_eq!(scale.label_selector_path.as_deref(), Some(".status.selector"));
    let columns: Vec<(&str, &str, &str)> = version
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| (c.name.as_str(), c.type_.as_str(), c.json_path.as_str()))
        .collect();
    assert_eq!(
        columns,
        [
            ("Desired", "integer", ".spec.replicas"),
            ("Current", "integer", ".status.replicas"),
            ("Up-to-date", "integer", ".status.updatedReplicas"),
            ("Available", "integer", ".status.availableReplicas"),
            ("Age", "date", ".metadata.creationTimestamp"),
        ]
    );
}

/// The CRD's OpenAPI schema as JSON, for looking fields up by path.
fn crd_schema() -> Value {
    let crd = Rollout::crd();
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.clone());
    serde_json::to_value(schema).unwrap()
}

#[test]
fn the_schema_keeps_argos_json_shapes() {
    let schema = crd_schema();
    let status = &schema["properties"]["status"]["properties"];
    assert_eq!(status["observedGeneration"]["type"], "string");
    assert_eq!(status["HPAReplicas"]["type"], "integer");
    assert_eq!(status["stableRS"]["type"], "string");
    let canary =
        &schema["properties"]["spec"]["properties"]["strategy"]["properties"]["canary"]["properties"];
    assert_eq!(canary["maxSurge"]["x-kubernetes-int-or-string"], true);
    let pause = &canary["steps"]["items"]["properties"]["pause"]["properties"]["duration"];
    assert_eq!(pause["x-kubernetes-int-or-string"], true);
    let plugins = &canary["trafficRouting"]["properties"]["plugins"];
    assert_eq!(plugins["x-kubernetes-preserve-unknown-fields"], true);
    let background = &canary["analysis"]["properties"];
    assert!(background["startingStep"].is_object() && background["templates"].is_object());
}

#[test]
fn the_pod_template_keeps_its_structure_but_not_its_descriptions() {
    let schema = crd_schema();
    let template = &schema["properties"]["spec"]["properties"]["template"];
    assert!(
        template["description"].is_string(),
        "the field itself stays documented"
    );
    let container = &template["properties"]["spec"]["properties"]["containers"]["items"];
    assert!(container["properties"]["image"].is_object());
    assert!(container["properties"]["resources"]["properties"]["limits"].is_object());
    assert!(container.get("description").is_none());
    assert!(container["properties"]["image"].get("description").is_none());
    // Well under the 400 KB where an apply or a Helm chart starts to hurt.
    let size = serde_saphyr::to_string(&Rollout::crd()).unwrap().len();
    assert!(size < 400_000, "Rollout CRD is {size} bytes");
}

/// The fixture files of `dir` (relative to the crate) named `rollout-*.yaml`.
fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with("rollout-") && name.ends_with(".yaml")
        })
        .collect();
    files.sort();
    files
}

fn read_fixture(path: &Path) -> (String, Value) {
    let text = fs::read_to_string(path).unwrap();
    assert!(
        text.starts_with("# "),
        "{}: first line must be a `# ` comment",
        path.display()
    );
    let doc = serde_saphyr::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (text, doc)
}

#[test]
fn compat_fixtures_parse_validate_and_round_trip_exactly() {
    let files = fixtures("tests/compat");
    assert!(files.len() >= 12, "only {} compat fixtures", files.len());
    for path in files {
        let (_, doc) = read_fixture(&path);
        let findings = Kind::Rollout.check(&doc);
        assert!(findings.is_empty(), "{}: {findings:#?}", path.display());
        let back = Kind::Rollout
            .round_trip(&doc)
            .unwrap_or_else(|f| panic!("{}: {f}", path.display()));
        assert_eq!(back, doc, "{} does not round-trip", path.display());
    }
}

#[test]
fn broken_fixtures_report_every_expected_finding() {
    let files = fixtures("tests/broken");
    assert!(files.len() >= 4, "only {} broken fixtures", files.len());
    for path in files {
        let (_, doc) = read_fixture(&path);
        let expected = fs::read_to_string(path.with_extension("expected")).unwrap();
        let reported: Vec<String> = Kind::Rollout
            .check(&doc)
            .iter()
            .map(ToString::to_string)
            .collect();
        let expected: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(!expected.is_empty(), "{}: empty .expected", path.display());
        for line in &expected {
            assert!(
                reported.iter().any(|r| r.starts_with(line)),
                "{}: missing `{line}`\nreported: {reported:#?}",
                path.display()
            );
        }
        assert_eq!(
            reported.len(),
            expected.len(),
            "{}: {reported:#?}",
            path.display()
        );
    }
}

#[test]
fn a_type_error_inside_background_analysis_names_its_path() {
    let analysis = json!({"startingStep": 1, "templates": [{"templateName": "x", "clusterScope": "yes"}]});
    let canary = json!({"canary": {"analysis": analysis, "steps": [{"setWeight": 5}, {"pause": {}}]}});
    let findings = Kind::Rollout.check(&minimal(json!({"strategy": canary}), None));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        findings[0].path,
        "spec.strategy.canary.analysis.templates[0].clusterScope"
    );
}
