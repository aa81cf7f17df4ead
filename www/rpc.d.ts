// Types for rpc.js: the page's side of the compute worker's protocol (see worker.js for the
// request types and their payloads).

/** What `restart` carries: why the worker died, and the models reloaded into its successor. */
export interface RestartDetail {
  reason: string;
  /** The types of the calls that were pending (and rejected), e.g. "trainStart" for a lost run. */
  interrupted: string[];
  /** The reloaded models' names (file names or URLs). */
  reloaded: string[];
  /** The models that did not load again (the new worker does not hold them). */
  failed: { slot: string; name: string; message: string }[];
}

/**
 * A promise per request to a module worker running worker.js. Made with a function that starts
 * workers, it replaces one that dies (its wasm module trapped, an uncaught error), reloads the
 * models it held and fires `restart` (a CustomEvent with a RestartDetail); the calls pending
 * when it died reject with the reason.
 */
export declare class Rpc extends EventTarget {
  constructor(worker: Worker | (() => Worker));
  /** The current worker (a new one after each restart). */
  readonly worker: Worker;
  /** How many times the worker was replaced. */
  readonly restarts: number;
  /**
   * Sends one request; `transfer` lists ArrayBuffers to move rather than copy.
   * Resolves to the reply's result; rejects with the worker's error message.
   */
  call<T = unknown>(type: string, payload?: object, onProgress?: ((progress: any) => void) | null, transfer?: Transferable[]): Promise<T>;
  /** Stops the worker; pending and later calls reject. */
  terminate(): void;
}

/**
 * A new worker running worker.js (a same-origin blob: shim when this file is cross-origin).
 * `threads` and `relaxed` choose the wasm build as the page's `?threads=` / `?relaxed=` query
 * does (which they override).
 */
export declare function createWorker(options?: { threads?: number | string; relaxed?: number | string }): Worker;

/** The one worker the page and all widgets on it share. */
export declare function sharedRpc(): Rpc;

/** `call(type, payload, onProgress)` on the shared worker. */
export declare function call<T = unknown>(type: string, payload?: object, onProgress?: ((progress: any) => void) | null, transfer?: Transferable[]): Promise<T>;
