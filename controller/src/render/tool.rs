//! Which tool renders a source, decided as Argo CD decides it: an explicit `directory`, `helm`,
//! `kustomize` or `plugin` block wins; otherwise `Chart.yaml` means Helm, a kustomization file
//! means Kustomize, and anything else is a plain directory.

use std::path::Path;

use linnet_crds::application::ApplicationSource;

use crate::render::kustomize::kustomization_file;

/// A rendering tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tool {
    Directory,
    Kustomize,
    Helm,
    Plugin,
}

/// Why no single tool could be chosen: the blocks set, by name.
#[derive(Debug, PartialEq, Eq)]
pub struct SeveralTools(pub Vec<&'static str>);

/// The tool for `source`, whose directory is `dir`.
pub fn detect(source: &ApplicationSource, dir: &Path) -> Result<Tool, SeveralTools> {
    let set = source.tools_set();
    match set.as_slice() {
        [] => Ok(detect_from_files(dir)),
        ["directory"] => Ok(Tool::Directory),
        ["helm"] => Ok(Tool::Helm),
        ["kustomize"] => Ok(Tool::Kustomize),
        ["plugin"] => Ok(Tool::Plugin),
        _ => Err(SeveralTools(set)),
    }
}

fn detect_from_files(dir: &Path) -> Tool {
    if dir.join("Chart.yaml").is_file() {
        Tool::Helm
    } else if kustomization_file(dir).is_some() {
        Tool::Kustomize
    } else {
        Tool::Directory
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            std::fs::write(dir.path().join(file), "").unwrap();
        }
        dir
    }

    #[test]
    fn detects_from_files() {
        let source = ApplicationSource::default();
        assert_eq!(
            detect(&source, dir_with(&["Chart.yaml", "kustomization.yaml"]).path()),
            Ok(Tool::Helm)
        );
        assert_eq!(
            detect(&source, dir_with(&["kustomization.yml"]).path()),
            Ok(Tool::Kustomize)
        );
        assert_eq!(
            detect(&source, dir_with(&["Kustomization"]).path()),
            Ok(Tool::Kustomize)
        );
        assert_eq!(
            detect(&source, dir_with(&["deploy.yaml"]).path()),
            Ok(Tool::Directory)
        );
    }

    #[test]
    fn an_explicit_block_wins() {
        let source: ApplicationSource =
            serde_json::from_value(serde_json::json!({"repoURL": "/r", "directory": {"recurse": true}}))
                .unwrap();
        assert_eq!(
            detect(&source, dir_with(&["Chart.yaml"]).path()),
            Ok(Tool::Directory)
        );
        let both: ApplicationSource =
            serde_json::from_value(serde_json::json!({"repoURL": "/r", "helm": {}, "kustomize": {}}))
                .unwrap();
        assert_eq!(
            detect(&both, dir_with(&[]).path()),
            Err(SeveralTools(vec!["helm", "kustomize"]))
        );
    }
}
