//! Evaluation on the papers' own protocols: likelihood bounds for VAEs (Burda et al. 2016),
//! mode coverage on 2-D mixtures (PacGAN, Lin et al. 2018), and a Fréchet distance on the
//! features of a fixed LeNet-style classifier (FID's recipe, Heusel et al. 2017, with our
//! classifier in place of Inception); and held-out reconstruction for models with an encoder.

pub mod frechet;
pub mod likelihood;
pub mod modes;
pub mod protocol;
pub mod reconstruction;
mod symmetric_eigen;
mod test_batches;

pub use frechet::{class_histogram, features, frechet_distance, Features, Gaussian, Reference};
pub use likelihood::{active_units, likelihood_bounds, LikelihoodReport, MAX_K};
pub use modes::{mode_coverage, ModeReport};
pub use protocol::{
    evaluate, BaselineKey, EvalData, EvalOptions, EvalReport, FeatureClassifier, FrechetBaseline,
    FrechetReport, Protocol,
};
pub use reconstruction::{reconstruction_error, ReconstructionReport};
