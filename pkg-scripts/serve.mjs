// Static server with the headers the page needs: COOP/COEP (so crossOriginIsolated is true:
// SharedArrayBuffer, wasm threads), right MIME types (.wasm streaming compile), Cache-Control:
// no-cache. No dependencies; refuses paths outside its root (and, with `allow`, outside the
// listed URL prefixes). The one static server of the repository: the demo, the browser tests
// and the benchmarks all use it.
// CLI: node pkg-scripts/serve.mjs [PORT] serves www/ on 127.0.0.1 (default 8080; 0 picks a
// free port) and prints the URL. Module: serveStatic({root, port, allow}) → {url, close()}.
import { createReadStream, realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WWW = join(dirname(fileURLToPath(import.meta.url)), '..', 'www');
const HOST = '127.0.0.1';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
  '.gz': 'application/gzip',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

const COMMON = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-cache',
  'X-Content-Type-Options': 'nosniff',
};

function send(res, code, text, extra = {}) {
  res.writeHead(code, { ...COMMON, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : `${code} ${text}\n`);
}

/** Serves `root` on 127.0.0.1:`port`; `allow` (URL path prefixes) limits what is served. */
export async function serveStatic({ root = WWW, port = 0, allow = null } = {}) {
  const realRoot = await realpath(root);
  const inside = (p) => p === realRoot || p.startsWith(realRoot + sep);
  const server = createServer((req, res) => {
    handle(req, res, realRoot, inside, allow).catch((err) => {
      console.error(`serve: ${req.url}: ${err.message}`);
      if (!res.headersSent) send(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, resolve);
  });
  return {
    url: `http://${HOST}:${server.address().port}/`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

async function handle(req, res, realRoot, inside, allow) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    return send(res, 400, 'Bad Request');
  }
  // Refuse traversal outright rather than normalising it away.
  if (pathname.includes('\0') || pathname.split(/[\\/]/).includes('..')) return send(res, 403, 'Forbidden');
  if (allow && !allow.some((prefix) => pathname.startsWith(prefix))) return send(res, 403, 'Forbidden');
  let file = join(realRoot, pathname);
  let info;
  try {
    file = await realpath(file); // symlinks must not lead out of www/ either
    if (!inside(file)) return send(res, 403, 'Forbidden');
    info = await stat(file);
    if (info.isDirectory()) {
      if (!pathname.endsWith('/')) {
        const q = new URL(req.url, 'http://x').search;
        return send(res, 301, 'Moved Permanently', { Location: `${encodeURI(pathname)}/${q}` });
      }
      file = join(file, 'index.html');
      info = await stat(file);
    }
    if (!info.isFile()) return send(res, 404, 'Not Found');
  } catch {
    return send(res, 404, 'Not Found');
  }
  const lastModified = new Date(Math.floor(info.mtimeMs / 1000) * 1000);
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  const headers = {
    ...COMMON,
    'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Last-Modified': lastModified.toUTCString(),
  };
  if (!Number.isNaN(since) && lastModified.getTime() <= since) {
    res.writeHead(304, headers);
    return res.end();
  }
  res.writeHead(200, { ...headers, 'Content-Length': info.size });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

async function main() {
  const arg = process.argv[2] ?? process.env.PORT ?? '8080';
  const port = Number(arg);
  if (!/^\d+$/.test(String(arg)) || port > 65535) {
    console.error(`serve: error: bad port "${arg}"`);
    process.exit(2);
  }
  let server;
  try {
    server = await serveStatic({ root: WWW, port });
  } catch (err) {
    const why = err.code === 'EADDRINUSE' ? `port ${port} is in use (try pkg-scripts/serve 8081)` : err.code === 'ENOENT' ? `${WWW} does not exist` : err.message;
    console.error(`serve: error: ${why}`);
    process.exit(1);
  }
  console.log(`Serving www/ at ${server.url}  (Ctrl-C stops)`);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      server.close();
      process.exit(0);
    });
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
