//! Scratch copies of a checked-out tree, for tools whose input must be edited (a kustomization
//! with the Application's options written in). Checkouts in the cache are shared and never
//! changed, so edits go to a copy.
//!
//! The copy is made of hard links where the scratch directory shares a filesystem with the
//! cache (cheap even for a large repository) and of plain copies elsewhere; a file that is
//! edited is first replaced by a new file, so the original is never written through a link.
//! Symbolic links are recreated as they are; the caller has refused those that leave the tree.

use std::io;
use std::path::Path;

use tempfile::TempDir;

/// Copies the tree at `root` into a new directory under `scratch_root`, removed when the
/// returned value is dropped.
pub(crate) fn copy_tree(root: &Path, scratch_root: &Path) -> io::Result<TempDir> {
    std::fs::create_dir_all(scratch_root)?;
    let copy = tempfile::Builder::new()
        .prefix("render-")
        .tempdir_in(scratch_root)?;
    copy_dir(root, copy.path())?;
    Ok(copy)
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        let file_type = entry.file_type()?;
        if file_type.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&source)?, &target)?;
        } else if file_type.is_dir() {
            std::fs::create_dir(&target)?;
            copy_dir(&source, &target)?;
        } else if std::fs::hard_link(&source, &target).is_err() {
            std::fs::copy(&source, &target)?;
        }
    }
    Ok(())
}

/// Writes `contents` to `path` as a new file, breaking any hard link to the original.
pub(crate) fn replace_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_never_reach_the_original() {
        let original = tempfile::tempdir().unwrap();
        std::fs::create_dir(original.path().join("app")).unwrap();
        std::fs::write(original.path().join("app/k.yaml"), "old").unwrap();
        std::os::unix::fs::symlink("k.yaml", original.path().join("app/link.yaml")).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let copy = copy_tree(original.path(), scratch.path()).unwrap();
        replace_file(&copy.path().join("app/k.yaml"), b"new").unwrap();
        assert_eq!(
            std::fs::read_to_string(original.path().join("app/k.yaml")).unwrap(),
            "old"
        );
        assert_eq!(
            std::fs::read_to_string(copy.path().join("app/link.yaml")).unwrap(),
            "new"
        );
    }
}
