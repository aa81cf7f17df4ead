//! PacGAN's real packs as its code draws them (fjxmlzn/PacGAN, `GaussianPackingMixture`): once
//! per run, each of the N packs taking `pack` points drawn with replacement from the N
//! training points; an epoch then shuffles the N packs, not the points.

use crate::rng::Rng;
use crate::Result;

/// The fixed packs of a training set, as row indices.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedPacks {
    pack: usize,
    /// `[N · pack]`: pack `i` is rows `rows[i·pack .. (i + 1)·pack]` of the training set.
    rows: Vec<usize>,
}

impl FixedPacks {
    /// The packs of a run seeded `seed` on `n` points: drawn from a stream of their own, so the
    /// same run draws the same packs when it resumes, and drawing them shifts nothing else.
    pub fn draw(n: usize, pack: usize, seed: u64) -> Result<Self> {
        // Row indices, counted in the budget's 4-byte values.
        let values = pack * std::mem::size_of::<usize>() / 4;
        crate::budget::check_rows("the fixed real packs", n, values)?;
        let mut rng = Rng::new(seed ^ 0xFACC_ED5E_ED00);
        let mut rows = vec![0; n * pack];
        // Slot by slot, as the authors draw one index column per slot.
        for slot in 0..pack {
            for i in 0..n {
                rows[i * pack + slot] = rng.below(n);
            }
        }
        Ok(Self { pack, rows })
    }

    /// Packs (and points) in the training set.
    pub fn len(&self) -> usize {
        self.rows.len() / self.pack
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows of `packs`, pack by pack: a batch whose consecutive `pack` rows are one pack.
    pub fn rows(&self, packs: &[usize]) -> Vec<usize> {
        packs
            .iter()
            .flat_map(|&i| &self.rows[i * self.pack..(i + 1) * self.pack])
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_are_drawn_with_replacement_and_again_the_same() {
        let packs = FixedPacks::draw(1000, 2, 7).unwrap();
        assert_eq!(packs.len(), 1000);
        assert_eq!(packs, FixedPacks::draw(1000, 2, 7).unwrap());
        assert_ne!(packs, FixedPacks::draw(1000, 2, 8).unwrap());
        let rows = packs.rows(&(0..1000).collect::<Vec<_>>());
        assert!(rows.iter().all(|&r| r < 1000));
        // With replacement: about 1/e of the points are in no pack of slot 0.
        let mut seen = vec![false; 1000];
        for r in rows.iter().step_by(2) {
            seen[*r] = true;
        }
        let unseen = seen.iter().filter(|s| !**s).count();
        assert!((300..440).contains(&unseen), "{unseen} of 1000 unseen");
        // Slots are drawn independently: the two rows of a pack differ in most packs.
        let same = rows.chunks(2).filter(|p| p[0] == p[1]).count();
        assert!(same < 10, "{same} packs of one point twice");
    }

    #[test]
    fn rows_keep_each_pack_together() {
        let packs = FixedPacks::draw(50, 3, 1).unwrap();
        let all = packs.rows(&(0..50).collect::<Vec<_>>());
        assert_eq!(packs.rows(&[4, 0]), [&all[12..15], &all[0..3]].concat());
    }
}
