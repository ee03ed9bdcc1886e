//! The time the host took from this machine's CPUs ("steal"), as the kernel counts it.
//!
//! On a virtual machine, `/proc/stat` counts per CPU the time the hypervisor ran something
//! else while this machine had work for that CPU. The count is in ticks of 10 ms (USER_HZ), so
//! a reading tells whether the host took time over a stretch of tens of milliseconds, not over
//! one sample; a steal of a few milliseconds shows only when it carries the count over a tick.

use std::time::Instant;

/// The CPUs' time up to one instant, in ticks summed over all CPUs.
#[derive(Clone, Copy, Debug)]
pub struct CpuTimes {
    pub at: Instant,
    pub steal: u64,
    pub total: u64,
}

impl CpuTimes {
    /// Reads the `cpu` line of `/proc/stat`; `None` where there is none (not Linux).
    pub fn read() -> Option<CpuTimes> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let at = Instant::now();
        parse_cpu_line(stat.lines().next()?).map(|(steal, total)| CpuTimes { at, steal, total })
    }
}

/// `cpu  user nice system idle iowait irq softirq steal guest guest_nice`: the steal and the
/// sum of the first eight (guest time is already counted in user time).
fn parse_cpu_line(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let ticks: Vec<u64> = fields.take(8).map(str::parse).collect::<Result<_, _>>().ok()?;
    let steal = *ticks.get(7)?;
    Some((steal, ticks.iter().sum()))
}

/// Readings of [`CpuTimes`] over a run, in order of time.
#[derive(Default)]
pub struct StealLog {
    readings: Vec<CpuTimes>,
}

impl StealLog {
    pub fn push(&mut self, reading: CpuTimes) {
        self.readings.push(reading);
    }

    /// The share of all CPU time the host took between the first and the last reading.
    pub fn share(&self) -> Option<f64> {
        let (first, last) = (self.readings.first()?, self.readings.last()?);
        let total = last.total.checked_sub(first.total).filter(|t| *t > 0)?;
        Some(last.steal.saturating_sub(first.steal) as f64 / total as f64)
    }

    /// The ticks the host took around `from..=to`: from the last reading before `from` to the
    /// second reading after `to`, since the kernel counts a steal at the CPU's next tick after
    /// it. `None` when the readings do not cover the span.
    pub fn steal_around(&self, from: Instant, to: Instant) -> Option<u64> {
        let before = self.readings.partition_point(|r| r.at <= from).checked_sub(1)?;
        let after = self.readings.partition_point(|r| r.at <= to) + 1;
        let (start, end) = (self.readings.get(before)?, self.readings.get(after)?);
        Some(end.steal.saturating_sub(start.steal))
    }
}
