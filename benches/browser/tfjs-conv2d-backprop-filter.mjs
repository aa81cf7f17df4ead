// The one kernel stock @tensorflow/tfjs-backend-wasm 4.22 lacks for training convolutions:
// Conv2DBackpropFilter (the filter gradient of conv2d, and of conv2dTranspose). Registered
// for the 'wasm' backend and built only from ops that backend has (PadV2, Reshape, Transpose,
// Slice, Concat, BatchMatMul), as im2col + one matrix product:
//
//   patches[n·oh·ow, (kh·KW + kw)·Cin + ci] = xpad[n, oh·s + kh, ow·s + kw, ci]
//   dW[kh, kw, ci, co] = Σ_m patches[m, ·] · dy[m, co]
//
// Two things keep it off tfjs-wasm's slow paths (measured here: 20–25× slower): its
// BatchMatMul with transposeA/transposeB set, and StridedSlice. So the strided windows come
// from a space-to-depth reshape + transpose and plain 4-D slices (when the kernel size is a
// multiple of the stride, as in every bench: k4 s2), and the product is dyᵀ·patches with an
// explicit transpose. Other shapes fall back to StridedSlice windows.
//
// NHWC, dilation 1 (all tfjs's gradient path supports). Checked against tfjs's CPU kernel by
// check-kernel.mjs.

export function registerConv2DBackpropFilter(tf, backendName = 'wasm') {
  if (tf.getKernel('Conv2DBackpropFilter', backendName)) return false;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: ({ inputs, attrs }) => conv2DBackpropFilterIm2col(tf, inputs, attrs),
  });
  return true;
}

export function conv2DBackpropFilterIm2col(tf, inputs, attrs) {
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`Conv2DBackpropFilter (im2col): only NHWC, got ${dataFormat}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast',
  );
  const { batchSize: N, inChannels: C, outChannels: CO, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const { top, left } = info.padInfo;
  const [, H, W] = x.shape;
  // Rows/columns of padded input the windows span (bottom/right padding follows from it).
  const needH = (OH - 1) * SH + KH;
  const needW = (OW - 1) * SW + KW;
  const M = N * OH * OW;
  // The kernel returns a Tensor (the engine accepts that from a kernelFunc); intermediates are
  // freed by tidy.
  return tf.tidy(() => {
    const dyT = tf.transpose(tf.reshape(dy, [M, CO])); // [CO, M]
    if (KH % SH === 0 && KW % SW === 0) {
      // Space-to-depth: xpad [N, Hh·SH, Wh·SW, C] → r [N, Hh, Wh, SH·SW·C]; window (kh, kw) =
      // (a·SH + p, b·SW + q) is then slice [a, b] of r, channel block (p, q).
      const Hh = Math.ceil(needH / SH);
      const Wh = Math.ceil(needW / SW);
      const xp = tf.pad(x, [[0, 0], [top, Hh * SH - top - H], [left, Wh * SW - left - W], [0, 0]]);
      const r = tf.reshape(
        tf.transpose(tf.reshape(xp, [N, Hh, SH, Wh, SW, C]), [0, 1, 3, 2, 4, 5]),
        [N, Hh, Wh, SH * SW * C],
      );
      const A = KH / SH;
      const Bw = KW / SW;
      const cols = [];
      for (let a = 0; a < A; a++) {
        for (let b = 0; b < Bw; b++) cols.push(tf.slice(r, [0, a, b, 0], [N, OH, OW, SH * SW * C]));
      }
      const patches = tf.reshape(cols.length > 1 ? tf.concat(cols, 3) : cols[0], [M, KH * KW * C]); // (a, b, p, q, c)
      const dWT = tf.matMul(dyT, patches); // [CO, (a, b, p, q, c)]
      return tf.reshape(
        tf.transpose(tf.reshape(dWT, [CO, A, Bw, SH, SW, C]), [1, 3, 2, 4, 5, 0]), // (a, p, b, q, c, co)
        [KH, KW, C, CO],
      );
    }
    const xp = tf.pad(x, [[0, 0], [top, Math.max(0, needH - top - H)], [left, Math.max(0, needW - left - W)], [0, 0]]);
    const cols = [];
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        cols.push(
          tf.stridedSlice(xp, [0, kh, kw, 0], [N, kh + (OH - 1) * SH + 1, kw + (OW - 1) * SW + 1, C], [1, SH, SW, 1]),
        );
      }
    }
    const patches = tf.reshape(tf.concat(cols, 3), [M, KH * KW * C]);
    return tf.reshape(tf.transpose(tf.matMul(dyT, patches)), [KH, KW, C, CO]);
  });
}
