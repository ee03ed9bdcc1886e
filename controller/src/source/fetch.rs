//! Fetching a remote into its bare cache repository with libgit2: branches and tags are
//! mirrored (deleted ones pruned), and only objects the cache lacks are transferred.
//!
//! The ref advertisement the fetch receives doubles as `git ls-remote`: it tells where the
//! remote's HEAD points without a second connection.

use git2::{
    AutotagOption, CertificateCheckStatus, Cred, CredentialType, ErrorClass, ErrorCode, FetchOptions,
    FetchPrune, Oid, RemoteCallbacks, Repository,
};

use crate::source::SourceError;
use crate::source::credentials::RepoCredentials;
use crate::source::url::RepoUrl;

/// Branches and tags, mirrored as they are on the remote.
const MIRROR_REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// What one fetch did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchReport {
    /// Objects the server sent; 0 when the cache was already up to date.
    pub received_objects: usize,
    /// Bytes the server sent in packs.
    pub received_bytes: usize,
    /// Where the remote's HEAD pointed.
    pub(crate) head: Option<Oid>,
}

/// Fetches every branch and tag of `url` into `repo`.
pub(crate) fn fetch_mirror(
    repo: &Repository,
    url: &RepoUrl,
    creds: &RepoCredentials,
) -> Result<FetchReport, SourceError> {
    fetch(repo, url, creds, &MIRROR_REFSPECS)
}

/// Fetches one commit by its id, for a SHA that no branch or tag reaches. Servers that refuse
/// to serve unadvertised objects make this fail; the caller reports the revision as missing.
pub(crate) fn fetch_commit(
    repo: &Repository,
    url: &RepoUrl,
    creds: &RepoCredentials,
    commit: Oid,
) -> Result<FetchReport, SourceError> {
    let refspec = commit.to_string();
    fetch(repo, url, creds, &[refspec.as_str()])
}

fn fetch(
    repo: &Repository,
    url: &RepoUrl,
    creds: &RepoCredentials,
    refspecs: &[&str],
) -> Result<FetchReport, SourceError> {
    let mut remote = repo
        .remote_anonymous(url.fetch_url())
        .map_err(|e| classify(url, creds, &e))?;
    let mut options = FetchOptions::new();
    options
        .remote_callbacks(callbacks(creds))
        .prune(FetchPrune::On)
        .download_tags(AutotagOption::None)
        .update_fetchhead(false);
    let bearer;
    if let Some(token) = &creds.bearer_token {
        bearer = format!("Authorization: Bearer {}", token.expose());
        options.custom_headers(&[bearer.as_str()]);
    }
    remote
        .fetch(refspecs, Some(&mut options), None)
        .map_err(|e| classify(url, creds, &e))?;
    let stats = remote.stats();
    let head = remote
        .list()
        .ok()
        .and_then(|heads| heads.iter().find(|h| h.name() == "HEAD").map(|h| h.oid()));
    Ok(FetchReport {
        received_objects: stats.received_objects(),
        received_bytes: stats.received_bytes(),
        head,
    })
}

/// Credential and certificate callbacks. Each kind of credential is offered once: a server
/// that rejects it gets an authentication error instead of the same secret again.
fn callbacks(creds: &RepoCredentials) -> RemoteCallbacks<'_> {
    let mut callbacks = RemoteCallbacks::new();
    let mut offered_password = false;
    let mut offered_key = false;
    callbacks.credentials(move |_url, username_from_url, allowed| {
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
            && !offered_password
            && let Some(password) = &creds.password
        {
            offered_password = true;
            let user = creds.username.as_deref().or(username_from_url).unwrap_or("");
            return Cred::userpass_plaintext(user, password.expose());
        }
        if allowed.contains(CredentialType::SSH_KEY)
            && !offered_key
            && let Some(key) = &creds.ssh_private_key
        {
            offered_key = true;
            let user = username_from_url.or(creds.username.as_deref()).unwrap_or("git");
            return Cred::ssh_key_from_memory(user, None, key.expose(), None);
        }
        if allowed.contains(CredentialType::USERNAME)
            && let Some(user) = username_from_url.or(creds.username.as_deref())
        {
            return Cred::username(user);
        }
        Err(git2::Error::new(
            ErrorCode::Auth,
            ErrorClass::Http,
            "the server asked for credentials that were not given or were rejected",
        ))
    });
    if creds.insecure {
        callbacks.certificate_check(|_, _| Ok(CertificateCheckStatus::CertificateOk));
    }
    callbacks
}

/// Sorts a libgit2 error into authentication or fetch failure, scrubbed of secrets.
fn classify(url: &RepoUrl, creds: &RepoCredentials, error: &git2::Error) -> SourceError {
    let message = creds.scrub(error.message());
    let auth = error.code() == ErrorCode::Auth
        || message.contains("authentication")
        || message.contains("401")
        || message.contains("403");
    if auth {
        SourceError::Authentication {
            repo: url.display().to_string(),
            message,
        }
    } else {
        SourceError::Fetch {
            repo: url.display().to_string(),
            message,
        }
    }
}
