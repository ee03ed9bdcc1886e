//! Writing the tree of one commit into a plain directory.
//!
//! Files are written as Git stores them (no line-ending or attribute filters), executables
//! keep their mode, and symbolic links stay links: whether one may be followed is decided when
//! a path is read, not here. Submodules are left as empty directories.

use std::io;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, Tree};

/// Git's file modes.
const MODE_EXECUTABLE: i32 = 0o100_755;
const MODE_SYMLINK: i32 = 0o120_000;
const MODE_SUBMODULE: i32 = 0o160_000;

/// Why writing a tree failed.
#[derive(Debug)]
pub(crate) enum ExportError {
    Git(git2::Error),
    Io(PathBuf, io::Error),
}

/// Writes the tree of `commit` into `dir`, which must exist and be empty.
pub(crate) fn export_commit(repo: &Repository, commit: Oid, dir: &Path) -> Result<(), ExportError> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(ExportError::Git)?;
    export_tree(repo, &tree, dir)
}

fn export_tree(repo: &Repository, tree: &Tree<'_>, dir: &Path) -> Result<(), ExportError> {
    for entry in tree.iter() {
        // Names come from the repository: refuse any that could leave `dir`.
        let Some(name) = entry.name().ok().filter(|n| is_plain_name(n)) else {
            continue;
        };
        let path = dir.join(name);
        let io_err = |e| ExportError::Io(path.clone(), e);
        match (entry.kind(), entry.filemode()) {
            (_, MODE_SUBMODULE) => std::fs::create_dir(&path).map_err(io_err)?,
            (Some(ObjectType::Tree), _) => {
                std::fs::create_dir(&path).map_err(io_err)?;
                let subtree = repo.find_tree(entry.id()).map_err(ExportError::Git)?;
                export_tree(repo, &subtree, &path)?;
            }
            (Some(ObjectType::Blob), mode) => {
                let blob = repo.find_blob(entry.id()).map_err(ExportError::Git)?;
                write_blob(&path, blob.content(), mode).map_err(io_err)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn write_blob(path: &Path, content: &[u8], mode: i32) -> io::Result<()> {
    if mode == MODE_SYMLINK {
        let target = String::from_utf8_lossy(content);
        return std::os::unix::fs::symlink(target.as_ref(), path);
    }
    std::fs::write(path, content)?;
    if mode == MODE_EXECUTABLE {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// A single path component that is neither `.`, `..`, empty, nor contains a separator.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name != ".git"
        && !name.contains('/')
        && !name.contains('\0')
}
