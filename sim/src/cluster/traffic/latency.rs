//! Request latency: log-normal around the pod's mean.
//!
//! Latencies are drawn as `exp(mu + sigma * z)` with `z` standard normal and `sigma = 0.5`,
//! and `mu = ln(mean) - sigma^2 / 2` so that the mean is exactly the pod's
//! `sim.linnet.dev/latency-ms`. The spread (standard deviation about 0.53 x mean) gives
//! histograms a realistic right tail without extreme outliers.

use std::time::Duration;

use crate::cluster::rng::SimRng;

pub const SIGMA: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogNormal {
    mu: f64,
}

impl LogNormal {
    pub fn with_mean(mean: Duration) -> LogNormal {
        let mean = mean.as_secs_f64().max(1e-9);
        LogNormal {
            mu: mean.ln() - SIGMA * SIGMA / 2.0,
        }
    }

    /// One latency in seconds.
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        (self.mu + SIGMA * rng.standard_normal()).exp()
    }

    /// The standard deviation for a given mean, for tests and tolerances.
    pub fn standard_deviation(mean_seconds: f64) -> f64 {
        mean_seconds * ((SIGMA * SIGMA).exp() - 1.0).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_mean_matches_the_configured_mean() {
        let model = LogNormal::with_mean(Duration::from_millis(80));
        let mut rng = SimRng::new(9);
        let n = 50_000;
        let mean = (0..n).map(|_| model.sample(&mut rng)).sum::<f64>() / n as f64;
        let tolerance = 5.0 * LogNormal::standard_deviation(0.08) / (n as f64).sqrt();
        assert!((mean - 0.08).abs() < tolerance, "mean {mean}");
    }
}
