//! Which Applications a push refreshes, as Argo CD decides it: a source whose repository is the
//! pushed one (however the URL is spelled) and whose `targetRevision` the push moved.

use linnet_crds::application::{Application, ApplicationSource};

use super::{PushEvent, PushedRef};

/// Whether the push moved a revision one of the Application's sources tracks.
///
/// - The repository matches when [`repo_key`] of the source's `repoURL` equals that of any URL
///   in the payload.
/// - `HEAD` (or no `targetRevision`) tracks the default branch; when the payload does not name
///   one, any branch push counts.
/// - `refs/heads/x` / `refs/tags/x` compare with the full ref; a bare name with the branch or tag name.
/// - A commit SHA never moves, so it never matches.
pub fn matches(app: &Application, push: &PushEvent) -> bool {
    let pushed: Vec<String> = push.repo_urls.iter().map(|u| repo_key(u)).collect();
    app.spec
        .source
        .iter()
        .chain(app.spec.sources.iter().flatten())
        .any(|source| pushed.contains(&repo_key(&source.repo_url)) && revision_moved(source, push))
}

fn revision_moved(source: &ApplicationSource, push: &PushEvent) -> bool {
    let target = source
        .target_revision
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    if target.is_empty() || target == "HEAD" {
        return match (&push.revision, &push.default_branch) {
            (PushedRef::Branch(branch), Some(default)) => branch == default,
            (PushedRef::Branch(_), None) => true,
            _ => false,
        };
    }
    if is_commit_sha(target) {
        return false;
    }
    if target.starts_with("refs/") {
        return target == push.revision.full();
    }
    target == push.revision.name()
}

fn is_commit_sha(revision: &str) -> bool {
    matches!(revision.len(), 40 | 64) && revision.chars().all(|c| c.is_ascii_hexdigit())
}

/// The form in which two spellings of one repository compare equal: `host/path`, lower case,
/// without scheme, user, port, trailing `/` or `.git`. `https://GitHub.com/org/app.git`,
/// `ssh://git@github.com/org/app` and `git@github.com:org/app` all give `github.com/org/app`.
pub fn repo_key(url: &str) -> String {
    let url = url.trim();
    let (rest, scp_like) = match url.split_once("://") {
        Some((_, rest)) => (rest, false),
        None => (url, true),
    };
    let rest = match rest.split_once('/') {
        // `user@host` ends at the first `/`; an `@` later on belongs to the path.
        Some((authority, _)) if authority.contains('@') => rest.split_once('@').map_or(rest, |(_, r)| r),
        None if rest.contains('@') => rest.split_once('@').map_or(rest, |(_, r)| r),
        _ => rest,
    };
    // scp-like `host:path`, or `host:port/path` after a scheme.
    let (host, path) = match rest.find(['/', ':']) {
        Some(i) if rest[i..].starts_with(':') => {
            let after = &rest[i + 1..];
            let path = if scp_like {
                after
            } else {
                after.trim_start_matches(|c: char| c.is_ascii_digit())
            };
            (&rest[..i], path)
        }
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut key = format!("{}/{}", host, path.trim_start_matches('/')).to_ascii_lowercase();
    while key.ends_with('/') {
        key.pop();
    }
    if let Some(stripped) = key.strip_suffix(".git") {
        key.truncate(stripped.len());
    }
    key
}

#[cfg(test)]
mod tests {
    use linnet_crds::application::ApplicationSpec;

    use super::super::Provider;
    use super::*;

    #[test]
    fn spellings_of_one_repository_share_a_key() {
        let same = [
            "https://github.com/org/app",
            "https://GitHub.com/org/app.git",
            "https://github.com/org/app/",
            "http://github.com/Org/App",
            "ssh://git@github.com/org/app.git",
            "ssh://git@github.com:22/org/app",
            "git@github.com:org/app.git",
            "https://user@github.com/org/app",
        ];
        for url in same {
            assert_eq!(repo_key(url), "github.com/org/app", "{url}");
        }
        assert_ne!(
            repo_key("https://github.com/org/app2"),
            repo_key("https://github.com/org/app")
        );
        assert_ne!(
            repo_key("https://gitlab.com/org/app"),
            repo_key("https://github.com/org/app")
        );
        assert_ne!(
            repo_key("https://github.com/org/app/sub"),
            repo_key("https://github.com/org/app")
        );
        // Local repositories: a path and its file:// URL are one repository.
        assert_eq!(repo_key("file:///srv/git/app.git"), repo_key("/srv/git/app"));
    }

    fn app(repo: &str, revision: Option<&str>) -> Application {
        Application::new(
            "guestbook",
            ApplicationSpec {
                source: Some(ApplicationSource {
                    repo_url: repo.to_string(),
                    target_revision: revision.map(str::to_string),
                    ..ApplicationSource::default()
                }),
                ..ApplicationSpec::default()
            },
        )
    }

    fn push(git_ref: &str, default_branch: Option<&str>) -> PushEvent {
        PushEvent {
            provider: Provider::GitHub,
            repo_urls: vec![
                "https://github.com/org/app".to_string(),
                "git@github.com:org/app.git".to_string(),
            ],
            revision: PushedRef::parse(git_ref),
            commit: Some("a".repeat(40)),
            default_branch: default_branch.map(str::to_string),
        }
    }

    #[test]
    fn revisions_a_push_moves() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let cases = [
            // (repo, targetRevision, pushed ref, default branch, refreshes)
            (
                "https://github.com/org/app.git",
                Some("HEAD"),
                "refs/heads/main",
                Some("main"),
                true,
            ),
            (
                "https://github.com/org/app.git",
                None,
                "refs/heads/main",
                Some("main"),
                true,
            ),
            (
                "https://github.com/org/app.git",
                Some("HEAD"),
                "refs/heads/dev",
                Some("main"),
                false,
            ),
            (
                "https://github.com/org/app.git",
                Some("HEAD"),
                "refs/heads/dev",
                None,
                true,
            ),
            (
                "https://github.com/org/app.git",
                Some("HEAD"),
                "refs/tags/v1",
                Some("main"),
                false,
            ),
            (
                "git@github.com:org/app",
                Some("dev"),
                "refs/heads/dev",
                Some("main"),
                true,
            ),
            (
                "git@github.com:org/app",
                Some("dev"),
                "refs/heads/main",
                Some("main"),
                false,
            ),
            (
                "https://github.com/org/app",
                Some("v1.2.0"),
                "refs/tags/v1.2.0",
                Some("main"),
                true,
            ),
            (
                "https://github.com/org/app",
                Some("refs/tags/v1"),
                "refs/tags/v1",
                Some("main"),
                true,
            ),
            (
                "https://github.com/org/app",
                Some("refs/heads/v1"),
                "refs/tags/v1",
                Some("main"),
                false,
            ),
            (
                "https://github.com/org/app",
                Some(sha),
                "refs/heads/main",
                Some("main"),
                false,
            ),
            (
                "https://github.com/org/other",
                Some("HEAD"),
                "refs/heads/main",
                Some("main"),
                false,
            ),
        ];
        for (repo, revision, git_ref, default, want) in cases {
            let got = matches(&app(repo, revision), &push(git_ref, default));
            assert_eq!(
                got, want,
                "{repo} @ {revision:?} on push of {git_ref} (default {default:?})"
            );
        }
    }

    #[test]
    fn any_source_of_a_multi_source_application_counts() {
        let mut multi = app("https://github.com/org/other", Some("main"));
        multi.spec.sources = Some(vec![ApplicationSource {
            repo_url: "https://github.com/org/app".to_string(),
            target_revision: Some("main".to_string()),
            ..ApplicationSource::default()
        }]);
        assert!(matches(&multi, &push("refs/heads/main", Some("main"))));
        assert!(!matches(&multi, &push("refs/heads/dev", Some("main"))));
    }
}
