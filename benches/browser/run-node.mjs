// Benches A–E in Node: Latent Lab's wasm (www/pkg) vs TF.js 4.22's wasm backend.
// Run with `node --no-liftoff benches/browser/run-node.mjs [--quick] [--only A,C] [--pkg DIR] [--no-tfjs] [--stock-tfjs] [--out FILE]`
// (pkg-scripts/bench does). --pkg: another build of Latent Lab (default www/pkg; its relaxed-simd
// module, when there, needs Node 20's --experimental-wasm-relaxed-simd); --no-tfjs: Latent Lab's side only;
// --stock-tfjs: without the added Conv2DBackpropFilter (B, C unsupported). Writes {runtime, meta, results} as JSON to FILE (default stdout).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BENCHES, PROTOCOL, runSuite } from './bench-core.mjs';
import { latentLabBenches } from './latentlab-benches.mjs';
import { relaxedSimd, withSimdPeak } from './simd-peak.mjs';
import { tfjsBenches } from './tfjs-benches.mjs';
import { setupTfjs } from './tfjs-setup.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const only = (opt('--only') ?? Object.keys(BENCHES).join(',')).split(',').map((s) => s.trim().toUpperCase());
const out = opt('--out');
const log = (s) => process.stderr.write(`node: ${s}\n`);

if (!process.execArgv.includes('--no-liftoff')) log('warning: not started with --no-liftoff (benches/README.md asks for it)');

// A build's JS glue started with one of its modules; `instance` names a separate copy of the
// glue (a module URL with another query is another module), so that both modules run side by
// side.
async function loadBuild(dir, wasm = 'latentlab_bg.wasm', instance = '') {
  const m = await import(`${pathToFileURL(path.join(dir, 'latentlab.js')).href}${instance}`);
  await m.default({ module_or_path: fs.readFileSync(path.join(dir, wasm)) });
  return m;
}
const pkg = path.resolve(ROOT, opt('--pkg') ?? path.join('www', 'pkg'));
const ll = await loadBuild(pkg);
// The relaxed-simd module beside it, where built and where this Node runs relaxed-simd (Node
// 20: --experimental-wasm-relaxed-simd; pkg-scripts/bench passes it).
const relaxedWasm = path.join(pkg, 'latentlab_relaxed_bg.wasm');
const withRelaxed = relaxedSimd && fs.existsSync(relaxedWasm);
if (!withRelaxed) log(`no relaxed-simd rows (${relaxedSimd ? `${relaxedWasm} is not built` : 'this Node has no relaxed-simd: run it with --experimental-wasm-relaxed-simd'})`);
const llRelaxed = withRelaxed ? await loadBuild(pkg, 'latentlab_relaxed_bg.wasm', '?relaxed') : null;

// Silence tfjs's "install tfjs-node" banner (stdout is ours).
const warn = console.log;
console.log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const withTfjs = !args.includes('--no-tfjs');
const tfInfo = withTfjs ? await setupTfjs(tf, { stock: args.includes('--stock-tfjs') }) : null;
console.log = warn;

const protocol = quick ? PROTOCOL.quick : PROTOCOL.node;
log(`Latent Lab ${JSON.stringify(ll.capabilities())}; TF.js ${JSON.stringify(tfInfo)}; protocol ${JSON.stringify(protocol)}`);
const t0 = Date.now();
const libs = {
  latentlab: latentLabBenches(ll),
  ...(llRelaxed ? { 'latentlab-relaxed': latentLabBenches(llRelaxed) } : {}),
  ...(withTfjs ? { tfjs: tfjsBenches(tf) } : {}),
};
const { simdPeak, fmaPeak, results } = await withSimdPeak(protocol, () => runSuite({ libs, only, protocol, log }), log);

const report = {
  runtime: 'node',
  meta: {
    node: process.version,
    v8: process.versions.v8,
    execArgv: process.execArgv,
    quick,
    protocol,
    latentlab: ll.capabilities(),
    latentlabRelaxed: llRelaxed?.capabilities() ?? null,
    tfjs: tfInfo,
    cpu: os.cpus()[0]?.model,
    cpus: os.cpus().length,
    loadavgEnd: os.loadavg(),
    seconds: (Date.now() - t0) / 1000,
  },
  simdPeak,
  fmaPeak,
  results,
};
const json = `${JSON.stringify(report, null, 2)}\n`;
if (out) fs.writeFileSync(out, json);
else process.stdout.write(json);
