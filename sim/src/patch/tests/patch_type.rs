//! Telling patch types apart by `Content-Type`, and the status code of each error.

use crate::patch::{FieldConflict, PatchError, PatchType};

#[test]
fn each_patch_media_type_is_recognised() {
    for patch_type in [
        PatchType::Json,
        PatchType::Merge,
        PatchType::StrategicMerge,
        PatchType::Apply,
    ] {
        assert_eq!(
            PatchType::from_content_type(patch_type.content_type()),
            Some(patch_type)
        );
    }
}

#[test]
fn parameters_and_case_are_ignored() {
    assert_eq!(
        PatchType::from_content_type("application/merge-patch+json; charset=utf-8"),
        Some(PatchType::Merge)
    );
    assert_eq!(
        PatchType::from_content_type("Application/Apply-Patch+YAML"),
        Some(PatchType::Apply)
    );
}

#[test]
fn other_media_types_are_not_patches() {
    for content_type in [
        "application/json",
        "application/yaml",
        "",
        ";",
        "text/plain; application/json-patch+json",
    ] {
        assert_eq!(PatchType::from_content_type(content_type), None, "{content_type}");
    }
}

#[test]
fn errors_map_to_the_apiserver_status_codes() {
    assert_eq!(PatchError::Malformed(String::new()).status_code(), 400);
    assert_eq!(PatchError::TestFailed(String::new()).status_code(), 422);
    assert_eq!(PatchError::Invalid(String::new()).status_code(), 422);
    assert_eq!(PatchError::Conflict(vec![]).status_code(), 409);
}

#[test]
fn conflict_message_names_manager_and_field() {
    let conflict = FieldConflict {
        manager: "kubectl-edit".into(),
        field: ".spec.replicas".into(),
    };
    let message = PatchError::Conflict(vec![conflict]).to_string();
    assert_eq!(
        message,
        "Apply failed with 1 conflict: conflict with \"kubectl-edit\": .spec.replicas"
    );
}
