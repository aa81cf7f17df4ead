// The page's (and the widgets') side of the worker protocol: a promise per request.
//
//   request  {id, type, payload}
//   replies  {id, type: "progress", progress}   zero or more, passed to onProgress
//            {id, type: "result", result}       settles the promise
//            {id, type: "error", message}       rejects it with an Error(message)
//
// See worker.js for the request types.

export class Rpc {
  /** @param {Worker} worker a module worker running worker.js */
  constructor(worker) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map();
    this.failure = null;
    worker.addEventListener('message', (e) => this.#onMessage(e.data));
    // A worker that cannot start (its script or the wasm module failed to load) fires
    // `error`; every pending and later call is rejected with that message.
    worker.addEventListener('error', (e) => {
      e.preventDefault?.();
      this.#fail(new Error(`the compute worker failed: ${e.message || 'could not start (see the console)'}`));
    });
    worker.addEventListener('messageerror', () => this.#fail(new Error('the compute worker sent an unreadable message')));
  }

  /**
   * Sends one request. `transfer` lists ArrayBuffers to move rather than copy.
   * @returns {Promise<any>} the reply's `result`
   */
  call(type, payload = {}, onProgress = null, transfer = []) {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, type, payload }, transfer);
    });
  }

  #onMessage(msg) {
    const p = this.pending.get(msg?.id);
    if (!p) return;
    if (msg.type === 'progress') {
      try {
        p.onProgress?.(msg.progress);
      } catch (err) {
        console.error(err);
      }
      return;
    }
    this.pending.delete(msg.id);
    if (msg.type === 'result') p.resolve(msg.result);
    else p.reject(new Error(msg.message ?? 'unknown error in the compute worker'));
  }

  #fail(err) {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  terminate() {
    this.worker.terminate();
    this.#fail(new Error('the compute worker was stopped'));
  }
}

/** Where worker.js lies, relative to this file (a variable: bundlers leave this use alone). */
const WORKER_FILE = './worker.js';

/**
 * The source of a worker that imports the module at absolute `url`. The import is dynamic
 * (Chromium refuses a blob worker's static cross-origin import under a CSP, while it allows the
 * same import() under the same policy), so messages that arrive before the module has loaded
 * are held and replayed; a failed import is rethrown, which the page sees as the worker's
 * `error` event.
 */
function blobShim(url) {
  return `const early = [];
const hold = (e) => { e.stopImmediatePropagation(); early.push(e.data); };
self.addEventListener('message', hold);
import(${JSON.stringify(url)}).then(() => {
  self.removeEventListener('message', hold);
  for (const data of early) self.dispatchEvent(new MessageEvent('message', { data }));
}, (err) => setTimeout(() => { throw new Error('could not load ' + ${JSON.stringify(url)} + ': ' + err.message); }));
`;
}

/**
 * A new module worker running worker.js (resolved relative to this file, not the page). Its
 * wasm thread pool size is `threads`, else the page's `?threads=N`, else the default (wasm.js).
 *
 * Module workers must be same-origin with the page. When this file is served from another
 * origin (a CDN-like host that sends CORS headers), the worker is started from a same-origin
 * blob: URL whose only line imports the real worker.js by absolute URL; worker.js then finds the
 * wasm and the data relative to its own absolute URL. Same-origin pages get the direct worker,
 * so a CSP without `worker-src blob:` works for them. The direct form is written out literally
 * so that bundlers (Vite, webpack) see it and bundle the worker with the wasm and the data.
 */
export function createWorker({ threads } = {}) {
  const n = threads ?? new URLSearchParams(globalThis.location?.search ?? '').get('threads');
  const counted = n !== null && n !== undefined && n !== '';
  const url = new URL(WORKER_FILE, import.meta.url);
  if (counted) url.searchParams.set('threads', String(n));
  if (url.origin !== self.location.origin) {
    const shim = new Blob([blobShim(url.href)], { type: 'text/javascript' });
    return new Worker(URL.createObjectURL(shim), { type: 'module', name: 'latentlab' });
  }
  if (counted) return new Worker(url, { type: 'module', name: 'latentlab' });
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'latentlab' });
}

let shared = null;

/** The one worker the page and the widgets on it share. */
export function sharedRpc() {
  shared ??= new Rpc(createWorker());
  return shared;
}

/** `call(type, payload, onProgress)` on the shared worker. */
export function call(type, payload, onProgress, transfer) {
  return sharedRpc().call(type, payload, onProgress, transfer);
}
