//! Paths that leave the repository are refused with an error naming them: `..`, absolute
//! paths and symbolic links pointing outside; files over the size limit are refused too.

mod support;

use linnet_controller::source::{PathEscape, SourceError};
use support::{GitRepo, checkout_of, checkout_repo};

fn escape_reason(err: SourceError) -> (String, PathEscape) {
    match err {
        SourceError::PathEscapes { path, reason, .. } => (path, reason),
        other => panic!("expected a refused path, got {other:?}"),
    }
}

#[test]
fn parent_directories_and_absolute_paths_are_refused() {
    let c = checkout_of(&[("app/a.yaml", "a: 1\n")]);
    let (path, reason) = escape_reason(c.tree.resolve("app/../../outside").unwrap_err());
    assert_eq!(
        (path.as_str(), reason),
        ("app/../../outside", PathEscape::ParentDirectory)
    );
    let (path, reason) = escape_reason(c.tree.resolve("/etc/passwd").unwrap_err());
    assert_eq!((path.as_str(), reason), ("/etc/passwd", PathEscape::Absolute));
    let err = c.tree.resolve("../x").unwrap_err();
    assert!(err.to_string().contains("\"../x\""), "{err}");
    assert!(
        c.tree.resolve("app/../app/a.yaml").is_ok(),
        "`..` that stays inside is fine"
    );
}

#[test]
fn symlinks_pointing_outside_are_refused_and_inside_ones_followed() {
    let repo = GitRepo::new();
    repo.write("app/a.yaml", "a: 1\n")
        .symlink("app/passwd.yaml", "/etc/passwd")
        .symlink("app/up", "../../..")
        .symlink("app/same.yaml", "a.yaml")
        .symlink("linked-app", "app");
    repo.commit("links");
    let c = checkout_repo(repo);

    let (path, reason) = escape_reason(c.tree.resolve("app/passwd.yaml").unwrap_err());
    assert_eq!(path, "app/passwd.yaml");
    assert_eq!(
        reason,
        PathEscape::Symlink {
            link: "app/passwd.yaml".into()
        }
    );

    let (_, reason) = escape_reason(c.tree.resolve("app/up/etc/hosts").unwrap_err());
    assert_eq!(
        reason,
        PathEscape::Symlink {
            link: "app/up".into()
        }
    );

    assert_eq!(c.tree.read_file("app/same.yaml", 1024).unwrap(), b"a: 1\n");
    assert_eq!(c.tree.read_file("linked-app/a.yaml", 1024).unwrap(), b"a: 1\n");

    let mut escaping = c.tree.escaping_symlinks(c.tree.root()).unwrap();
    escaping.sort();
    assert_eq!(escaping, ["app/passwd.yaml", "app/up"]);
}

#[test]
fn files_over_the_limit_are_refused() {
    let c = checkout_of(&[("big.yaml", &"x".repeat(2048)), ("small.yaml", "a: 1\n")]);
    let err = c.tree.read_file("big.yaml", 1024).unwrap_err();
    match &err {
        SourceError::FileTooLarge {
            path, size, limit, ..
        } => {
            assert_eq!((path.as_str(), *size, *limit), ("big.yaml", 2048, 1024));
        }
        other => panic!("expected FileTooLarge, got {other:?}"),
    }
    assert!(
        err.to_string().contains(c.commit.as_str()),
        "the error names the commit: {err}"
    );
    assert!(c.tree.read_file("small.yaml", 1024).is_ok());
}

#[test]
fn missing_paths_are_named() {
    let c = checkout_of(&[("a.yaml", "a: 1\n")]);
    let err = c.tree.resolve("nope/here.yaml").unwrap_err();
    assert!(
        matches!(err, SourceError::PathNotFound { ref path, .. } if path == "nope/here.yaml"),
        "{err:?}"
    );
}
