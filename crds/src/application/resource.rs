//! The Application object itself, written by hand rather than derived: Argo CD puts
//! `operation` at the top level beside `spec` and `status`, and kube's `CustomResource`
//! derive only knows `metadata`, `spec` and `status`. This module gives the root struct the
//! same traits the derive would (`Resource`, `CustomResourceExt`, `HasSpec`, `HasStatus`,
//! serialization with `apiVersion` and `kind`) and builds its CRD the way the derive does.

use std::borrow::Cow;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceColumnDefinition, CustomResourceDefinition, CustomResourceDefinitionNames,
    CustomResourceDefinitionSpec, CustomResourceDefinitionVersion, CustomResourceSubresourceStatus,
    CustomResourceSubresources, CustomResourceValidation, JSONSchemaProps,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::dynamic::ApiResource;
use kube::core::object::{HasSpec, HasStatus};
use kube::core::schema::{OptionalEnum, OptionalIntOrString, StructuralSchemaRewriter};
use kube::core::{CustomResourceExt, NamespaceResourceScope, Resource};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use schemars::transform::AddNullable;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use super::operation::Operation;
use super::spec::ApplicationSpec;
use super::status::ApplicationStatus;
use crate::{API_VERSION, GROUP, VERSION};

const KIND: &str = "Application";
const PLURAL: &str = "applications";
const SINGULAR: &str = "application";
const CRD_NAME: &str = "applications.argoproj.io";
const SHORT_NAMES: &[&str] = &["app", "apps"];

/// An Argo CD Application: manifests from a Git, Helm or OCI repository, kept equal to what
/// runs in one cluster and namespace.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    // Left out of the schema, as the derive does: the API server validates metadata itself.
    #[schemars(skip)]
    pub metadata: ObjectMeta,
    /// Desired state: where the manifests come from and where they go.
    pub spec: ApplicationSpec,
    /// Observed state, written by the controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ApplicationStatus>,
    /// An operation a client asks the controller to perform, such as a sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
}

impl Application {
    /// A new Application with this name and spec, no status and no operation.
    pub fn new(name: &str, spec: ApplicationSpec) -> Self {
        Application {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                ..ObjectMeta::default()
            },
            spec,
            status: None,
            operation: None,
        }
    }
}

impl Serialize for Application {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let fields = 4 + usize::from(self.status.is_some()) + usize::from(self.operation.is_some());
        let mut obj = ser.serialize_struct(KIND, fields)?;
        obj.serialize_field("apiVersion", API_VERSION)?;
        obj.serialize_field("kind", KIND)?;
        obj.serialize_field("metadata", &self.metadata)?;
        obj.serialize_field("spec", &self.spec)?;
        if let Some(status) = &self.status {
            obj.serialize_field("status", status)?;
        }
        if let Some(operation) = &self.operation {
            obj.serialize_field("operation", operation)?;
        }
        obj.end()
    }
}

impl Resource for Application {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        KIND.into()
    }

    fn group(_: &()) -> Cow<'_, str> {
        GROUP.into()
    }

    fn version(_: &()) -> Cow<'_, str> {
        VERSION.into()
    }

    fn api_version(_: &()) -> Cow<'_, str> {
        API_VERSION.into()
    }

    fn plural(_: &()) -> Cow<'_, str> {
        PLURAL.into()
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl HasSpec for Application {
    type Spec = ApplicationSpec;

    fn spec(&self) -> &ApplicationSpec {
        &self.spec
    }

    fn spec_mut(&mut self) -> &mut ApplicationSpec {
        &mut self.spec
    }
}

impl HasStatus for Application {
    type Status = ApplicationStatus;

    fn status(&self) -> Option<&ApplicationStatus> {
        self.status.as_ref()
    }

    fn status_mut(&mut self) -> &mut Option<ApplicationStatus> {
        &mut self.status
    }
}

impl CustomResourceExt for Application {
    fn crd() -> CustomResourceDefinition {
        CustomResourceDefinition {
            metadata: ObjectMeta {
                name: Some(CRD_NAME.into()),
                ..ObjectMeta::default()
            },
            spec: CustomResourceDefinitionSpec {
                group: GROUP.into(),
                names: CustomResourceDefinitionNames {
                    kind: KIND.into(),
                    plural: PLURAL.into(),
                    singular: Some(SINGULAR.into()),
                    short_names: Some(SHORT_NAMES.iter().map(|s| s.to_string()).collect()),
                    ..CustomResourceDefinitionNames::default()
                },
                scope: "Namespaced".into(),
                versions: vec![CustomResourceDefinitionVersion {
                    name: VERSION.into(),
                    served: true,
                    storage: true,
                    additional_printer_columns: Some(printer_columns()),
                    schema: Some(CustomResourceValidation {
                        open_api_v3_schema: Some(structural_schema()),
                    }),
                    subresources: Some(CustomResourceSubresources {
                        scale: None,
                        status: Some(CustomResourceSubresourceStatus(serde_json::json!({}))),
                    }),
                    ..CustomResourceDefinitionVersion::default()
                }],
                ..CustomResourceDefinitionSpec::default()
            },
            ..CustomResourceDefinition::default()
        }
    }

    fn crd_name() -> &'static str {
        CRD_NAME
    }

    fn api_resource() -> ApiResource {
        ApiResource::erase::<Self>(&())
    }

    fn shortnames() -> &'static [&'static str] {
        SHORT_NAMES
    }
}

/// The columns `kubectl get applications` shows, as Argo CD's CRD declares them, plus Age.
fn printer_columns() -> Vec<CustomResourceColumnDefinition> {
    let column =
        |name: &str, json_path: &str, type_: &str, priority: Option<i32>| CustomResourceColumnDefinition {
            name: name.into(),
            json_path: json_path.into(),
            type_: type_.into(),
            priority,
            ..CustomResourceColumnDefinition::default()
        };
    vec![
        column("Sync Status", ".status.sync.status", "string", None),
        column("Health Status", ".status.health.status", "string", None),
        column("Revision", ".status.sync.revision", "string", Some(10)),
        column("Project", ".spec.project", "string", Some(10)),
        column("Age", ".metadata.creationTimestamp", "date", None),
    ]
}

/// The structural OpenAPI schema of the whole object, made with the same settings and
/// transforms as kube's derive, so it passes the API server's structural-schema rules.
fn structural_schema() -> JSONSchemaProps {
    let generator = SchemaSettings::openapi3()
        .with(|s| {
            // The API server allows neither `$ref` definitions nor `$schema`.
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .with_transform(AddNullable::default())
        .with_transform(StructuralSchemaRewriter)
        .with_transform(OptionalEnum)
        .with_transform(OptionalIntOrString)
        .into_generator();
    let schema = generator.into_root_schema_for::<Application>();
    // The schema comes from the types in this crate, never from input: a failure here is a
    // bug in the types, caught by the tests below.
    serde_json::to_value(schema)
        .and_then(serde_json::from_value)
        .expect("the Application schema converts to JSONSchemaProps")
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn status_subresource_is_declared() {
        let crd = Application::crd();
        let sub = crd.spec.versions[0].subresources.clone().expect("subresources");
        assert!(sub.status.is_some());
        assert!(sub.scale.is_none());
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
            if let Some(k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaPropsOrArray::Schema(items)) = &s.items {
                check(&format!("{path}[]"), items, problems);
            }
            if let Some(k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaPropsOrBool::Schema(values)) = &s.additional_properties {
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
}
