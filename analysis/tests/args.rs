//! Building runs from templates and arguments: nesting, cycles, overrides, missing values,
//! secrets, Rollout-side values and placeholder substitution.

mod support;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use linnet_analysis::args::{
    ArgsError, RolloutValues, arg_values, build_run_spec, flatten_templates, resolve_metrics, rollout_args,
    substitute,
};
use linnet_crds::analysis::providers::WebMetricHeader;
use linnet_crds::analysis::{AnalysisTemplateRef, AnalysisTemplateSpec, Argument, SecretKeyRef, ValueFrom};
use linnet_crds::rollout::{AnalysisRunArgument, ArgumentFieldRef, ArgumentValueFrom, PodTemplateHashSource};
use support::*;

fn arg(name: &str, value: Option<&str>) -> Argument {
    Argument {
        name: name.into(),
        value: value.map(String::from),
        value_from: None,
    }
}

fn reference(name: &str, cluster: bool) -> AnalysisTemplateRef {
    AnalysisTemplateRef {
        template_name: name.into(),
        cluster_scope: cluster.then_some(true),
    }
}

fn template(
    metrics: &[&str],
    args: Vec<Argument>,
    includes: Vec<AnalysisTemplateRef>,
) -> AnalysisTemplateSpec {
    AnalysisTemplateSpec {
        metrics: Some(metrics.iter().map(|name| metric(name)).collect()),
        args: Some(args),
        templates: (!includes.is_empty()).then_some(includes),
        ..Default::default()
    }
}

type Store = BTreeMap<(String, bool), AnalysisTemplateSpec>;

fn lookup<'s>(store: &'s Store) -> impl Fn(&AnalysisTemplateRef) -> Option<&'s AnalysisTemplateSpec> {
    move |r| store.get(&(r.template_name.clone(), r.cluster_scope == Some(true)))
}

#[test]
fn nested_templates_are_merged_depth_first_and_once() {
    let mut store = Store::new();
    store.insert(
        ("base".into(), true),
        template(&["latency"], vec![arg("service", None)], vec![]),
    );
    store.insert(
        ("errors".into(), false),
        template(
            &["error-rate"],
            vec![arg("service", Some("checkout"))],
            vec![reference("base", true)],
        ),
    );
    store.insert(
        ("all".into(), false),
        template(
            &["saturation"],
            vec![],
            vec![reference("errors", false), reference("base", true)],
        ),
    );
    let merged = flatten_templates(&[reference("all", false)], lookup(&store)).unwrap();
    let names: Vec<&str> = merged.metrics.iter().flatten().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["latency", "error-rate", "saturation"],
        "a diamond brings base in once"
    );
    assert_eq!(
        merged.args.unwrap(),
        [arg("service", Some("checkout"))],
        "a value fills the bare declaration"
    );
}

#[test]
fn cycles_missing_templates_duplicates_and_conflicts_are_refused() {
    let mut store = Store::new();
    store.insert(
        ("a".into(), false),
        template(&["m1"], vec![], vec![reference("b", false)]),
    );
    store.insert(
        ("b".into(), false),
        template(&["m2"], vec![], vec![reference("a", false)]),
    );
    let error = flatten_templates(&[reference("a", false)], lookup(&store)).unwrap_err();
    assert_eq!(
        error,
        ArgsError::TemplateCycle {
            chain: "AnalysisTemplate/a -> AnalysisTemplate/b -> AnalysisTemplate/a".into()
        }
    );

    let error = flatten_templates(&[reference("ghost", true)], lookup(&store)).unwrap_err();
    assert_eq!(error.to_string(), "ClusterAnalysisTemplate/ghost not found");

    let mut store = Store::new();
    store.insert(
        ("x".into(), false),
        template(&["rate"], vec![arg("window", Some("5m"))], vec![]),
    );
    store.insert(("y".into(), false), template(&["rate"], vec![], vec![]));
    store.insert(
        ("z".into(), false),
        template(&["other"], vec![arg("window", Some("1m"))], vec![]),
    );
    let error =
        flatten_templates(&[reference("x", false), reference("y", false)], lookup(&store)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "metric \"rate\" of AnalysisTemplate/y is already defined by another template"
    );
    let error =
        flatten_templates(&[reference("x", false), reference("z", false)], lookup(&store)).unwrap_err();
    assert!(
        matches!(error, ArgsError::ConflictingArg { ref name, .. } if name == "window"),
        "{error}"
    );
}

#[test]
fn caller_args_override_defaults_and_unset_ones_are_named() {
    let spec = template(
        &["m"],
        vec![arg("service", None), arg("window", Some("5m"))],
        vec![],
    );
    let run_spec = build_run_spec(
        &spec,
        &[
            arg("service", Some("cart")),
            arg("window", Some("1m")),
            arg("extra", Some("x")),
        ],
    )
    .unwrap();
    assert_eq!(
        run_spec.args.unwrap(),
        [arg("service", Some("cart")), arg("window", Some("1m"))]
    );
    let error = build_run_spec(&spec, &[arg("window", Some("1m"))]).unwrap_err();
    assert_eq!(
        error,
        ArgsError::MissingValue {
            name: "service".into()
        }
    );
    assert!(error.to_string().contains("\"service\""));
}

#[test]
fn secret_references_stay_references_in_the_spec_and_resolve_when_measured() {
    let from_secret = Argument {
        name: "token".into(),
        value: None,
        value_from: Some(ValueFrom {
            secret_key_ref: Some(SecretKeyRef {
                name: "prom".into(),
                key: "token".into(),
            }),
            field_ref: None,
        }),
    };
    let spec = template(&["m"], vec![from_secret.clone()], vec![]);
    let run_spec = build_run_spec(&spec, &[]).unwrap();
    assert_eq!(
        run_spec.args.as_deref(),
        Some(&[from_secret.clone()][..]),
        "no secret value in the spec"
    );
    let secrets =
        |key: &SecretKeyRef| (key.name == "prom" && key.key == "token").then(|| "s3cret".to_string());
    let values = arg_values(run_spec.args.as_deref().unwrap(), &secrets, &|_| None).unwrap();
    assert_eq!(values["token"], "s3cret");
    let error = arg_values(&[from_secret], &|_| None, &|_| None)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("\"prom\"") && error.contains("\"token\""),
        "{error}"
    );
}

#[test]
fn rollout_side_args_read_fields_and_pod_template_hashes() {
    let hash = |name: &str, source| AnalysisRunArgument {
        name: name.into(),
        value: None,
        value_from: Some(ArgumentValueFrom {
            pod_template_hash_value: Some(source),
            field_ref: None,
        }),
    };
    let field = AnalysisRunArgument {
        name: "region".into(),
        value: None,
        value_from: Some(ArgumentValueFrom {
            pod_template_hash_value: None,
            field_ref: Some(ArgumentFieldRef {
                field_path: "metadata.labels['region']".into(),
            }),
        }),
    };
    let labels = |path: &str| (path == "metadata.labels['region']").then(|| "eu-west".to_string());
    let rollout = RolloutValues {
        stable_hash: Some("6d4f8"),
        latest_hash: Some("9c2b1"),
        field: &labels,
    };
    let args = [
        hash("stable", PodTemplateHashSource::Stable),
        hash("canary", PodTemplateHashSource::Latest),
        field,
    ];
    let resolved = rollout_args(&args, &rollout).unwrap();
    assert_eq!(
        resolved,
        [
            arg("stable", Some("6d4f8")),
            arg("canary", Some("9c2b1")),
            arg("region", Some("eu-west"))
        ]
    );
    let early = RolloutValues {
        stable_hash: None,
        latest_hash: Some("9c2b1"),
        field: &labels,
    };
    let error = rollout_args(&args, &early).unwrap_err();
    assert_eq!(
        error,
        ArgsError::HashNotKnown {
            name: "stable".into(),
            hash: PodTemplateHashSource::Stable
        }
    );
}

#[test]
fn placeholders_are_replaced_with_or_without_spaces_and_unknown_ones_are_named() {
    let values: BTreeMap<String, String> = [("service", "cart"), ("window", "5m")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(
        substitute(
            "m",
            "rate(x{svc=\"{{args.service}}\"}[{{ args.window }}])",
            &values
        )
        .unwrap(),
        "rate(x{svc=\"cart\"}[5m])"
    );
    assert_eq!(
        substitute("m", "{{templates.baseline.podTemplateHash}}", &values).unwrap(),
        "{{templates.baseline.podTemplateHash}}"
    );
    assert_eq!(
        substitute("m", "a {{args.service", &values).unwrap(),
        "a {{args.service",
        "unclosed is text"
    );
    let error = substitute("error-rate", "{{args.namespace}}", &values).unwrap_err();
    assert_eq!(
        error.to_string(),
        "metric \"error-rate\" uses {{args.namespace}} but the run has no argument \"namespace\""
    );
}

#[test]
fn every_string_field_of_a_metric_is_substituted() {
    let mut m = metric("error-rate").interval("{{args.every}}");
    m.count = Some(IntOrString::String("{{args.samples}}".into()));
    m.success_condition = Some("result[0] <= {{args.max}}".into());
    let spec = m.provider.prometheus.as_mut().unwrap();
    spec.address = Some("http://{{args.host}}:9090".into());
    spec.query = Some("errors{svc=\"{{args.service}}\"}".into());
    spec.headers = Some(vec![WebMetricHeader {
        key: "Authorization".into(),
        value: "Bearer {{args.token}}".into(),
    }]);
    let values: BTreeMap<String, String> = [
        ("every", "1m"),
        ("samples", "3"),
        ("max", "0.01"),
        ("host", "prom"),
        ("service", "cart"),
        ("token", "t0k"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let resolved = resolve_metrics(&[m], &values).unwrap().remove(0);
    assert_eq!(resolved.interval.as_deref(), Some("1m"));
    assert_eq!(resolved.count, Some(IntOrString::String("3".into())));
    assert_eq!(
        linnet_analysis::bookkeeping::Limits::of(&resolved).unwrap().count,
        Some(3)
    );
    assert_eq!(resolved.success_condition.as_deref(), Some("result[0] <= 0.01"));
    let spec = resolved.provider.prometheus.unwrap();
    assert_eq!(spec.address.as_deref(), Some("http://prom:9090"));
    assert_eq!(spec.query.as_deref(), Some("errors{svc=\"cart\"}"));
    assert_eq!(spec.headers.unwrap()[0].value, "Bearer t0k");
}
