//! Keeping paths inside a checked-out repository: lexical checks for absolute paths and `..`,
//! and a walk that follows symbolic links one component at a time and refuses any that leads
//! outside the root.

use std::io;
use std::path::{Component, Path, PathBuf};

use crate::source::error::PathEscape;

/// Normalizes a repository-relative path without touching the disk: `.` components go, `..`
/// removes the previous component. Absolute paths and `..` above the root are refused.
pub fn normalize_relative(path: &str) -> Result<PathBuf, PathEscape> {
    let mut out = PathBuf::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return Err(PathEscape::ParentDirectory);
                }
            }
            Component::RootDir | Component::Prefix(_) => return Err(PathEscape::Absolute),
        }
    }
    Ok(out)
}

/// Where `relative` (already normalized) really lies under `root` (canonical), following
/// symbolic links. The outer error is an I/O failure (a missing file among them); the inner
/// one names the link that leads out of `root`.
pub fn contain(root: &Path, relative: &Path) -> io::Result<Result<PathBuf, PathEscape>> {
    let mut current = root.to_path_buf();
    let mut walked = PathBuf::new();
    for component in relative.components() {
        walked.push(component);
        let candidate = current.join(component);
        let metadata = std::fs::symlink_metadata(&candidate)?;
        if !metadata.file_type().is_symlink() {
            current = candidate;
            continue;
        }
        let escape = || PathEscape::Symlink {
            link: walked.display().to_string(),
        };
        match std::fs::canonicalize(&candidate) {
            Ok(target) if target.starts_with(root) => current = target,
            Ok(_) => return Ok(Err(escape())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // A dangling link: refuse it if its text points out, else report it missing.
                if dangling_link_escapes(root, &candidate)? {
                    return Ok(Err(escape()));
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Ok(current))
}

/// Every symbolic link under `dir` (not followed) whose target lies outside `root`, as paths
/// relative to `root`, sorted. Tools such as kustomize and helm read files on their own, so
/// such links are refused before a tool runs.
pub fn escaping_symlinks(root: &Path, dir: &Path) -> io::Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next)? {
            let entry = entry?;
            let path = entry.path();
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                pending.push(path);
            } else if file_type.is_symlink() && link_escapes(root, &path)? {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                found.push(relative.display().to_string());
            }
        }
    }
    found.sort();
    Ok(found)
}

fn link_escapes(root: &Path, link: &Path) -> io::Result<bool> {
    match std::fs::canonicalize(link) {
        Ok(target) => Ok(!target.starts_with(root)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => dangling_link_escapes(root, link),
        Err(e) => Err(e),
    }
}

/// Judges a link whose target does not exist by its text alone.
fn dangling_link_escapes(root: &Path, link: &Path) -> io::Result<bool> {
    let target = std::fs::read_link(link)?;
    if target.is_absolute() {
        return Ok(!target.starts_with(root));
    }
    let parent = link
        .parent()
        .and_then(|p| p.strip_prefix(root).ok())
        .unwrap_or(Path::new(""));
    let joined = parent.join(target);
    Ok(normalize_relative(&joined.to_string_lossy()).is_err())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_inside_the_root() {
        assert_eq!(normalize_relative("a/./b/../c").unwrap(), PathBuf::from("a/c"));
        assert_eq!(normalize_relative("").unwrap(), PathBuf::new());
        assert_eq!(normalize_relative(".").unwrap(), PathBuf::new());
    }

    #[test]
    fn refuses_leaving_the_root() {
        assert_eq!(normalize_relative("../x"), Err(PathEscape::ParentDirectory));
        assert_eq!(normalize_relative("a/../../x"), Err(PathEscape::ParentDirectory));
        assert_eq!(normalize_relative("/etc/passwd"), Err(PathEscape::Absolute));
    }
}
