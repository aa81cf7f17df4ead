// A tiny static server for the bench page: the repository root on 127.0.0.1, only under
// benches/browser/, www/pkg/, www/pkg-threads/, www/wasm.js and node_modules/@tensorflow/,
// with COOP/COEP (cross-origin isolated, as the demo is served) and no caching. startStaticServer(root) → {url, close()}.

import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, sep } from 'node:path';

const ALLOWED = ['/benches/browser/', '/www/pkg/', '/www/pkg-threads/', '/www/wasm.js', '/node_modules/@tensorflow/'];
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};
const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export async function startStaticServer(root) {
  const realRoot = await realpath(root);
  const server = createServer(async (req, res) => {
    const fail = (code) => {
      res.writeHead(code, { ...HEADERS, 'Content-Type': 'text/plain' });
      res.end(`${code}\n`);
    };
    try {
      const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405);
      if (pathname.split('/').includes('..') || !ALLOWED.some((p) => pathname.startsWith(p))) return fail(403);
      const file = await realpath(join(realRoot, pathname));
      if (!file.startsWith(realRoot + sep)) return fail(403);
      const info = await stat(file);
      if (!info.isFile()) return fail(404);
      res.writeHead(200, {
        ...HEADERS,
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
    } catch {
      fail(404);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
