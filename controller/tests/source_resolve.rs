//! Resolving revisions and fetching through the repository cache, over a local path,
//! `file://` and smart HTTP on loopback.

mod support;

use linnet_controller::source::{CommitId, RepoCredentials, SourceError};
use support::{GitDaemon, GitHttpServer, GitRepo, ServerAuth, TestCache};

fn none() -> RepoCredentials {
    RepoCredentials::default()
}

/// A repository with two commits on `main`, a `dev` branch one commit further, a lightweight
/// tag `v1` on the first commit and an annotated tag `v2` on the second.
struct History {
    repo: GitRepo,
    first: String,
    second: String,
    dev: String,
}

fn history() -> History {
    let repo = GitRepo::new();
    repo.write("app/a.yaml", "a: 1\n");
    let first = repo.commit("first");
    repo.tag("v1");
    repo.write("app/a.yaml", "a: 2\n");
    let second = repo.commit("second");
    repo.annotated_tag("v2");
    repo.branch("dev");
    repo.switch("dev");
    repo.write("app/b.yaml", "b: 1\n");
    let dev = repo.commit("on dev");
    repo.switch("main");
    History {
        repo,
        first,
        second,
        dev,
    }
}

#[test]
fn resolves_branches_tags_shas_and_head_from_a_local_path() {
    let h = history();
    let cache = TestCache::new();
    let url = h.repo.path().display().to_string();
    let resolve = |revision: &str| {
        cache
            .cache
            .resolve(&url, revision, &none())
            .map(|c| c.to_string())
    };
    assert_eq!(resolve("main").unwrap(), h.second);
    assert_eq!(resolve("dev").unwrap(), h.dev);
    assert_eq!(resolve("refs/heads/dev").unwrap(), h.dev);
    assert_eq!(resolve("v1").unwrap(), h.first);
    assert_eq!(
        resolve("v2").unwrap(),
        h.second,
        "an annotated tag resolves to its commit"
    );
    assert_eq!(resolve("HEAD").unwrap(), h.second);
    assert_eq!(resolve("").unwrap(), h.second, "empty means HEAD");
    assert_eq!(resolve(&h.first).unwrap(), h.first);
    assert_eq!(resolve(&h.dev[..7]).unwrap(), h.dev, "abbreviated SHA");
}

#[test]
fn a_moved_branch_resolves_to_its_new_commit_over_file_urls() {
    let h = history();
    let cache = TestCache::new();
    let url = format!("file://{}", h.repo.path().display());
    assert_eq!(
        cache.cache.resolve(&url, "main", &none()).unwrap().to_string(),
        h.second
    );
    h.repo.write("app/c.yaml", "c: 1\n");
    let third = h.repo.commit("third");
    assert_eq!(
        cache.cache.resolve(&url, "main", &none()).unwrap().to_string(),
        third
    );
    assert_eq!(
        cache.cache.resolve(&url, "HEAD", &none()).unwrap().to_string(),
        third
    );
}

#[test]
fn an_unknown_revision_is_a_clear_error() {
    let h = history();
    let cache = TestCache::new();
    let url = h.repo.path().display().to_string();
    let err = cache.cache.resolve(&url, "no-such-branch", &none()).unwrap_err();
    assert!(matches!(err, SourceError::RevisionNotFound { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("no-such-branch") && text.contains(&url), "{text}");
    assert!(
        text.contains("main") && text.contains("dev"),
        "the message lists the branches: {text}"
    );

    let unknown_sha = "0123456789abcdef0123456789abcdef01234567";
    let err = cache.cache.resolve(&url, unknown_sha, &none()).unwrap_err();
    assert!(matches!(err, SourceError::RevisionNotFound { .. }), "{err:?}");
}

#[test]
fn a_missing_repository_is_a_fetch_error() {
    let cache = TestCache::new();
    let missing = cache.dir.path().join("nothing-here");
    let err = cache
        .cache
        .resolve(&missing.display().to_string(), "main", &none())
        .unwrap_err();
    assert!(matches!(err, SourceError::Fetch { .. }), "{err:?}");
    assert!(err.is_transient());
}

#[test]
fn fetches_over_http_incrementally() {
    let h = history();
    let server = GitHttpServer::serve(&h.repo.parent(), ServerAuth::None);
    let url = server.url(&h.repo.name());
    let cache = TestCache::new();

    let first = cache.cache.fetch(&url, &none()).unwrap();
    assert!(first.received_objects > 0, "{first:?}");
    let again = cache.cache.fetch(&url, &none()).unwrap();
    assert_eq!(
        again.received_objects, 0,
        "an unchanged remote sends nothing: {again:?}"
    );

    h.repo.write("app/new.yaml", "n: 1\n");
    let newest = h.repo.commit("new commit");
    let after = cache.cache.fetch(&url, &none()).unwrap();
    assert!(
        after.received_objects > 0 && after.received_objects < first.received_objects,
        "{after:?}"
    );
    assert_eq!(
        cache.cache.resolve(&url, "main", &none()).unwrap().to_string(),
        newest
    );
    assert_eq!(
        cache.cache.resolve(&url, "v1", &none()).unwrap().to_string(),
        h.first
    );
    assert_eq!(
        cache.cache.resolve(&url, "HEAD", &none()).unwrap().to_string(),
        newest,
        "the remote's HEAD is read from the ref advertisement"
    );
    assert!(server.requests() > 0);
}

#[test]
fn checks_out_a_commit_once_and_reuses_it() {
    let h = history();
    let server = GitHttpServer::serve(&h.repo.parent(), ServerAuth::None);
    let url = server.url(&h.repo.name());
    let cache = TestCache::new();
    let commit = CommitId::parse(&h.dev).unwrap();

    // The cache has never fetched: checkout fetches the commit itself.
    let tree = cache.cache.checkout(&url, &commit, &none()).unwrap();
    assert_eq!(tree.commit(), Some(&commit));
    assert_eq!(
        std::fs::read_to_string(tree.root().join("app/b.yaml")).unwrap(),
        "b: 1\n"
    );
    assert!(!tree.root().join(".git").exists());

    let requests = server.requests();
    let again = cache.cache.checkout(&url, &commit, &none()).unwrap();
    assert_eq!(again.root(), tree.root());
    assert_eq!(
        server.requests(),
        requests,
        "a checked-out commit needs no network"
    );

    let older = cache
        .cache
        .checkout(&url, &CommitId::parse(&h.first).unwrap(), &none())
        .unwrap();
    assert_ne!(older.root(), tree.root());
    assert_eq!(
        std::fs::read_to_string(older.root().join("app/a.yaml")).unwrap(),
        "a: 1\n"
    );
    assert!(!older.root().join("app/b.yaml").exists());
}

#[test]
fn resolves_over_git_daemon() {
    let h = history();
    let daemon = GitDaemon::serve(&h.repo.parent());
    let url = daemon.url(&h.repo.name());
    let cache = TestCache::new();
    assert_eq!(
        cache.cache.resolve(&url, "dev", &none()).unwrap().to_string(),
        h.dev
    );
    assert_eq!(
        cache.cache.resolve(&url, "v2", &none()).unwrap().to_string(),
        h.second
    );
}

#[test]
fn a_deleted_branch_no_longer_resolves() {
    let h = history();
    let cache = TestCache::new();
    let url = h.repo.path().display().to_string();
    assert_eq!(
        cache.cache.resolve(&url, "dev", &none()).unwrap().to_string(),
        h.dev
    );
    h.repo.git(&["branch", "-D", "dev"]);
    let err = cache.cache.resolve(&url, "dev", &none()).unwrap_err();
    assert!(matches!(err, SourceError::RevisionNotFound { .. }), "{err:?}");
    // The commit itself stays in the cache: a full SHA still resolves without the network.
    assert_eq!(
        cache.cache.resolve(&url, &h.dev, &none()).unwrap().to_string(),
        h.dev
    );
}

#[test]
fn concurrent_resolves_of_one_repository_agree() {
    let h = history();
    let cache = TestCache::new();
    let url = h.repo.path().display().to_string();
    let results: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| cache.cache.resolve(&url, "dev", &none()).map(|c| c.to_string())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread").expect("resolve"))
            .collect()
    });
    assert!(results.iter().all(|r| *r == h.dev), "{results:?}");
}

#[test]
fn pruning_keeps_only_the_named_commits() {
    let h = history();
    let cache = TestCache::new();
    let url = h.repo.path().display().to_string();
    let checkout = |sha: &str| {
        cache
            .cache
            .checkout(&url, &CommitId::parse(sha).unwrap(), &none())
            .unwrap()
    };
    let (first, second, dev) = (checkout(&h.first), checkout(&h.second), checkout(&h.dev));
    let keep = [CommitId::parse(&h.dev).unwrap()];
    assert_eq!(cache.cache.prune_worktrees(&url, &keep).unwrap(), 2);
    assert!(!first.root().exists() && !second.root().exists());
    assert!(dev.root().join("app/b.yaml").is_file());
    // A pruned commit is checked out again on demand.
    assert!(checkout(&h.first).root().join("app/a.yaml").is_file());
}
