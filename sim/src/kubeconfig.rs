//! The kubeconfig file the sim writes so kubectl and kube-rs can reach it: plain HTTP on
//! loopback, no credentials.

use std::net::SocketAddr;
use std::path::Path;

pub const CONTEXT: &str = "linnet-sim";

/// The kubeconfig text for a sim listening on `addr`.
pub fn render(addr: SocketAddr) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: http://{addr}
users:
- name: {CONTEXT}
  user: {{}}
contexts:
- name: {CONTEXT}
  context:
    cluster: {CONTEXT}
    user: {CONTEXT}
    namespace: default
current-context: {CONTEXT}
preferences: {{}}
"
    )
}

pub fn write(path: &Path, addr: SocketAddr) -> std::io::Result<()> {
    std::fs::write(path, render(addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_server_and_context() {
        let text = render(SocketAddr::from(([127, 0, 0, 1], 4321)));
        assert!(text.contains("server: http://127.0.0.1:4321"));
        assert!(text.contains("current-context: linnet-sim"));
        let parsed: Result<serde_json::Value, _> = serde_saphyr::from_str(&text);
        assert!(parsed.is_ok_and(|v| v["clusters"][0]["cluster"]["server"] == "http://127.0.0.1:4321"));
    }
}
