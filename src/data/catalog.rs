//! The datasets Latent Lab knows, for front ends to list: names, whether they are images or
//! 2-D points, and their class names.

use serde::Serialize;

use super::Toy;

/// The two image datasets Latent Lab ships support for.
pub const IMAGE_DATASETS: [&str; 2] = ["mnist", "fashion-mnist"];

/// `[C, H, W]` of the images of every dataset in [`IMAGE_DATASETS`].
pub const IMAGE_SHAPE: [usize; 3] = [1, 28, 28];

/// Class names by label of a known image dataset; empty for others.
pub fn class_names(name: &str) -> Vec<String> {
    let names: &[&str] = match name {
        "mnist" => &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        "fashion-mnist" => &[
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ],
        _ => &[],
    };
    names.iter().map(|s| s.to_string()).collect()
}

/// One known dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetEntry {
    pub name: &'static str,
    /// How a menu names it.
    pub label: &'static str,
    /// `images` or `points`.
    pub kind: &'static str,
    /// `[C, H, W]` for images, `[2]` for points.
    pub sample_shape: Vec<usize>,
    pub class_names: Vec<String>,
    /// For 2-D points: the square view `[x0, x1, y0, y1]` that frames the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view_bounds: Option<[f32; 4]>,
}

/// Every known dataset: the image sets, then the toys.
pub fn catalog() -> Vec<DatasetEntry> {
    let images = IMAGE_DATASETS.iter().map(|&name| DatasetEntry {
        name,
        label: match name {
            "mnist" => "MNIST",
            "fashion-mnist" => "Fashion-MNIST",
            other => other,
        },
        kind: "images",
        sample_shape: IMAGE_SHAPE.to_vec(),
        class_names: class_names(name),
        view_bounds: None,
    });
    let toys = Toy::ALL.into_iter().map(|t| DatasetEntry {
        name: t.name(),
        label: t.label(),
        kind: "points",
        sample_shape: vec![2],
        class_names: Vec::new(),
        view_bounds: Some(t.view_bounds()),
    });
    images.chain(toys).collect()
}
