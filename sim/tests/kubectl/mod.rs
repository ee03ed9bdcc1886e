//! Running the real kubectl 1.32 against a sim: the binary, a private cache dir, manifests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::AsyncWriteExt;

/// The bundled kubectl 1.32, called directly so the dispatcher cannot pick another version.
pub const KUBECTL: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";

/// The outcome of one kubectl run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with the command's output unless it exited 0.
    pub fn ok(self, what: &str) -> Run {
        assert_eq!(
            self.code, 0,
            "{what} failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics unless it failed with `needle` in its error output.
    pub fn fails_with(self, what: &str, needle: &str) -> Run {
        assert_ne!(self.code, 0, "{what} should fail: {}", self.stdout);
        assert!(
            self.stderr.contains(needle),
            "{what}: expected {needle:?} in stderr: {}",
            self.stderr
        );
        self
    }
}

/// kubectl bound to one sim, with its own cache and manifest directory.
pub struct Kubectl {
    kubeconfig: PathBuf,
    dir: tempfile::TempDir,
}

impl Kubectl {
    /// kubectl 1.32 is a real part of the suite: its absence fails the test.
    pub fn new(kubeconfig: &Path) -> Kubectl {
        assert!(
            Path::new(KUBECTL).exists(),
            "{KUBECTL} is not installed: the kubectl tests need it"
        );
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        Kubectl {
            kubeconfig: kubeconfig.to_path_buf(),
            dir,
        }
    }

    /// Writes a manifest (or any file) into the private directory and returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir: {e}"));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {name}: {e}"));
        path.display().to_string()
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None).await
    }

    pub async fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let cache = self.dir.path().join("cache");
        let mut command = tokio::process::Command::new(KUBECTL);
        command
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(&cache)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run kubectl: {e}"));
        if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
            input
                .write_all(text.as_bytes())
                .await
                .unwrap_or_else(|e| panic!("kubectl stdin: {e}"));
        }
        let output = child
            .wait_with_output()
            .await
            .unwrap_or_else(|e| panic!("kubectl: {e}"));
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `-o jsonpath=...` of one object, trimmed.
    pub async fn jsonpath(&self, args: &[&str], path: &str) -> String {
        let expression = format!("jsonpath={path}");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["-o", &expression]);
        self.run(&all)
            .await
            .ok(&format!("get {args:?} {path}"))
            .stdout
            .trim()
            .to_string()
    }
}

pub const NAMESPACE: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: smoke
";

pub const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: rollouts.demo.example.io
spec:
  group: demo.example.io
  scope: Namespaced
  names:
    plural: rollouts
    singular: rollout
    kind: Rollout
    shortNames: [ro]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              replicas: {type: integer}
              image: {type: string}
          status:
            type: object
            properties:
              phase: {type: string}
              replicas: {type: integer}
";

pub fn deployment(image: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: {image}
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: smoke
"
    )
}

pub const ROLLOUT: &str = "apiVersion: demo.example.io/v1
kind: Rollout
metadata:
  name: ro1
spec:
  replicas: 1
  image: nginx:1.27
";

pub const CONFIGMAP: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  colour: blue
";

pub const CONFIGMAP_UNKNOWN_FIELD: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg-extra
data:
  colour: blue
spec:
  foo: 1
";
