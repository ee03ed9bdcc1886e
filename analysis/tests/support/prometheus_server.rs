//! A real Prometheus server (`/usr/bin/prometheus`) for a test: its own config and storage
//! in a temporary directory, listening on a free loopback port, scraping the given targets
//! every second. Killed when dropped, so a failing test leaves no server behind.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long Prometheus may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

pub struct Prometheus {
    pub address: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` (`host:port`) as job `app`.
    pub async fn start(targets: &[String]) -> Prometheus {
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = free_port();
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: [{}]\n",
            targets.join(", ")
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).expect("write the config");
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
            .expect("start /usr/bin/prometheus");
        let prometheus = Prometheus {
            address: format!("http://127.0.0.1:{port}"),
            child,
            _dir: dir,
        };
        prometheus.wait_until_ready().await;
        prometheus
    }

    async fn wait_until_ready(&self) {
        let client = reqwest_client();
        let deadline = Instant::now() + READY_TIMEOUT;
        let ready = format!("{}/-/ready", self.address);
        while Instant::now() < deadline {
            if let Ok(response) = client.get(&ready).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("Prometheus at {} not ready after {READY_TIMEOUT:?}", self.address);
    }

    /// Waits until `query` returns at least one series (bounded).
    pub async fn wait_for(&self, query: &str, timeout: Duration) {
        let client = reqwest_client();
        let deadline = Instant::now() + timeout;
        let url =
            reqwest::Url::parse_with_params(&format!("{}/api/v1/query", self.address), [("query", query)])
                .unwrap();
        while Instant::now() < deadline {
            if let Ok(response) = client.get(url.clone()).send().await
                && let Ok(body) = response.json::<serde_json::Value>().await
                && body["data"]["result"].as_array().is_some_and(|r| !r.is_empty())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("{query} returned nothing within {timeout:?}");
    }

    /// Kills the server now (the test goes on without it).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn reqwest_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client")
}
