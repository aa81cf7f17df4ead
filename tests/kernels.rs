//! Our CPU kernels against Candle's own ops: values and gradients, on random shapes (odd sizes
//! included) and the strides / paddings our models use. Gradients are those of the loss
//! `Σ y ⊙ r` for a fixed random `r`, so every output element's gradient is exercised.

use candle::{Device, Tensor, Var};
use latentlab::kernels::{self, Act};
use latentlab::rng::Rng;

fn var(rng: &mut Rng, dims: &[usize], scale: f32) -> Var {
    let n = dims.iter().product();
    let v: Vec<f32> = rng.normal_vec(n).into_iter().map(|x| x * scale).collect();
    Var::from_tensor(&Tensor::from_vec(v, dims, &Device::Cpu).unwrap()).unwrap()
}

fn close(what: &str, got: &Tensor, want: &Tensor, tol: f32) {
    assert_eq!(got.dims(), want.dims(), "{what}: shapes");
    let g = got.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let w = want.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let scale = w.iter().fold(1f32, |m, v| m.max(v.abs()));
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!(
            (a - b).abs() <= tol * scale,
            "{what}[{i}]: {a} vs {b} (scale {scale})"
        );
    }
}

fn candle_act(y: Tensor, act: Act) -> Tensor {
    match act {
        Act::Identity => y,
        Act::Relu => y.relu().unwrap(),
        Act::Tanh => y.tanh().unwrap(),
        Act::LeakyRelu => candle_nn::ops::leaky_relu(&y, 0.2).unwrap(),
    }
}

/// Compares `ours(x, w, b)` with `reference(x, w, b)`: outputs, and the gradients of x, w, b.
fn compare(
    what: &str,
    rng: &mut Rng,
    (x, w, b): (&Var, &Var, &Var),
    ours: impl Fn(&Tensor, &Tensor, &Tensor) -> Tensor,
    reference: impl Fn(&Tensor, &Tensor, &Tensor) -> Tensor,
) {
    let y = ours(x.as_tensor(), w.as_tensor(), b.as_tensor());
    let y_ref = reference(x.as_tensor(), w.as_tensor(), b.as_tensor());
    close(&format!("{what} y"), &y, &y_ref, 1e-4);
    let r = var(rng, y.dims(), 1.0).as_tensor().detach();
    let g = (&y * &r).unwrap().sum_all().unwrap().backward().unwrap();
    let g_ref = (&y_ref * &r)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    for (name, v) in [("dx", x), ("dw", w), ("db", b)] {
        let (a, e) = (
            g.get(v.as_tensor()).unwrap(),
            g_ref.get(v.as_tensor()).unwrap(),
        );
        close(&format!("{what} {name}"), a, e, 2e-4);
    }
}

const ACTS: [Act; 4] = [Act::Identity, Act::Relu, Act::LeakyRelu, Act::Tanh];

#[test]
fn linear_matches_candle_with_every_activation_and_batch_one() {
    let mut rng = Rng::new(1);
    for (i, &(batch, inp, out)) in [
        (1, 20, 400),
        (1, 400, 784),
        (7, 13, 5),
        (128, 784, 400),
        (3, 1, 1),
    ]
    .iter()
    .enumerate()
    {
        let act = ACTS[i % ACTS.len()];
        let (x, w, b) = (
            var(&mut rng, &[batch, inp], 1.0),
            var(&mut rng, &[out, inp], 0.1),
            var(&mut rng, &[out], 0.1),
        );
        compare(
            &format!("linear {batch}×{inp}→{out} {act:?}"),
            &mut rng,
            (&x, &w, &b),
            |x, w, b| kernels::linear::linear(x, w, b, act).unwrap(),
            |x, w, b| {
                candle_act(
                    x.matmul(&w.t().unwrap()).unwrap().broadcast_add(b).unwrap(),
                    act,
                )
            },
        );
    }
}

/// `TransposedLinear` (inference, frozen weights) against the GEMM layer on rows with a
/// ReLU's zeros, all zeros and none, for every activation; a wrong input shape is an error.
#[test]
fn transposed_linear_matches_the_layer_on_sparse_rows() {
    let mut rng = Rng::new(4);
    for (i, &(inp, out)) in [(20, 400), (400, 784), (13, 5), (1, 1), (9, 8)]
        .iter()
        .enumerate()
    {
        let w = Tensor::from_vec(rng.normal_vec(out * inp), (out, inp), &Device::Cpu).unwrap();
        let b = Tensor::from_vec(rng.normal_vec(out), out, &Device::Cpu).unwrap();
        let layer = kernels::linear::TransposedLinear::new(&w, &b).unwrap();
        let dense = Tensor::from_vec(rng.normal_vec(inp), (1, inp), &Device::Cpu).unwrap();
        for x in [dense.relu().unwrap(), dense.zeros_like().unwrap(), dense] {
            let act = ACTS[i % ACTS.len()];
            let got = layer.forward_row(&x, act).unwrap();
            let want = kernels::linear::linear(&x, &w, &b, act).unwrap();
            close(
                &format!("transposed {inp}→{out} {act:?}"),
                &got,
                &want,
                1e-5,
            );
        }
        let two = Tensor::zeros((2, inp), candle::DType::F32, &Device::Cpu).unwrap();
        assert!(layer.forward_row(&two, Act::Relu).is_err());
    }
}

#[test]
fn conv2d_matches_candle_on_model_and_odd_shapes() {
    let mut rng = Rng::new(2);
    // (batch, in, out, size, kernel, stride, padding)
    let cases = [
        (3, 1, 32, 28, 4, 2, 1),
        (2, 5, 7, 14, 4, 2, 1),
        (1, 3, 4, 9, 3, 1, 1),
        (4, 2, 3, 11, 5, 3, 2),
        (5, 4, 6, 7, 4, 2, 1),
    ];
    for (i, &(n, c, o, s, k, stride, pad)) in cases.iter().enumerate() {
        let act = ACTS[i % ACTS.len()];
        let (x, w, b) = (
            var(&mut rng, &[n, c, s, s], 1.0),
            var(&mut rng, &[o, c, k, k], 0.2),
            var(&mut rng, &[o], 0.1),
        );
        compare(
            &format!("conv2d {cases:?}[{i}] {act:?}"),
            &mut rng,
            (&x, &w, &b),
            |x, w, b| kernels::conv::conv2d(x, w, b, stride, pad, act).unwrap(),
            |x, w, b| {
                let y = x.conv2d(w, pad, stride, 1, 1).unwrap();
                candle_act(
                    y.broadcast_add(&b.reshape((1, (), 1, 1)).unwrap()).unwrap(),
                    act,
                )
            },
        );
    }
}

#[test]
fn conv_transpose2d_matches_candle_on_model_and_odd_shapes() {
    let mut rng = Rng::new(3);
    // (batch, in, out, size, kernel, stride, padding)
    let cases = [
        (3, 8, 4, 7, 4, 2, 1),
        (2, 6, 1, 14, 4, 2, 1),
        (1, 3, 5, 5, 3, 1, 1),
        (4, 2, 3, 4, 5, 3, 2),
        (2, 3, 2, 6, 4, 2, 0),
    ];
    for (i, &(n, c, o, s, k, stride, pad)) in cases.iter().enumerate() {
        let act = ACTS[(i + 1) % ACTS.len()];
        let (x, w, b) = (
            var(&mut rng, &[n, c, s, s], 1.0),
            var(&mut rng, &[c, o, k, k], 0.2),
            var(&mut rng, &[o], 0.1),
        );
        compare(
            &format!("conv_transpose2d {cases:?}[{i}] {act:?}"),
            &mut rng,
            (&x, &w, &b),
            |x, w, b| kernels::conv::conv_transpose2d(x, w, b, stride, pad, act).unwrap(),
            |x, w, b| {
                let y = x.conv_transpose2d(w, pad, 0, stride, 1).unwrap();
                candle_act(
                    y.broadcast_add(&b.reshape((1, (), 1, 1)).unwrap()).unwrap(),
                    act,
                )
            },
        );
    }
}

/// A backward pass splits its batch across the pool; the weight gradient's sum over the splits
/// must not depend on how the threads happened to share the work (same seed, same losses).
#[test]
fn conv_gradients_are_the_same_bits_on_every_call() {
    let mut rng = Rng::new(4);
    let (x, w, b) = (
        var(&mut rng, &[64, 1, 28, 28], 1.0),
        var(&mut rng, &[32, 1, 4, 4], 0.2),
        var(&mut rng, &[32], 0.1),
    );
    let (xt, wt, bt) = (
        var(&mut rng, &[64, 16, 7, 7], 1.0),
        var(&mut rng, &[16, 8, 4, 4], 0.2),
        var(&mut rng, &[8], 0.1),
    );
    let grads = || {
        let y = kernels::conv::conv2d(x.as_tensor(), w.as_tensor(), b.as_tensor(), 2, 1, Act::Relu)
            .unwrap();
        let yt = kernels::conv::conv_transpose2d(
            xt.as_tensor(),
            wt.as_tensor(),
            bt.as_tensor(),
            2,
            1,
            Act::Tanh,
        )
        .unwrap();
        let loss =
            (y.sqr().unwrap().sum_all().unwrap() + yt.sqr().unwrap().sum_all().unwrap()).unwrap();
        let g = loss.backward().unwrap();
        [&x, &w, &xt, &wt].map(|v| {
            let d = g.get(v.as_tensor()).unwrap().flatten_all().unwrap();
            d.to_vec1::<f32>()
                .unwrap()
                .iter()
                .map(|f| f.to_bits())
                .collect::<Vec<_>>()
        })
    };
    // More threads than cores, so that which thread takes which images changes between calls.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(5)
        .build()
        .unwrap();
    pool.install(|| {
        let first = grads();
        for call in 1..40 {
            assert!(grads() == first, "call {call} gave other gradient bits");
        }
    });
}

#[test]
fn a_detached_input_or_weight_gets_no_gradient() {
    let mut rng = Rng::new(4);
    let (x, w, b) = (
        var(&mut rng, &[2, 3, 8, 8], 1.0),
        var(&mut rng, &[4, 3, 4, 4], 0.2),
        var(&mut rng, &[4], 0.1),
    );
    let y = kernels::conv::conv2d(
        &x.as_tensor().detach(),
        &w.as_tensor().detach(),
        b.as_tensor(),
        2,
        1,
        Act::Relu,
    )
    .unwrap();
    let g = y.sum_all().unwrap().backward().unwrap();
    assert!(g.get(x.as_tensor()).is_none() && g.get(w.as_tensor()).is_none());
    assert!(g.get(b.as_tensor()).is_some());
}

#[test]
fn bce_with_logits_matches_the_formula_and_its_gradient() {
    let mut rng = Rng::new(5);
    let logits = var(&mut rng, &[6, 1, 5, 3], 4.0);
    let targets =
        Tensor::from_vec(rng.uniform_vec(90, 0.0, 1.0), (6, 1, 5, 3), &Device::Cpu).unwrap();
    let ours = kernels::loss::bce_with_logits(logits.as_tensor(), &targets).unwrap();
    let l = logits.as_tensor();
    // softplus(l) − l·y, summed per sample, with Candle's ops.
    let softplus = (l.relu().unwrap()
        + (l.abs().unwrap().neg().unwrap().exp().unwrap() + 1.0)
            .unwrap()
            .log()
            .unwrap())
    .unwrap();
    let reference = (softplus - (l * &targets).unwrap())
        .unwrap()
        .flatten_from(1)
        .unwrap()
        .sum(1)
        .unwrap();
    close("bce", &ours, &reference, 1e-5);
    let w = Tensor::from_vec(rng.normal_vec(6), 6, &Device::Cpu).unwrap();
    let g = (&ours * &w).unwrap().sum_all().unwrap().backward().unwrap();
    let g_ref = (&reference * &w)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    close("bce grad", g.get(l).unwrap(), g_ref.get(l).unwrap(), 1e-5);
}

#[test]
fn sigmoid_matches_candle_and_its_gradient_on_small_and_parallel_sizes() {
    let mut rng = Rng::new(8);
    // 3·5·7 stays on one thread; 9·64·64 splits across the pool.
    for dims in [&[3, 5, 7][..], &[9, 64, 64]] {
        let x = var(&mut rng, dims, 6.0);
        let ours = kernels::activation::sigmoid(x.as_tensor()).unwrap();
        let reference = candle_nn::ops::sigmoid(x.as_tensor()).unwrap();
        close("sigmoid", &ours, &reference, 1e-6);
        let r = var(&mut rng, dims, 1.0).as_tensor().detach();
        let g = (&ours * &r).unwrap().sum_all().unwrap().backward().unwrap();
        let g_ref = (&reference * &r)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let x = x.as_tensor();
        close(
            "sigmoid grad",
            g.get(x).unwrap(),
            g_ref.get(x).unwrap(),
            1e-6,
        );
    }
}

#[test]
fn fused_adam_matches_the_tensor_formula() {
    let mut rng = Rng::new(6);
    let n = 40_000; // several parallel chunks
    let theta0 = rng.normal_vec(n);
    let (mut m, mut v) = (vec![0f32; n], vec![0f32; n]);
    let param = Tensor::from_vec(theta0.clone(), n, &Device::Cpu).unwrap();
    let step = kernels::adam::AdamStep {
        lr: 1e-3,
        beta1: 0.5,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
        bias_correction1: 0.5,
        bias_correction2: 0.001,
    };
    let mut theta_ref = Tensor::from_vec(theta0, n, &Device::Cpu).unwrap();
    let (mut m_ref, mut v_ref) = (
        theta_ref.zeros_like().unwrap(),
        theta_ref.zeros_like().unwrap(),
    );
    for _ in 0..3 {
        let g = Tensor::from_vec(rng.normal_vec(n), n, &Device::Cpu).unwrap();
        step.update(&param, &g, &mut m, &mut v).unwrap();
        m_ref = ((&m_ref * 0.5).unwrap() + (&g * 0.5).unwrap()).unwrap();
        v_ref = ((&v_ref * 0.999).unwrap() + (g.sqr().unwrap() * 0.001).unwrap()).unwrap();
        let update = ((&m_ref / 0.5).unwrap()
            / ((&v_ref / 0.001).unwrap().sqrt().unwrap() + 1e-8).unwrap())
        .unwrap();
        theta_ref =
            ((&theta_ref * (1.0 - 1e-3 * 0.01)).unwrap() - (update * 1e-3).unwrap()).unwrap();
    }
    close("theta", &param, &theta_ref, 1e-5);
    close(
        "m",
        &Tensor::from_vec(m, n, &Device::Cpu).unwrap(),
        &m_ref,
        1e-5,
    );
    let wrong = Tensor::zeros(3, candle::DType::F32, &Device::Cpu).unwrap();
    assert!(step
        .update(&param, &wrong, &mut [0.0; 3], &mut [0.0; 3])
        .is_err());
}

/// A weight whose gradient stays 0 (a dead ReLU unit's) has its first moment shrink by β₁ a
/// step: it must reach exactly 0 rather than linger among the subnormal floats (slow on x86),
/// while moments in the normal range keep the formula's value.
#[test]
fn adam_stores_subnormal_moments_as_zero() {
    let step = kernels::adam::AdamStep {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        bias_correction1: 1.0,
        bias_correction2: 1.0,
    };
    let n = 40_000; // several parallel chunks
    let param = Tensor::ones(n, candle::DType::F32, &Device::Cpu).unwrap();
    let zero = Tensor::zeros(n, candle::DType::F32, &Device::Cpu).unwrap();
    // Just above the smallest normal float: one step of β₁ = 0.9 takes m below it.
    let mut m = vec![1.1 * f32::MIN_POSITIVE; n];
    let mut v = vec![1e-4; n];
    step.update(&param, &zero, &mut m, &mut v).unwrap();
    assert!(m.iter().all(|&m| m == 0.0), "m = {:e}", m[0]);
    assert_eq!(v[0], 0.999f32 * 1e-4);
    assert!(v.iter().chain(&m).all(|x| !x.is_subnormal()));
    let mut m = vec![2.0 * f32::MIN_POSITIVE; n];
    step.update(&param, &zero, &mut m, &mut v).unwrap();
    assert!(m.iter().all(|&m| m == 0.9 * 2.0 * f32::MIN_POSITIVE));
}

/// Training-mode BatchNorm composed from Candle's ops: batch mean and biased variance over
/// every dimension but 1.
fn candle_batch_norm(x: &Tensor, scale: &Tensor, shift: &Tensor, act: Act) -> Tensor {
    let rank = x.rank();
    let reduce: Vec<usize> = (0..rank).filter(|&d| d != 1).collect();
    let mut shape = vec![1; rank];
    shape[1] = x.dim(1).unwrap();
    let mean = x.mean_keepdim(reduce.as_slice()).unwrap();
    let centered = x.broadcast_sub(&mean).unwrap();
    let var = centered
        .sqr()
        .unwrap()
        .mean_keepdim(reduce.as_slice())
        .unwrap();
    let y = centered
        .broadcast_div(&(var + 1e-5).unwrap().sqrt().unwrap())
        .unwrap()
        .broadcast_mul(&scale.reshape(shape.as_slice()).unwrap())
        .unwrap()
        .broadcast_add(&shift.reshape(shape.as_slice()).unwrap())
        .unwrap();
    candle_act(y, act)
}

#[test]
fn batch_norm_matches_candle_on_vectors_and_images_with_its_statistics() {
    let mut rng = Rng::new(7);
    for (i, dims) in [
        vec![200, 400],
        vec![3, 5],
        vec![16, 8, 7, 7],
        vec![2, 3, 1, 5],
    ]
    .into_iter()
    .enumerate()
    {
        let act = ACTS[i % ACTS.len()];
        let c = dims[1];
        let x = var(&mut rng, &dims, 3.0);
        // Shifted so that the mean subtraction matters.
        let x = Var::from_tensor(&(x.as_tensor() + 2.0).unwrap()).unwrap();
        let (scale, shift) = (var(&mut rng, &[c], 1.0), var(&mut rng, &[c], 1.0));
        let what = format!("batch_norm {dims:?} {act:?}");
        compare(
            &what,
            &mut rng,
            (&x, &scale, &shift),
            |x, g, b| kernels::norm::batch_norm(x, g, b, 1e-5, act).unwrap().0,
            |x, g, b| candle_batch_norm(x, g, b, act),
        );
        let (_, stats) = kernels::norm::batch_norm(
            x.as_tensor(),
            scale.as_tensor(),
            shift.as_tensor(),
            1e-5,
            act,
        )
        .unwrap();
        let reduce: Vec<usize> = (0..dims.len()).filter(|&d| d != 1).collect();
        let mean = x.as_tensor().mean_keepdim(reduce.as_slice()).unwrap();
        let var_ref = x
            .as_tensor()
            .broadcast_sub(&mean)
            .unwrap()
            .sqr()
            .unwrap()
            .mean_keepdim(reduce.as_slice())
            .unwrap();
        let t = |v: Vec<f32>| Tensor::from_vec(v, c, &Device::Cpu).unwrap();
        close(
            &format!("{what} mean"),
            &t(stats.mean),
            &mean.flatten_all().unwrap(),
            1e-5,
        );
        close(
            &format!("{what} var"),
            &t(stats.var),
            &var_ref.flatten_all().unwrap(),
            1e-4,
        );
    }
}

#[test]
fn maxout_matches_candle_reshape_and_max() {
    let mut rng = Rng::new(8);
    for (b, units, k) in [(100, 200, 5), (3, 7, 2), (1, 1, 3)] {
        let x = var(&mut rng, &[b, units * k], 1.0);
        let y = kernels::maxout::maxout(x.as_tensor(), k).unwrap();
        let y_ref = x
            .as_tensor()
            .reshape((b, units, k))
            .unwrap()
            .max(2)
            .unwrap();
        close("maxout y", &y, &y_ref, 0.0);
        let r = var(&mut rng, y.dims(), 1.0).as_tensor().detach();
        let g = (&y * &r).unwrap().sum_all().unwrap().backward().unwrap();
        let g_ref = (&y_ref * &r)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        close(
            "maxout dx",
            g.get(x.as_tensor()).unwrap(),
            g_ref.get(x.as_tensor()).unwrap(),
            0.0,
        );
    }
}
