// The work of pkg-scripts/pack: stages the npm package `latentlab-web` and runs `npm pack`.
// The files are found by following widgets.js's relative imports and `new URL('…',
// import.meta.url)` references (so a new module is never forgotten), plus the wasm builds
// (pkg/, pkg-threads/ when built, each with its relaxed-simd module) and the browser data
// (data/). Prints the tarball's path.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WWW = join(ROOT, 'www');
const OUT = resolve(process.argv[2] ?? join(ROOT, 'target', 'pack'));
const die = (msg) => {
  console.error(`pack: error: ${msg}`);
  process.exit(1);
};

if (!existsSync(join(WWW, 'pkg', 'latentlab.js')) || !existsSync(join(WWW, 'pkg', 'latentlab_bg.wasm'))) {
  die('www/pkg has no wasm build: run pkg-scripts/build-wasm first');
}

/** What www/wasm.js loads when present (pkg-scripts/build-wasm makes them): the threaded build
 * and the relaxed-simd module beside the single-thread one. */
const OPTIONAL = [`pkg-threads${sep}`, join('pkg', 'latentlab_relaxed_bg.wasm')];

/** www-relative paths of the modules reachable from `entry`, and of the files they name. */
function reachable(entry) {
  const seen = new Set();
  const todo = [entry];
  const refs = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]|new URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url/g;
  while (todo.length) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    const abs = join(WWW, file);
    if (!existsSync(abs)) {
      // The worker falls back to pkg/'s plain module without them.
      if (OPTIONAL.some((o) => file.startsWith(o))) continue;
      die(`${file} is referenced but missing`);
    }
    seen.add(file);
    if (!file.endsWith('.js')) continue;
    for (const m of readFileSync(abs, 'utf8').matchAll(refs)) {
      const target = normalize(join(dirname(file), m[1] ?? m[2]));
      if (target.startsWith('..')) die(`${file} reaches outside www/: ${m[1] ?? m[2]}`);
      todo.push(target);
    }
  }
  return [...seen];
}

const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const stage = join(OUT, 'latentlab-web');
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

const files = new Set(reachable('widgets.js'));
for (const dts of ['widgets.d.ts', 'rpc.d.ts']) files.add(dts);
for (const f of files) cpSync(join(WWW, f), join(stage, f), { recursive: true });
const dirs = ['pkg', 'pkg-threads', 'data'].filter((d) => existsSync(join(WWW, d)));
for (const d of dirs) {
  cpSync(join(WWW, d), join(stage, d), { recursive: true, dereference: true, filter: (src) => !/(^|[\\/])(\.gitignore|package\.json)$/.test(src) });
}
if (!dirs.includes('data')) console.error('pack: warning: no www/data (run pkg-scripts/make-browser-data): trainers on images and test digits will not work');

const typed = (js, dts) => ({ types: `./${dts}`, default: `./${js}` });
const manifest = {
  name: 'latentlab-web',
  version,
  description: 'Latent Lab in the browser: custom elements that sample, interpolate, map, reconstruct and train generative models (VAE, GAN, VAE-GAN) in WebAssembly.',
  type: 'module',
  license: 'MIT OR Apache-2.0',
  keywords: ['vae', 'gan', 'webassembly', 'custom-elements', 'web-components', 'tutorial'],
  main: './widgets.js',
  types: './widgets.d.ts',
  exports: {
    '.': typed('widgets.js', 'widgets.d.ts'),
    './widgets.js': typed('widgets.js', 'widgets.d.ts'),
    './rpc.js': typed('rpc.js', 'rpc.d.ts'),
    './worker.js': './worker.js',
    './pkg/*': './pkg/*',
    ...(dirs.includes('pkg-threads') ? { './pkg-threads/*': './pkg-threads/*' } : {}),
    ...(dirs.includes('data') ? { './data/*': './data/*' } : {}),
    './package.json': './package.json',
  },
  sideEffects: ['./widgets.js'],
};
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
cpSync(join(ROOT, 'pkg-scripts', 'lib', 'package-readme.md'), join(stage, 'README.md'));

const out = execFileSync('npm', ['pack', '--pack-destination', OUT, '--silent'], { cwd: stage, encoding: 'utf8' }).trim().split('\n').pop();
const tgz = join(OUT, out);
const count = readdirSync(stage, { recursive: true }).length;
console.log(`pack: ${relative(process.cwd(), tgz) || tgz} (${count} entries from ${relative(ROOT, WWW)}/)`);
console.log(tgz);
