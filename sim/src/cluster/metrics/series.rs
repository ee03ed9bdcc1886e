//! Per-pod request counters and latency histograms, accumulated without allocation.

/// Upper bounds of the latency buckets, in seconds (5 ms to 10 s).
pub const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The identity of a series: the labels of `sim_http_requests_total` less `code`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub namespace: String,
    pub service: String,
    pub pod: String,
    pub pod_template_hash: String,
}

/// Counts of one series. `in_bucket[i]` counts latencies in (BUCKETS[i-1], BUCKETS[i]];
/// latencies above the last bound count only in `count`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub ok: u64,
    pub errors: u64,
    pub latency_sum: f64,
    pub in_bucket: [u64; BUCKETS.len()],
}

impl Counts {
    pub fn count(&self) -> u64 {
        self.ok + self.errors
    }

    pub fn record(&mut self, error: bool, latency_seconds: f64) {
        if error {
            self.errors += 1;
        } else {
            self.ok += 1;
        }
        self.latency_sum += latency_seconds;
        if let Some(bucket) = BUCKETS.iter().position(|bound| latency_seconds <= *bound) {
            self.in_bucket[bucket] += 1;
        }
    }

    pub fn add(&mut self, other: &Counts) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.latency_sum += other.latency_sum;
        for (mine, theirs) in self.in_bucket.iter_mut().zip(other.in_bucket) {
            *mine += theirs;
        }
    }

    /// Cumulative bucket counts, as the exposition format wants (`le` buckets, then +Inf).
    pub fn cumulative(&self) -> [u64; BUCKETS.len()] {
        let mut running = 0;
        let mut out = [0; BUCKETS.len()];
        for (slot, count) in out.iter_mut().zip(self.in_bucket) {
            running += count;
            *slot = running;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_land_in_the_first_bucket_that_holds_them() {
        let mut counts = Counts::default();
        counts.record(false, 0.005);
        counts.record(true, 0.007);
        counts.record(false, 0.3);
        counts.record(false, 42.0);
        assert_eq!(counts.ok, 3);
        assert_eq!(counts.errors, 1);
        assert_eq!(counts.in_bucket[0], 1);
        assert_eq!(counts.in_bucket[1], 1);
        assert_eq!(counts.in_bucket[6], 1);
        let cumulative = counts.cumulative();
        assert_eq!(cumulative[0], 1);
        assert_eq!(cumulative[5], 2);
        assert_eq!(cumulative[10], 3, "42 s only counts in +Inf");
        assert_eq!(counts.count(), 4);
        assert!((counts.latency_sum - 42.312).abs() < 1e-9);
    }

    #[test]
    fn add_sums_everything() {
        let mut a = Counts::default();
        a.record(false, 0.02);
        let mut b = Counts::default();
        b.record(true, 0.02);
        a.add(&b);
        assert_eq!((a.ok, a.errors, a.in_bucket[2]), (1, 1, 2));
    }
}
