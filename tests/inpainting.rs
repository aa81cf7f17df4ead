//! Inpainting with the shipped models: the bottom half of MNIST test digits erased (filled
//! with 0, the page's erased ink) and filled in by iterating encode → decode
//! (`Network::inpaint`) comes closer to the erased pixels than the fill value; the known
//! pixels stay exactly as given; bad masks and models without an encoder are refused.

mod common;

use candle::{Device, Tensor};
use latentlab::checkpoint;
use latentlab::data::Split;

const N: usize = 100;
const SIDE: usize = 28;

/// 1 for the known top half, 0 for the erased bottom half, for `n` images.
fn bottom_half_erased(n: usize) -> Vec<u8> {
    let one: Vec<u8> = (0..SIDE * SIDE)
        .map(|i| u8::from(i / SIDE < SIDE / 2))
        .collect();
    one.repeat(n)
}

/// Mean squared difference over the erased values, per image.
fn erased_mse(a: &[f32], b: &[f32], known: &[u8]) -> Vec<f64> {
    let d = SIDE * SIDE;
    (0..a.len() / d)
        .map(|i| {
            let r = i * d..(i + 1) * d;
            let (mut s, mut n) = (0.0, 0usize);
            for ((x, y), k) in a[r.clone()].iter().zip(&b[r.clone()]).zip(&known[r]) {
                if *k == 0 {
                    s += ((x - y) as f64).powi(2);
                    n += 1;
                }
            }
            s / n as f64
        })
        .collect()
}

#[test]
fn inpainting_brings_erased_pixels_closer_to_the_original_than_the_fill() {
    let test = common::mnist(Split::Test, N);
    let known = bottom_half_erased(N);
    let erased: Vec<f32> = test
        .x
        .iter()
        .zip(&known)
        .map(|(v, k)| v * *k as f32)
        .collect();
    for (name, min_gain) in [
        ("vae-mnist-conv16", 1.4),
        ("vae-mnist-2d", 1.6),
        ("cvae-mnist", 1.6),
        ("vaegan-mnist", 1.25),
    ] {
        let net = checkpoint::from_bytes(&common::shipped(name), &Device::Cpu)
            .unwrap()
            .network;
        let labels = net
            .config()
            .num_classes()
            .map(|_| test.labels.clone().unwrap());
        let x = net.batch_from_slice(&erased).unwrap();
        let fill = erased_mse(&erased, &test.x, &known);
        let mut report = Vec::new();
        for iterations in [1, 10, 100] {
            let out = net
                .inpaint(&x, &known, labels.as_deref(), Some(iterations))
                .unwrap();
            let out: Vec<f32> = out.flatten_all().unwrap().to_vec1().unwrap();
            let filled = erased_mse(&out, &test.x, &known);
            let (f, o) = (mean(&fill), mean(&filled));
            let better = filled.iter().zip(&fill).filter(|(a, b)| a < b).count();
            report.push(format!(
                "{iterations} it: MSE {o:.4} vs fill {f:.4} ({:.2}×), better on {better}/{N}",
                f / o
            ));
            if iterations == 10 {
                // The known half is returned as given, bit for bit.
                for ((a, b), k) in out.iter().zip(&erased).zip(&known) {
                    if *k == 1 {
                        assert_eq!(a, b);
                    }
                }
                assert!(
                    f / o >= min_gain,
                    "{name}: erased-pixel MSE {o:.4} not {min_gain}× below the fill's {f:.4}"
                );
                assert!(better * 10 >= N * 7, "{name}: better on {better}/{N} only");
            }
        }
        println!("{name}: {}", report.join("; "));
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn bad_masks_and_models_without_an_encoder_are_refused() {
    let net = checkpoint::from_bytes(&common::shipped("vae-mnist-conv16"), &Device::Cpu)
        .unwrap()
        .network;
    let x = Tensor::zeros((2, 1, SIDE, SIDE), candle::DType::F32, &Device::Cpu).unwrap();
    let known = bottom_half_erased(2);
    let err = |r: latentlab::Result<Tensor>| r.expect_err("refused").to_string();
    assert!(err(net.inpaint(&x, &known[1..], None, None)).contains("one value per input value"));
    let mut two = known.clone();
    two[5] = 2;
    assert!(err(net.inpaint(&x, &two, None, None)).contains("1 (known) or 0 (missing), got 2"));
    assert!(err(net.inpaint(&x, &known, None, Some(0))).contains("1 to 1000 iterations"));
    let nan = x.affine(0.0, f64::NAN).unwrap();
    assert!(err(net.inpaint(&nan, &known, None, None)).contains("finite"));
    let cvae = checkpoint::from_bytes(&common::shipped("cvae-mnist"), &Device::Cpu)
        .unwrap()
        .network;
    assert!(err(cvae.inpaint(&x, &known, None, None)).contains("give a label per sample"));
    let gan = checkpoint::from_bytes(&common::shipped("dcgan-mnist"), &Device::Cpu)
        .unwrap()
        .network;
    assert!(err(gan.inpaint(&x, &known, None, None)).contains("has no encoder"));
    // Nothing missing: the input comes back.
    let all = vec![1u8; known.len()];
    let out = net.inpaint(&x, &all, None, Some(3)).unwrap();
    assert_eq!(common::max_abs_diff(&out, &x), 0.0);
}
