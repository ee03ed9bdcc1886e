//! Root types written by hand rather than by `#[derive(CustomResource)]`.
//!
//! Two reasons make that necessary. Argo serves `AnalysisRun` and `Experiment` without a
//! status subresource (their controller writes status through the main resource), while the
//! derive always adds one when a kind has a status; a CRD that had it would make a status
//! written the Argo way vanish. And `ClusterAnalysisTemplate` shares `AnalysisTemplateSpec`
//! with `AnalysisTemplate`, which one derive per spec type cannot express.
//!
//! [`crd`] builds the CustomResourceDefinition with the same schema settings as the derive, and
//! [`impl_resource!`] gives a hand-written root type the traits the derive would give it.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceColumnDefinition, CustomResourceDefinition, CustomResourceDefinitionNames,
    CustomResourceDefinitionSpec, CustomResourceDefinitionVersion, CustomResourceValidation,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;

/// How a kind is named and shown by `kubectl get`.
pub struct KindNames {
    pub kind: &'static str,
    pub plural: &'static str,
    /// `<plural>.argoproj.io`, the CRD's name.
    pub crd_name: &'static str,
    pub short_name: &'static str,
    pub namespaced: bool,
    pub columns: &'static [PrinterColumn],
}

/// A column `kubectl get` prints.
pub struct PrinterColumn {
    pub name: &'static str,
    pub type_: &'static str,
    pub json_path: &'static str,
    pub description: &'static str,
}

/// The `Age` column every Argo kind has.
pub const AGE_COLUMN: PrinterColumn = PrinterColumn {
    name: "Age",
    type_: "date",
    json_path: ".metadata.creationTimestamp",
    description: "Time since resource was created",
};

/// The CRD of root type `T`, served at `argoproj.io/v1alpha1`, with no subresources.
pub fn crd<T: JsonSchema>(names: &KindNames) -> CustomResourceDefinition {
    let generator = schemars::generate::SchemaSettings::openapi3()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .with_transform(schemars::transform::AddNullable::default())
        .with_transform(kube::core::schema::StructuralSchemaRewriter)
        .with_transform(kube::core::schema::OptionalEnum)
        .with_transform(kube::core::schema::OptionalIntOrString)
        .into_generator();
    // The schema comes from this crate's own types, never from input: a failure here is a bug
    // in a type definition, caught by every test that builds the CRDs.
    let schema = serde_json::to_value(generator.into_root_schema_for::<T>())
        .and_then(serde_json::from_value)
        .expect("the kind's schema is a valid JSONSchemaProps");
    let singular = names.kind.to_ascii_lowercase();
    let columns = names
        .columns
        .iter()
        .map(|c| CustomResourceColumnDefinition {
            name: c.name.into(),
            type_: c.type_.into(),
            json_path: c.json_path.into(),
            description: Some(c.description.into()),
            ..Default::default()
        })
        .collect();
    CustomResourceDefinition {
        metadata: ObjectMeta {
            name: Some(names.crd_name.into()),
            ..Default::default()
        },
        spec: CustomResourceDefinitionSpec {
            group: crate::GROUP.into(),
            names: CustomResourceDefinitionNames {
                kind: names.kind.into(),
                plural: names.plural.into(),
                singular: Some(singular),
                short_names: Some(vec![names.short_name.into()]),
                ..Default::default()
            },
            scope: if names.namespaced { "Namespaced" } else { "Cluster" }.into(),
            versions: vec![CustomResourceDefinitionVersion {
                name: crate::VERSION.into(),
                served: true,
                storage: true,
                additional_printer_columns: Some(columns),
                schema: Some(CustomResourceValidation {
                    open_api_v3_schema: Some(schema),
                }),
                subresources: None,
                ..Default::default()
            }],
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Implements `Resource`, `CustomResourceExt`, `HasSpec`, `Serialize` and `new` for a
/// hand-written root type with `metadata` and `spec` fields (and `status`, when named), the
/// way `#[derive(CustomResource)]` does for derived ones.
macro_rules! impl_resource {
    ($root:ident, $spec:ty, $names:expr, $scope:ty $(, status: $status:ty)?) => {
        impl $root {
            /// A new object with this name and spec.
            pub fn new(name: &str, spec: $spec) -> Self {
                Self {
                    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                        name: Some(name.to_string()),
                        ..Default::default()
                    },
                    spec,
                    $(status: None::<$status>,)?
                }
            }
        }

        impl kube::core::Resource for $root {
            type DynamicType = ();
            type Scope = $scope;

            fn kind(_: &()) -> std::borrow::Cow<'_, str> {
                $names.kind.into()
            }
            fn group(_: &()) -> std::borrow::Cow<'_, str> {
                crate::GROUP.into()
            }
            fn version(_: &()) -> std::borrow::Cow<'_, str> {
                crate::VERSION.into()
            }
            fn api_version(_: &()) -> std::borrow::Cow<'_, str> {
                crate::API_VERSION.into()
            }
            fn plural(_: &()) -> std::borrow::Cow<'_, str> {
                $names.plural.into()
            }
            fn meta(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &mut self.metadata
            }
        }

        impl kube::core::CustomResourceExt for $root {
            fn crd() -> k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition {
                crate::analysis::resource::crd::<$root>(&$names)
            }
            fn crd_name() -> &'static str {
                $names.crd_name
            }
            fn api_resource() -> kube::core::dynamic::ApiResource {
                kube::core::dynamic::ApiResource::erase::<Self>(&())
            }
            fn shortnames() -> &'static [&'static str] {
                &[$names.short_name]
            }
        }

        impl kube::core::object::HasSpec for $root {
            type Spec = $spec;
            fn spec(&self) -> &$spec {
                &self.spec
            }
            fn spec_mut(&mut self) -> &mut $spec {
                &mut self.spec
            }
        }

        $(
            impl kube::core::object::HasStatus for $root {
                type Status = $status;
                fn status(&self) -> Option<&$status> {
                    self.status.as_ref()
                }
                fn status_mut(&mut self) -> &mut Option<$status> {
                    &mut self.status
                }
            }
        )?

        impl serde::Serialize for $root {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("apiVersion", crate::API_VERSION)?;
                map.serialize_entry("kind", $names.kind)?;
                map.serialize_entry("metadata", &self.metadata)?;
                map.serialize_entry("spec", &self.spec)?;
                $(
                    let status: &Option<$status> = &self.status;
                    if let Some(status) = status {
                        map.serialize_entry("status", status)?;
                    }
                )?
                map.end()
            }
        }
    };
}

pub(crate) use impl_resource;
