// FLOPs per iteration of benches/README.md's browser benches A–E, counted from the
// architectures the same way as benches/pytorch/flops.py (read its header): 2 FLOPs per
// multiply-add; a layer's forward costs its multiply-adds M, its backward M for the weight
// gradient where that layer is trained plus M for the input gradient unless its input needs
// none; elementwise work, losses and Adam not counted.

const linear = (i, o) => i * o;
/** Multiply-adds of a 4×4 convolution with an out_hw × out_hw output. */
const conv = (cin, cout, outHw) => cin * cout * 16 * outHw * outHw;
/** Multiply-adds of a 4×4 transposed convolution on an in_hw × in_hw input. */
const convT = (cin, cout, inHw) => cin * cout * 16 * inHw * inHw;

const sum = (net) => net.reduce((s, m) => s + m, 0);
const bwd = (net, trained, inputGrad) => (trained ? sum(net) : 0) + sum(net.slice(1)) + (inputGrad ? net[0] : 0);

const mlpVae = [linear(784, 400), linear(400, 20), linear(400, 20), linear(20, 400), linear(400, 784)];
const convDecoder = [linear(16, 3136), convT(64, 32, 7), convT(32, 1, 14)];
const convVae = [conv(1, 32, 14), conv(32, 64, 7), linear(3136, 16), linear(3136, 16), ...convDecoder];
const dcganG = [linear(100, 128 * 49), convT(128, 64, 7), convT(64, 1, 14)];
const dcganD = [conv(1, 64, 14), conv(64, 128, 7), linear(128 * 49, 1)];

/** One D step (real and detached fake) and one non-saturating G step through D. */
function gan(g, d) {
  const dStep = sum(g) + 2 * sum(d) + 2 * bwd(d, true, false);
  const gStep = sum(g) + sum(d) + bwd(d, false, true) + bwd(g, true, false);
  return dStep + gStep;
}

/** FLOPs of one iteration (one step of the bench's batch, or one sampled batch / frame). */
export const FLOPS_PER_ITER = {
  A: 2 * 128 * (sum(mlpVae) + bwd(mlpVae, true, false)),
  B: 2 * 64 * (sum(convVae) + bwd(convVae, true, false)),
  C: 2 * 64 * gan(dcganG, dcganD),
  D: 2 * 64 * sum(convDecoder),
  E: 2 * sum(mlpVae.slice(3)),
};
