//! Test support shared by the source and render tests: real Git repositories, a loopback HTTP
//! server in front of `git http-backend`, and shortcuts to a checked-out commit.

#![allow(dead_code, unused_imports)]

pub mod daemon;
pub mod git;
pub mod http;

use std::path::PathBuf;

use linnet_controller::source::{CommitId, RepoCache, RepoCredentials, Worktree};
use tempfile::TempDir;

pub use daemon::GitDaemon;
pub use git::GitRepo;
pub use http::{GitHttpServer, ServerAuth};

/// The kubectl that renders kustomizations: the 1.32 binary where the Google Cloud SDK
/// layout has it, else whatever `kubectl` the PATH holds.
pub fn kubectl() -> PathBuf {
    let pinned = PathBuf::from("/usr/lib/google-cloud-sdk/bin/kubectl.1.32");
    if pinned.is_file() {
        pinned
    } else {
        PathBuf::from("kubectl")
    }
}

/// A repository cache in its own temporary directory.
pub struct TestCache {
    pub dir: TempDir,
    pub cache: RepoCache,
}

impl TestCache {
    pub fn new() -> TestCache {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = RepoCache::new(dir.path().join("cache")).expect("cache");
        TestCache { dir, cache }
    }
}

/// A repository with `files` committed on `main`, checked out through a fresh cache. The
/// cache and repository live as long as the returned value.
pub struct Checkout {
    pub repo: GitRepo,
    pub cache: TestCache,
    pub commit: CommitId,
    pub tree: Worktree,
}

pub fn checkout_of(files: &[(&str, &str)]) -> Checkout {
    let repo = GitRepo::new();
    for (path, contents) in files {
        repo.write(path, contents);
    }
    repo.commit("manifests");
    checkout_repo(repo)
}

/// Checks out the `main` branch of `repo` through a fresh cache.
pub fn checkout_repo(repo: GitRepo) -> Checkout {
    let cache = TestCache::new();
    let url = repo.path().display().to_string();
    let none = RepoCredentials::default();
    let commit = cache.cache.resolve(&url, "main", &none).expect("resolve main");
    let tree = cache.cache.checkout(&url, &commit, &none).expect("checkout");
    Checkout {
        repo,
        cache,
        commit,
        tree,
    }
}
