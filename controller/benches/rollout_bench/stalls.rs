//! The machine's own stalls, recorded beside the samples.
//!
//! A thread of its own sleeps 1 ms at a time and notes how late it wakes. On a shared host the
//! virtual CPUs are now and then not run at all for a few milliseconds; a thread that sleeps
//! then wakes that much late, whatever the process does (run alone on the idle machine, the
//! probe sees the same stalls). A wake-up can also be late because every core was busy, this
//! process's threads included, but not by milliseconds: the kernel runs a thread that mostly
//! sleeps soon after it wakes. The figures say how many of the slowest samples overlapped a
//! late wake-up. The probe wakes 1,000 times a second for a few microseconds each, and every
//! [`STEAL_EVERY`] wake-ups reads how much time the host has taken from the CPUs (`steal`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::steal::{CpuTimes, StealLog};

const PERIOD: Duration = Duration::from_millis(1);
/// Wake-ups between two readings of the host's steal: about 50 ms, five of its ticks.
const STEAL_EVERY: usize = 50;

/// One wake-up of the probe: when it woke, and how long after it was due.
#[derive(Clone, Copy, Debug)]
pub struct Wake {
    pub at: Instant,
    pub late: Duration,
}

/// The running probe; [`StallProbe::finish`] stops it and returns its wake-ups.
pub struct StallProbe {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(Vec<Wake>, StealLog)>,
}

impl StallProbe {
    pub fn start() -> StallProbe {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("stall-probe".into())
            .spawn(move || {
                let mut wakes = Vec::with_capacity(120_000);
                let mut steal = StealLog::default();
                while !stopped.load(Ordering::Relaxed) {
                    if wakes.len() % STEAL_EVERY == 0
                        && let Some(reading) = CpuTimes::read()
                    {
                        steal.push(reading);
                    }
                    let due = Instant::now() + PERIOD;
                    std::thread::sleep(PERIOD);
                    let at = Instant::now();
                    wakes.push(Wake {
                        at,
                        late: at.saturating_duration_since(due),
                    });
                }
                if let Some(reading) = CpuTimes::read() {
                    steal.push(reading);
                }
                (wakes, steal)
            })
            .unwrap_or_else(|e| panic!("no stall probe thread: {e}"));
        StallProbe { stop, thread }
    }

    pub fn finish(self) -> Stalls {
        self.stop.store(true, Ordering::Relaxed);
        let (wakes, steal) = self
            .thread
            .join()
            .unwrap_or_else(|_| panic!("the stall probe panicked"));
        let longest = wakes.iter().map(|w| w.late).max().unwrap_or_default();
        Stalls {
            wakes,
            longest,
            steal,
        }
    }
}

/// The probe's wake-ups over a run, and the host's steal read beside them.
pub struct Stalls {
    wakes: Vec<Wake>,
    longest: Duration,
    pub steal: StealLog,
}

impl Stalls {
    /// How late each wake-up was.
    pub fn lateness(&self) -> Vec<Duration> {
        self.wakes.iter().map(|w| w.late).collect()
    }

    /// The latest any wake-up was.
    pub fn longest(&self) -> Duration {
        self.longest
    }

    /// Whether the probe overslept by `threshold` or more at any time within `from..=to`: a
    /// wake-up `late` after it was due means the machine did not run it over `at - late ..= at`.
    pub fn stalled_during(&self, from: Instant, to: Instant, threshold: Duration) -> bool {
        let first = self.wakes.partition_point(|w| w.at < from);
        // Wake-ups come in order of `at`; none after `to + longest` began by `to`.
        self.wakes[first..]
            .iter()
            .take_while(|w| w.at <= to + self.longest)
            .any(|w| w.late >= threshold && w.at.checked_sub(w.late).is_none_or(|start| start <= to))
    }
}
