//! How fast the sim answers the API, as a multiple of a bare HTTP round trip measured in the same run.
//!
//! Run it with `cargo bench -p linnet-sim --bench api` (release build; 10 to 30 s on 2 cores, by load).
//!
//! The baseline is a minimal hyper server in the same process answering every request with a fixed
//! 80-byte JSON body. The sim and the baseline are reached by the same raw hyper HTTP/1.1 client over
//! loopback, one keep-alive connection per client, in the same tokio runtime, so the client's cost is
//! the same on both sides. Machines are shared and noisy, so every timed sim request is paired with a
//! baseline round trip just before it (five for each LIST), and each ratio divides the figure's p50 by
//! the p50 of its own paired baseline (the `bare p50` column); the `bare round trip` row pools them all.
//!
//! Before timing, the sim is filled with 10,000 ConfigMaps in 4 namespaces (2,500 each) by 4
//! concurrent clients. Then 100 raw watch streams on
//! `/api/v1/configmaps?watch=true&resourceVersion=<now>` are opened and read for the rest of the run,
//! so every write after that reaches all 100 of them.
//!
//! The figures (latencies are from sending the request to having read the whole response body):
//! - `bare round trip`: GET to the baseline server.
//! - `GET one object`: GET of one ConfigMap chosen at random. Its ratio is the headline.
//! - `LIST 2500 objects`: GET of the ConfigMaps of one namespace.
//! - `merge PATCH, one label`: a merge patch setting one label on a random ConfigMap, with the 100
//!   watchers open; one patch at a time, each waiting until all watchers have its event.
//! - `merge PATCH, before the watchers`: the same, measured before the watch streams exist, so the
//!   difference between the two rows is what 100 watchers add to a write.
//! - `watch: answer to last watcher`: from the PATCH's response being read to its event (matched by
//!   resourceVersion) having arrived at all 100 watchers; 0 when every watcher had it first.
//! - `watch: PATCH sent to last/first watcher`: from sending the PATCH to its event arriving at the
//!   last (first) of the 100 watchers: a write's whole path to every watcher (to the quickest one).
//! - `create 10000 ConfigMaps`: POSTs from 4 concurrent clients, objects per second of wall time.
//! - `merge PATCH, 4 clients`: 4 concurrent clients patching random ConfigMaps back to back for 3 s,
//!   answered patches per second, beside the baseline's round trips per second from 4 clients;
//!   `watchers caught up` is how long after the last answer the last watcher had the last event.
//!
//! The closing line is the headline: GET p50 / bare p50 (the aim is within 3×).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue, USER_AGENT};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use linnet_sim::SimOptions;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

const OBJECTS: usize = 10_000;
const NAMESPACES: usize = 4;
const WATCHERS: usize = 100;
const WRITERS: usize = 4;
/// Samples of each latency figure; each is paired with a baseline round trip just before it.
const GETS: usize = 6_000;
const LISTS: usize = 80;
const PATCHES: usize = 1_000;
const THROUGHPUT_TIME: Duration = Duration::from_secs(3);
const STALL: Duration = Duration::from_secs(20);

const BARE_BODY: &[u8] =
    br#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":200}"#;
const MERGE_PATCH: &str = "application/merge-patch+json";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let bare_server = start_bare_server().await;
    let sim = linnet_sim::start(SimOptions::default())
        .await
        .expect("the sim starts");
    let mut bare = Client::connect(bare_server.0).await;
    let mut api = Client::connect(sim.addr()).await;
    let mut report = Report::default();

    for _ in 0..500 {
        bare.get("/").await;
        api.get("/version").await;
    }

    let created = fill(sim.addr()).await;
    let mut picker = Picker(0x9e37_79b9_7f4a_7c15);
    let mut seq = 0;

    let mut bare_quiet = Samples::default();
    let mut quiet = Samples::default();
    for _ in 0..PATCHES {
        bare_quiet.push(bare_once(&mut bare).await);
        seq += 1;
        let started = Instant::now();
        api.patch_label(picker.pick(OBJECTS), seq).await;
        quiet.push(started.elapsed());
    }

    let mut deliveries = Deliveries::open(sim.addr(), sim.resource_version()).await;

    let mut bare_get = Samples::default();
    let mut get = Samples::default();
    let mut get_bytes = 0;
    for _ in 0..GETS {
        bare_get.push(bare_once(&mut bare).await);
        let path = object_path(picker.pick(OBJECTS));
        let started = Instant::now();
        get_bytes = api.get(&path).await.len();
        get.push(started.elapsed());
    }
    report.latency(&format!("GET one object ({get_bytes} B)"), &get, &bare_get);
    report.headline = get.percentile(50) / bare_get.percentile(50);

    let mut bare_list = Samples::default();
    let mut list = Samples::default();
    let mut list_bytes = 0;
    for _ in 0..LISTS {
        for _ in 0..5 {
            bare_list.push(bare_once(&mut bare).await);
        }
        let started = Instant::now();
        list_bytes = api.get("/api/v1/namespaces/bench-0/configmaps").await.len();
        list.push(started.elapsed());
    }
    let per_namespace = OBJECTS / NAMESPACES;
    let name = format!("LIST {per_namespace} objects ({:.1} MB)", list_bytes as f64 / 1e6);
    report.latency(&name, &list, &bare_list);

    let mut bare_patch = Samples::default();
    let mut patch = Samples::default();
    let mut after_answer = Samples::default();
    let mut last_watcher = Samples::default();
    let mut first_watcher = Samples::default();
    for _ in 0..PATCHES {
        bare_patch.push(bare_once(&mut bare).await);
        seq += 1;
        let sent = Instant::now();
        let revision = api.patch_label(picker.pick(OBJECTS), seq).await;
        let answered = Instant::now();
        patch.push(answered - sent);
        let arrivals = deliveries.wait_for(revision).await;
        let last = arrivals.iter().max().copied().unwrap_or(answered);
        let first = arrivals.iter().min().copied().unwrap_or(answered);
        after_answer.push(last.saturating_duration_since(answered));
        last_watcher.push(last.saturating_duration_since(sent));
        first_watcher.push(first.saturating_duration_since(sent));
    }
    report.latency("merge PATCH, one label", &patch, &bare_patch);
    report.latency("merge PATCH, before the watchers", &quiet, &bare_quiet);
    report.latency("watch: answer to last watcher", &after_answer, &bare_patch);
    report.latency("watch: PATCH sent to last watcher", &last_watcher, &bare_patch);
    report.latency("watch: PATCH sent to first watcher", &first_watcher, &bare_patch);

    let bare_rate = bare_throughput(bare_server.0).await;
    let (patch_rate, last_revision) = patch_throughput(sim.addr(), seq).await;
    let finished = Instant::now();
    deliveries.wait_for(last_revision).await;
    let caught_up = finished.elapsed();

    for samples in [bare_quiet, bare_get, bare_list, bare_patch] {
        report.bare.0.extend(samples.0);
    }
    report.print(created, patch_rate, bare_rate, caught_up);
    bare_server.1.abort();
    drop(sim);
}

/// One timed baseline round trip.
async fn bare_once(bare: &mut Client) -> Duration {
    let started = Instant::now();
    bare.get("/").await;
    started.elapsed()
}

/// Creates the namespaces and the ConfigMaps; returns objects per second.
async fn fill(addr: SocketAddr) -> f64 {
    let mut client = Client::connect(addr).await;
    for ns in 0..NAMESPACES {
        let namespace =
            format!(r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"bench-{ns}"}}}}"#);
        client.create("/api/v1/namespaces", namespace).await;
    }
    let started = Instant::now();
    let writers: Vec<JoinHandle<()>> = (0..WRITERS)
        .map(|writer| {
            tokio::spawn(async move {
                let mut client = Client::connect(addr).await;
                for index in (writer..OBJECTS).step_by(WRITERS) {
                    let path = format!("/api/v1/namespaces/bench-{}/configmaps", index % NAMESPACES);
                    client.create(&path, config_map(index)).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("a writer finishes");
    }
    OBJECTS as f64 / started.elapsed().as_secs_f64()
}

fn config_map(index: usize) -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"cm-{index:05}","namespace":"bench-{ns}","labels":{{"app":"bench","shard":"{shard}"}}}},"data":{{"index":"{index}","settings":"replicas=3\nweight=10\nregion=eu-west-1\nowner=platform"}}}}"#,
        ns = index % NAMESPACES,
        shard = index % 10,
    )
}

fn object_path(index: usize) -> String {
    format!(
        "/api/v1/namespaces/bench-{}/configmaps/cm-{index:05}",
        index % NAMESPACES
    )
}

/// Round trips per second to the baseline from `WRITERS` clients for a third of the patch time.
async fn bare_throughput(addr: SocketAddr) -> f64 {
    let duration = THROUGHPUT_TIME / 3;
    let clients: Vec<JoinHandle<usize>> = (0..WRITERS)
        .map(|_| {
            tokio::spawn(async move {
                let mut client = Client::connect(addr).await;
                let started = Instant::now();
                let mut done = 0;
                while started.elapsed() < duration {
                    client.get("/").await;
                    done += 1;
                }
                done
            })
        })
        .collect();
    let started = Instant::now();
    let mut total = 0;
    for client in clients {
        total += client.await.expect("a client finishes");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// Patches per second from `WRITERS` clients, and the highest revision written.
async fn patch_throughput(addr: SocketAddr, seq: usize) -> (f64, u64) {
    let clients: Vec<JoinHandle<(usize, u64)>> = (0..WRITERS)
        .map(|writer| {
            tokio::spawn(async move {
                let mut client = Client::connect(addr).await;
                let mut picker = Picker(0x2545_f491_4f6c_dd1d + writer as u64);
                let started = Instant::now();
                let (mut done, mut revision) = (0, 0);
                while started.elapsed() < THROUGHPUT_TIME {
                    let label = seq + 1 + done * WRITERS + writer;
                    revision = revision.max(client.patch_label(picker.pick(OBJECTS), label).await);
                    done += 1;
                }
                (done, revision)
            })
        })
        .collect();
    let started = Instant::now();
    let (mut total, mut revision) = (0, 0);
    for client in clients {
        let (done, last) = client.await.expect("a client finishes");
        total += done;
        revision = revision.max(last);
    }
    (total as f64 / started.elapsed().as_secs_f64(), revision)
}

/// One keep-alive HTTP/1.1 connection.
struct Client {
    host: HeaderValue,
    sender: SendRequest<Full<Bytes>>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect over loopback");
        stream.set_nodelay(true).expect("set TCP_NODELAY");
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("an HTTP/1.1 handshake");
        tokio::spawn(connection);
        let host = HeaderValue::from_str(&addr.to_string()).expect("an address is a valid Host");
        Client { host, sender }
    }

    /// Sends a request and returns the response with its body still to read.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        content_type: &'static str,
        body: Bytes,
    ) -> Response<Incoming> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.host.clone())
            .header(USER_AGENT, "linnet-bench/0.1");
        if !body.is_empty() {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let request = request.body(Full::new(body)).expect("a valid request");
        self.sender.ready().await.expect("the connection stays open");
        self.sender.send_request(request).await.expect("a response")
    }

    /// One round trip; panics unless the answer is a success.
    async fn call(&mut self, method: Method, path: &str, content_type: &'static str, body: Bytes) -> Bytes {
        let response = self.send(method.clone(), path, content_type, body).await;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a whole body")
            .to_bytes();
        if !status.is_success() {
            panic!("{method} {path}: {status} {}", String::from_utf8_lossy(&body));
        }
        body
    }

    async fn get(&mut self, path: &str) -> Bytes {
        self.call(Method::GET, path, "", Bytes::new()).await
    }

    async fn create(&mut self, path: &str, object: String) -> Bytes {
        self.call(Method::POST, path, "application/json", object.into())
            .await
    }

    /// Sets the label `bench-seq` of object `index` to `seq`; returns the written resourceVersion.
    async fn patch_label(&mut self, index: usize, seq: usize) -> u64 {
        let patch = format!(r#"{{"metadata":{{"labels":{{"bench-seq":"{seq}"}}}}}}"#);
        let body = self
            .call(Method::PATCH, &object_path(index), MERGE_PATCH, patch.into())
            .await;
        resource_version(&body).expect("a patched object has a resourceVersion")
    }
}

/// The first `"resourceVersion":"N"` in a JSON text: the object's own, in a ConfigMap or an event.
fn resource_version(json: &[u8]) -> Option<u64> {
    const KEY: &[u8] = br#""resourceVersion":""#;
    let start = json.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let digits = json[start..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&json[start..start + digits])
        .ok()?
        .parse()
        .ok()
}

/// An event line read by one watcher.
struct Arrival {
    watcher: usize,
    revision: u64,
    at: Instant,
}

/// The 100 watch streams and what each has seen.
struct Deliveries {
    arrivals: UnboundedReceiver<Arrival>,
    /// The last revision each watcher saw, and when.
    latest: Vec<(u64, Instant)>,
}

impl Deliveries {
    /// Opens the watch streams from `revision` and returns once the sim has answered all of them.
    async fn open(addr: SocketAddr, revision: u64) -> Deliveries {
        let (sender, arrivals) = unbounded_channel();
        let path = format!("/api/v1/configmaps?watch=true&resourceVersion={revision}");
        for watcher in 0..WATCHERS {
            let mut client = Client::connect(addr).await;
            let response = client.send(Method::GET, &path, "", Bytes::new()).await;
            assert!(response.status().is_success(), "watch: {}", response.status());
            tokio::spawn(follow(watcher, client, response.into_body(), sender.clone()));
        }
        let latest = vec![(revision, Instant::now()); WATCHERS];
        Deliveries { arrivals, latest }
    }

    /// Waits until every watcher has seen `revision`; returns when each first saw it (or later).
    async fn wait_for(&mut self, revision: u64) -> Vec<Instant> {
        let mut missing = self.latest.iter().filter(|(seen, _)| *seen < revision).count();
        while missing > 0 {
            let arrival = tokio::time::timeout(STALL, self.arrivals.recv())
                .await
                .unwrap_or_else(|_| panic!("a watcher never saw revision {revision}"))
                .expect("the watch streams stay open");
            let slot = &mut self.latest[arrival.watcher];
            if slot.0 < revision && arrival.revision >= revision {
                missing -= 1;
            }
            *slot = (arrival.revision, arrival.at);
        }
        self.latest.iter().map(|(_, at)| *at).collect()
    }
}

/// Reads one watch stream line by line, reporting each event's revision and arrival time.
async fn follow(watcher: usize, _client: Client, mut body: Incoming, arrivals: UnboundedSender<Arrival>) {
    let mut pending = Vec::new();
    while let Some(Ok(frame)) = body.frame().await {
        let at = Instant::now();
        let Ok(data) = frame.into_data() else { continue };
        pending.extend_from_slice(&data);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            if let Some(revision) = resource_version(&pending[..end]) {
                let _ = arrivals.send(Arrival {
                    watcher,
                    revision,
                    at,
                });
            }
            pending.drain(..=end);
        }
    }
}

/// The baseline: a hyper server answering every request with `BARE_BODY`.
async fn start_bare_server() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind loopback");
    let addr = listener.local_addr().expect("a bound address");
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|_request: Request<Incoming>| async {
                    let mut response = Response::new(Full::new(Bytes::from_static(BARE_BODY)));
                    response
                        .headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    Ok::<_, Infallible>(response)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, task)
}

/// Random object indices, the same sequence every run (xorshift64*).
struct Picker(u64);

impl Picker {
    fn pick(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as usize % n
    }
}

#[derive(Default)]
struct Samples(Vec<Duration>);

impl Samples {
    fn push(&mut self, sample: Duration) {
        self.0.push(sample);
    }

    /// The `p`th percentile (nearest rank) in µs.
    fn percentile(&self, p: usize) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        let rank = (sorted.len() * p).div_ceil(100).clamp(1, sorted.len());
        sorted[rank - 1].as_secs_f64() * 1e6
    }
}

/// The latency rows, printed once all are measured.
#[derive(Default)]
struct Report {
    bare: Samples,
    rows: Vec<(String, usize, f64, f64, f64)>,
    /// GET p50 / bare p50.
    headline: f64,
}

impl Report {
    fn latency(&mut self, name: &str, samples: &Samples, bare: &Samples) {
        let (p50, p99, base) = (
            samples.percentile(50),
            samples.percentile(99),
            bare.percentile(50),
        );
        self.rows
            .push((name.to_string(), samples.0.len(), p50, p99, base));
    }

    fn print(&self, created: f64, patch_rate: f64, bare_rate: f64, caught_up: Duration) {
        let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!(
            "linnet-sim API: {OBJECTS} ConfigMaps in {NAMESPACES} namespaces, {WATCHERS} watchers, {cpus} CPUs"
        );
        println!();
        println!(
            "{:<36} {:>6} {:>10} {:>10} {:>10} {:>10}",
            "latency", "n", "p50 µs", "p99 µs", "bare p50", "p50/bare"
        );
        let bare = &self.bare;
        let (p50, p99) = (bare.percentile(50), bare.percentile(99));
        println!(
            "{:<36} {:>6} {p50:>10.1} {p99:>10.1} {p50:>10.1} {:>9.2}×",
            "bare round trip (80 B)",
            bare.0.len(),
            1.0
        );
        for (name, n, p50, p99, base) in &self.rows {
            println!(
                "{name:<36} {n:>6} {p50:>10.1} {p99:>10.1} {base:>10.1} {:>9.2}×",
                p50 / base
            );
        }
        println!();
        println!(
            "{:<36} {:>14} {:>14} {:>10}",
            "rate", "sim /s", "bare /s", "sim/bare"
        );
        println!(
            "{:<36} {created:>14.0}",
            format!("create {OBJECTS} ConfigMaps, {WRITERS} clients")
        );
        println!(
            "{:<36} {patch_rate:>14.0} {bare_rate:>14.0} {:>9.3}×",
            format!("merge PATCH, {WRITERS} clients"),
            patch_rate / bare_rate
        );
        println!(
            "watchers caught up {:.1} ms after the last patch answer",
            caught_up.as_secs_f64() * 1e3
        );
        println!();
        println!(
            "headline: GET p50 / bare round trip p50 = {:.2}× (aim: within 3×)",
            self.headline
        );
    }
}
