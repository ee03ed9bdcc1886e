//! Real Git repositories for tests, made with the `git` CLI in temporary directories and
//! isolated from the user's and the system's Git configuration.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// A non-bare repository with `main` checked out.
pub struct GitRepo {
    dir: TempDir,
}

impl GitRepo {
    pub fn new() -> GitRepo {
        let repo = GitRepo {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The directory holding this repository, to serve it from.
    pub fn parent(&self) -> PathBuf {
        self.path().parent().expect("temp dir has a parent").to_path_buf()
    }

    /// The repository's directory name, as served under its parent.
    pub fn name(&self) -> String {
        self.path()
            .file_name()
            .expect("temp dir has a name")
            .to_string_lossy()
            .into_owned()
    }

    /// Writes a file (creating directories).
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("create dirs");
        std::fs::write(path, contents).expect("write file");
        self
    }

    /// Creates a symbolic link at `relative` whose text is `target`.
    pub fn symlink(&self, relative: &str, target: &str) -> &Self {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("link has a parent")).expect("create dirs");
        std::os::unix::fs::symlink(target, path).expect("symlink");
        self
    }

    /// Commits everything and returns the new commit's SHA.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "--allow-empty", "-m", message]);
        self.rev("HEAD")
    }

    pub fn branch(&self, name: &str) {
        self.git(&["branch", name]);
    }

    pub fn switch(&self, name: &str) {
        self.git(&["switch", "--quiet", name]);
    }

    pub fn tag(&self, name: &str) {
        self.git(&["tag", name]);
    }

    pub fn annotated_tag(&self, name: &str) {
        self.git(&["tag", "-a", name, "-m", name]);
    }

    pub fn rev(&self, revision: &str) -> String {
        self.git(&["rev-parse", revision]).trim().to_string()
    }

    /// Runs git in the repository and returns its stdout; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }
}

/// Runs git in `dir` with a clean configuration.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
