//! Latent arithmetic with the shipped models, judged by the LeNet classifier in `results/`:
//! the attribute vector "mean code of class A − mean code of class B" (from one set of test
//! images), added to the codes of other test images of class B, turns their decodings into
//! A's; a conditional model decodes one code as every class; bad arguments are refused.

mod common;

use candle::Device;
use latentlab::data::{Dataset, Split};
use latentlab::eval::frechet;
use latentlab::rng::Rng;
use latentlab::{checkpoint, Network};

fn network(path: &std::path::Path) -> Network {
    checkpoint::load_file(path, &Device::Cpu).unwrap().network
}

/// The images of class `c` among test images `range`, with their labels.
fn of_class(test: &Dataset, range: std::ops::Range<usize>, c: u32) -> (Vec<f32>, Vec<u32>) {
    let d = test.sample_len();
    let labels = test.labels.as_ref().unwrap();
    let mut x = Vec::new();
    let mut l = Vec::new();
    for i in range.filter(|&i| labels[i] == c) {
        x.extend_from_slice(&test.x[i * d..(i + 1) * d]);
        l.push(c);
    }
    (x, l)
}

/// Share of `images` that LeNet labels `c`.
fn share_labelled(lenet: &Network, images: &candle::Tensor, c: u32) -> f64 {
    let preds = frechet::features(lenet, images, 100).unwrap().preds;
    preds.iter().filter(|&&p| p == c).count() as f64 / preds.len() as f64
}

#[test]
fn an_attribute_vector_moves_the_decoded_class_from_b_to_a() {
    let lenet = network(&common::repo().join("results/lenet-mnist.safetensors"));
    let test = common::mnist(Split::Test, 2000);
    let pairs = [(0, 1), (1, 0), (7, 3), (4, 9), (8, 2)];
    for name in [
        "vae-mnist-2d",
        "vae-mnist-conv16",
        "vaegan-mnist",
        "cvae-mnist",
    ] {
        let net = network(&common::repo().join(format!("www/weights/{name}.safetensors")));
        let cond = net.config().num_classes().is_some();
        let mut report = Vec::new();
        let (mut before, mut after, mut moved) = (0.0, 0.0, 0);
        for (a, b) in pairs {
            // The vector from the first 1000 test images, applied to B's among the next 1000.
            let (xa, la) = of_class(&test, 0..1000, a);
            let (xb, lb) = of_class(&test, 0..1000, b);
            let v = net
                .attribute_vector(
                    &net.batch_from_slice(&xa).unwrap(),
                    cond.then_some(la.as_slice()),
                    &net.batch_from_slice(&xb).unwrap(),
                    cond.then_some(lb.as_slice()),
                )
                .unwrap();
            let (xt, lt) = of_class(&test, 1000..2000, b);
            let xt = net.batch_from_slice(&xt).unwrap();
            let at = |alpha| {
                let out = net
                    .shift_decode(&xt, cond.then_some(lt.as_slice()), &v, alpha)
                    .unwrap();
                share_labelled(&lenet, &out, a)
            };
            let (s0, s1) = (at(0.0), at(1.0));
            before += s0 / pairs.len() as f64;
            after += s1 / pairs.len() as f64;
            report.push(format!("{b}→{a}: {:.0}% → {:.0}%", 100.0 * s0, 100.0 * s1));
            moved += usize::from(s1 >= 0.4);
        }
        println!(
            "{name}: labelled A at α = 0 → 1: {} (mean {:.0}% → {:.0}%)",
            report.join(", "),
            100.0 * before,
            100.0 * after
        );
        assert!(
            before <= 0.05,
            "{name}: {:.0}% labelled A before the shift",
            100.0 * before
        );
        if cond {
            // A conditional model's class is its label, not its code: the vector moves the
            // style only, which is why the page shows one code across the classes instead.
            assert!(
                after <= 0.1,
                "{name}: {:.0}% labelled A after",
                100.0 * after
            );
        } else {
            assert!(
                after >= 0.55,
                "{name}: only {:.0}% labelled A after",
                100.0 * after
            );
            assert!(
                moved >= 4,
                "{name}: only {moved} of 5 pairs moved (≥ 40 % labelled A)"
            );
        }
    }
}

#[test]
fn a_conditional_model_decodes_one_code_as_every_class() {
    let lenet = network(&common::repo().join("results/lenet-mnist.safetensors"));
    let net = network(&common::repo().join("www/weights/cvae-mnist.safetensors"));
    let z = Rng::new(3)
        .normal_tensor(&[20, 8], 1.0, &Device::Cpu)
        .unwrap();
    let out = net.decode_across_classes(&z).unwrap();
    assert_eq!(out.dims(), [200, 1, 28, 28]);
    let preds = frechet::features(&lenet, &out, 100).unwrap().preds;
    let right = preds
        .iter()
        .enumerate()
        .filter(|(i, &p)| p as usize == i % 10)
        .count();
    println!("cvae-mnist across classes: LeNet agrees with the class on {right}/200");
    assert!(
        right >= 140, // measured 157; chance is 20
        "LeNet agrees with the class on {right}/200 only"
    );
    // Row i·K + k is code i as class k: the first ten are code 0 as classes 0 … 9.
    let first = net
        .decode(
            &z.narrow(0, 0, 1).unwrap().repeat((10, 1)).unwrap(),
            Some(&(0..10).collect::<Vec<u32>>()),
        )
        .unwrap();
    assert!(common::max_abs_diff(&first, &out.narrow(0, 0, 10).unwrap()) < 1e-5);
}

#[test]
fn bad_arithmetic_arguments_are_refused() {
    let net = network(&common::repo().join("www/weights/vae-mnist-conv16.safetensors"));
    let x = net.batch_from_slice(&vec![0.0; 2 * 784]).unwrap();
    let err = |e: latentlab::Error| e.to_string();
    assert!(err(net.shift_decode(&x, None, &[0.0; 3], 1.0).unwrap_err())
        .contains("must have 16 values"));
    assert!(err(net
        .shift_decode(&x, None, &[0.0; 16], f32::INFINITY)
        .unwrap_err())
    .contains("finite"));
    let z = Rng::new(1)
        .normal_tensor(&[2, 16], 1.0, &Device::Cpu)
        .unwrap();
    assert!(err(net.decode_across_classes(&z).unwrap_err()).contains("not conditioned on classes"));
    let gan = network(&common::repo().join("www/weights/dcgan-mnist.safetensors"));
    assert!(err(gan.attribute_vector(&x, None, &x, None).unwrap_err()).contains("has no encoder"));
    assert!(err(net.codes_from_slice(&[0.0; 17]).unwrap_err()).contains("multiple of 16"));
}
