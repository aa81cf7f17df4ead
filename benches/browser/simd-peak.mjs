// The machine's simd128 peak for one thread, measured in the same run as the benches: a tight
// f32x4 mul + add loop (what our plain simd128 kernels do: simd128 has no FMA), as a tiny wasm
// module written out here byte by byte (no tool needed at bench time; shared by Node and the
// Chromium page). Its one export `peak(iters) -> f32` runs `iters` times
//   acc_k = acc_k * m + a   for k = 1..ACC   (f32x4.mul then f32x4.add)
// on ACC independent accumulators: enough chains to hide the mul→add latency on 2 mul and
// 2 add ports, few enough to stay in 16 vector registers. m < 1 keeps the values bounded
// (no infinities, no denormals). FLOPs per iteration: ACC × 4 lanes × 2.
// Where the engine has relaxed-simd, the same loop with f32x4.relaxed_madd (one instruction,
// fused on FMA hardware) gives the peak the relaxed builds' kernels can reach: on CPUs whose
// multiplies and adds share two ports (Intel), about twice the mul + add one.

import { measure } from './bench-core.mjs';

const ACC = 12;
const ITERS = 20_000; // one step: ~1 M FLOPs, well under a millisecond
const FLOPS_PER_STEP = ACC * 4 * 2 * ITERS;

const f32le = (x) => [...new Uint8Array(Float32Array.of(x).buffer)];
const uleb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];

function peakModule(fused = false) {
  const M = ACC + 1; // local index of the v128 multiplier
  const A = ACC + 2; // local index of the v128 addend
  const SIMD = 0xfd;
  const v128Const = (x) => [SIMD, 0x0c, ...f32le(x), ...f32le(x), ...f32le(x), ...f32le(x)];
  const code = [1, ACC + 2, 0x7b]; // locals: ACC + 2 of v128 (local 0 is the i32 param)
  code.push(...v128Const(0.999), 0x21, M, ...v128Const(0.001), 0x21, A);
  for (let k = 1; k <= ACC; k++) code.push(0x43, ...f32le(k / ACC), SIMD, 0x13, 0x21, k); // f32x4.splat
  code.push(0x02, 0x40, 0x03, 0x40); // block, loop
  code.push(0x20, 0, 0x45, 0x0d, 1); // iters == 0 → break
  for (let k = 1; k <= ACC; k++) {
    if (fused) code.push(0x20, k, 0x20, M, 0x20, A, SIMD, 0x85, 0x02, 0x21, k); // relaxed_madd
    else code.push(0x20, k, 0x20, M, SIMD, 0xe6, 0x01, 0x20, A, SIMD, 0xe4, 0x01, 0x21, k); // mul, add
  }
  code.push(0x20, 0, 0x41, 1, 0x6b, 0x21, 0, 0x0c, 0, 0x0b, 0x0b); // iters -= 1; continue; end end
  code.push(0x20, 1);
  for (let k = 2; k <= ACC; k++) code.push(0x20, k, SIMD, 0xe4, 0x01); // sum the accumulators
  code.push(SIMD, 0x1f, 0, 0x0b); // f32x4.extract_lane 0; end
  const body = [...uleb(code.length), ...code]; // the one function body, size first
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]), // type: (i32) -> f32
    ...section(3, [1, 0]), // one function of type 0
    ...section(7, [1, 4, ...new TextEncoder().encode('peak'), 0, 0]), // export "peak"
    ...section(10, [1, ...body]), // code
  ]);
}

/** Whether this engine validates relaxed-simd (the fused loop, and the relaxed builds). */
export const relaxedSimd = WebAssembly.validate(peakModule(true));

/**
 * Measures the peak by `protocol` (bench-core.mjs), of the mul + add loop or (`fused`) the
 * relaxed_madd one. Returns {gflops, loop, ...measure()}: gflops from the median run.
 */
export async function measureSimdPeak(protocol, fused = false) {
  const { instance } = await WebAssembly.instantiate(peakModule(fused));
  const { peak } = instance.exports;
  const r = await measure(() => peak(ITERS), protocol);
  const op = fused ? 'f32x4.relaxed_madd' : 'f32x4.mul + f32x4.add';
  return {
    gflops: FLOPS_PER_STEP / (r.median * 1e6),
    loop: `${op}, ${ACC} accumulators, ${ITERS} iterations per call`,
    ...r,
  };
}

/**
 * Runs `suite` (async, returns the bench results) between two peak measurements and keeps
 * the higher peak (a busy moment at one end lowers only that one). Returns {simdPeak,
 * fmaPeak, results}; fmaPeak (the relaxed_madd loop, measured the same way) is null where
 * the engine has no relaxed-simd.
 */
export async function withSimdPeak(protocol, suite, log = () => {}) {
  const peaks = async (when) => {
    const plain = await measureSimdPeak(protocol);
    const fma = relaxedSimd ? await measureSimdPeak(protocol, true) : null;
    log(`simd128 peak (${when}): ${plain.gflops.toFixed(1)} GFLOP/s mul + add${fma ? `, ${fma.gflops.toFixed(1)} relaxed_madd` : ''}`);
    return [plain, fma];
  };
  const before = await peaks('before');
  const results = await suite();
  const after = await peaks('after');
  const best = (i) => {
    const [b, a] = [before[i], after[i]];
    if (!b) return null;
    return { ...(b.gflops >= a.gflops ? b : a), gflopsBeforeAfter: [b.gflops, a.gflops] };
  };
  return { simdPeak: best(0), fmaPeak: best(1), results };
}
