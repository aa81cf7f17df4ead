// Static server with the headers the page needs: COOP/COEP (so crossOriginIsolated is true:
// SharedArrayBuffer, wasm threads), right MIME types (.wasm streaming compile), Cache-Control:
// no-cache. No dependencies; refuses paths outside its root (and, with `allow`, outside the
// listed URL prefixes). The one static server of the repository: the demo, the browser tests
// and the benchmarks all use it.
// CLI: node pkg-scripts/serve.mjs [PORT] [--root DIR] [--csp POLICY | --no-csp] [--cors] [--no-isolation]
//   PORT            default 8080; 0 picks a free port. Prints the URL.
//   --root DIR      serve DIR instead of www/ (the packed-tarball tests serve a temp project)
//   --csp POLICY    send `Content-Security-Policy: POLICY` with every response; the default is
//                   DEMO_CSP (below), under which www/ works in full; --no-csp sends none
//   --cors          act as a script host for other origins: `Access-Control-Allow-Origin: *` and
//                   `Cross-Origin-Resource-Policy: cross-origin` (a CDN-like host)
//   --no-isolation  leave COOP/COEP/CORP out, as a static host that cannot set headers would
// Module: serveStatic({root, port, allow, isolation, csp, cors}) → {url, close()} (no CSP unless
// `csp` is given).
import { createReadStream, realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WWW = join(dirname(fileURLToPath(import.meta.url)), '..', 'www');
const HOST = '127.0.0.1';

/**
 * The policy the demo page, the widget gallery and the tutorial work under (tested by
 * tests/browser/safety.test.mjs): nothing but this origin, no inline script or style, no eval
 * but wasm compilation, no plugins, no <base>, not framed. `worker-src blob:` is there for the
 * threaded build: wasm-bindgen-rayon starts its pool's workers from blob: URLs.
 */
export const DEMO_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

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

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The headers every response of a server with these options carries. */
function commonHeaders({ isolation = true, csp = null, cors = false } = {}) {
  return {
    ...(isolation ? ISOLATION_HEADERS : {}),
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    ...(cors ? { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' } : {}),
    ...(csp ? { 'Content-Security-Policy': csp } : {}),
  };
}

function send(res, common, code, text, extra = {}) {
  res.writeHead(code, { ...common, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : `${code} ${text}\n`);
}

/**
 * Serves `root` on 127.0.0.1:`port`; `allow` (URL path prefixes) limits what is served;
 * `isolation`, `csp` and `cors` choose the headers (see the CLI options above).
 */
export async function serveStatic({ root = WWW, port = 0, allow = null, isolation = true, csp = null, cors = false } = {}) {
  const realRoot = await realpath(root);
  const site = {
    realRoot,
    inside: (p) => p === realRoot || p.startsWith(realRoot + sep),
    allow,
    common: commonHeaders({ isolation, csp, cors }),
  };
  const server = createServer((req, res) => {
    handle(req, res, site).catch((err) => {
      console.error(`serve: ${req.url}: ${err.message}`);
      if (!res.headersSent) send(res, site.common, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, HOST, done);
  });
  return {
    url: `http://${HOST}:${server.address().port}/`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

async function handle(req, res, { realRoot, inside, allow, common }) {
  const reply = (code, text, extra) => send(res, common, code, text, extra);
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    return reply(400, 'Bad Request');
  }
  // Refuse traversal outright rather than normalising it away.
  if (pathname.includes('\0') || pathname.split(/[\\/]/).includes('..')) return reply(403, 'Forbidden');
  if (allow && !allow.some((prefix) => pathname.startsWith(prefix))) return reply(403, 'Forbidden');
  let file = join(realRoot, pathname);
  let info;
  try {
    file = await realpath(file); // symlinks must not lead out of the root either
    if (!inside(file)) return reply(403, 'Forbidden');
    info = await stat(file);
    if (info.isDirectory()) {
      if (!pathname.endsWith('/')) {
        const q = new URL(req.url, 'http://x').search;
        return reply(301, 'Moved Permanently', { Location: `${encodeURI(pathname)}/${q}` });
      }
      file = join(file, 'index.html');
      info = await stat(file);
    }
    if (!info.isFile()) return reply(404, 'Not Found');
  } catch {
    return reply(404, 'Not Found');
  }
  const lastModified = new Date(Math.floor(info.mtimeMs / 1000) * 1000);
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  const headers = {
    ...common,
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

/** {port, root, csp, cors, isolation} from argv; exits with a message on anything it does not know. */
function parseArgs(argv) {
  const opts = { port: process.env.PORT ?? '8080', root: null, csp: DEMO_CSP, cors: false, isolation: true };
  const bad = (msg) => {
    console.error(`serve: error: ${msg}`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--cors') opts.cors = true;
    else if (a === '--no-isolation') opts.isolation = false;
    else if (a === '--no-csp') opts.csp = null;
    else if (a === '--root' || a === '--csp') {
      if (i + 1 >= argv.length) bad(`${a} needs a value`);
      opts[a.slice(2)] = argv[++i];
    } else if (a.startsWith('--')) bad(`unknown option "${a}" (known: --root DIR, --csp POLICY, --no-csp, --cors, --no-isolation)`);
    else opts.port = a;
  }
  if (!/^\d+$/.test(String(opts.port)) || Number(opts.port) > 65535) bad(`bad port "${opts.port}"`);
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const port = Number(opts.port);
  const root = opts.root ? resolve(opts.root) : WWW;
  let server;
  try {
    server = await serveStatic({ root, port, isolation: opts.isolation, csp: opts.csp, cors: opts.cors });
  } catch (err) {
    const why = err.code === 'EADDRINUSE' ? `port ${port} is in use (try pkg-scripts/serve 8081)` : err.code === 'ENOENT' ? `${root} does not exist` : err.message;
    console.error(`serve: error: ${why}`);
    process.exit(1);
  }
  const mode = `${opts.isolation ? '' : ' without COOP/COEP'}${opts.csp === DEMO_CSP ? ' under the strict CSP (--no-csp: none)' : opts.csp ? ' under the given CSP' : ''}`;
  console.log(`Serving ${opts.root ?? 'www/'} at ${server.url}${mode}  (Ctrl-C stops)`);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      server.close();
      process.exit(0);
    });
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
