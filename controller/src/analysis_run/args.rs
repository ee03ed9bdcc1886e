//! The values of a run's arguments as the reconciler finds them: `secretKeyRef`s read from
//! Secrets in the run's namespace, `fieldRef`s read from the run itself. Because Secret
//! values end up in the resolved metrics, [`ArgValues::redact`] masks them in anything a
//! provider returns before it reaches the status.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use linnet_analysis::args::{ArgsError, arg_values};
use linnet_crds::analysis::{AnalysisRun, Measurement, SecretKeyRef};

use super::Error;

/// What replaces a Secret's value in status.
pub const MASK: &str = "*****";

/// A run's argument values, and which of them came from Secrets.
#[derive(Debug, Default)]
pub struct ArgValues {
    pub values: BTreeMap<String, String>,
    secrets: Vec<String>,
}

impl ArgValues {
    /// The values of `run`'s arguments.
    ///
    /// # Errors
    /// `Err(Error)` when a Secret cannot be read for a reason other than its absence (the
    /// reconcile is retried); `Ok(Err(ArgsError))` when an argument has no value (the run
    /// ends in Error).
    pub async fn read(
        client: &kube::Client,
        namespace: &str,
        run: &AnalysisRun,
    ) -> Result<Result<ArgValues, ArgsError>, Error> {
        let args = run.spec.args.as_deref().unwrap_or_default();
        let secrets = read_secrets(client, namespace, run).await?;
        let secret = |key: &SecretKeyRef| secrets.get(&(key.name.clone(), key.key.clone())).cloned();
        let field = |path: &str| run_field(run, path);
        Ok(arg_values(args, &secret, &field).map(|values| ArgValues {
            values,
            secrets: secrets.into_values().filter(|value| !value.is_empty()).collect(),
        }))
    }

    /// `text` with every Secret value masked.
    pub fn redact_text(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_string(), |text, secret| {
            text.replace(secret.as_str(), MASK)
        })
    }

    /// `measurement` with every Secret value masked in its value, message and metadata.
    pub fn redact(&self, mut measurement: Measurement) -> Measurement {
        if self.secrets.is_empty() {
            return measurement;
        }
        measurement.value = measurement.value.map(|v| self.redact_text(&v));
        measurement.message = measurement.message.map(|m| self.redact_text(&m));
        if let Some(metadata) = measurement.metadata.as_mut() {
            for value in metadata.values_mut() {
                *value = self.redact_text(value);
            }
        }
        measurement
    }

    /// Metadata with every Secret value masked.
    pub fn redact_metadata(&self, metadata: BTreeMap<String, String>) -> BTreeMap<String, String> {
        metadata
            .into_iter()
            .map(|(key, value)| (key, self.redact_text(&value)))
            .collect()
    }
}

/// The keys the run's `secretKeyRef` arguments name, by (Secret, key). A Secret or key that
/// does not exist is left out, for [`arg_values`] to report by argument name.
async fn read_secrets(
    client: &kube::Client,
    namespace: &str,
    run: &AnalysisRun,
) -> Result<BTreeMap<(String, String), String>, Error> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let mut read: BTreeMap<String, Option<Secret>> = BTreeMap::new();
    let mut values = BTreeMap::new();
    let refs = run
        .spec
        .args
        .iter()
        .flatten()
        .filter(|arg| arg.value.is_none())
        .filter_map(|arg| arg.value_from.as_ref()?.secret_key_ref.as_ref());
    for key in refs {
        if !read.contains_key(&key.name) {
            let secret = api.get_opt(&key.name).await.map_err(|source| Error::ReadSecret {
                namespace: namespace.to_string(),
                name: run.metadata.name.clone().unwrap_or_default(),
                secret: key.name.clone(),
                source,
            })?;
            read.insert(key.name.clone(), secret);
        }
        let bytes = read
            .get(&key.name)
            .and_then(Option::as_ref)
            .and_then(|secret| secret.data.as_ref())
            .and_then(|data| data.get(&key.key));
        if let Some(text) = bytes.and_then(|bytes| String::from_utf8(bytes.0.clone()).ok()) {
            values.insert((key.name.clone(), key.key.clone()), text);
        }
    }
    Ok(values)
}

/// A field of the run by path: `metadata.name`, `metadata.namespace`, `metadata.uid`,
/// `metadata.labels['k']`, `metadata.annotations['k']`.
pub fn run_field(run: &AnalysisRun, path: &str) -> Option<String> {
    let meta = &run.metadata;
    let keyed = |prefix: &str| {
        let rest = path.strip_prefix(prefix)?;
        let key = rest.strip_prefix("['").and_then(|k| k.strip_suffix("']"));
        key.or_else(|| rest.strip_prefix("[\"").and_then(|k| k.strip_suffix("\"]")))
    };
    match path {
        "metadata.name" => meta.name.clone(),
        "metadata.namespace" => meta.namespace.clone(),
        "metadata.uid" => meta.uid.clone(),
        _ => {
            if let Some(key) = keyed("metadata.labels") {
                meta.labels.as_ref()?.get(key).cloned()
            } else if let Some(key) = keyed("metadata.annotations") {
                meta.annotations.as_ref()?.get(key).cloned()
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use linnet_crds::analysis::{AnalysisPhase, AnalysisRunSpec};

    use super::*;

    #[test]
    fn fields_of_the_run_are_read_by_path() {
        let mut run = AnalysisRun::new("checkout-2", AnalysisRunSpec::default());
        run.metadata.labels = Some([("region".to_string(), "eu".to_string())].into());
        assert_eq!(run_field(&run, "metadata.name").as_deref(), Some("checkout-2"));
        assert_eq!(
            run_field(&run, "metadata.labels['region']").as_deref(),
            Some("eu")
        );
        assert_eq!(
            run_field(&run, "metadata.labels[\"region\"]").as_deref(),
            Some("eu")
        );
        assert_eq!(run_field(&run, "metadata.labels['zone']"), None);
        assert_eq!(run_field(&run, "spec.metrics"), None);
    }

    #[test]
    fn secret_values_are_masked_in_measurements() {
        let values = ArgValues {
            values: BTreeMap::new(),
            secrets: vec!["s3cr3t".to_string()],
        };
        let measurement = Measurement {
            phase: AnalysisPhase::Error,
            started_at: None,
            finished_at: None,
            value: None,
            message: Some("request to http://x/?token=s3cr3t failed".to_string()),
            metadata: Some([("q".to_string(), "up{t=\"s3cr3t\"}".to_string())].into()),
            resume_at: None,
        };
        let masked = values.redact(measurement);
        assert_eq!(
            masked.message.as_deref(),
            Some("request to http://x/?token=***** failed")
        );
        let metadata = masked.metadata.unwrap_or_default();
        assert_eq!(metadata.get("q").map(String::as_str), Some("up{t=\"*****\"}"));
    }
}
