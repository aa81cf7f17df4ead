// Merges run-node.mjs's and run-chromium.mjs's JSON, adds download sizes and the machine's
// state, writes the combined JSON and prints the markdown tables.
// Usage: node benches/browser/report.mjs --node N.json --chromium C.json --out OUT.json
// Env (set by pkg-scripts/bench): BENCH_QUIET (what the quiet check found), BENCH_LOAD_START.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHES } from './bench-core.mjs';
import { FLOPS_PER_ITER } from './flops.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const read = (f) => (f && fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null);
const node = read(opt('--node'));
const chromium = read(opt('--chromium'));
const out = opt('--out');

// TF.js reference medians from benches/README.md (another run; not measured here).
const REFERENCE = {
  source: 'benches/README.md, TF.js 4.22 wasm-SIMD single thread, + Conv2DBackpropFilter from tfjs wasm ops (not measured by this harness)',
  node: { A: 141, B: 247, C: 2056, D: 86.4, E: 0.069 },
  chromium: { A: 167, B: 251, C: 2168, D: 85.9, E: 0.091 },
};

function sizes(file) {
  const raw = fs.statSync(file).size;
  const gz = execFileSync('gzip', ['-9', '-c', file], { maxBuffer: 1 << 30 }).length;
  return { raw, gzip9: gz };
}

function git(...a) {
  try {
    return execFileSync('git', ['-C', ROOT, ...a], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const wasmFile = path.join(ROOT, 'www', 'pkg', 'latentlab_bg.wasm');
const optionalModules = ['pkg-threads/latentlab_bg.wasm', 'pkg/latentlab_relaxed_bg.wasm', 'pkg-threads/latentlab_relaxed_bg.wasm'];
const tfDir = path.join(ROOT, 'node_modules', '@tensorflow');
const download = {
  latentlab: {
    'www/pkg/latentlab_bg.wasm': sizes(wasmFile),
    'www/pkg/latentlab.js': sizes(path.join(ROOT, 'www', 'pkg', 'latentlab.js')),
    wasmSha256: createHash('sha256').update(fs.readFileSync(wasmFile)).digest('hex'),
    ...Object.fromEntries(
      optionalModules
        .map((m) => `www/${m}`)
        .filter((f) => fs.existsSync(path.join(ROOT, f)))
        .map((f) => [f, sizes(path.join(ROOT, f))]),
    ),
  },
  tfjsForContext: {
    'tfjs/dist/tf.min.js': sizes(path.join(tfDir, 'tfjs', 'dist', 'tf.min.js')),
    'tfjs-backend-wasm/dist/tf-backend-wasm.min.js': sizes(path.join(tfDir, 'tfjs-backend-wasm', 'dist', 'tf-backend-wasm.min.js')),
    'tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm': sizes(path.join(tfDir, 'tfjs-backend-wasm', 'dist', 'tfjs-backend-wasm-simd.wasm')),
  },
};

// GFLOP/s of every measured row, and its share of the simd128 (mul + add) peak of the same
// runtime's run (the threaded rows against the single-thread peak times the pool size); the
// relaxed-simd rows also against the relaxed_madd peak (fmaPeakPercent).
function addFlops(results, peakGflops, fmaPeakGflops) {
  for (const [id, r] of Object.entries(results ?? {})) {
    if (!r?.median || !FLOPS_PER_ITER[id]) continue;
    r.gflops = +(FLOPS_PER_ITER[id] / (r.median * 1e6)).toFixed(3);
    if (peakGflops) r.peakPercent = +((100 * r.gflops) / peakGflops).toFixed(1);
    if (fmaPeakGflops) r.fmaPeakPercent = +((100 * r.gflops) / fmaPeakGflops).toFixed(1);
  }
}
for (const rep of [node, chromium]) {
  for (const [lib, rows] of Object.entries(rep?.results ?? {})) {
    addFlops(rows, rep.simdPeak?.gflops, lib === 'latentlab-relaxed' ? rep.fmaPeak?.gflops : null);
  }
}
for (const t of chromium?.threaded ?? []) {
  const fma = t.relaxed && chromium.fmaPeak?.gflops;
  addFlops(t.results, chromium.simdPeak?.gflops && chromium.simdPeak.gflops * t.threads, fma && fma * t.threads);
}

const combined = {
  date: new Date().toISOString(),
  git: { head: git('rev-parse', 'HEAD'), dirtyPaths: (git('status', '--porcelain') ?? '').split('\n').filter(Boolean).length },
  machine: {
    cpu: os.cpus()[0]?.model,
    cpus: os.cpus().length,
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadavgStart: process.env.BENCH_LOAD_START ?? null,
    loadavgEnd: os.loadavg().map((v) => +v.toFixed(2)).join(' '),
    quiet: process.env.BENCH_QUIET ?? 'not checked',
  },
  notes: [
    'ms per iteration; median [min–max] of 7 timed runs of N iterations, N chosen so a run lasts ~500 ms (benches/README.md protocol).',
    'One iteration includes reading the result back to JS (loss scalar(s) / all pixels).',
    "TF.js B and C: stock tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter; this harness registers one for 'wasm' built from tfjs's own wasm ops (benches/browser/tfjs-conv2d-backprop-filter.mjs, checked by check-kernel.mjs).",
    "Init differs by design, irrelevant for speed: TF.js side uses benches/README.md's U(±1/√fan_in); Latent Lab's VAEs use U(±1/√fan_in) ('uniform'), its GAN uses DCGAN N(0, 0.02) ('dcgan').",
    'C: Latent Lab draws a fresh z for the G step (benches/README.md: one z for both); both sides re-run G forward in the G step.',
  ],
  flopsPerIter: { source: 'benches/browser/flops.mjs (2 FLOPs per multiply-add, as benches/pytorch/flops.py)', ...FLOPS_PER_ITER },
  reference: REFERENCE,
  download,
  node,
  chromium,
};
if (out) {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(combined, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Markdown.

const fmt = (v) => {
  if (v == null || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
};
const cell = (r) => {
  if (!r) return 'not run';
  if (r.unsupported) return r.unsupported;
  if (r.error) return `error: ${r.error.split('\n')[0]}`;
  return `${fmt(r.median)} [${fmt(r.min)}–${fmt(r.max)}]`;
};
const flopsCell = (r) => {
  if (!r?.gflops) return '–';
  const shares = [r.peakPercent, r.fmaPeakPercent].filter((v) => v != null).map((v) => `${v.toFixed(0)} %`);
  return `${fmt(r.gflops)}${shares.length ? ` (${shares.join(' / ')})` : ''}`;
};
const kb = (b) => `${(b / 1024).toFixed(0)} KiB`;
const mb = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;

const lines = [];
const quick = node?.meta?.quick || chromium?.meta?.quick;
lines.push(`### Latent Lab wasm vs TF.js ${node?.meta?.tfjs?.version ?? chromium?.meta?.tfjs?.version ?? '4.22'} wasm (SIMD, 1 thread): ms per iteration${quick ? ' — QUICK MODE, not a measurement' : ''}`);
lines.push('');
lines.push('| bench | runtime | Latent Lab ms, simd128 build (median [min–max]) | Latent Lab ms, relaxed-simd build | TF.js ms (median [min–max]) | TF.js / Latent Lab (simd128, relaxed) | Latent Lab GFLOP/s (% peak), simd128 build | relaxed-simd build (% mul+add peak / % FMA peak) | TF.js GFLOP/s (% peak) | TF.js ref. ms (benches/README.md, not measured here) |');
lines.push('|---|---|---|---|---|---|---|---|---|---|');
const ratioOf = (x, r) => (x?.median && r?.median ? `${(r.median / x.median).toFixed(2)}×` : '–');
for (const [rt, rep] of [['Node', node], ['Chromium', chromium]]) {
  if (!rep?.results) continue;
  for (const id of Object.keys(BENCHES)) {
    const a = rep.results.latentlab?.[id];
    const x = rep.results['latentlab-relaxed']?.[id];
    const b = rep.results.tfjs?.[id];
    if (!a && !b) continue;
    const ref = REFERENCE[rt.toLowerCase()][id];
    lines.push(`| ${id}. ${BENCHES[id]} | ${rt} | ${cell(a)} | ${cell(x)} | ${cell(b)} | ${ratioOf(a, b)}, ${ratioOf(x, b)} | ${flopsCell(a)} | ${flopsCell(x)} | ${flopsCell(b)} | ${ref} |`);
  }
}
lines.push('');
for (const [rt, rep] of [['Node', node], ['Chromium', chromium]]) {
  for (const [what, p] of [['simd128 (mul + add) peak', rep?.simdPeak], ['relaxed_madd (FMA) peak', rep?.fmaPeak]]) {
    if (p) lines.push(`${rt} ${what}, one thread, same run (benches/browser/simd-peak.mjs: ${p.loop}): ${fmt(p.gflops)} GFLOP/s (before / after the benches: ${p.gflopsBeforeAfter.map(fmt).join(' / ')}; the higher is kept).`);
  }
}
lines.push('GFLOP/s: benches/browser/flops.mjs\'s FLOPs per iteration (layers\' multiply-adds ×2, forward and needed backward passes) over the median time.');
lines.push('');
lines.push('Ratio > 1: Latent Lab is faster. TF.js B and C run with a Conv2DBackpropFilter kernel this harness adds to the wasm backend (im2col + matMul from tfjs wasm ops); stock tfjs-backend-wasm 4.22 cannot train them.');
const nm = node?.meta;
const cm = chromium?.meta;
if (nm) lines.push(`Node ${nm.node} (${(nm.execArgv ?? []).join(' ')}); protocol warm-up ≥ ${nm.protocol.minWarmIters} it and ≥ ${nm.protocol.minWarmMs / 1000} s, ${nm.protocol.runs} runs of ~${nm.protocol.targetMs} ms.`);
if (cm) lines.push(`Chromium ${cm.chromium} headless (--js-flags=--no-liftoff, crossOriginIsolated ${cm.crossOriginIsolated}); protocol warm-up ≥ ${cm.protocol?.minWarmIters} it and ≥ ${(cm.protocol?.minWarmMs ?? 0) / 1000} s, ${cm.protocol?.runs} runs of ~${cm.protocol?.targetMs} ms.`);
lines.push(`Machine: ${combined.machine.cpu}, ${combined.machine.cpus} cores; quiet check: ${combined.machine.quiet}; load average at start ${combined.machine.loadavgStart ?? '?'}, at end ${combined.machine.loadavgEnd}.`);
const leaks = [node, chromium].flatMap((rep) =>
  Object.entries(rep?.results?.tfjs ?? {}).filter(([, r]) => r.tensorsLeaked).map(([id, r]) => `${rep.runtime} ${id}: ${r.tensorsLeaked}`));
if (leaks.length) lines.push(`WARNING: TF.js tensors leaked during benches (${leaks.join(', ')}).`);
lines.push('');

const threaded = chromium?.threaded;
if (threaded?.length) {
  const sizes = threaded.map((r) => r.threads);
  lines.push(`### Latent Lab threaded build (www/pkg-threads, ${threaded[0].relaxed ? 'relaxed-simd' : 'simd128'} module, rayon pool in a Web Worker), Chromium: ms per iteration${quick ? ' — QUICK MODE, not a measurement' : ''}`);
  lines.push('');
  const single = threaded[0].relaxed ? 'latentlab-relaxed' : 'latentlab';
  lines.push(`| bench | single-thread build (www/pkg, ${threaded[0].relaxed ? 'relaxed-simd' : 'simd128'} module) | ${sizes.map((n) => `threaded, ${n} thread${n === 1 ? '' : 's'}`).join(' | ')} | speed-up, ${sizes[sizes.length - 1]} vs ${sizes[0]} | GFLOP/s (% of ${sizes[sizes.length - 1]} × peak), ${sizes[sizes.length - 1]} threads |`);
  lines.push(`|---|---|${sizes.map(() => '---|').join('')}---|---|`);
  for (const id of Object.keys(BENCHES)) {
    const rows = threaded.map((r) => r.results?.[id]);
    if (rows.every((r) => !r)) continue;
    const [first, last] = [rows[0], rows[rows.length - 1]];
    const up = first?.median && last?.median ? `${(first.median / last.median).toFixed(2)}×` : '–';
    lines.push(`| ${id}. ${BENCHES[id]} | ${cell(chromium.results?.[single]?.[id])} | ${rows.map(cell).join(' | ')} | ${up} | ${flopsCell(last)} |`);
  }
  lines.push('');
  lines.push('Same protocol; the threaded rows run in a module Web Worker (as the demo computes), the single-thread row on the bench page\'s main thread.');
  lines.push('');
}

const page = chromium?.page;
lines.push('### Demo page (www/index.html via pkg-scripts/serve.mjs, headless Chromium)');
lines.push('');
lines.push('| metric | value |');
lines.push('|---|---|');
for (const [key, label] of [['default', 'default V8 tiers (as visitors get it)'], ['noLiftoff', '--js-flags=--no-liftoff']]) {
  const p = page?.[key];
  if (!p) continue;
  const f = p.firstGridMs;
  const model = p.runs.find((r) => r.model)?.model;
  const errs = p.runs.filter((r) => r.error).length;
  lines.push(`| time to first sample grid, ${label}: median [min–max] of ${p.loads} fresh loads | ${f ? `${fmt(f.median)} ms [${fmt(f.min)}–${fmt(f.max)}]` : 'no grid'}${errs ? ` (${errs} loads failed)` : ''}${model ? ` (model: ${model})` : ''} |`);
  const ls = p.runs.filter((r) => r.lastSampleMs != null).map((r) => r.lastSampleMs).sort((x, y) => x - y);
  if (ls.length) lines.push(`| first grid's sample call (round trip to the worker), ${label}: median | ${fmt(ls[ls.length >> 1])} ms${p.runs[0].lastSampleN ? ` (${p.runs[0].lastSampleN} samples)` : ''} |`);
}
const ws = download.latentlab['www/pkg/latentlab_bg.wasm'];
lines.push(`| www/pkg/latentlab_bg.wasm | ${mb(ws.raw)} raw, ${kb(ws.gzip9)} gzip -9 |`);
for (const m of optionalModules) {
  const w = download.latentlab[`www/${m}`];
  if (w) lines.push(`| www/${m} | ${mb(w.raw)} raw, ${kb(w.gzip9)} gzip -9 |`);
}
const js = download.latentlab['www/pkg/latentlab.js'];
lines.push(`| www/pkg/latentlab.js | ${kb(js.raw)} raw, ${kb(js.gzip9)} gzip -9 |`);
const t = download.tfjsForContext;
const tfTotal = Object.values(t).reduce((s, v) => s + v.gzip9, 0);
lines.push(`| for context, TF.js: tf.min.js + tf-backend-wasm.min.js + tfjs-backend-wasm-simd.wasm | ${kb(tfTotal)} gzip -9 (wasm ${mb(t['tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'].raw)} raw) |`);
lines.push('');
if (out) {
  const abs = path.resolve(out);
  lines.push(`Raw results: ${abs.startsWith(ROOT + path.sep) ? path.relative(ROOT, abs) : abs}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
