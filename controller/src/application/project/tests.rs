//! Table tests of the project rules: sources, destinations, source namespaces, kinds, admission.

use linnet_crds::application::project::GroupKind;
use linnet_crds::application::{
    AppProject, AppProjectSpec, Application, ApplicationDestination, ApplicationSource, ApplicationSpec,
};

use super::*;
use crate::sync::identity::ResourceKey;

pub(super) fn project(spec: AppProjectSpec) -> AppProject {
    AppProject::new("team-a", spec)
}

pub(super) fn strings(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|s| s.to_string()).collect())
}

pub(super) fn dest(server: &str, name: &str, namespace: &str) -> ApplicationDestination {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    ApplicationDestination {
        server: opt(server),
        name: opt(name),
        namespace: opt(namespace),
    }
}

pub(super) fn app(repo: &str, server: &str, namespace: &str) -> Application {
    Application::new(
        "guestbook",
        ApplicationSpec {
            source: Some(ApplicationSource {
                repo_url: repo.to_string(),
                ..ApplicationSource::default()
            }),
            destination: dest(server, "", namespace),
            project: "team-a".to_string(),
            ..ApplicationSpec::default()
        },
    )
}

fn gk(group: &str, kind: &str) -> GroupKind {
    GroupKind {
        group: group.to_string(),
        kind: kind.to_string(),
    }
}

#[test]
fn source_repositories() {
    let cases: &[(&[&str], &str, bool)] = &[
        (&["*"], "https://github.com/org/app", true),
        (&[], "https://github.com/org/app", false),
        (&["https://github.com/org/*"], "https://github.com/org/app", true),
        (
            &["https://github.com/org/*"],
            "https://github.com/other/app",
            false,
        ),
        // Case, trailing `.git` and `/` do not matter; scp-like URLs compare as ssh://.
        (
            &["https://GitHub.com/org/app.git"],
            "https://github.com/org/app/",
            true,
        ),
        (
            &["ssh://git@github.com/org/*"],
            "git@github.com:org/app.git",
            true,
        ),
        // An exclusion refuses what it matches and, on its own, permits the rest (as Argo CD).
        (
            &["!https://github.com/evil/*"],
            "https://github.com/evil/app",
            false,
        ),
        (
            &["!https://github.com/evil/*"],
            "https://github.com/org/app",
            true,
        ),
        (
            &["*", "!https://github.com/evil/*"],
            "https://github.com/evil/app",
            false,
        ),
        (
            &["!https://github.com/evil/*", "*"],
            "https://github.com/evil/app",
            false,
        ),
    ];
    for (patterns, repo, permitted) in cases {
        let p = project(AppProjectSpec {
            source_repos: strings(patterns),
            ..AppProjectSpec::default()
        });
        let violations = check_sources(&p, &app(repo, "https://kubernetes.default.svc", "web"));
        assert_eq!(
            violations.is_empty(),
            *permitted,
            "{patterns:?} against {repo}: {violations:?}"
        );
    }
}

#[test]
fn every_source_of_a_multi_source_application_is_checked() {
    let p = project(AppProjectSpec {
        source_repos: strings(&["https://github.com/org/*"]),
        ..AppProjectSpec::default()
    });
    let mut multi = app(
        "https://github.com/org/app",
        "https://kubernetes.default.svc",
        "web",
    );
    multi.spec.sources = Some(vec![ApplicationSource {
        repo_url: "https://x.example/charts".to_string(),
        ..ApplicationSource::default()
    }]);
    let violations = check_sources(&p, &multi);
    assert_eq!(
        violations.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["spec.sources[0].repoURL: https://x.example/charts is not permitted in project team-a"]
    );
}

/// Project destinations, then the application's (server, name, namespace), then whether permitted.
type DestinationCase<'a> = (&'a [ApplicationDestination], (&'a str, &'a str, &'a str), bool);

#[test]
fn destinations() {
    let local = "https://kubernetes.default.svc";
    let cases: &[DestinationCase] = &[
        (&[dest("*", "", "*")], (local, "in-cluster", "web"), true),
        (&[dest(local, "", "web")], (local, "in-cluster", "web"), true),
        (&[dest(local, "", "web")], (local, "in-cluster", "db"), false),
        (
            &[dest("", "prod-*", "web-*")],
            ("https://10.0.0.1", "prod-eu", "web-a"),
            true,
        ),
        (
            &[dest("", "prod-*", "web-*")],
            ("https://10.0.0.1", "dev-eu", "web-a"),
            false,
        ),
        (&[], (local, "in-cluster", "web"), false),
        // Exclusions: refused where they match, the rest through the other entries.
        (
            &[dest("*", "", "!kube-system"), dest("*", "", "*")],
            (local, "in-cluster", "kube-system"),
            false,
        ),
        (
            &[dest("*", "", "!kube-system"), dest("*", "", "*")],
            (local, "in-cluster", "web"),
            true,
        ),
        (
            &[dest("!https://prod.example", "", "*"), dest("*", "", "*")],
            ("https://prod.example", "prod", "web"),
            false,
        ),
    ];
    for (destinations, (server, name, namespace), permitted) in cases {
        let p = project(AppProjectSpec {
            destinations: Some(destinations.to_vec()),
            ..AppProjectSpec::default()
        });
        let d = Destination {
            server: Some(server),
            name: Some(name),
            namespace,
        };
        let violation = check_destination(&p, &d);
        assert_eq!(
            violation.is_none(),
            *permitted,
            "{destinations:?} against {d:?}: {violation:?}"
        );
        if let Some(v) = violation {
            assert_eq!(v.subject, "spec.destination");
            assert!(
                v.message.contains("project team-a") && v.message.contains(namespace),
                "{v}"
            );
        }
    }
}

#[test]
fn resource_kinds_and_namespaces() {
    let local = "https://kubernetes.default.svc";
    let open = || AppProjectSpec {
        destinations: Some(vec![dest("*", "", "web"), dest("*", "", "shared")]),
        ..AppProjectSpec::default()
    };
    let role = ResourceKey::new("rbac.authorization.k8s.io", "ClusterRole", "", "admin");
    let ns = ResourceKey::new("", "Namespace", "", "web");
    let secret = ResourceKey::new("", "Secret", "", "creds");
    let deploy = ResourceKey::new("apps", "Deployment", "shared", "api");
    let elsewhere = ResourceKey::new("apps", "Deployment", "kube-system", "api");
    let cases: Vec<(&str, AppProjectSpec, &ResourceKey, Scope, Vec<&str>)> = vec![
        (
            "no cluster whitelist: nothing cluster-scoped",
            open(),
            &ns,
            Scope::Cluster,
            vec!["cluster-scoped kind Namespace"],
        ),
        (
            "whitelisted by glob",
            AppProjectSpec {
                cluster_resource_whitelist: Some(vec![gk("*", "*")]),
                ..open()
            },
            &role,
            Scope::Cluster,
            vec![],
        ),
        (
            "whitelisted but blacklisted",
            AppProjectSpec {
                cluster_resource_whitelist: Some(vec![gk("*", "*")]),
                cluster_resource_blacklist: Some(vec![gk("rbac.authorization.k8s.io", "Cluster*")]),
                ..open()
            },
            &role,
            Scope::Cluster,
            vec!["cluster-scoped kind ClusterRole.rbac.authorization.k8s.io"],
        ),
        (
            "core group whitelisted by empty group",
            AppProjectSpec {
                cluster_resource_whitelist: Some(vec![gk("", "Namespace")]),
                ..open()
            },
            &ns,
            Scope::Cluster,
            vec![],
        ),
        (
            "namespaced: all when no whitelist",
            open(),
            &secret,
            Scope::Namespaced,
            vec![],
        ),
        (
            "namespaced: empty whitelist permits none",
            AppProjectSpec {
                namespace_resource_whitelist: Some(vec![]),
                ..open()
            },
            &secret,
            Scope::Namespaced,
            vec!["namespaced kind Secret"],
        ),
        (
            "namespaced: blacklisted",
            AppProjectSpec {
                namespace_resource_blacklist: Some(vec![gk("", "Secret")]),
                ..open()
            },
            &secret,
            Scope::Namespaced,
            vec!["namespaced kind Secret"],
        ),
        (
            "namespaced: whitelisted group glob",
            AppProjectSpec {
                namespace_resource_whitelist: Some(vec![gk("app*", "*")]),
                ..open()
            },
            &deploy,
            Scope::Namespaced,
            vec![],
        ),
        (
            "object in a namespace the project refuses",
            open(),
            &elsewhere,
            Scope::Namespaced,
            vec!["namespace \"kube-system\""],
        ),
        (
            "both reasons",
            AppProjectSpec {
                namespace_resource_blacklist: Some(vec![gk("apps", "*")]),
                ..open()
            },
            &elsewhere,
            Scope::Namespaced,
            vec!["namespaced kind Deployment.apps", "namespace \"kube-system\""],
        ),
    ];
    for (name, spec, key, scope, want) in cases {
        let p = project(spec);
        let d = Destination {
            server: Some(local),
            name: Some("in-cluster"),
            namespace: "web",
        };
        let got = check_resources(&p, &d, [(key, scope)]);
        assert_eq!(got.len(), want.len(), "{name}: {got:?}");
        for (violation, fragment) in got.iter().zip(want) {
            assert_eq!(violation.subject, key.to_string(), "{name}");
            assert!(violation.message.contains(fragment), "{name}: {violation}");
            assert!(
                violation.message.ends_with("in project team-a"),
                "{name}: {violation}"
            );
        }
    }
}

#[test]
fn source_namespaces() {
    let p = project(AppProjectSpec {
        source_namespaces: strings(&["team-*"]),
        ..AppProjectSpec::default()
    });
    assert_eq!(check_source_namespace(&p, "argocd", "argocd"), None);
    assert_eq!(check_source_namespace(&p, "team-a", "argocd"), None);
    let refused = check_source_namespace(&p, "other", "argocd").expect("refused");
    assert_eq!(refused.subject, "metadata.namespace");
    let default = permissive_default();
    assert!(
        check_source_namespace(&default, "other", "argocd").is_some(),
        "the default lists none"
    );
}

#[test]
fn the_default_project_permits_everything_unless_it_exists() {
    let a = app("https://anything.example/x", "https://10.1.2.3", "anywhere");
    let d = Destination {
        server: Some("https://10.1.2.3"),
        name: Some("far"),
        namespace: "anywhere",
    };
    let found = find_project("default", &[]).expect("default exists");
    assert!(check_application(&found, &a, &d).is_empty());
    let role = ResourceKey::new("rbac.authorization.k8s.io", "ClusterRole", "", "admin");
    assert!(check_resources(&found, &d, [(&role, Scope::Cluster)]).is_empty());
    assert_eq!(
        find_project("", &[])
            .expect("empty means default")
            .metadata
            .name
            .as_deref(),
        Some("default")
    );

    let strict = AppProject::new("default", AppProjectSpec::default());
    let found = find_project("default", std::slice::from_ref(&strict)).expect("default exists");
    assert_eq!(
        check_application(&found, &a, &d).len(),
        2,
        "the real default refuses"
    );

    assert_eq!(
        find_project("team-b", &[strict])
            .expect_err("missing")
            .to_string(),
        "spec.project: AppProject \"team-b\" does not exist"
    );
}

#[test]
fn admission_in_one_call() {
    let strict = project(AppProjectSpec {
        source_repos: strings(&["https://github.com/org/*"]),
        destinations: Some(vec![dest("*", "", "web")]),
        ..AppProjectSpec::default()
    });
    let projects = [strict];
    let mut a = app(
        "https://github.com/org/app",
        "https://kubernetes.default.svc",
        "web",
    );
    a.metadata.namespace = Some("argocd".to_string());
    let d = Destination::of(&a.spec.destination);
    let admitted = admit(&projects, &a, &d, "argocd").expect("permitted");
    assert_eq!(admitted.metadata.name.as_deref(), Some("team-a"));

    let mut bad = app("https://x.example/app", "https://kubernetes.default.svc", "db");
    bad.metadata.namespace = Some("elsewhere".to_string());
    let d = Destination::of(&bad.spec.destination);
    let refused = admit(&projects, &bad, &d, "argocd").expect_err("refused");
    let subjects: Vec<&str> = refused.iter().map(|v| v.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["metadata.namespace", "spec.source.repoURL", "spec.destination"]
    );

    bad.spec.project = "team-z".to_string();
    let missing = admit(&projects, &bad, &d, "argocd").expect_err("missing project");
    assert_eq!(
        missing[0].to_string(),
        "spec.project: AppProject \"team-z\" does not exist"
    );
}
