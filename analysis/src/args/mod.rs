//! Building an AnalysisRun from templates and arguments, and resolving `{{args.NAME}}`.
//!
//! Two moments, as in Argo Rollouts:
//! - when a run is created: templates are flattened ([`flatten_templates`]), the caller's
//!   arguments override the templates' defaults ([`build_run_spec`]), and Rollout-side
//!   arguments (`fieldRef`, `podTemplateHashValue`) are read into plain values
//!   ([`rollout_args`]). Secret references stay references, so no secret is written into
//!   the run's spec.
//! - when a run is measured: every argument gets its value, Secrets included
//!   ([`arg_values`]), and the metrics' placeholders are replaced ([`resolve_metrics`]).

mod substitute;
mod templates;

use std::collections::BTreeMap;

use linnet_crds::analysis::{AnalysisRunSpec, AnalysisTemplateSpec, Argument, Metric, SecretKeyRef};
use linnet_crds::rollout::{AnalysisRunArgument, PodTemplateHashSource};

pub use substitute::{substitute, substitute_metric};
pub use templates::{describe, flatten_templates};

/// Why a run cannot be built or its arguments resolved. No variant carries an argument's
/// value, so a secret never reaches an error message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    #[error("{template} not found")]
    TemplateNotFound { template: String },
    #[error("templates include each other in a cycle: {chain}")]
    TemplateCycle { chain: String },
    #[error("metric {metric:?} of {template} is already defined by another template")]
    DuplicateMetric { metric: String, template: String },
    #[error("argument {name:?} of {template} has a different value in another template")]
    ConflictingArg { name: String, template: String },
    #[error("argument {name:?} has no value: the template leaves it unset and the caller gives none")]
    MissingValue { name: String },
    #[error("argument {name:?}: key {key:?} of Secret {secret:?} not found")]
    SecretNotFound {
        name: String,
        secret: String,
        key: String,
    },
    #[error("argument {name:?}: field {path:?} not found")]
    FieldNotFound { name: String, path: String },
    #[error("argument {name:?}: the {hash:?} pod-template hash is not known yet")]
    HashNotKnown {
        name: String,
        hash: PodTemplateHashSource,
    },
    #[error("argument {name:?}: valueFrom names no source")]
    EmptyValueFrom { name: String },
    #[error("metric {metric:?} uses {{{{args.{name}}}}} but the run has no argument {name:?}")]
    UnknownPlaceholder { metric: String, name: String },
    #[error("metric {metric:?} cannot be resolved: {reason}")]
    Unrepresentable { metric: String, reason: String },
}

/// The spec of a new run: the flattened template's metrics, dry-run and retention entries,
/// with its arguments overridden by the caller's. Arguments the template does not declare
/// are ignored, as Argo does.
///
/// # Errors
/// [`ArgsError::MissingValue`] naming an argument that ends up with neither `value` nor
/// `valueFrom`.
pub fn build_run_spec(
    template: &AnalysisTemplateSpec,
    caller: &[Argument],
) -> Result<AnalysisRunSpec, ArgsError> {
    let args = merge_args(template.args.as_deref().unwrap_or_default(), caller)?;
    Ok(AnalysisRunSpec {
        metrics: template.metrics.clone().unwrap_or_default(),
        args: (!args.is_empty()).then_some(args),
        terminate: None,
        dry_run: template.dry_run.clone(),
        measurement_retention: template.measurement_retention.clone(),
        ttl_strategy: None,
    })
}

/// Template arguments with the caller's values put over their defaults.
///
/// # Errors
/// [`ArgsError::MissingValue`] for an argument left without a value.
pub fn merge_args(declared: &[Argument], caller: &[Argument]) -> Result<Vec<Argument>, ArgsError> {
    declared
        .iter()
        .map(|arg| {
            let given = caller.iter().find(|given| given.name == arg.name);
            let merged = match given {
                Some(given) if given.value.is_some() || given.value_from.is_some() => given.clone(),
                _ => arg.clone(),
            };
            if merged.value.is_none() && merged.value_from.is_none() {
                return Err(ArgsError::MissingValue {
                    name: arg.name.clone(),
                });
            }
            Ok(merged)
        })
        .collect()
}

/// What a Rollout knows when it creates a run, for its arguments' `valueFrom`.
pub struct RolloutValues<'a> {
    pub stable_hash: Option<&'a str>,
    pub latest_hash: Option<&'a str>,
    /// Reads a field of the Rollout by path (`metadata.labels['app']`).
    pub field: &'a dyn Fn(&str) -> Option<String>,
}

/// A Rollout's analysis arguments as plain values for [`build_run_spec`].
///
/// # Errors
/// [`ArgsError::FieldNotFound`], [`ArgsError::HashNotKnown`] or [`ArgsError::EmptyValueFrom`].
pub fn rollout_args(
    args: &[AnalysisRunArgument],
    rollout: &RolloutValues<'_>,
) -> Result<Vec<Argument>, ArgsError> {
    args.iter()
        .map(|arg| {
            let value = match (&arg.value, &arg.value_from) {
                (Some(value), _) => value.clone(),
                (None, None) => {
                    return Err(ArgsError::MissingValue {
                        name: arg.name.clone(),
                    });
                }
                (None, Some(from)) => match (&from.pod_template_hash_value, &from.field_ref) {
                    (Some(source), _) => {
                        let hash = match source {
                            PodTemplateHashSource::Stable => rollout.stable_hash,
                            PodTemplateHashSource::Latest => rollout.latest_hash,
                        };
                        let missing = || ArgsError::HashNotKnown {
                            name: arg.name.clone(),
                            hash: *source,
                        };
                        hash.ok_or_else(missing)?.to_string()
                    }
                    (None, Some(field)) => {
                        (rollout.field)(&field.field_path).ok_or_else(|| ArgsError::FieldNotFound {
                            name: arg.name.clone(),
                            path: field.field_path.clone(),
                        })?
                    }
                    (None, None) => {
                        return Err(ArgsError::EmptyValueFrom {
                            name: arg.name.clone(),
                        });
                    }
                },
            };
            Ok(Argument {
                name: arg.name.clone(),
                value: Some(value),
                value_from: None,
            })
        })
        .collect()
}

/// The value of every argument of a run. `secret` reads a key of a Secret in the run's
/// namespace; a `fieldRef` left in a run's spec is read with `field`.
///
/// # Errors
/// [`ArgsError::MissingValue`], [`ArgsError::SecretNotFound`], [`ArgsError::FieldNotFound`].
pub fn arg_values(
    args: &[Argument],
    secret: &dyn Fn(&SecretKeyRef) -> Option<String>,
    field: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, String>, ArgsError> {
    args.iter()
        .map(|arg| {
            let value = match (&arg.value, &arg.value_from) {
                (Some(value), _) => value.clone(),
                (None, Some(from)) => match (&from.secret_key_ref, &from.field_ref) {
                    (Some(key), _) => secret(key).ok_or_else(|| ArgsError::SecretNotFound {
                        name: arg.name.clone(),
                        secret: key.name.clone(),
                        key: key.key.clone(),
                    })?,
                    (None, Some(path)) => {
                        field(&path.field_path).ok_or_else(|| ArgsError::FieldNotFound {
                            name: arg.name.clone(),
                            path: path.field_path.clone(),
                        })?
                    }
                    (None, None) => {
                        return Err(ArgsError::EmptyValueFrom {
                            name: arg.name.clone(),
                        });
                    }
                },
                (None, None) => {
                    return Err(ArgsError::MissingValue {
                        name: arg.name.clone(),
                    });
                }
            };
            Ok((arg.name.clone(), value))
        })
        .collect()
}

/// The run's metrics with every `{{args.NAME}}` replaced. The result may hold secrets: hand
/// it to providers and the planner, never write it back into the run.
///
/// # Errors
/// [`ArgsError::UnknownPlaceholder`] naming the metric and the argument.
pub fn resolve_metrics(
    metrics: &[Metric],
    values: &BTreeMap<String, String>,
) -> Result<Vec<Metric>, ArgsError> {
    metrics
        .iter()
        .map(|metric| substitute_metric(metric, values))
        .collect()
}
