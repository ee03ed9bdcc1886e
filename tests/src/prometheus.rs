//! A real Prometheus server (`/usr/bin/prometheus`, Debian's package) for a test: its own
//! config and storage in a temporary directory, a free loopback port, scraping the given
//! targets every second. Killed when dropped.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http;

pub struct Prometheus {
    /// `127.0.0.1:PORT`
    pub addr: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` (`host:port`, path `/metrics`) and waits until it is ready.
    pub fn start(targets: &[String]) -> Result<Prometheus, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let port = free_port()?;
        let quoted: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: sim\n    static_configs:\n      - targets: [{}]\n",
            quoted.join(", ")
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).map_err(|e| format!("write config: {e}"))?;
        let child = Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start /usr/bin/prometheus (apt-get install prometheus): {e}"))?;
        let prometheus = Prometheus {
            addr: format!("127.0.0.1:{port}"),
            child,
            _dir: dir,
        };
        prometheus.wait_until_ready(Duration::from_secs(20))?;
        Ok(prometheus)
    }

    fn wait_until_ready(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if matches!(http::get(&self.addr, "/-/ready"), Ok((200, _))) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("Prometheus at {} not ready after {timeout:?}", self.addr))
    }

    /// The values of an instant query's result (one per series; a scalar gives one value).
    pub fn query(&self, promql: &str) -> Result<Vec<f64>, String> {
        let (status, body) = http::get(
            &self.addr,
            &format!("/api/v1/query?query={}", http::encode(promql)),
        )?;
        let json: Value = serde_json::from_str(&body).map_err(|e| format!("{status}: {e}: {body}"))?;
        if json["status"] != "success" {
            return Err(format!("{promql}: {body}"));
        }
        let parse = |v: &Value| v[1].as_str().and_then(|s| s.parse::<f64>().ok());
        match json["data"]["resultType"].as_str() {
            Some("vector") => Ok(json["data"]["result"]
                .as_array()
                .map(|series| series.iter().filter_map(|s| parse(&s["value"])).collect())
                .unwrap_or_default()),
            Some("scalar") => Ok(parse(&json["data"]["result"]).into_iter().collect()),
            other => Err(format!("{promql}: unexpected result type {other:?}")),
        }
    }

    /// Polls `promql` until it yields a value for which `accept` holds, or the time is up;
    /// returns the last value seen either way.
    pub fn poll(&self, promql: &str, timeout: Duration, accept: impl Fn(f64) -> bool) -> Option<f64> {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        while Instant::now() < deadline {
            if let Ok(values) = self.query(promql)
                && let Some(v) = values.first().copied().filter(|v| v.is_finite())
            {
                last = Some(v);
                if accept(v) {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        last
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}
