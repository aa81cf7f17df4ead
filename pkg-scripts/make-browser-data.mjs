// Makes the compact dataset subsets the browser trains on, from the files fetch-data put in
// data/: for MNIST and Fashion-MNIST, the first 10000 training and first 1000 test images and
// labels, as gzipped IDX files (same format, first dimension rewritten) in www/data/:
//   {mnist,fashion-mnist}-{train,test}-{images,labels}.idx.gz
// Skips outputs that are newer than their inputs (and this script). No dependencies.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync, constants } from 'node:zlib';

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(dirname(SELF), '..');
const OUT_DIR = join(ROOT, 'www', 'data');
const COUNTS = { train: 10000, test: 1000 };
const DATASETS = [
  { name: 'mnist', dir: 'data/mnist', suffix: '' },
  { name: 'fashion-mnist', dir: 'data/fashion-mnist', suffix: '.gz' },
];
const SOURCES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};
// IDX element type code -> bytes per element.
const ELEMENT_BYTES = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

function fail(msg) {
  console.error(`make-browser-data: error: ${msg}`);
  process.exit(1);
}

/** The first `count` items of an IDX buffer, as a new IDX buffer. */
function idxHead(buf, count, what) {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) fail(`${what}: not an IDX file`);
  const elem = ELEMENT_BYTES[buf[2]];
  const ndim = buf[3];
  if (!elem || ndim < 1) fail(`${what}: unsupported IDX header`);
  const header = 4 + 4 * ndim;
  if (buf.length < header) fail(`${what}: truncated IDX header`);
  const dims = Array.from({ length: ndim }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const itemBytes = dims.slice(1).reduce((a, b) => a * b, 1) * elem;
  if (buf.length !== header + dims[0] * itemBytes) fail(`${what}: size does not match its header`);
  if (dims[0] < count) fail(`${what}: has ${dims[0]} items, need ${count}`);
  const out = Buffer.alloc(header + count * itemBytes);
  buf.copy(out, 0, 0, header);
  out.writeUInt32BE(count, 4);
  buf.copy(out, header, header, header + count * itemBytes);
  return out;
}

const mtime = (p) => statSync(p).mtimeMs;
const selfTime = mtime(SELF);
mkdirSync(OUT_DIR, { recursive: true });
let written = 0;
let bytes = 0;
for (const ds of DATASETS) {
  for (const [split, count] of Object.entries(COUNTS)) {
    for (const kind of ['images', 'labels']) {
      const src = join(ROOT, ds.dir, SOURCES[split][kind] + ds.suffix);
      const dest = join(OUT_DIR, `${ds.name}-${split}-${kind}.idx.gz`);
      if (!existsSync(src)) fail(`${relative(ROOT, src)} missing; run pkg-scripts/fetch-data first`);
      if (existsSync(dest) && mtime(dest) > Math.max(mtime(src), selfTime)) continue;
      let raw = readFileSync(src);
      if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
      const gz = gzipSync(idxHead(raw, count, relative(ROOT, src)), { level: constants.Z_BEST_COMPRESSION });
      const tmp = `${dest}.tmp-${process.pid}`;
      writeFileSync(tmp, gz);
      renameSync(tmp, dest);
      written += 1;
      bytes += gz.length;
    }
  }
}
if (written === 0) {
  console.log('make-browser-data: www/data/ up to date');
} else {
  console.log(`make-browser-data: wrote ${written} files to www/data/ (${(bytes / 1e6).toFixed(1)} MB)`);
}
