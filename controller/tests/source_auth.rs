//! Credentials against a loopback server that demands them: accepted when right, a clear
//! authentication error when missing or wrong, and never a secret in the error text.

mod support;

use linnet_controller::source::{RepoCredentials, Secret, SourceError};
use support::{GitHttpServer, GitRepo, ServerAuth, TestCache};

const PASSWORD: &str = "s3cret-Pa55word";
const TOKEN: &str = "bearer-token-7f3a";

fn repo() -> (GitRepo, String) {
    let repo = GitRepo::new();
    repo.write("a.yaml", "a: 1\n");
    let commit = repo.commit("first");
    (repo, commit)
}

fn basic(user: &str, password: &str) -> RepoCredentials {
    RepoCredentials {
        username: Some(user.into()),
        password: Some(Secret::new(password)),
        ..Default::default()
    }
}

#[test]
fn basic_auth_is_accepted_when_right() {
    let (repo, commit) = repo();
    let server = GitHttpServer::serve(
        &repo.parent(),
        ServerAuth::Basic {
            user: "alice".into(),
            password: PASSWORD.into(),
        },
    );
    let cache = TestCache::new();
    let resolved = cache
        .cache
        .resolve(&server.url(&repo.name()), "main", &basic("alice", PASSWORD))
        .unwrap();
    assert_eq!(resolved.to_string(), commit);
}

#[test]
fn wrong_or_missing_credentials_fail_without_leaking_them() {
    let (repo, _) = repo();
    let server = GitHttpServer::serve(
        &repo.parent(),
        ServerAuth::Basic {
            user: "alice".into(),
            password: PASSWORD.into(),
        },
    );
    let url = server.url(&repo.name());
    let cache = TestCache::new();

    let wrong_password = "wrong-Pa55word-9c1d";
    let err = cache
        .cache
        .resolve(&url, "main", &basic("alice", wrong_password))
        .unwrap_err();
    assert!(matches!(err, SourceError::Authentication { .. }), "{err:?}");
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(wrong_password), "{text}");
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(text.contains(&url), "the error names the repository: {text}");
    }

    let err = cache
        .cache
        .resolve(&url, "main", &RepoCredentials::default())
        .unwrap_err();
    assert!(matches!(err, SourceError::Authentication { .. }), "{err:?}");
    assert!(!err.is_transient());
}

#[test]
fn a_password_written_into_the_url_is_used_but_never_shown() {
    let (repo, commit) = repo();
    let server = GitHttpServer::serve(
        &repo.parent(),
        ServerAuth::Basic {
            user: "alice".into(),
            password: PASSWORD.into(),
        },
    );
    let url = server.url(&repo.name());
    let with_userinfo = url.replacen("http://", &format!("http://alice:{PASSWORD}@"), 1);
    let cache = TestCache::new();
    let resolved = cache
        .cache
        .resolve(&with_userinfo, "main", &RepoCredentials::default())
        .unwrap();
    assert_eq!(resolved.to_string(), commit);

    let err = cache
        .cache
        .resolve(&with_userinfo, "no-such-branch", &RepoCredentials::default())
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("no-such-branch") && !text.contains(PASSWORD),
        "{text}"
    );
}

#[test]
fn bearer_tokens_are_sent_as_a_header() {
    let (repo, commit) = repo();
    let server = GitHttpServer::serve(&repo.parent(), ServerAuth::Bearer(TOKEN.into()));
    let url = server.url(&repo.name());
    let cache = TestCache::new();
    let creds = RepoCredentials {
        bearer_token: Some(Secret::new(TOKEN)),
        ..Default::default()
    };
    assert_eq!(
        cache.cache.resolve(&url, "main", &creds).unwrap().to_string(),
        commit
    );

    let wrong = RepoCredentials {
        bearer_token: Some(Secret::new("not-the-token-55")),
        ..Default::default()
    };
    let err = cache.cache.resolve(&url, "main", &wrong).unwrap_err();
    assert!(!err.to_string().contains("not-the-token-55"), "{err}");
    assert!(
        matches!(
            err,
            SourceError::Authentication { .. } | SourceError::Fetch { .. }
        ),
        "{err:?}"
    );
}
