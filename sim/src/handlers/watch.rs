//! Watch streams: a chunked response with one JSON event per line.
//!
//! Start: `resourceVersion` unset or `0` (or `sendInitialEvents=true`) sends the current objects
//! as ADDED first; `N` resumes after N from the history, and a version older than the history
//! gets one ERROR event with a 410 Status, the way the apiserver tells clients to relist.
//! Each watch runs on its own task, filtering the shared events by namespace and selectors (an
//! object leaving a label selector is DELETED for that watcher, one entering it is ADDED).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Response;
use hyper::body::Frame;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};
use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio::time::{Instant, MissedTickBehavior};

use super::Ctx;
use super::list::Selectors;
use crate::errors::ApiError;
use crate::http::Body;
use crate::store::{EventType, WatchEvent};

/// The server's own watch timeout when the client sets none (the apiserver's minimum).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

/// A body fed line by line from the watch task.
struct WatchBody {
    lines: mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for WatchBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.lines
            .poll_recv(cx)
            .map(|line| line.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// Which events a watcher sees and in which form.
struct Filter {
    namespace: Option<String>,
    selectors: Selectors,
    partial: bool,
}

impl Filter {
    /// The event type this watcher sees for `event`, if any.
    fn view(&self, event: &WatchEvent) -> Option<EventType> {
        if self.namespace.as_deref().is_some_and(|ns| ns != event.namespace) {
            return None;
        }
        if self.selectors.is_empty() {
            return Some(event.event_type);
        }
        let now = self.selectors.matches(&event.object);
        match event.event_type {
            EventType::Added | EventType::Deleted => now.then_some(event.event_type),
            EventType::Modified => {
                let before = event
                    .previous
                    .as_deref()
                    .is_some_and(|p| self.selectors.matches(p));
                match (before, now) {
                    (true, true) => Some(EventType::Modified),
                    (true, false) => Some(EventType::Deleted),
                    (false, true) => Some(EventType::Added),
                    (false, false) => None,
                }
            }
        }
    }

    fn encode(&self, event: &WatchEvent) -> Option<Bytes> {
        let seen_as = self.view(event)?;
        let slot = seen_as.slot() + if self.partial { 3 } else { 0 };
        Some(
            event.encoded[slot]
                .get_or_init(|| encode_line(seen_as.as_str(), &event.object, self.partial))
                .clone(),
        )
    }
}

/// The JSON of the object `event` stored, cut from the watch line every watcher of the full
/// object is sent, so that the writer's answer and the watchers share one encoding.
pub fn object_json(event: &WatchEvent) -> Bytes {
    let event_type = event.event_type;
    let line = event.encoded[event_type.slot()]
        .get_or_init(|| encode_line(event_type.as_str(), &event.object, false))
        .clone();
    let start = LINE_START.len() + event_type.as_str().len() + LINE_OBJECT.len();
    line.slice(start..line.len().saturating_sub(LINE_END.len()).max(start))
}

const LINE_START: &[u8] = b"{\"type\":\"";
const LINE_OBJECT: &[u8] = b"\",\"object\":";
const LINE_END: &[u8] = b"}\n";

fn encode_line(event_type: &str, object: &Value, partial: bool) -> Bytes {
    let mut line = Vec::with_capacity(512);
    line.extend_from_slice(LINE_START);
    line.extend_from_slice(event_type.as_bytes());
    line.extend_from_slice(LINE_OBJECT);
    let written = if partial {
        serde_json::to_writer(&mut line, &super::partial_metadata(object))
    } else {
        serde_json::to_writer(&mut line, object)
    };
    if written.is_err() {
        line.extend_from_slice(b"null");
    }
    line.extend_from_slice(LINE_END);
    Bytes::from(line)
}

fn bookmark(ctx_kind: &(String, String), revision: u64, initial_end: bool) -> Bytes {
    let mut metadata = json!({"resourceVersion": revision.to_string()});
    if initial_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    let object = json!({"kind": ctx_kind.0, "apiVersion": ctx_kind.1, "metadata": metadata});
    encode_line("BOOKMARK", &object, false)
}

/// Where the stream starts.
enum Start {
    /// Current objects as ADDED, then changes.
    Snapshot,
    /// Changes after this revision.
    After(u64),
}

fn parse_start(ctx: &Ctx<'_>) -> Result<(Start, bool), ApiError> {
    let send_initial = match ctx.query.get("sendInitialEvents") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "invalid sendInitialEvents value {other:?}"
            )));
        }
    };
    if send_initial == Some(true) && !ctx.query.flag("allowWatchBookmarks") {
        return Err(ApiError::UnprocessableEntity(
            "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents requires \
             setting allowWatchBookmarks=true"
                .into(),
        ));
    }
    if send_initial.is_some() && ctx.query.get("resourceVersionMatch") != Some("NotOlderThan") {
        return Err(ApiError::UnprocessableEntity(
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires \
             setting resourceVersionMatch=NotOlderThan"
                .into(),
        ));
    }
    let version = ctx.query.get("resourceVersion").unwrap_or_default();
    let start = match (version, send_initial) {
        (_, Some(true)) | ("" | "0", None) => Start::Snapshot,
        ("" | "0", Some(false)) => Start::After(u64::MAX),
        (n, _) => Start::After(
            n.parse()
                .map_err(|_| ApiError::BadRequest(format!("invalid resource version: {n:?}")))?,
        ),
    };
    Ok((start, send_initial == Some(true)))
}

pub fn handle(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let selectors = Selectors::from_query(ctx)?;
    let (start, initial_end_bookmark) = parse_start(ctx)?;
    let bookmarks = ctx.query.flag("allowWatchBookmarks");
    let timeout = match ctx.query.get("timeoutSeconds") {
        Some(secs) => Duration::from_secs(
            secs.parse()
                .map_err(|_| ApiError::BadRequest(format!("invalid timeoutSeconds {secs:?}")))?,
        ),
        None => DEFAULT_TIMEOUT,
    };
    let filter = Filter {
        namespace: ctx.path.namespace.clone(),
        selectors,
        partial: ctx.accept.partial_metadata,
    };
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let mut first_lines = Vec::new();
    let (events, start_revision) = {
        let mut world = ctx.state.lock();
        let resource = ctx.desc.id();
        let revision = world.store.revision();
        let events = match start {
            Start::Snapshot => {
                for object in world.store.list(&resource, filter.namespace.as_deref()) {
                    if filter.selectors.matches(object) {
                        first_lines.push(encode_line("ADDED", object, filter.partial));
                    }
                }
                world.store.subscribe(&resource)
            }
            Start::After(since) => match world.store.events_since(&resource, since.min(revision)) {
                Ok(backlog) => {
                    first_lines.extend(backlog.iter().filter_map(|e| filter.encode(e)));
                    world.store.subscribe(&resource)
                }
                Err(too_old) => {
                    drop(world);
                    let expired = ApiError::Expired(format!(
                        "too old resource version: {} ({})",
                        too_old.requested, too_old.oldest
                    ));
                    first_lines.push(encode_line("ERROR", &expired.status_body(), false));
                    return Ok(stream_response(ctx, rx, tx, first_lines));
                }
            },
        };
        (events, revision)
    };
    if initial_end_bookmark {
        first_lines.push(bookmark(&kind_of(ctx), start_revision, true));
    }
    let task = WatchTask {
        filter,
        kind: kind_of(ctx),
        bookmarks,
        bookmark_interval: ctx.state.bookmark_interval,
        started: Instant::now(),
        timeout,
        lifetime: ctx.state.watch_lifetime_signal(),
        revision: start_revision,
        shutdown: ctx.state.shutdown_signal(),
    };
    let response = stream_response(ctx, rx, tx.clone(), Vec::new());
    tokio::spawn(task.run(tx, first_lines, events));
    Ok(response)
}

fn kind_of(ctx: &Ctx<'_>) -> (String, String) {
    if ctx.accept.partial_metadata {
        ("PartialObjectMetadata".into(), "meta.k8s.io/v1".into())
    } else {
        (ctx.desc.kind.clone(), ctx.desc.api_version())
    }
}

/// A streaming response; `lines` given here are sent and the stream then ends.
fn stream_response(
    _ctx: &Ctx<'_>,
    rx: mpsc::Receiver<Bytes>,
    tx: mpsc::Sender<Bytes>,
    lines: Vec<Bytes>,
) -> Response<Body> {
    if !lines.is_empty() {
        tokio::spawn(async move {
            for line in lines {
                if tx.send(line).await.is_err() {
                    break;
                }
            }
        });
    }
    let mut response = Response::new(WatchBody { lines: rx }.boxed());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

struct WatchTask {
    filter: Filter,
    kind: (String, String),
    bookmarks: bool,
    bookmark_interval: Duration,
    started: Instant,
    timeout: Duration,
    /// The injected "drop watches after N seconds" fault; it can change while the watch runs.
    lifetime: tokio::sync::watch::Receiver<Option<Duration>>,
    revision: u64,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

impl WatchTask {
    /// When the watch ends: its timeout, or sooner under the lifetime fault.
    fn deadline(&self) -> Instant {
        let cut = (*self.lifetime.borrow()).map_or(self.timeout, |cap| cap.min(self.timeout));
        self.started + cut
    }

    async fn run(
        mut self,
        tx: mpsc::Sender<Bytes>,
        first_lines: Vec<Bytes>,
        mut events: UnboundedReceiver<Arc<WatchEvent>>,
    ) {
        for line in first_lines {
            if tx.send(line).await.is_err() {
                return;
            }
        }
        let mut ticker =
            tokio::time::interval_at(Instant::now() + self.bookmark_interval, self.bookmark_interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut lifetime_followed = true;
        // One timer for the watch's end, moved only when the lifetime fault changes: a timer
        // made anew for every event was a timer-wheel insert and removal per event and watcher.
        let deadline = tokio::time::sleep_until(self.deadline());
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                event = events.recv() => {
                    let Some(event) = event else { return };
                    self.revision = self.revision.max(event.revision);
                    if let Some(line) = self.filter.encode(&event)
                        && tx.send(line).await.is_err()
                    {
                        return;
                    }
                }
                _ = ticker.tick(), if self.bookmarks => {
                    if tx.send(bookmark(&self.kind, self.revision, false)).await.is_err() {
                        return;
                    }
                }
                _ = &mut deadline => return,
                changed = self.lifetime.changed(), if lifetime_followed => {
                    lifetime_followed = changed.is_ok();
                    deadline.as_mut().reset(self.deadline());
                }
                _ = tx.closed() => return,
                _ = self.shutdown.changed() => return,
            }
        }
    }
}
