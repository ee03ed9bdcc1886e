//! The committed CRD YAML matches what the types generate.

use std::path::Path;

use linnet_crds::crd;

#[test]
fn committed_crds_match_the_types() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = crd::files().expect("CRDs render");
    assert_eq!(files.len(), 7);
    for dir in crd::COMMITTED_DIRS {
        let dir = root.join(dir);
        for (name, yaml) in &files {
            let path = dir.join(name);
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                &committed == yaml,
                "{} is missing or stale: regenerate with `{}`",
                path.display(),
                crd::REGENERATE
            );
        }
        let present = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(
            present,
            files.len(),
            "{} holds files that are not generated CRDs",
            dir.display()
        );
    }
}
