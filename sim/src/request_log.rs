//! A log of the requests the sim answered, readable in-process and at `GET /sim/requests`, so
//! tests can assert on what a client sent and in which order, and benchmarks in the same
//! process can time what the server accepted (monotonic instants, not serialized).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

/// How many records are kept; older ones are dropped first.
const CAPACITY: usize = 100_000;

/// One answered request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// Position in the log, from 0, never reused.
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: String,
    pub content_type: Option<String>,
    /// The status code answered (200 for a watch stream, whatever it later carries).
    pub status: u16,
    /// When the request arrived (RFC 3339, microseconds).
    pub time: String,
    /// When the request arrived, on the monotonic clock of the sim's process.
    #[serde(skip)]
    pub arrived: Instant,
    /// When the answer was ready: for a write, the moment it was stored and its watch event
    /// handed to the watchers (a watch stream's answer is its start).
    #[serde(skip)]
    pub answered: Instant,
}

#[derive(Debug, Default)]
pub struct RequestLog {
    inner: Mutex<(u64, VecDeque<RequestRecord>)>,
}

impl RequestLog {
    pub fn record(&self, mut record: RequestRecord) {
        let mut guard = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (next, records) = &mut *guard;
        record.seq = *next;
        *next += 1;
        if records.len() == CAPACITY {
            records.pop_front();
        }
        records.push_back(record);
    }

    pub fn snapshot(&self) -> Vec<RequestRecord> {
        let guard = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.1.iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .1
            .clear();
    }
}
