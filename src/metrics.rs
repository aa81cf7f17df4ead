//! Named scalar metrics of a training step, and their running means.

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

#[cfg(test)]
mod tests {
    use super::{Metrics, RunningMean};

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
}
