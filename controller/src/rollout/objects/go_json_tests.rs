//! Tests of the Go JSON encoding and the hashes built on it. Each expected string is written by
//! hand from Go's rules (struct field order from `k8s.io/api/core/v1/types.go`, `omitempty`
//! only on tagged fields, value structs always present, sorted map keys, HTML-safe escaping,
//! canonical quantities) so a reviewer can check it field by field.

use k8s_openapi::api::core::v1::PodTemplateSpec;
use serde_json::{Value, json};

use super::ObjectError;
use super::go_json::{GoJsonError, encode};
use super::go_json_fields::POD_TEMPLATE_SPEC;
use super::hash::{canary_steps_hash, pod_template_hash};

fn template(value: Value) -> PodTemplateSpec {
    serde_json::from_value(value).expect("test template is a valid PodTemplateSpec")
}

fn go_json(value: Value) -> Result<String, GoJsonError> {
    let typed = serde_json::to_value(template(value)).expect("serializable");
    encode(&POD_TEMPLATE_SPEC, &typed)
}

/// The template of Argo Rollouts' `utils/hash/hash_test.go` (`generatePodTemplate("red")`),
/// whose hash that test pins to `7bb4fbc896` as the value controllers up to 1.8 produced.
fn argo_red_template() -> Value {
    json!({
        "metadata": {"labels": {"name": "red"}},
        "spec": {
            "containers": [{
                "name": "red",
                "image": "red",
                "imagePullPolicy": "Always",
                "terminationMessagePath": "/dev/termination-log"
            }],
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": "Always",
            "securityContext": {}
        }
    })
}

#[test]
fn argo_red_template_encodes_as_go_does() {
    // ObjectMeta: creationTimestamp (null) precedes labels. Container: name, image,
    // resources (a value struct: `{}`), terminationMessagePath, imagePullPolicy. PodSpec:
    // containers, restartPolicy, dnsPolicy, securityContext (a set pointer: `{}`).
    let expected = concat!(
        r#"{"metadata":{"creationTimestamp":null,"labels":{"name":"red"}},"#,
        r#""spec":{"containers":[{"name":"red","image":"red","resources":{},"#,
        r#""terminationMessagePath":"/dev/termination-log","imagePullPolicy":"Always"}],"#,
        r#""restartPolicy":"Always","dnsPolicy":"ClusterFirst","securityContext":{}}}"#,
    );
    assert_eq!(go_json(argo_red_template()).unwrap(), expected);
}

#[test]
fn argo_red_template_hashes_to_argos_pinned_value() {
    let hash = pod_template_hash(&template(argo_red_template()), None).unwrap();
    assert_eq!(hash, "7bb4fbc896");
    let with_collision = pod_template_hash(&template(argo_red_template()), Some(1)).unwrap();
    assert_ne!(with_collision, hash);
}

#[test]
fn empty_template_writes_zero_values() {
    // PodSpec.containers has no omitempty: a nil slice is `null`.
    assert_eq!(
        go_json(json!({})).unwrap(),
        r#"{"metadata":{"creationTimestamp":null},"spec":{"containers":null}}"#
    );
}

#[test]
fn container_with_ports_env_and_resources() {
    let value = json!({
        "metadata": {"labels": {"app": "web", "tier": "front"}, "annotations": {"note": "a<b&c>d"}},
        "spec": {"containers": [{
            "name": "web",
            "image": "nginx:1.27",
            "args": ["--port", "8080"],
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "env": [
                {"name": "MODE", "value": "prod"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}},
                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}}
            ],
            "resources": {
                "limits": {"memory": "1Gi", "cpu": "1000m"},
                "requests": {"cpu": "0.5", "memory": "128974848"}
            }
        }]}
    });
    // Annotations escape <, > and & as Go does. Env: fieldRef has no apiVersion (omitempty);
    // resourceFieldRef's divisor is a value Quantity, so Go writes its zero value "0".
    // Quantities are canonical: 1000m → "1", 0.5 → "500m". Map keys are sorted.
    let expected = concat!(
        r#"{"metadata":{"creationTimestamp":null,"labels":{"app":"web","tier":"front"},"#,
        r#""annotations":{"note":"a\u003cb\u0026c\u003ed"}},"#,
        r#""spec":{"containers":[{"name":"web","image":"nginx:1.27","args":["--port","8080"],"#,
        r#""ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],"#,
        r#""env":[{"name":"MODE","value":"prod"},"#,
        r#"{"name":"POD_IP","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}},"#,
        r#"{"name":"MEM","valueFrom":{"resourceFieldRef":{"resource":"limits.memory","divisor":"0"}}},"#,
        r#"{"name":"TOKEN","valueFrom":{"secretKeyRef":{"name":"creds","key":"token"}}}],"#,
        r#""resources":{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m","memory":"128974848"}}}]}}"#,
    );
    assert_eq!(go_json(value).unwrap(), expected);
}

#[test]
fn probes_volumes_and_pointers() {
    let value = json!({
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "hostNetwork": false,
            "volumes": [
                {"name": "cache", "emptyDir": {"sizeLimit": "2048Mi"}},
                {"name": "config", "configMap": {"name": "web-config", "defaultMode": 420}}
            ],
            "containers": [{
                "name": "web",
                "readinessProbe": {
                    "httpGet": {"path": "/healthz", "port": "http"},
                    "periodSeconds": 5,
                    "failureThreshold": 0
                },
                "livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 10},
                "volumeMounts": [{"name": "config", "mountPath": "/etc/web", "readOnly": true}],
                "securityContext": {"runAsNonRoot": false, "capabilities": {"drop": ["ALL"]}}
            }]
        }
    });
    // terminationGracePeriodSeconds is a pointer: 0 is kept. hostNetwork is a bool with
    // omitempty: false is dropped. failureThreshold 0 is dropped (int32 omitempty); runAsNonRoot
    // false is kept (pointer). 2048Mi canonicalises to 2Gi.
    let expected = concat!(
        r#"{"metadata":{"creationTimestamp":null},"spec":{"#,
        r#""volumes":[{"name":"cache","emptyDir":{"sizeLimit":"2Gi"}},"#,
        r#"{"name":"config","configMap":{"name":"web-config","defaultMode":420}}],"#,
        r#""containers":[{"name":"web","resources":{},"#,
        r#""volumeMounts":[{"name":"config","readOnly":true,"mountPath":"/etc/web"}],"#,
        r#""livenessProbe":{"tcpSocket":{"port":8080},"initialDelaySeconds":10},"#,
        r#""readinessProbe":{"httpGet":{"path":"/healthz","port":"http"},"periodSeconds":5},"#,
        r#""securityContext":{"capabilities":{"drop":["ALL"]},"runAsNonRoot":false}}],"#,
        r#""terminationGracePeriodSeconds":0}}"#,
    );
    assert_eq!(go_json(value).unwrap(), expected);
}

#[test]
fn affinity_and_tolerations() {
    let value = json!({
        "spec": {
            "containers": [{"name": "web"}],
            "nodeSelector": {"zone": "a", "disk": "ssd"},
            "affinity": {
                "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 10, "preference": {"matchExpressions": [
                        {"key": "arch", "operator": "In", "values": ["arm64"]}
                    ]}}
                ]},
                "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}
                ]}
            },
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}]
        }
    });
    let expected = concat!(
        r#"{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"web","resources":{}}],"#,
        r#""nodeSelector":{"disk":"ssd","zone":"a"},"#,
        r#""affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":["#,
        r#"{"weight":10,"preference":{"matchExpressions":[{"key":"arch","operator":"In","values":["arm64"]}]}}]},"#,
        r#""podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":["#,
        r#"{"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"}]}},"#,
        r#""tolerations":[{"key":"dedicated","operator":"Equal","value":"web","effect":"NoSchedule"}]}}"#,
    );
    assert_eq!(go_json(value).unwrap(), expected);
}

#[test]
fn unknown_fields_are_named() {
    // gcePersistentDisk is a real volume source the tables leave out on purpose.
    let value = json!({"spec": {"containers": [{"name": "web"}],
        "volumes": [{"name": "disk", "gcePersistentDisk": {"pdName": "d1"}}]}});
    let error = go_json(value).unwrap_err();
    assert_eq!(
        error,
        GoJsonError::UnknownField {
            path: ".spec.volumes[0]".into(),
            field: "gcePersistentDisk".into(),
            go_type: "Volume"
        }
    );
    let typed = template(json!({"spec": {"containers": [{"name": "web"}],
        "volumes": [{"name": "disk", "gcePersistentDisk": {"pdName": "d1"}}]}}));
    let hashed = pod_template_hash(&typed, None);
    assert!(
        matches!(
            hashed,
            Err(ObjectError::GoEncoding {
                field: "spec.template",
                ..
            })
        ),
        "{hashed:?}"
    );
}

#[test]
fn a_value_of_the_wrong_type_is_named_by_its_path() {
    // Untyped values, so that the wrong types reach the encoder.
    let wrong_type = |value: Value| match encode(&POD_TEMPLATE_SPEC, &value) {
        Err(GoJsonError::WrongType { path, expected, .. }) => (path, expected),
        other => panic!("expected a wrong type, got {other:?}"),
    };
    assert_eq!(wrong_type(json!(5)), (".".to_string(), "an object"));
    assert_eq!(
        wrong_type(json!({"metadata": {"labels": {"app": 1}}})),
        (".metadata.labels[app]".to_string(), "a string")
    );
    assert_eq!(
        wrong_type(
            json!({"spec": {"containers": [{"name": "web"}, {"name": "side", "ports": [{"containerPort": "80"}]}]}})
        ),
        (
            ".spec.containers[1].ports[0].containerPort".to_string(),
            "an integer"
        )
    );
}

#[test]
fn control_characters_and_line_separators_are_escaped() {
    let value =
        json!({"metadata": {"annotations": {"k": "tab\there\u{1}\u{2028}"}}, "spec": {"containers": []}});
    // An empty containers list is not nil: Go writes `[]`.
    assert_eq!(
        go_json(value).unwrap(),
        r#"{"metadata":{"creationTimestamp":null,"annotations":{"k":"tab\there\u0001\u2028"}},"spec":{"containers":[]}}"#
    );
}

#[test]
fn step_hash_encodes_steps_in_go_order() {
    use linnet_crds::rollout::CanaryStep;
    let steps: Vec<CanaryStep> = serde_json::from_value(json!([
        {"setWeight": 20},
        {"pause": {"duration": "1h"}},
        {"analysis": {"templates": [{"templateName": "success-rate"}]}},
        {"setHeaderRoute": {"name": "hdr", "match": [{"headerName": "x-canary", "headerValue": {"exact": "yes"}}]}},
        {"pause": {}}
    ]))
    .unwrap();
    let value = serde_json::to_value(&steps).unwrap();
    let encoded = super::go_json::encode_list(&super::go_json_steps::CANARY_STEP, Some(&value)).unwrap();
    // RolloutAnalysis.analysisRunMetadata is a value struct: `{}` even though unset.
    let expected = concat!(
        r#"[{"setWeight":20},{"pause":{"duration":"1h"}},"#,
        r#"{"analysis":{"templates":[{"templateName":"success-rate"}],"analysisRunMetadata":{}}},"#,
        r#"{"setHeaderRoute":{"name":"hdr","match":[{"headerName":"x-canary","headerValue":{"exact":"yes"}}]}},"#,
        r#"{"pause":{}}]"#,
    );
    assert_eq!(encoded, expected);
    assert_eq!(
        canary_steps_hash(Some(&steps)).unwrap(),
        super::hash::hash_bytes(expected.as_bytes(), None)
    );
    // A nil list is Go's `null`, an empty one `[]`: different hashes.
    assert_eq!(
        canary_steps_hash(None).unwrap(),
        super::hash::hash_bytes(b"null", None)
    );
    assert_eq!(
        canary_steps_hash(Some(&[])).unwrap(),
        super::hash::hash_bytes(b"[]", None)
    );
}

#[test]
fn experiment_steps_are_reported_not_guessed() {
    use linnet_crds::rollout::CanaryStep;
    let steps: Vec<CanaryStep> =
        serde_json::from_value(json!([{"experiment": {"duration": "5m", "templates": []}}])).unwrap();
    let error = canary_steps_hash(Some(&steps)).unwrap_err();
    assert!(error.to_string().contains("experiment"), "{error}");
}

/// Step hashes recorded by real Argo Rollouts controllers in the status of the Rollouts kept
/// as fixtures in argo-rollouts' `pkg/kubectl-argo-rollouts/info/testdata`:
/// `canary/canary-rollout.yaml` (`currentStepHash: f64cdc9d`, recorded while pause durations
/// were integers of seconds) and `rollout-aborted/rollout.yaml` (`currentStepHash: 849b756fd4`).
#[test]
fn step_hashes_recorded_by_argo_controllers() {
    use linnet_crds::rollout::CanaryStep;
    let cases = [
        (
            json!([{"setWeight": 20}, {"pause": {}}, {"setWeight": 40}, {"pause": {"duration": 10}},
                   {"setWeight": 60}, {"pause": {"duration": 10}}, {"setWeight": 80}, {"pause": {"duration": 10}}]),
            "f64cdc9d",
        ),
        (json!([{"setWeight": 10}, {"pause": {}}]), "849b756fd4"),
    ];
    for (steps, expected) in cases {
        let steps: Vec<CanaryStep> = serde_json::from_value(steps).unwrap();
        assert_eq!(canary_steps_hash(Some(&steps)).unwrap(), expected);
    }
    // The same steps with "10s" instead of 10 encode differently, so they hash differently.
    let with_units: Vec<CanaryStep> =
        serde_json::from_value(json!([{"setWeight": 10}, {"pause": {"duration": "10s"}}])).unwrap();
    let with_ints: Vec<CanaryStep> =
        serde_json::from_value(json!([{"setWeight": 10}, {"pause": {"duration": 10}}])).unwrap();
    assert_ne!(
        canary_steps_hash(Some(&with_units)).unwrap(),
        canary_steps_hash(Some(&with_ints)).unwrap()
    );
}

#[test]
fn step_hash_is_empty_for_blue_green_and_hashes_canary_steps() {
    use linnet_crds::rollout::Rollout;
    let rollout = |strategy: Value| -> Rollout {
        serde_json::from_value(json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web"}, "spec": {"strategy": strategy}}))
        .unwrap()
    };
    assert_eq!(
        super::step_hash(&rollout(json!({"blueGreen": {"activeService": "web"}}))).unwrap(),
        ""
    );
    assert_eq!(
        super::step_hash(&rollout(
            json!({"canary": {"steps": [{"setWeight": 10}, {"pause": {}}]}})
        ))
        .unwrap(),
        "849b756fd4"
    );
    // A canary without steps hashes Go's nil slice.
    assert_eq!(
        super::step_hash(&rollout(json!({"canary": {}}))).unwrap(),
        super::hash::hash_bytes(b"null", None)
    );
}

#[test]
fn resource_claims_follow_scheduling_gates() {
    let value = json!({"spec": {"containers": [{"name": "ml"}],
        "resourceClaims": [{"name": "gpu", "resourceClaimTemplateName": "gpu-template"}],
        "schedulingGates": [{"name": "quota"}]}});
    assert_eq!(
        go_json(value).unwrap(),
        concat!(
            r#"{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"ml","resources":{}}],"#,
            r#""schedulingGates":[{"name":"quota"}],"#,
            r#""resourceClaims":[{"name":"gpu","resourceClaimTemplateName":"gpu-template"}]}}"#,
        )
    );
}
