//! How `train` cuts a run into calls of `Session::train_steps`: each call ends where a log
//! line or a checkpoint is due, so neither interval has to divide the other.

/// One call's worth of steps and what is due after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub steps: u64,
    /// A log line is due (every `log_every` steps, and at the run's end).
    pub log: bool,
    /// A checkpoint is due (every `checkpoint_every` steps, not at the end: the caller saves
    /// the last one itself).
    pub save: bool,
}

/// The chunks of a run of `total` steps, counted from its start; `checkpoint_every` 0 saves
/// none. `log_every` must be ≥ 1.
pub fn chunks(total: u64, log_every: u64, checkpoint_every: u64) -> impl Iterator<Item = Chunk> {
    let next = |done: u64, every: u64| match every {
        0 => u64::MAX,
        n => (done / n + 1).saturating_mul(n),
    };
    let mut done = 0u64;
    std::iter::from_fn(move || {
        if done >= total {
            return None;
        }
        let (log_at, save_at) = (next(done, log_every), next(done, checkpoint_every));
        let end = log_at.min(save_at).min(total);
        let chunk = Chunk {
            steps: end - done,
            log: end == log_at || end == total,
            save: end == save_at && end < total,
        };
        done = end;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::{chunks, Chunk};

    fn chunk(steps: u64, log: bool, save: bool) -> Chunk {
        Chunk { steps, log, save }
    }

    #[test]
    fn checkpoints_fall_where_asked_even_inside_a_log_interval() {
        let got: Vec<_> = chunks(7, 5, 3).collect();
        let want = [
            chunk(3, false, true),
            chunk(2, true, false),
            chunk(1, false, true),
            chunk(1, true, false),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn intervals_that_divide_each_other_make_one_call_per_log_line() {
        let got: Vec<_> = chunks(250, 50, 100).collect();
        assert_eq!(got.len(), 5);
        assert!(got.iter().all(|c| c.steps == 50 && c.log));
        let saves: Vec<bool> = got.iter().map(|c| c.save).collect();
        assert_eq!(
            saves,
            [false, true, false, true, false],
            "the end is saved by the caller"
        );
        assert_eq!(
            chunks(120, 50, 0).map(|c| c.steps).collect::<Vec<_>>(),
            [50, 50, 20]
        );
        assert_eq!(chunks(0, 50, 10).count(), 0);
    }
}
