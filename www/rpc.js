// The page's (and the widgets') side of the worker protocol: a promise per request.
//
//   request  {id, type, payload}
//   replies  {id, type: "progress", progress}   zero or more, passed to onProgress
//            {id, type: "result", result}       settles the promise
//            {id, type: "error", message}       rejects it with an Error(message)
//            {type: "fatal", message}           the worker's wasm module trapped: the worker is dead
//
// See worker.js for the request types.
//
// A worker that dies (its wasm module trapped: out of memory or an internal error; an uncaught
// error; an unreadable reply) rejects every pending call with an error that says so. When the
// Rpc was made with a function that starts workers (sharedRpc's is), it then starts a new one,
// loads into it every model the old one held (the same payloads: URL or bytes, per slot) and
// fires `restart` with {reason, interrupted: [request types], reloaded: [names], failed:
// [{slot, name, message}]}; calls made meanwhile wait for the reload. Training runs are lost
// (their trainStart calls reject). A worker that fails before it ever answered (its script or
// module cannot load), or dies a third time within a minute, is not restarted: every later call
// rejects with the reason.

/** A worker that dies this many times within RESTART_WINDOW_MS is left dead. */
const MAX_DEATHS = 3;
const RESTART_WINDOW_MS = 60_000;

export class Rpc extends EventTarget {
  /**
   * @param {Worker | (() => Worker)} worker a module worker running worker.js, or a function
   *   that starts one (then a worker that dies is replaced)
   */
  constructor(worker) {
    super();
    this.spawn = typeof worker === 'function' ? worker : null;
    this.nextId = 1;
    this.pending = new Map();
    this.failure = null;
    /** How many times the worker was replaced. */
    this.restarts = 0;
    /** slot → the payload of its last successful loadModel (replayed into a new worker). */
    this.models = new Map();
    this.deaths = [];
    this.reloading = null;
    this.#attach(this.spawn ? this.spawn() : worker);
  }

  #attach(worker) {
    this.worker = worker;
    this.answered = false;
    const mine = (fn) => (e) => {
      if (this.worker === worker) fn(e);
    };
    worker.addEventListener('message', mine((e) => this.#onMessage(e.data)));
    // A worker that cannot start (its script or the wasm module failed to load) fires `error`
    // before it ever answered; a later `error` is an uncaught error inside it.
    worker.addEventListener(
      'error',
      mine((e) => {
        e.preventDefault?.();
        const why = e.message || 'could not start (see the console)';
        if (this.answered) this.#died(`an uncaught error in it: ${why}`);
        else this.#fail(new Error(`the compute worker failed: ${why}`));
      }),
    );
    worker.addEventListener('messageerror', mine(() => this.#died('it sent an unreadable message')));
  }

  /**
   * Sends one request. `transfer` lists ArrayBuffers to move rather than copy.
   * @returns {Promise<any>} the reply's `result`
   */
  call(type, payload = {}, onProgress = null, transfer = []) {
    if (this.failure) return Promise.reject(this.failure);
    if (this.reloading) return this.reloading.then(() => this.call(type, payload, onProgress, transfer));
    // A model load is remembered for a new worker; moved bytes are copied first to stay ours.
    const record = type === 'loadModel' && transfer.length ? structuredClone(payload) : payload;
    const p = this.#post(type, payload, onProgress, transfer);
    if (type === 'loadModel') p.then(() => this.models.set(payload?.slot ?? 'main', record), () => {});
    return p;
  }

  #post(type, payload, onProgress, transfer) {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { type, resolve, reject, onProgress });
      this.worker.postMessage({ id, type, payload }, transfer);
    });
  }

  #onMessage(msg) {
    this.answered = true;
    if (msg?.type === 'fatal') {
      this.#died(msg.message ?? 'its wasm module trapped');
      return;
    }
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

  #rejectPending(err) {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  #fail(err) {
    this.failure = err;
    this.#rejectPending(err);
  }

  /** The worker is dead: reject what it held, then replace it and reload its models (if we can). */
  #died(reason) {
    this.worker.terminate();
    const now = Date.now();
    this.deaths = [...this.deaths.filter((t) => now - t < RESTART_WINDOW_MS), now];
    if (!this.spawn || this.deaths.length >= MAX_DEATHS) {
      const again = this.deaths.length > 1 ? ` (${this.deaths.length} times within a minute: not restarted)` : '';
      this.#fail(new Error(`the compute worker died${again}: ${reason}`));
      return;
    }
    const interrupted = [...this.pending.values()].map((p) => p.type);
    this.#rejectPending(
      new Error(`the compute worker died: ${reason}. A new one was started and the loaded models are reloaded; what this request was doing is lost (a training run included)`),
    );
    this.restarts++;
    this.#attach(this.spawn());
    const worker = this.worker;
    const reloaded = [];
    const failed = [];
    const reload = (async () => {
      for (const [slot, payload] of this.models) {
        const name = payload.name ?? payload.url ?? slot;
        try {
          await this.#post('loadModel', payload, null, []);
          reloaded.push(name);
        } catch (err) {
          // This one died too: the next restart reloads, or none comes (the failure stands).
          if (this.worker !== worker || this.failure) return;
          this.models.delete(slot);
          failed.push({ slot, name, message: err.message });
        }
      }
    })();
    this.reloading = reload;
    reload.then(() => {
      if (this.reloading === reload) this.reloading = null;
      // (A replacement that failed for good meanwhile has said so through `#fail`.)
      if (this.worker === worker && !this.failure) this.dispatchEvent(new CustomEvent('restart', { detail: { reason, interrupted, reloaded, failed } }));
    });
  }

  terminate() {
    this.worker.terminate();
    this.#fail(new Error('the compute worker was stopped'));
  }
}

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
 * wasm thread pool size is `threads`, else the page's `?threads=N`, else the default (wasm.js);
 * `relaxed` (else the page's `?relaxed=`): `0` keeps it off the relaxed-simd modules. These
 * options travel in the worker's name (`latentlab?threads=2`, read by worker.js), not in its
 * URL, so that the URL is always the literal `new URL('./worker.js', import.meta.url)` that
 * bundlers (Vite, webpack) rewrite when they bundle the worker with the wasm and the data.
 *
 * Module workers must be same-origin with the page. When this file is served from another
 * origin (a CDN-like host that sends CORS headers), the worker is started from a same-origin
 * blob: URL whose only line imports the real worker.js by absolute URL; worker.js then finds the
 * wasm and the data relative to its own absolute URL. Same-origin pages get the direct worker,
 * so a CSP without `worker-src blob:` works for them.
 */
export function createWorker({ threads, relaxed } = {}) {
  const query = new URLSearchParams(globalThis.location?.search ?? '');
  const options = new URLSearchParams();
  for (const [key, value] of Object.entries({ threads: threads ?? query.get('threads'), relaxed: relaxed ?? query.get('relaxed') })) {
    if (value !== null && value !== undefined && value !== '') options.set(key, String(value));
  }
  const name = options.toString() ? `latentlab?${options}` : 'latentlab';
  const url = new URL('./worker.js', import.meta.url);
  if (url.origin !== self.location.origin) {
    const shim = URL.createObjectURL(new Blob([blobShim(url.href)], { type: 'text/javascript' }));
    const worker = new Worker(shim, { type: 'module', name });
    URL.revokeObjectURL(shim); // the worker resolved it when constructed; each restart makes its own
    return worker;
  }
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name });
}

let shared = null;

/** The one worker the page and the widgets on it share. */
export function sharedRpc() {
  shared ??= new Rpc(() => createWorker());
  return shared;
}

/** `call(type, payload, onProgress)` on the shared worker. */
export function call(type, payload, onProgress, transfer) {
  return sharedRpc().call(type, payload, onProgress, transfer);
}
