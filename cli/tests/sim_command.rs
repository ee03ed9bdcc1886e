//! `linnet sim` as a user starts it: it prints its addresses, answers, writes a kubeconfig,
//! serves the simulated cluster's metrics, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills the process if the test fails before it stops it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

#[test]
fn sim_starts_on_a_free_port_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    let child = Command::new(env!("CARGO_BIN_EXE_linnet"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
            "--kubeconfig",
        ])
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .spawn()
        .expect("linnet sim starts");
    let mut sim = Running(child);
    let mut lines = BufReader::new(sim.0.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let url = first.rsplit(' ').next().expect("an address").to_string();
    let addr = url.trim_start_matches("http://").to_string();
    assert!(addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"), "{first}");

    let version = http_get(&addr, "/version");
    assert!(version.starts_with("HTTP/1.1 200"), "{version}");
    assert!(version.contains("\"minor\":\"32\""), "{version}");
    let written = std::fs::read_to_string(&kubeconfig).expect("kubeconfig written");
    assert!(written.contains(&url), "{written}");

    // The simulated cluster's metrics are served too.
    let _kubeconfig_line = lines.next().expect("a line").expect("utf-8");
    let metrics_line = lines.next().expect("a metrics line").expect("utf-8");
    let metrics_url = metrics_line.rsplit(' ').next().expect("an address");
    let metrics_addr = metrics_url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics");
    let metrics = http_get(metrics_addr, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");

    let pid = sim.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs")
            .success()
    );
    let status = sim.0.wait().expect("exits");
    assert!(status.success(), "exit status {status}");
}
