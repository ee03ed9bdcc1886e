//! Five-field cron schedules as sync windows use them (minute, hour, day of month, month, day of
//! week), with `*`, `?`, lists, ranges, steps, month and weekday names and the `@daily` family.
//!
//! Written here rather than taken from a crate: sync windows only ever ask "when did this
//! schedule last fire before now", which is a short backwards search over whole days; the cron
//! crates on offer parse six- or seven-field expressions and bring a clock of their own.

use jiff::civil::{Date, DateTime, Time};

/// A parsed schedule; each field is a bit set of the values it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Whether day of month or day of week was written as `*` / `?`: then both must match;
    /// when both are restricted, either may (as classic cron and Argo CD's parser do).
    day_star: bool,
    weekday_star: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Schedule {
    /// Parses `text`; the error says which field is wrong and why.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let expanded = match text.trim().to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *".to_string(),
            "@monthly" => "0 0 1 * *".to_string(),
            "@weekly" => "0 0 * * 0".to_string(),
            "@daily" | "@midnight" => "0 0 * * *".to_string(),
            "@hourly" => "0 * * * *".to_string(),
            other if other.starts_with('@') => return Err(format!("{text:?} is not a schedule descriptor")),
            other => other.to_string(),
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields[..] else {
            return Err(format!(
                "{text:?} has {} fields; a schedule has 5: minute hour day-of-month month day-of-week",
                fields.len()
            ));
        };
        let mut weekdays = field(weekday, 0, 7, &WEEKDAYS, "day of week")?;
        // 7 is Sunday too.
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays | 1) & !(1 << 7);
        }
        Ok(Schedule {
            minutes: field(minute, 0, 59, &[], "minute")?,
            hours: field(hour, 0, 23, &[], "hour")?,
            days: field(day, 1, 31, &[], "day of month")?,
            months: field(month, 1, 12, &MONTHS, "month")?,
            weekdays,
            day_star: starts_star(day),
            weekday_star: starts_star(weekday),
        })
    }

    fn date_matches(&self, date: Date) -> bool {
        if !bit(self.months, date.month()) {
            return false;
        }
        let day = bit(self.days, date.day());
        let weekday = bit(self.weekdays, date.weekday().to_sunday_zero_offset());
        if self.day_star || self.weekday_star {
            day && weekday
        } else {
            day || weekday
        }
    }

    /// The latest minute at or before `at` (seconds dropped) when the schedule fires, searching
    /// no further back than `not_before`.
    pub fn latest_at_or_before(&self, at: DateTime, not_before: DateTime) -> Option<DateTime> {
        let mut date = at.date();
        let mut last_hour = at.hour();
        let mut last_minute = at.minute();
        while date >= not_before.date() {
            if self.date_matches(date) {
                for hour in (0..=last_hour).rev().filter(|h| bit(self.hours, *h)) {
                    let top = if hour == last_hour { last_minute } else { 59 };
                    if let Some(minute) = (0..=top).rev().find(|m| bit(self.minutes, *m)) {
                        let fired = date.to_datetime(Time::constant(hour, minute, 0, 0));
                        return (fired >= not_before).then_some(fired);
                    }
                }
            }
            date = date.yesterday().ok()?;
            last_hour = 23;
            last_minute = 59;
        }
        None
    }
}

fn bit(set: u64, value: i8) -> bool {
    (0..64).contains(&value) && set & (1u64 << value) != 0
}

fn starts_star(field: &str) -> bool {
    field.starts_with('*') || field.starts_with('?')
}

/// One field: a comma-separated list of `*`, `?`, `a`, `a-b`, each optionally `/step`.
fn field(text: &str, min: u8, max: u8, names: &[&str], what: &str) -> Result<u64, String> {
    let bad = |why: &str| format!("{what} field {text:?}: {why}");
    let value = |s: &str| -> Result<u8, String> {
        let n = match names.iter().position(|name| *name == s) {
            Some(i) => i as u8 + if names.len() == 12 { 1 } else { 0 },
            None => s
                .parse::<u8>()
                .map_err(|_| bad(&format!("{s:?} is not a number or name")))?,
        };
        if n < min || n > max {
            return Err(bad(&format!("{n} is outside {min}-{max}")));
        }
        Ok(n)
    };
    let mut set = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u8 = step
                    .parse()
                    .map_err(|_| bad(&format!("step {step:?} is not a number")))?;
                if step == 0 {
                    return Err(bad("a step of 0 never advances"));
                }
                (range, Some(step))
            }
            None => (item, None),
        };
        let (low, high) = match range {
            "*" | "?" => (min, max),
            _ => match range.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                // `a/step` runs from a to the end, as in Argo CD's parser.
                None if step.is_some() => (value(range)?, max),
                None => {
                    let v = value(range)?;
                    (v, v)
                }
            },
        };
        if low > high {
            return Err(bad(&format!("range {low}-{high} runs backwards")));
        }
        for v in (low..=high).step_by(usize::from(step.unwrap_or(1))) {
            set |= 1u64 << v;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use jiff::civil::datetime;

    use super::*;

    fn latest(schedule: &str, at: DateTime) -> Option<DateTime> {
        let parsed = Schedule::parse(schedule).unwrap_or_else(|e| panic!("{schedule}: {e}"));
        parsed.latest_at_or_before(at, datetime(2020, 1, 1, 0, 0, 0, 0))
    }

    #[test]
    fn latest_firing_at_or_before() {
        // 2026-11-22 is a Sunday.
        let at = datetime(2026, 11, 22, 10, 17, 30, 0);
        let cases = [
            ("* * * * *", Some(datetime(2026, 11, 22, 10, 17, 0, 0))),
            ("0 22 * * *", Some(datetime(2026, 11, 21, 22, 0, 0, 0))),
            ("*/15 * * * *", Some(datetime(2026, 11, 22, 10, 15, 0, 0))),
            ("0 9-17 * * MON-FRI", Some(datetime(2026, 11, 20, 17, 0, 0, 0))),
            ("30 10 * * sun", Some(datetime(2026, 11, 15, 10, 30, 0, 0))),
            ("30 10 * * 7", Some(datetime(2026, 11, 15, 10, 30, 0, 0))),
            ("0 0 1 JAN *", Some(datetime(2026, 1, 1, 0, 0, 0, 0))),
            ("0 0 29 2 *", Some(datetime(2024, 2, 29, 0, 0, 0, 0))),
            ("5,10 10 22 11 ?", Some(datetime(2026, 11, 22, 10, 10, 0, 0))),
            ("@hourly", Some(datetime(2026, 11, 22, 10, 0, 0, 0))),
            ("@weekly", Some(datetime(2026, 11, 22, 0, 0, 0, 0))),
            ("0 0 31 2 *", None),
            // Day of month and day of week both restricted: either one fires.
            ("0 12 1 * MON", Some(datetime(2026, 11, 16, 12, 0, 0, 0))),
        ];
        for (schedule, want) in cases {
            assert_eq!(latest(schedule, at), want, "{schedule}");
        }
    }

    #[test]
    fn bad_schedules_name_the_field() {
        let cases = [
            ("0 22 * *", "has 4 fields"),
            ("60 * * * *", "minute field"),
            ("* 24 * * *", "hour field"),
            ("* * 0 * *", "day of month field"),
            ("* * * FOO *", "month field"),
            ("* * * * 8", "day of week field"),
            ("*/0 * * * *", "step of 0"),
            ("5-1 * * * *", "runs backwards"),
            ("@every 5m", "descriptor"),
        ];
        for (schedule, want) in cases {
            let error = Schedule::parse(schedule).expect_err(schedule);
            assert!(error.contains(want), "{schedule}: {error}");
        }
    }
}
