//! The hand-written Application CRD against what kube's derive and Argo CD produce: names,
//! printer columns, status subresource, a structural schema with `operation` in it, and
//! serialization with `apiVersion` and `kind`.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use kube::core::{CustomResourceExt, Resource};

use super::operation::Operation;
use super::resource::Application;
use super::spec::ApplicationSpec;

fn schema() -> JSONSchemaProps {
    let crd = Application::crd();
    let version = &crd.spec.versions[0];
    version
        .schema
        .clone()
        .and_then(|s| s.open_api_v3_schema)
        .expect("schema")
}

#[test]
fn names_group_and_scope_match_argo_cd() {
    let crd = Application::crd();
    assert_eq!(crd.metadata.name.as_deref(), Some("applications.argoproj.io"));
    assert_eq!(crd.spec.group, "argoproj.io");
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.kind, "Application");
    assert_eq!(crd.spec.names.plural, "applications");
    assert_eq!(crd.spec.names.singular.as_deref(), Some("application"));
    assert_eq!(
        crd.spec.names.short_names,
        Some(vec!["app".to_string(), "apps".to_string()])
    );
    assert_eq!(Application::shortnames(), &["app", "apps"]);
    assert_eq!(Application::crd_name(), "applications.argoproj.io");
    let version = &crd.spec.versions[0];
    assert_eq!(version.name, "v1alpha1");
    assert!(version.served && version.storage);
}

#[test]
fn resource_and_api_resource_agree() {
    assert_eq!(Application::kind(&()), "Application");
    assert_eq!(Application::api_version(&()), "argoproj.io/v1alpha1");
    assert_eq!(
        Application::url_path(&(), Some("argocd")),
        "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
    );
    let api = Application::api_resource();
    assert_eq!(api.plural, "applications");
    assert_eq!(api.group, "argoproj.io");
    assert_eq!(api.api_version, "argoproj.io/v1alpha1");
}

#[test]
fn status_is_written_through_the_main_resource_as_in_argo_cd() {
    let crd = Application::crd();
    assert_eq!(crd.spec.versions[0].subresources, None);
}

#[test]
fn printer_columns_match_argo_cd() {
    let crd = Application::crd();
    let columns = crd.spec.versions[0]
        .additional_printer_columns
        .clone()
        .expect("columns");
    let seen: Vec<(&str, &str, Option<i32>)> = columns
        .iter()
        .map(|c| (c.name.as_str(), c.json_path.as_str(), c.priority))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("Sync Status", ".status.sync.status", None),
            ("Health Status", ".status.health.status", None),
            ("Revision", ".status.sync.revision", Some(10)),
            ("Project", ".spec.project", Some(10)),
            ("Age", ".metadata.creationTimestamp", None),
        ]
    );
    assert_eq!(columns[4].type_, "date");
}

#[test]
fn schema_has_operation_beside_spec_and_status() {
    let schema = schema();
    let props = schema.properties.expect("root properties");
    for field in ["spec", "status", "operation"] {
        assert!(props.contains_key(field), "{field} missing from the root schema");
    }
    assert!(
        !props.contains_key("metadata"),
        "metadata is validated by the API server"
    );
    assert_eq!(schema.required, Some(vec!["spec".to_string()]));
    let sync = &props["operation"]
        .properties
        .as_ref()
        .expect("operation properties")["sync"];
    assert!(
        sync.properties
            .as_ref()
            .is_some_and(|p| p.contains_key("syncStrategy"))
    );
}

#[test]
fn schema_is_structural() {
    // The API server refuses a schema node without a type, unless it says it may hold
    // anything (preserve-unknown-fields) or is an int-or-string.
    fn check(path: &str, s: &JSONSchemaProps, problems: &mut Vec<String>) {
        let typed = s.type_.is_some()
            || s.x_kubernetes_preserve_unknown_fields == Some(true)
            || s.x_kubernetes_int_or_string == Some(true);
        if !typed {
            problems.push(format!("{path}: no type"));
        }
        for (name, of) in [("anyOf", &s.any_of), ("oneOf", &s.one_of), ("allOf", &s.all_of)] {
            if of.is_some() {
                problems.push(format!("{path}: {name} left in the schema"));
            }
        }
        for (name, prop) in s.properties.iter().flatten() {
            check(&format!("{path}.{name}"), prop, problems);
        }
        if let Some(JSONSchemaPropsOrArray::Schema(items)) = &s.items {
            check(&format!("{path}[]"), items, problems);
        }
        if let Some(JSONSchemaPropsOrBool::Schema(values)) = &s.additional_properties {
            check(&format!("{path}{{}}"), values, problems);
        }
    }
    let mut problems = Vec::new();
    check("", &schema(), &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn values_object_keeps_unknown_fields() {
    let schema = schema();
    let path = ["spec", "source", "helm", "valuesObject"];
    let mut node = &schema;
    for name in path {
        node = &node.properties.as_ref().expect("properties")[name];
    }
    assert_eq!(node.x_kubernetes_preserve_unknown_fields, Some(true));
    assert_eq!(node.type_.as_deref(), Some("object"));
}

#[test]
fn serializes_api_version_kind_and_operation() {
    let mut app = Application::new("guestbook", ApplicationSpec::default());
    let plain = serde_json::to_value(&app).expect("serializes");
    assert_eq!(plain["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(plain["kind"], "Application");
    assert_eq!(plain["metadata"]["name"], "guestbook");
    assert!(plain.get("status").is_none() && plain.get("operation").is_none());

    app.operation = Some(Operation::default());
    let with_op = serde_json::to_value(&app).expect("serializes");
    assert_eq!(with_op["operation"], serde_json::json!({}));
    let back: Application = serde_json::from_value(with_op).expect("reads back");
    assert_eq!(back, app);
}
