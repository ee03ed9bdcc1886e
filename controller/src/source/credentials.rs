//! Repository credentials, as Argo CD keeps them in Secrets labelled
//! `argocd.argoproj.io/secret-type: repository`.
//!
//! Every secret value is held in a [`Secret`], whose `Debug` prints `***`, so a credential can
//! be logged or put in an error by accident without leaking. Text that came back from a Git
//! server or library passes through [`RepoCredentials::scrub`] before it reaches an error.

use std::collections::BTreeMap;
use std::fmt;

/// A secret value: printed as `***` by `Debug`, read only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must hand it to the transport.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How to authenticate to one repository. All fields are optional: a public repository needs
/// none of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoCredentials {
    /// User name for HTTP basic authentication (and the SSH user when the URL names none).
    pub username: Option<String>,
    /// Password or access token for HTTP basic authentication.
    pub password: Option<Secret>,
    /// Token sent as `Authorization: Bearer <token>` (Bitbucket Data Center style).
    pub bearer_token: Option<Secret>,
    /// PEM private key for SSH URLs.
    pub ssh_private_key: Option<Secret>,
    /// Accept any TLS certificate (Argo CD's `insecure: "true"`).
    pub insecure: bool,
}

/// The keys of a repository Secret's data that linnet reads.
mod keys {
    pub const URL: &str = "url";
    pub const USERNAME: &str = "username";
    pub const PASSWORD: &str = "password";
    pub const BEARER_TOKEN: &str = "bearerToken";
    pub const SSH_PRIVATE_KEY: &str = "sshPrivateKey";
    pub const INSECURE: &str = "insecure";
}

impl RepoCredentials {
    /// Reads the decoded data of a repository Secret: its `url` (if any) and the credentials.
    /// Empty values count as absent, as they do in Argo CD.
    pub fn from_secret_data(data: &BTreeMap<String, String>) -> (Option<String>, RepoCredentials) {
        let field = |key: &str| data.get(key).filter(|v| !v.is_empty()).cloned();
        let credentials = RepoCredentials {
            username: field(keys::USERNAME),
            password: field(keys::PASSWORD).map(Secret),
            bearer_token: field(keys::BEARER_TOKEN).map(Secret),
            ssh_private_key: field(keys::SSH_PRIVATE_KEY).map(Secret),
            insecure: field(keys::INSECURE).is_some_and(|v| v.eq_ignore_ascii_case("true")),
        };
        (field(keys::URL), credentials)
    }

    /// Whether any secret is set.
    pub fn is_empty(&self) -> bool {
        self.username.is_none()
            && self.password.is_none()
            && self.bearer_token.is_none()
            && self.ssh_private_key.is_none()
    }

    /// `text` with every secret value replaced by `***`: libraries and servers may echo what
    /// they were sent, and such text must not reach an error or a log.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in [&self.password, &self.bearer_token, &self.ssh_private_key]
            .into_iter()
            .flatten()
        {
            if !secret.0.is_empty() {
                out = out.replace(&secret.0, "***");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let creds = RepoCredentials {
            username: Some("alice".into()),
            password: Some(Secret::new("hunter2")),
            bearer_token: Some(Secret::new("tok-123")),
            ssh_private_key: Some(Secret::new("-----BEGIN KEY-----")),
            insecure: false,
        };
        let text = format!("{creds:?}");
        assert!(text.contains("alice"), "{text}");
        for secret in ["hunter2", "tok-123", "BEGIN KEY"] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    #[test]
    fn scrub_replaces_every_secret() {
        let creds = RepoCredentials {
            password: Some(Secret::new("hunter2")),
            bearer_token: Some(Secret::new("tok-123")),
            ..Default::default()
        };
        assert_eq!(creds.scrub("a hunter2 b tok-123 c hunter2"), "a *** b *** c ***");
    }

    #[test]
    fn reads_a_repository_secret() {
        let data: BTreeMap<String, String> = [
            ("url", "https://git.example/repo.git"),
            ("username", "bob"),
            ("password", "pw"),
            ("bearerToken", ""),
            ("insecure", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (url, creds) = RepoCredentials::from_secret_data(&data);
        assert_eq!(url.as_deref(), Some("https://git.example/repo.git"));
        assert_eq!(creds.username.as_deref(), Some("bob"));
        assert_eq!(creds.password.as_ref().map(Secret::expose), Some("pw"));
        assert_eq!(creds.bearer_token, None);
        assert!(creds.insecure);
    }
}
