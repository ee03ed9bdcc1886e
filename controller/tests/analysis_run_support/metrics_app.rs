//! A loopback endpoint in the Prometheus text format: request counters for a `stable`
//! version (99 OK and 1 error more per scrape) and a `canary` (70 OK and 30 errors more).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub struct MetricsApp {
    pub address: SocketAddr,
    task: JoinHandle<()>,
}

impl MetricsApp {
    pub async fn start() -> MetricsApp {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|error| panic!("no loopback port: {error}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|error| panic!("no address: {error}"));
        let scrapes = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let n = scrapes.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    let _ = stream.read(&mut buffer).await;
                    let body = exposition(n);
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        MetricsApp { address, task }
    }
}

impl Drop for MetricsApp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn exposition(n: u64) -> String {
    format!(
        "# TYPE app_requests_total counter\n\
         app_requests_total{{version=\"stable\",code=\"200\"}} {}\n\
         app_requests_total{{version=\"stable\",code=\"500\"}} {}\n\
         app_requests_total{{version=\"canary\",code=\"200\"}} {}\n\
         app_requests_total{{version=\"canary\",code=\"500\"}} {}\n",
        99 * n,
        n,
        70 * n,
        30 * n
    )
}
