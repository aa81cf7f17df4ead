// Static server for www/ on 127.0.0.1 with the headers the page needs: COOP/COEP (so
// crossOriginIsolated is true: SharedArrayBuffer, wasm threads), right MIME types (.wasm
// streaming compile), Cache-Control: no-cache. No dependencies; refuses paths outside the root.
// Usage: node pkg-scripts/serve.mjs [PORT] [--root DIR] [--csp POLICY] [--cors] [--no-isolation]
//   PORT      default 8080; 0 picks a free port. Prints the URL.
//   --no-isolation  leave COOP/COEP/CORP out, as a static host that cannot set headers would
//   --root    serve DIR instead of www/ (the packed-tarball tests serve a temp project)
//   --csp     send `Content-Security-Policy: POLICY` with every response
//   --cors    act as a script host for other origins: `Access-Control-Allow-Origin: *` and
//             `Cross-Origin-Resource-Policy: cross-origin` (a CDN-like host)
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const HOST = '127.0.0.1';

/** {port, root, csp, cors, isolation} from argv; exits with a message on anything it does not know. */
function parseArgs(argv) {
  const opts = { port: process.env.PORT ?? '8080', root: null, csp: null, cors: false, isolation: true };
  const bad = (msg) => {
    console.error(`serve: error: ${msg}`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--cors') opts.cors = true;
    else if (a === '--no-isolation') opts.isolation = false;
    else if (a === '--root' || a === '--csp') {
      if (i + 1 >= argv.length) bad(`${a} needs a value`);
      opts[a.slice(2)] = argv[++i];
    } else if (a.startsWith('--')) bad(`unknown option "${a}" (known: --root DIR, --csp POLICY, --cors, --no-isolation)`);
    else opts.port = a;
  }
  if (!/^\d+$/.test(String(opts.port)) || Number(opts.port) > 65535) bad(`bad port "${opts.port}"`);
  return opts;
}

const OPTS = parseArgs(process.argv.slice(2));
const PORT = Number(OPTS.port);
const ROOT = OPTS.root ? resolve(OPTS.root) : join(dirname(fileURLToPath(import.meta.url)), '..', 'www');
const LABEL = OPTS.root ? OPTS.root : 'www/';

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

const COMMON = {
  ...(OPTS.isolation ? ISOLATION_HEADERS : {}),
  'Cache-Control': 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  ...(OPTS.cors ? { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' } : {}),
  ...(OPTS.csp ? { 'Content-Security-Policy': OPTS.csp } : {}),
};

function send(res, code, text, extra = {}) {
  res.writeHead(code, { ...COMMON, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : `${code} ${text}\n`);
}

const realRoot = await realpath(ROOT).catch(() => {
  console.error(`serve: error: ${ROOT} does not exist`);
  process.exit(1);
});
const inside = (p) => p === realRoot || p.startsWith(realRoot + sep);

async function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    return send(res, 400, 'Bad Request');
  }
  // Refuse traversal outright rather than normalising it away.
  if (pathname.includes('\0') || pathname.split(/[\\/]/).includes('..')) return send(res, 403, 'Forbidden');
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

const server = createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(`serve: ${req.url}: ${err.message}`);
    if (!res.headersSent) send(res, 500, 'Internal Server Error');
    else res.destroy();
  });
});
server.on('error', (err) => {
  console.error(`serve: error: ${err.code === 'EADDRINUSE' ? `port ${PORT} is in use (try pkg-scripts/serve 8081)` : err.message}`);
  process.exit(1);
});
server.listen(PORT, HOST, () => {
  const mode = OPTS.isolation ? '' : ' without COOP/COEP';
  console.log(`Serving ${LABEL} at http://${HOST}:${server.address().port}/${mode}  (Ctrl-C stops)`);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
