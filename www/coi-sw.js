// Cross-origin isolation for static hosts that cannot send headers (GitHub Pages): one file,
// two halves. Loaded by the page as a classic <script>, it registers itself as a service
// worker when the page is not crossOriginIsolated, and reloads the page once when that worker
// takes control. As the service worker, it re-serves every same-origin response with
// COOP/COEP/CORP headers, so the reloaded page is isolated and wasm.js can pick the threaded
// build. Servers that send the headers (pkg-scripts/serve) never register it.

const RELOADED = 'latentlab-coi-reloaded';

/** `res` with the headers that make the page (and its workers) cross-origin isolated. */
function isolated(res) {
  if (res.status === 0) return res; // opaque: headers cannot be changed
  const headers = new Headers(res.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

if (typeof window === 'undefined') {
  self.addEventListener('install', () => self.skipWaiting());
  self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
  self.addEventListener('fetch', (e) => {
    const req = e.request;
    if (new URL(req.url).origin !== self.location.origin) return; // the network's own answer
    if (req.cache === 'only-if-cached' && req.mode !== 'same-origin') return;
    e.respondWith(fetch(req).then(isolated));
  });
} else if (!window.crossOriginIsolated && window.isSecureContext && 'serviceWorker' in navigator) {
  // Once per tab: if the reloaded page is still not isolated, it stays single-threaded.
  const reloadOnce = () => {
    if (sessionStorage.getItem(RELOADED)) return;
    sessionStorage.setItem(RELOADED, '1');
    location.reload();
  };
  navigator.serviceWorker.addEventListener('controllerchange', reloadOnce);
  navigator.serviceWorker
    .register(document.currentScript.src)
    .then(() => {
      if (navigator.serviceWorker.controller) reloadOnce(); // installed earlier, page not isolated yet
    })
    .catch((err) => console.warn(`Latent Lab: no cross-origin isolation service worker (${err.message}); single-thread wasm`));
}
