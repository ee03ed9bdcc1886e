//! Compiled routing and the per-request hot loop.
//!
//! Routing objects are compiled into plain vectors whenever they or the pods change; each
//! tick then draws its requests through them. Nothing here allocates per request or takes a
//! lock: counts go into a per-tick buffer that is merged into the registry once per tick.

use crate::cluster::metrics::registry::SourceKey;
use crate::cluster::metrics::series::Counts;
use crate::cluster::rng::SimRng;

use super::headers::HeaderModel;
use super::latency::LogNormal;
use super::weighted::Weighted;

/// One ready pod behind a backend, as a request sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The metrics series (namespace, service, pod, hash) its answers count in.
    pub series: usize,
    pub error_rate: f64,
    pub latency: LogNormal,
}

/// The ready pods of one backend Service (narrowed by a subset's labels, if any).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backend {
    pub targets: Vec<Target>,
}

/// A routing rule: the request must carry, for each mask, at least one of its header entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub require: Vec<u64>,
    /// Backend indices, by weight.
    pub split: Weighted<usize>,
}

impl Rule {
    pub fn unconditional(split: Weighted<usize>) -> Rule {
        Rule {
            require: Vec::new(),
            split,
        }
    }

    fn matches(&self, headers: u64) -> bool {
        self.require.iter().all(|mask| headers & mask != 0)
    }
}

/// One entry point (an Ingress host/path, a route): the first matching rule decides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route {
    pub rules: Vec<Rule>,
}

/// Something that receives synthetic traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub key: SourceKey,
    pub rps: f64,
    pub headers: HeaderModel,
    /// Requests spread evenly over the routes.
    pub routes: Vec<Route>,
    pub backends: Vec<Backend>,
}

/// One tick's counts, reused from tick to tick.
#[derive(Debug, Default)]
pub struct TickBuffer {
    pub deltas: Vec<Counts>,
    pub touched: Vec<usize>,
    pub unrouted: Vec<(SourceKey, u64)>,
}

impl TickBuffer {
    /// Makes room for `series` series (only grows, so steady state does not allocate).
    pub fn reserve_series(&mut self, series: usize) {
        if self.deltas.len() < series {
            self.deltas.resize(series, Counts::default());
        }
    }

    pub fn clear(&mut self) {
        for id in self.touched.drain(..) {
            if let Some(delta) = self.deltas.get_mut(id) {
                *delta = Counts::default();
            }
        }
        self.unrouted.clear();
    }

    fn record(&mut self, series: usize, error: bool, latency: f64) {
        let Some(delta) = self.deltas.get_mut(series) else {
            return;
        };
        if delta.count() == 0 {
            self.touched.push(series);
        }
        delta.record(error, latency);
    }
}

impl Source {
    /// Sends `requests` requests through this source's routing.
    pub fn send(&self, requests: u64, rng: &mut SimRng, buffer: &mut TickBuffer) {
        let mut unrouted = 0;
        for _ in 0..requests {
            let route = match self.routes.len() {
                0 => None,
                1 => self.routes.first(),
                n => self.routes.get(rng.below(n as u64) as usize),
            };
            let headers = self.headers.draw(|| rng.unit());
            let backend = route
                .and_then(|r| r.rules.iter().find(|rule| rule.matches(headers)))
                .and_then(|rule| rule.split.pick(rng))
                .and_then(|index| self.backends.get(*index));
            let Some(backend) = backend.filter(|b| !b.targets.is_empty()) else {
                unrouted += 1;
                continue;
            };
            let target = &backend.targets[rng.below(backend.targets.len() as u64) as usize];
            let error = rng.chance(target.error_rate);
            let latency = target.latency.sample(rng);
            buffer.record(target.series, error, latency);
        }
        if unrouted > 0 {
            buffer.unrouted.push((self.key.clone(), unrouted));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn target(series: usize, error_rate: f64) -> Target {
        Target {
            series,
            error_rate,
            latency: LogNormal::with_mean(Duration::from_millis(20)),
        }
    }

    fn source(rules: Vec<Rule>, backends: Vec<Backend>, headers: &str) -> Source {
        Source {
            key: ("ns".into(), "Service".into(), "web".into()),
            rps: 0.0,
            headers: HeaderModel::parse(headers).unwrap_or_default(),
            routes: vec![Route { rules }],
            backends,
        }
    }

    #[test]
    fn requests_spread_over_ready_pods_with_their_error_rates() {
        let backends = vec![Backend {
            targets: vec![target(0, 0.0), target(1, 0.5)],
        }];
        let s = source(vec![Rule::unconditional(Weighted::new([(0, 1)]))], backends, "");
        let mut buffer = TickBuffer::default();
        buffer.reserve_series(2);
        let n = 20_000u64;
        s.send(n, &mut SimRng::new(3), &mut buffer);
        let (a, b) = (buffer.deltas[0], buffer.deltas[1]);
        assert_eq!(a.count() + b.count(), n);
        let half = n as f64 / 2.0;
        let sd = (n as f64 * 0.25).sqrt();
        assert!((a.count() as f64 - half).abs() < 5.0 * sd);
        assert_eq!(a.errors, 0);
        let sd_errors = (b.count() as f64 * 0.25).sqrt();
        assert!((b.errors as f64 - b.count() as f64 / 2.0).abs() < 5.0 * sd_errors);
        let mut touched = buffer.touched.clone();
        touched.sort_unstable();
        assert_eq!(touched, vec![0, 1]);
        buffer.clear();
        assert_eq!(buffer.deltas[0], Counts::default());
    }

    #[test]
    fn header_rules_win_over_the_weighted_default() {
        let backends = vec![
            Backend {
                targets: vec![target(0, 0.0)],
            },
            Backend {
                targets: vec![target(1, 0.0)],
            },
        ];
        let rules = vec![
            Rule {
                require: vec![0b1],
                split: Weighted::new([(1, 1)]),
            },
            Rule::unconditional(Weighted::new([(0, 1)])),
        ];
        let s = source(rules, backends, "x-canary=always:0.25");
        let mut buffer = TickBuffer::default();
        buffer.reserve_series(2);
        let n = 20_000u64;
        s.send(n, &mut SimRng::new(4), &mut buffer);
        let canary = buffer.deltas[1].count() as f64;
        let sd = (n as f64 * 0.25 * 0.75).sqrt();
        assert!((canary - n as f64 * 0.25).abs() < 5.0 * sd, "{canary}");
    }

    #[test]
    fn no_rule_or_no_ready_pod_is_unrouted() {
        let s = source(
            vec![Rule::unconditional(Weighted::new([(0, 1)]))],
            vec![Backend::default()],
            "",
        );
        let mut buffer = TickBuffer::default();
        s.send(7, &mut SimRng::new(1), &mut buffer);
        assert_eq!(buffer.unrouted, vec![(s.key.clone(), 7)]);
        let nothing = source(
            vec![Rule {
                require: vec![0b1],
                split: Weighted::new([(0, 1)]),
            }],
            vec![],
            "",
        );
        let mut buffer = TickBuffer::default();
        nothing.send(3, &mut SimRng::new(1), &mut buffer);
        assert_eq!(buffer.unrouted[0].1, 3);
    }
}
