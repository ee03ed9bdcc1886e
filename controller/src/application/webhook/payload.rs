//! Push payloads of GitHub (`X-GitHub-Event: push`) and GitLab (`X-Gitlab-Event: Push Hook` or
//! `Tag Push Hook`), read into a [`PushEvent`]. Only the fields a refresh needs are read; any
//! body, however odd, gives an answer rather than a panic.

use hyper::HeaderMap;
use serde::Deserialize;

use super::{Delivery, Provider, PushEvent, PushedRef, WebhookError};

#[derive(Deserialize)]
struct GitHubPush {
    #[serde(rename = "ref")]
    git_ref: String,
    #[serde(default)]
    after: Option<String>,
    repository: GitHubRepository,
}

#[derive(Deserialize)]
struct GitHubRepository {
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    clone_url: Option<String>,
    #[serde(default)]
    ssh_url: Option<String>,
    #[serde(default)]
    default_branch: Option<String>,
}

#[derive(Deserialize)]
struct GitLabPush {
    #[serde(rename = "ref")]
    git_ref: String,
    #[serde(default)]
    checkout_sha: Option<String>,
    #[serde(default)]
    after: Option<String>,
    project: GitLabProject,
}

#[derive(Deserialize)]
struct GitLabProject {
    #[serde(default)]
    git_http_url: Option<String>,
    #[serde(default)]
    git_ssh_url: Option<String>,
    #[serde(default)]
    web_url: Option<String>,
    #[serde(default)]
    default_branch: Option<String>,
}

/// Reads a delivery from its headers and body. Events other than pushes are [`Delivery::Ignored`];
/// a push whose body does not parse, or that names no repository URL, is [`WebhookError::Malformed`].
pub fn parse_push(headers: &HeaderMap, body: &[u8]) -> Result<Delivery, WebhookError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(event) = header("x-github-event") {
        if event != "push" {
            return Ok(Delivery::Ignored {
                event: format!("GitHub {event}"),
            });
        }
        // GitHub's default content type sends the JSON as the form field `payload`.
        let form = header("content-type").is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        let decoded;
        let json = if form {
            decoded = form_payload(body)?;
            decoded.as_slice()
        } else {
            body
        };
        let push: GitHubPush = read_json(json)?;
        let repo = push.repository;
        let urls = [repo.html_url, repo.clone_url, repo.ssh_url];
        return event_from(
            Provider::GitHub,
            &push.git_ref,
            urls,
            push.after,
            repo.default_branch,
        );
    }
    if let Some(event) = header("x-gitlab-event") {
        if event != "Push Hook" && event != "Tag Push Hook" {
            return Ok(Delivery::Ignored {
                event: format!("GitLab {event}"),
            });
        }
        let push: GitLabPush = read_json(body)?;
        let project = push.project;
        let urls = [project.git_http_url, project.git_ssh_url, project.web_url];
        let commit = push.checkout_sha.or(push.after);
        return event_from(
            Provider::GitLab,
            &push.git_ref,
            urls,
            commit,
            project.default_branch,
        );
    }
    Err(WebhookError::Malformed(
        "no X-GitHub-Event or X-Gitlab-Event header: only GitHub and GitLab pushes are understood"
            .to_string(),
    ))
}

/// The `payload` field of a form-encoded body, percent-decoded (`+` is a space).
fn form_payload(body: &[u8]) -> Result<Vec<u8>, WebhookError> {
    let field = body
        .split(|b| *b == b'&')
        .find_map(|pair| pair.strip_prefix(b"payload="))
        .ok_or_else(|| WebhookError::Malformed("the form has no payload field".to_string()))?;
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        match field[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let high = field.get(i + 1).copied().and_then(hex);
                let low = field.get(i + 2).copied().and_then(hex);
                let (Some(high), Some(low)) = (high, low) else {
                    return Err(WebhookError::Malformed(
                        "the form payload has a bad % escape".to_string(),
                    ));
                };
                out.push((high * 16 + low) as u8);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    Ok(out)
}

fn read_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, WebhookError> {
    serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(format!("the push body does not parse: {e}")))
}

fn event_from(
    provider: Provider,
    git_ref: &str,
    urls: [Option<String>; 3],
    commit: Option<String>,
    default_branch: Option<String>,
) -> Result<Delivery, WebhookError> {
    let repo_urls: Vec<String> = urls
        .into_iter()
        .flatten()
        .filter(|u| !u.trim().is_empty())
        .collect();
    if repo_urls.is_empty() {
        return Err(WebhookError::Malformed(
            "the push names no repository URL".to_string(),
        ));
    }
    if git_ref.trim().is_empty() {
        return Err(WebhookError::Malformed("the push names no ref".to_string()));
    }
    // An all-zero commit is a deleted ref: there is nothing to point at.
    let commit = commit.filter(|c| !c.is_empty() && !c.chars().all(|ch| ch == '0'));
    Ok(Delivery::Push(PushEvent {
        provider,
        repo_urls,
        revision: PushedRef::parse(git_ref.trim()),
        commit,
        default_branch: default_branch.filter(|b| !b.is_empty()),
    }))
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;

    use super::*;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_str(value).expect("header"));
        map
    }

    #[test]
    fn github_and_gitlab_pushes() {
        let github = br#"{"ref":"refs/heads/main","after":"0000000000000000000000000000000000000000",
            "repository":{"html_url":"https://github.com/o/a","clone_url":"","default_branch":"main"}}"#;
        let Ok(Delivery::Push(push)) = parse_push(&headers("x-github-event", "push"), github) else {
            panic!("a GitHub push");
        };
        assert_eq!(
            push.repo_urls,
            ["https://github.com/o/a"],
            "empty URLs are dropped"
        );
        assert_eq!(push.commit, None, "a deleted branch points at no commit");
        let gitlab = br#"{"ref":"refs/heads/dev","after":"abc","project":{"web_url":"https://gl/o/a"}}"#;
        let Ok(Delivery::Push(push)) = parse_push(&headers("x-gitlab-event", "Push Hook"), gitlab) else {
            panic!("a GitLab push");
        };
        assert_eq!(
            (push.provider, push.commit.as_deref()),
            (Provider::GitLab, Some("abc"))
        );
        assert_eq!(
            (push.revision, push.default_branch),
            (PushedRef::Branch("dev".into()), None)
        );
    }

    #[test]
    fn form_encoded_github_pushes() {
        let mut form = headers("x-github-event", "push");
        form.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let body = b"payload=%7B%22ref%22%3A%22refs%2Ftags%2Fv1%22%2C%22repository%22%3A%7B%22html_url%22%3A%22https%3A%2F%2Fgithub.com%2Fo%2Fa+b%22%7D%7D";
        let Ok(Delivery::Push(push)) = parse_push(&form, body) else {
            panic!("a form-encoded push");
        };
        assert_eq!(push.revision, PushedRef::Tag("v1".into()));
        assert_eq!(push.repo_urls, ["https://github.com/o/a b"]);
        for bad in [&b"other=1"[..], b"payload=%7", b"payload=%zz"] {
            assert!(
                parse_push(&form, bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn other_events_are_ignored_and_bad_pushes_refused() {
        let ignored = parse_push(&headers("x-gitlab-event", "Merge Request Hook"), b"garbage");
        assert_eq!(
            ignored,
            Ok(Delivery::Ignored {
                event: "GitLab Merge Request Hook".into()
            })
        );
        let no_ref = br#"{"ref":" ","repository":{"html_url":"https://github.com/o/a"}}"#;
        let error = parse_push(&headers("x-github-event", "push"), no_ref).expect_err("no ref");
        assert!(error.to_string().contains("names no ref"), "{error}");
    }

    /// Any body gets an answer, never a panic: random bytes and mangled copies of a real push.
    #[test]
    fn any_body_gets_an_answer() {
        let real =
            br#"{"ref":"refs/heads/main","after":"abc","repository":{"html_url":"https://github.com/o/a"}}"#;
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let push = headers("x-github-event", "push");
        for round in 0..5000 {
            let body: Vec<u8> = if round % 2 == 0 {
                (0..next() % 200).map(|_| next() as u8).collect()
            } else {
                let mut copy = real.to_vec();
                for _ in 0..1 + next() % 4 {
                    let at = (next() as usize) % copy.len();
                    copy[at] = next() as u8;
                }
                copy.truncate(1 + (next() as usize) % copy.len());
                copy
            };
            let _ = parse_push(&push, &body);
        }
    }
}
