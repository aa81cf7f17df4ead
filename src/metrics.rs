//! Named scalar metrics of a training step, their running means, and a run's history of them.

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Named scalars in the order they were pushed; serialized as a JSON object (read back, they
/// come in name order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics(pub Vec<(String, f32)>);

impl Metrics {
    pub fn push(&mut self, name: &str, value: f32) {
        self.0.push((name.to_string(), value));
    }

    pub fn get(&self, name: &str) -> Option<f32> {
        self.0.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }

    /// The first non-finite value, if any.
    pub fn first_non_finite(&self) -> Option<(&str, f32)> {
        self.0
            .iter()
            .find(|(_, v)| !v.is_finite())
            .map(|(n, v)| (n.as_str(), *v))
    }

    /// `loss=1.234 kl=0.5 …`
    pub fn line(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v:.4}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Serialize for Metrics {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Metrics {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        // serde_json keeps insertion order only with a feature; sort for determinism instead.
        let map = std::collections::BTreeMap::<String, f32>::deserialize(d)?;
        Ok(Metrics(map.into_iter().collect()))
    }
}

/// Running means of metrics over several steps, each over the steps that reported it (a
/// metric a step leaves out, such as the IWAE bound during a warm-up, is not counted as 0).
#[derive(Debug, Clone, Default)]
pub struct RunningMean {
    /// Name, sum, and how many steps reported it.
    sums: Vec<(String, f64, usize)>,
}

impl RunningMean {
    pub fn add(&mut self, m: &Metrics) {
        self.add_steps(m, 1);
    }

    /// Adds `m` as the metrics of `steps` steps, each reporting them (a mean over those
    /// steps counts with their weight).
    pub fn add_steps(&mut self, m: &Metrics, steps: usize) {
        for (name, v) in &m.0 {
            let sum = *v as f64 * steps as f64;
            match self.sums.iter_mut().find(|(n, _, _)| n == name) {
                Some((_, s, count)) => {
                    *s += sum;
                    *count += steps;
                }
                None => self.sums.push((name.clone(), sum, steps)),
            }
        }
    }

    pub fn mean(&self) -> Metrics {
        Metrics(
            self.sums
                .iter()
                .map(|(k, s, n)| (k.clone(), (s / *n as f64) as f32))
                .collect(),
        )
    }
}

/// A run's metrics over all its steps, as its checkpoint keeps them (the loss curve of a run
/// resumed any number of times): at most [`History::MAX_POINTS`] points, each the means over
/// consecutive steps. Every point but the last covers at least [`History::width`] steps; when
/// the points pass the maximum, neighbours merge pairwise and the width doubles, so a run of
/// any length keeps an even record of its whole length. Built step by step, it does not depend
/// on how the steps were called, saved or resumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    width: u64,
    points: Vec<HistoryPoint>,
}

/// Consecutive steps of a [`History`], ending at `step`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// The run's step count after the last of them.
    pub step: u64,
    /// How many steps it covers.
    pub steps: u64,
    /// Name, mean over the steps that reported it, and how many did (a metric a step leaves
    /// out, such as the IWAE bound during a warm-up, is not counted).
    pub means: Vec<(String, f64, u64)>,
}

impl Default for History {
    fn default() -> Self {
        Self {
            width: 1,
            points: Vec::new(),
        }
    }
}

impl History {
    /// Points kept at most (about 40 KB of a checkpoint's metadata for four metrics).
    pub const MAX_POINTS: usize = 256;
    /// Metrics a point may list (a training step reports under a dozen).
    pub const MAX_METRICS: usize = 64;

    pub fn points(&self) -> &[HistoryPoint] {
        &self.points
    }

    /// Steps a point covers before the next one starts.
    pub fn width(&self) -> u64 {
        self.width
    }

    /// Adds the metrics of the step that took the run to `step`.
    pub fn add(&mut self, step: u64, m: &Metrics) {
        let width = self.width;
        let point = match self.points.last_mut() {
            Some(p) if p.steps < width => p,
            _ => {
                self.points.push(HistoryPoint {
                    step,
                    steps: 0,
                    means: Vec::new(),
                });
                self.points.last_mut().expect("pushed")
            }
        };
        point.step = step;
        point.steps += 1;
        for (name, v) in &m.0 {
            let v = f64::from(*v);
            match point.means.iter_mut().find(|(n, _, _)| n == name) {
                Some((_, mean, count)) => {
                    *count += 1;
                    *mean += (v - *mean) / *count as f64;
                }
                None => point.means.push((name.clone(), v, 1)),
            }
        }
        if self.points.len() > Self::MAX_POINTS {
            let points = std::mem::take(&mut self.points);
            let mut pairs = points.into_iter();
            while let Some(a) = pairs.next() {
                self.points.push(match pairs.next() {
                    Some(b) => a.merged(b),
                    None => a,
                });
            }
            self.width *= 2;
        }
    }

    /// An error for a history no run writes: more points than kept, an empty point, points
    /// whose steps do not follow each other up to at most `run_steps`, more metrics than a step
    /// reports, repeated or empty or overlong names, or a mean that is not a finite f32.
    pub fn validate(&self, run_steps: u64) -> std::result::Result<(), String> {
        if self.width == 0 || self.points.len() > Self::MAX_POINTS {
            return Err(format!(
                "{} points of width {}: a run keeps at most {} of width ≥ 1",
                self.points.len(),
                self.width,
                Self::MAX_POINTS
            ));
        }
        let mut before = 0u64;
        for p in &self.points {
            let first = p.step.checked_sub(p.steps);
            if p.steps == 0 || first.is_none_or(|f| f < before) || p.step > run_steps {
                return Err(format!(
                    "a point of {} steps ends at step {}, after step {before}, in a run of {run_steps}",
                    p.steps, p.step
                ));
            }
            if let Some((name, _, count)) = p.means.iter().find(|m| m.2 == 0 || m.2 > p.steps) {
                return Err(format!(
                    "{name} is reported by {count} of a point's {} steps",
                    p.steps
                ));
            }
            if p.means.len() > Self::MAX_METRICS {
                return Err(format!(
                    "a point lists {} metrics; a step reports at most {}",
                    p.means.len(),
                    Self::MAX_METRICS
                ));
            }
            for (i, (name, _, _)) in p.means.iter().enumerate() {
                if name.is_empty() || name.len() > 64 || p.means[..i].iter().any(|m| m.0 == *name) {
                    return Err(format!(
                        "a point's metric names must be distinct, of 1 to 64 bytes: {name:?}"
                    ));
                }
            }
            if let Some((name, mean, _)) = p.means.iter().find(|m| !(m.1 as f32).is_finite()) {
                return Err(format!(
                    "{name}'s mean {mean:e} is beyond what a step reports"
                ));
            }
            before = p.step;
        }
        Ok(())
    }
}

impl HistoryPoint {
    /// This point and the one after it as one.
    fn merged(mut self, next: HistoryPoint) -> HistoryPoint {
        for (name, v, n) in next.means {
            match self.means.iter_mut().find(|(m, _, _)| *m == name) {
                Some((_, mean, count)) => {
                    *mean = (*mean * *count as f64 + v * n as f64) / (*count + n) as f64;
                    *count += n;
                }
                None => self.means.push((name, v, n)),
            }
        }
        self.step = next.step;
        self.steps += next.steps;
        self
    }

    /// The mean of `name` over the steps that reported it.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.means.iter().find(|(n, _, _)| n == name).map(|m| m.1)
    }
}

#[cfg(test)]
mod tests {
    use super::{History, Metrics, RunningMean};

    #[test]
    fn each_metric_is_averaged_over_the_steps_that_reported_it() {
        let mut mean = RunningMean::default();
        mean.add(&Metrics(vec![("loss".into(), 4.0)]));
        mean.add(&Metrics(vec![("loss".into(), 2.0), ("bound".into(), -2.0)]));
        assert_eq!(mean.mean().get("loss"), Some(3.0));
        assert_eq!(mean.mean().get("bound"), Some(-2.0));
        assert_eq!(RunningMean::default().mean(), Metrics::default());
    }

    #[test]
    fn a_mean_over_several_steps_counts_with_their_weight() {
        let mut mean = RunningMean::default();
        mean.add_steps(&Metrics(vec![("loss".into(), 1.0)]), 3);
        mean.add(&Metrics(vec![("loss".into(), 5.0)]));
        assert_eq!(mean.mean().get("loss"), Some(2.0));
    }

    fn loss(v: f32) -> Metrics {
        Metrics(vec![("loss".into(), v)])
    }

    #[test]
    fn a_long_history_keeps_every_step_in_at_most_its_points() {
        let mut h = History::default();
        let n = 10_000u64;
        // Step s reports loss s; from step 5001 on, a bound of -1 too.
        for s in 1..=n {
            let mut m = loss(s as f32);
            if s > 5000 {
                m.push("bound", -1.0);
            }
            h.add(s, &m);
        }
        let points = h.points();
        assert!(points.len() <= History::MAX_POINTS && points.len() > History::MAX_POINTS / 2);
        // 10 000 steps in at most 256 points: 2^6 = 64 steps a point (the last may have fewer).
        assert_eq!(h.width(), 64);
        assert!(points[..points.len() - 1].iter().all(|p| p.steps == 64));
        assert_eq!(points.iter().map(|p| p.steps).sum::<u64>(), n);
        let mut first = 1;
        for p in points {
            assert_eq!(p.step + 1 - p.steps, first, "points follow each other");
            // The mean of the losses first..=p.step, which are the step numbers.
            assert_eq!(p.get("loss"), Some((first + p.step) as f64 / 2.0));
            let bound_steps = p.step.saturating_sub(first.max(5001) - 1);
            let bound = p.means.iter().find(|m| m.0 == "bound");
            assert_eq!(
                bound.map(|b| (b.1, b.2)),
                (bound_steps > 0).then_some((-1.0, bound_steps))
            );
            first = p.step + 1;
        }
        h.validate(n).unwrap();
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<History>(&json).unwrap(), h);
    }

    #[test]
    fn a_history_no_run_writes_is_refused() {
        let mut h = History::default();
        for s in 11..=20 {
            h.add(s, &loss(1.0));
        }
        h.validate(20).unwrap();
        assert!(h.validate(19).unwrap_err().contains("ends at step 20"));
        let mut overlapping = h.clone();
        overlapping.points[3].steps = 2;
        assert!(overlapping.validate(20).is_err());
        let mut overcounted = h.clone();
        overcounted.points[0].means[0].2 = 2;
        assert!(overcounted
            .validate(20)
            .unwrap_err()
            .contains("loss is reported by 2"));
        let mut repeated = h.clone();
        repeated.points[2].means.push(("loss".into(), 1.0, 1));
        assert!(repeated.validate(20).unwrap_err().contains("distinct"));
        let mut crowded_point = h.clone();
        crowded_point.points[2].means = (0..65).map(|i| (format!("m{i}"), 1.0, 1)).collect();
        assert!(crowded_point
            .validate(20)
            .unwrap_err()
            .contains("65 metrics"));
        let mut huge = h.clone();
        huge.points[5].means[0].1 = 1e39;
        assert!(huge.validate(20).unwrap_err().contains("loss's mean 1e39"));
        let crowded = History {
            points: vec![h.points[0].clone(); History::MAX_POINTS + 1],
            ..History::default()
        };
        assert!(crowded
            .validate(u64::MAX)
            .unwrap_err()
            .contains("at most 256"));
    }

    #[test]
    fn a_history_reads_back_bit_for_bit() {
        // Means that are no f32 (the merged ones): JSON must give back the same f64s, or a
        // resumed run's history drifts from the uninterrupted one's by an ulp a save.
        let mut h = History::default();
        for s in 1..=1000u64 {
            h.add(s, &loss(((s as f32) * 0.123_456_7).sin() * 425.3));
        }
        let json = serde_json::to_string(&h).unwrap();
        let back: History = serde_json::from_str(&json).unwrap();
        let differ = (h.points().iter().zip(back.points()))
            .filter(|(a, b)| a.means[0].1.to_bits() != b.means[0].1.to_bits())
            .count();
        assert_eq!(differ, 0, "of {} points", h.points().len());
    }
}
