//! Rules on the analyses a Rollout asks for (analysis steps, background analysis, blue-green
//! pre/post-promotion analysis): they name at least one template, and their arguments say
//! where each value comes from.

use crate::rollout::{AnalysisRunArgument, RolloutAnalysis};
use crate::{FieldPath, Finding};

/// Checks one analysis reference at `path`.
pub fn check_analysis(analysis: &RolloutAnalysis, path: &FieldPath) -> Vec<Finding> {
    let mut findings = Vec::new();
    let templates_path = path.field("templates");
    let templates = analysis.templates.as_deref().unwrap_or_default();
    if templates.is_empty() {
        findings.push(Finding::error(
            &templates_path,
            "no analysis template is named; list at least one templateName",
        ));
    }
    for (i, template) in templates.iter().enumerate() {
        if template.template_name.as_deref().unwrap_or_default().is_empty() {
            findings.push(Finding::error(
                templates_path.index(i).field("templateName"),
                "templateName is required",
            ));
        }
    }
    findings.extend(check_args(
        analysis.args.as_deref().unwrap_or_default(),
        &path.field("args"),
    ));
    findings
}

/// Each argument has a name and at most one source of value.
pub fn check_args(args: &[AnalysisRunArgument], path: &FieldPath) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        let arg_path = path.index(i);
        if arg.name.is_empty() {
            findings.push(Finding::error(arg_path.field("name"), "an argument needs a name"));
        }
        if arg.value.is_some() && arg.value_from.is_some() {
            findings.push(Finding::error(
                &arg_path,
                format!(
                    "argument {:?} sets both value and valueFrom; set only one",
                    arg.name
                ),
            ));
        }
        if let Some(from) = &arg.value_from {
            let sources =
                usize::from(from.pod_template_hash_value.is_some()) + usize::from(from.field_ref.is_some());
            let from_path = arg_path.field("valueFrom");
            match sources {
                0 => findings.push(Finding::error(
                    from_path,
                    "valueFrom names no source; set podTemplateHashValue or fieldRef",
                )),
                2 => findings.push(Finding::error(
                    from_path,
                    "valueFrom sets both podTemplateHashValue and fieldRef; set only one",
                )),
                _ => {}
            }
            if let Some(field_ref) = &from.field_ref {
                let field_path = field_ref.field_path.as_str();
                let at = arg_path.field("valueFrom").field("fieldRef").field("fieldPath");
                if field_path.is_empty() {
                    findings.push(Finding::error(at, "fieldPath is required"));
                } else if field_path.starts_with("metadata") && !is_downward_api_metadata(field_path) {
                    findings.push(Finding::error(
                        at,
                        format!(
                            "{field_path:?} is not a metadata field the downward API can read (metadata.name, \
                             metadata.namespace, metadata.uid, metadata.labels['…'], metadata.annotations['…'])"
                        ),
                    ));
                }
            }
        }
    }
    findings
}

/// Whether `path` is a metadata field Argo can read for an argument, as Kubernetes' downward
/// API reads them: a plain field, or one label or annotation by key.
fn is_downward_api_metadata(path: &str) -> bool {
    const PLAIN: [&str; 5] = [
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "metadata.labels",
        "metadata.annotations",
    ];
    if PLAIN.contains(&path) {
        return true;
    }
    ["metadata.labels", "metadata.annotations"].iter().any(|map| {
        path.strip_prefix(map)
            .and_then(|rest| rest.strip_prefix("['"))
            .and_then(|rest| rest.strip_suffix("']"))
            .is_some_and(|key| !key.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::{
        ArgumentFieldRef, ArgumentValueFrom, PodTemplateHashSource, RolloutAnalysisTemplate,
    };

    fn template(name: &str) -> RolloutAnalysisTemplate {
        RolloutAnalysisTemplate {
            template_name: Some(name.into()),
            cluster_scope: None,
        }
    }

    fn arg(name: &str, value: Option<&str>, value_from: Option<ArgumentValueFrom>) -> AnalysisRunArgument {
        AnalysisRunArgument {
            name: name.into(),
            value: value.map(Into::into),
            value_from,
        }
    }

    fn rendered(analysis: &RolloutAnalysis) -> Vec<String> {
        check_analysis(analysis, &FieldPath::root("a"))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn downward_api_metadata_paths() {
        for ok in [
            "metadata.name",
            "metadata.uid",
            "metadata.labels['team']",
            "metadata.annotations['acme.io/owner']",
        ] {
            assert!(is_downward_api_metadata(ok), "{ok}");
        }
        for bad in [
            "metadata.generation",
            "metadata.labels[team]",
            "metadata.labels['']",
            "metadata.labels.team",
        ] {
            assert!(!is_downward_api_metadata(bad), "{bad}");
        }
    }

    #[test]
    fn a_complete_analysis_gives_no_findings() {
        let analysis = RolloutAnalysis {
            templates: Some(vec![template("success-rate"), template("latency")]),
            args: Some(vec![
                arg("service", Some("checkout"), None),
                arg(
                    "canary-hash",
                    None,
                    Some(ArgumentValueFrom {
                        pod_template_hash_value: Some(PodTemplateHashSource::Latest),
                        field_ref: None,
                    }),
                ),
            ]),
            ..RolloutAnalysis::default()
        };
        assert_eq!(rendered(&analysis), Vec::<String>::new());
    }

    #[test]
    fn each_analysis_rule_reports_at_its_path() {
        let from = |hash: Option<PodTemplateHashSource>, field: Option<&str>| ArgumentValueFrom {
            pod_template_hash_value: hash,
            field_ref: field.map(|p| ArgumentFieldRef { field_path: p.into() }),
        };
        let cases = [
            (
                RolloutAnalysis::default(),
                "a.templates: error: no analysis template is named",
            ),
            (
                RolloutAnalysis {
                    templates: Some(vec![]),
                    ..Default::default()
                },
                "a.templates: error: no analysis template is named",
            ),
            (
                RolloutAnalysis {
                    templates: Some(vec![template("ok"), RolloutAnalysisTemplate::default()]),
                    ..Default::default()
                },
                "a.templates[1].templateName: error: templateName is required",
            ),
            (
                RolloutAnalysis {
                    templates: Some(vec![template("ok")]),
                    args: Some(vec![arg("", Some("x"), None)]),
                    ..Default::default()
                },
                "a.args[0].name: error: an argument needs a name",
            ),
            (
                RolloutAnalysis {
                    templates: Some(vec![template("ok")]),
                    args: Some(vec![arg(
                        "hash",
                        Some("x"),
                        Some(from(Some(PodTemplateHashSource::Stable), None)),
                    )]),
                    ..Default::default()
                },
                "a.args[0]: error: argument \"hash\" sets both value and valueFrom",
            ),
            (
                RolloutAnalysis {
                    templates: Some(vec![template("ok")]),
                    args: Some(vec![arg("hash", None, Some(from(None, None)))]),
                    ..Default::default()
                },
                "a.args[0].valueFrom: error: valueFrom names no source",
            ),
            (
                RolloutAnalysis {
                    templates: Some(vec![template("ok")]),
                    args: Some(vec![arg(
                        "hash",
                        None,
                        Some(from(Some(PodTemplateHashSource::Stable), Some("x"))),
                    )]),
                    ..Default::default()
                },
                "a.args[0].valueFrom: error: valueFrom sets both podTemplateHashValue and fieldRef",
            ),
            (
                RolloutAnalysis {
                    templates: Some(vec![template("ok")]),
                    args: Some(vec![arg("name", None, Some(from(None, Some(""))))]),
                    ..Default::default()
                },
                "a.args[0].valueFrom.fieldRef.fieldPath: error: fieldPath is required",
            ),
        ];
        let bad_field = RolloutAnalysis {
            templates: Some(vec![template("ok")]),
            args: Some(vec![arg(
                "gen",
                None,
                Some(from(None, Some("metadata.generation"))),
            )]),
            ..Default::default()
        };
        let cases = cases.into_iter().chain([(
            bad_field,
            "a.args[0].valueFrom.fieldRef.fieldPath: error: \"metadata.generation\" is not a metadata field",
        )]);
        for (analysis, expected) in cases {
            let findings = rendered(&analysis);
            assert!(
                findings.iter().any(|f| f.starts_with(expected)),
                "{expected}\n got {findings:#?}"
            );
        }
    }
}
