//! The generated CustomResourceDefinition YAML: one file per kind, and all of them as one
//! stream for `linnet crds`.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use crate::Kind;

/// Where the generated files are committed, relative to the repository root.
pub const COMMITTED_DIRS: [&str; 2] = ["crds/yaml", "charts/linnet/crds"];

/// The command that regenerates the committed files.
pub const REGENERATE: &str = "cargo run -p linnet -- crds --write crds/yaml --write charts/linnet/crds";

#[derive(Debug, thiserror::Error)]
#[error("could not write the {kind} CRD as YAML: {source}")]
pub struct RenderError {
    kind: &'static str,
    #[source]
    source: serde_saphyr::SerializeError,
}

/// All seven CRDs, in a fixed order.
pub fn all() -> Vec<CustomResourceDefinition> {
    Kind::ALL.into_iter().map(Kind::crd).collect()
}

/// One `(file name, YAML)` pair per CRD, named `<group>_<plural>.yaml` as controller-gen names them.
pub fn files() -> Result<Vec<(String, String)>, RenderError> {
    Kind::ALL
        .into_iter()
        .map(|kind| {
            let crd = kind.crd();
            let yaml = serde_saphyr::to_string(&crd).map_err(|source| RenderError {
                kind: kind.name(),
                source,
            })?;
            Ok((format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural), yaml))
        })
        .collect()
}

/// Every CRD as one multi-document YAML stream.
pub fn stream() -> Result<String, RenderError> {
    let mut out = String::new();
    for (_, yaml) in files()? {
        out.push_str("---\n");
        out.push_str(&yaml);
        if !yaml.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_crds_of_group_argoproj() {
        let crds = all();
        assert_eq!(crds.len(), 7);
        for crd in &crds {
            assert_eq!(crd.spec.group, "argoproj.io");
            assert_eq!(crd.spec.versions.len(), 1);
            assert_eq!(crd.spec.versions[0].name, "v1alpha1");
        }
        let stream = stream().unwrap();
        assert_eq!(stream.matches("kind: CustomResourceDefinition").count(), 7);
    }
}
