//! The Application object itself, written by hand rather than derived: Argo CD puts
//! `operation` at the top level beside `spec` and `status`, and kube's `CustomResource`
//! derive only knows `metadata`, `spec` and `status`. This module gives the root struct the
//! same traits the derive would (`Resource`, `CustomResourceExt`, `HasSpec`, `HasStatus`,
//! serialization with `apiVersion` and `kind`) and builds its CRD the way the derive does.

use std::borrow::Cow;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceColumnDefinition, CustomResourceDefinition, CustomResourceDefinitionNames,
    CustomResourceDefinitionSpec, CustomResourceDefinitionVersion, CustomResourceValidation, JSONSchemaProps,
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
                    // No status subresource, as in Argo CD: its controller and CLI write
                    // `status` (and `operation`) through the main resource.
                    subresources: None,
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
    // bug in the types, caught by `resource_test`.
    serde_json::to_value(schema)
        .and_then(serde_json::from_value)
        .expect("the Application schema converts to JSONSchemaProps")
}
