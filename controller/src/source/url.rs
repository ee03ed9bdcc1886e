//! Repository URLs: which transports linnet accepts, how a URL is shown without its secrets,
//! and the normalized form that names a repository's cache.

use crate::source::SourceError;
use crate::source::credentials::{RepoCredentials, Secret};

/// How a repository is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// An absolute path on this machine.
    LocalPath,
    /// `file://`.
    File,
    /// `http://` or `https://` (smart HTTP).
    Http,
    /// `ssh://` or the scp-like `user@host:path`.
    Ssh,
    /// `git://` (git daemon).
    Git,
}

/// A parsed repository URL.
#[derive(Clone, Debug)]
pub struct RepoUrl {
    transport: Transport,
    /// What libgit2 connects to: the URL with any password removed.
    fetch: String,
    /// What errors and logs show.
    display: String,
    /// Case- and suffix-insensitive form: two spellings of one repository share a cache.
    normalized: String,
    /// User and password written into the URL itself (`https://user:pw@host/...`).
    embedded_user: Option<String>,
    embedded_password: Option<Secret>,
}

impl RepoUrl {
    /// Parses `raw`. Relative paths are refused: they would depend on the controller's working
    /// directory.
    pub fn parse(raw: &str) -> Result<RepoUrl, SourceError> {
        let raw = raw.trim();
        let unsupported = |reason: &str| SourceError::UnsupportedUrl {
            url: redact_userinfo(raw),
            reason: reason.to_string(),
        };
        if raw.is_empty() {
            return Err(unsupported("the URL is empty"));
        }
        let transport = if let Some((scheme, _)) = raw.split_once("://") {
            match scheme.to_ascii_lowercase().as_str() {
                "http" | "https" => Transport::Http,
                "file" => Transport::File,
                "ssh" | "git+ssh" => Transport::Ssh,
                "git" => Transport::Git,
                _ => {
                    return Err(unsupported(
                        "unknown scheme; use https://, http://, ssh://, git://, file:// or an absolute path",
                    ));
                }
            }
        } else if raw.starts_with('/') {
            Transport::LocalPath
        } else if is_scp_like(raw) {
            Transport::Ssh
        } else {
            return Err(unsupported(
                "a relative path; use an absolute path or a file:// URL",
            ));
        };
        let (fetch, user, password) = match transport {
            Transport::Http | Transport::Ssh | Transport::Git => split_userinfo(raw),
            Transport::LocalPath | Transport::File => (raw.to_string(), None, None),
        };
        // An SSH user is part of the address, not a secret: keep it where libgit2 expects it.
        let fetch = match (&transport, &user) {
            (Transport::Ssh, Some(user)) if raw.contains("://") => {
                fetch.replacen("://", &format!("://{user}@"), 1)
            }
            (Transport::Ssh, Some(user)) => format!("{user}@{fetch}"),
            _ => fetch,
        };
        Ok(RepoUrl {
            transport,
            normalized: normalize(&fetch),
            display: fetch.clone(),
            fetch,
            embedded_user: user,
            embedded_password: password.map(Secret::new),
        })
    }

    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The URL libgit2 connects to.
    pub fn fetch_url(&self) -> &str {
        &self.fetch
    }

    /// The URL without secrets, for errors and logs.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The normalized URL that identifies the repository's cache.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// A directory name for the repository's cache: readable, and unique by a stable hash of
    /// the normalized URL.
    pub fn cache_key(&self) -> String {
        let readable: String = self
            .normalized
            .split_once("://")
            .map_or(self.normalized.as_str(), |(_, rest)| rest)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let readable = readable.trim_matches('-');
        let tail_start = readable.len().saturating_sub(48);
        format!(
            "{}-{:016x}",
            &readable[tail_start..],
            fnv1a(self.normalized.as_bytes())
        )
    }

    /// The credentials to use: those given, or else those written into the URL.
    pub fn credentials_with(&self, given: &RepoCredentials) -> RepoCredentials {
        let mut creds = given.clone();
        if creds.username.is_none() {
            creds.username.clone_from(&self.embedded_user);
        }
        if creds.password.is_none() {
            creds.password.clone_from(&self.embedded_password);
        }
        creds
    }
}

/// `user@host:path` with no scheme: scp-like SSH syntax.
fn is_scp_like(raw: &str) -> bool {
    match raw.split_once(':') {
        Some((host, _)) => !host.is_empty() && !host.contains('/'),
        None => false,
    }
}

/// Splits `scheme://user:password@host/path` (or `user@host:path`) into the URL without
/// userinfo, the user and the password.
fn split_userinfo(raw: &str) -> (String, Option<String>, Option<String>) {
    let (prefix, rest) = match raw.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), raw),
    };
    let authority_end = if prefix.is_empty() {
        rest.find(':').unwrap_or(rest.len())
    } else {
        rest.find('/').unwrap_or(rest.len())
    };
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user.to_string(), Some(password.to_string())),
                None => (userinfo.to_string(), None),
            };
            let without = format!("{prefix}{}{}", &authority[at + 1..], &rest[authority_end..]);
            (without, Some(user).filter(|u| !u.is_empty()), password)
        }
        None => (raw.to_string(), None, None),
    }
}

/// `raw` with any userinfo removed, for messages about URLs that failed to parse.
fn redact_userinfo(raw: &str) -> String {
    split_userinfo(raw).0
}

/// Lower-cases the scheme and host and drops a trailing `/` or `.git`, as Argo CD does when it
/// matches repository URLs.
fn normalize(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{}://", scheme.to_ascii_lowercase()), rest),
        None => (String::new(), url),
    };
    let host_end = if scheme.is_empty() || scheme == "file://" {
        0
    } else {
        rest.find('/').unwrap_or(rest.len())
    };
    let mut out = format!(
        "{scheme}{}{}",
        rest[..host_end].to_ascii_lowercase(),
        &rest[host_end..]
    );
    while out.ends_with('/') {
        out.pop();
    }
    if let Some(stripped) = out.strip_suffix(".git") {
        out.truncate(stripped.len());
    }
    out
}

/// 64-bit FNV-1a: a hash that stays the same across Rust releases, so cache directory names do.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_password_from_http_urls() {
        let url = RepoUrl::parse("https://alice:hunter2@Git.Example.com/org/repo.git").unwrap();
        assert_eq!(url.transport(), Transport::Http);
        assert_eq!(url.fetch_url(), "https://Git.Example.com/org/repo.git");
        assert_eq!(url.display(), "https://Git.Example.com/org/repo.git");
        let creds = url.credentials_with(&RepoCredentials::default());
        assert_eq!(creds.username.as_deref(), Some("alice"));
        assert_eq!(creds.password.as_ref().map(Secret::expose), Some("hunter2"));
    }

    #[test]
    fn spellings_of_one_repository_share_a_cache_key() {
        let a = RepoUrl::parse("https://GIT.example.com/org/repo.git").unwrap();
        let b = RepoUrl::parse("https://git.example.com/org/repo/").unwrap();
        let c = RepoUrl::parse("https://git.example.com/org/other").unwrap();
        assert_eq!(a.cache_key(), b.cache_key());
        assert_ne!(a.cache_key(), c.cache_key());
        assert!(
            a.cache_key().starts_with("git-example-com-org-repo-"),
            "{}",
            a.cache_key()
        );
    }

    #[test]
    fn keeps_the_ssh_user() {
        let scp = RepoUrl::parse("git@github.com:org/repo.git").unwrap();
        assert_eq!(scp.transport(), Transport::Ssh);
        assert_eq!(scp.fetch_url(), "git@github.com:org/repo.git");
        let ssh = RepoUrl::parse("ssh://git:pw@host:22/org/repo").unwrap();
        assert_eq!(ssh.fetch_url(), "ssh://git@host:22/org/repo");
    }

    #[test]
    fn refuses_relative_paths_and_unknown_schemes() {
        for raw in ["repo", "./repo", "ftp://host/repo", ""] {
            let err = RepoUrl::parse(raw).unwrap_err();
            assert!(matches!(err, SourceError::UnsupportedUrl { .. }), "{raw}: {err}");
        }
        let err = RepoUrl::parse("ftp://u:secret@host/repo").unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn accepts_paths_and_file_urls() {
        assert_eq!(
            RepoUrl::parse("/srv/git/repo").unwrap().transport(),
            Transport::LocalPath
        );
        assert_eq!(
            RepoUrl::parse("file:///srv/git/repo").unwrap().transport(),
            Transport::File
        );
    }
}
