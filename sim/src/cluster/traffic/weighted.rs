//! Picking one of several items by integer weight, as data planes split traffic.

use crate::cluster::rng::SimRng;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Weighted<T> {
    items: Vec<T>,
    /// Running sums of the weights of items with weight > 0.
    cumulative: Vec<u64>,
}

impl<T> Weighted<T> {
    /// Items with weight 0 are never picked.
    pub fn new(weighted: impl IntoIterator<Item = (T, u64)>) -> Weighted<T> {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0;
        for (item, weight) in weighted {
            if weight == 0 {
                continue;
            }
            total += weight;
            items.push(item);
            cumulative.push(total);
        }
        Weighted { items, cumulative }
    }

    pub fn total(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    /// One item drawn with probability weight / total; `None` when every weight is 0.
    pub fn pick(&self, rng: &mut SimRng) -> Option<&T> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let point = rng.below(total);
        let index = self.cumulative.partition_point(|c| *c <= point);
        self.items.get(index)
    }

    pub fn items(&self) -> &[T] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_follow_the_weights() {
        let split = Weighted::new([("stable", 80), ("none", 0), ("canary", 20)]);
        assert_eq!(split.items(), &["stable", "canary"]);
        let mut rng = SimRng::new(5);
        let n = 50_000;
        let canary = (0..n).filter(|_| split.pick(&mut rng) == Some(&"canary")).count();
        let sd = (n as f64 * 0.2 * 0.8).sqrt();
        assert!((canary as f64 - n as f64 * 0.2).abs() < 5.0 * sd, "{canary}");
    }

    #[test]
    fn all_zero_picks_nothing() {
        let split: Weighted<&str> = Weighted::new([("a", 0)]);
        assert_eq!(split.pick(&mut SimRng::new(1)), None);
        let single = Weighted::new([("only", 3)]);
        assert_eq!(single.pick(&mut SimRng::new(1)), Some(&"only"));
    }
}
