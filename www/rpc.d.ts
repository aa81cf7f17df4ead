// Types for rpc.js: the page's side of the compute worker's protocol (see worker.js for the
// request types and their payloads).

/** A promise per request to a module worker running worker.js. */
export declare class Rpc {
  constructor(worker: Worker);
  readonly worker: Worker;
  /**
   * Sends one request; `transfer` lists ArrayBuffers to move rather than copy.
   * Resolves to the reply's result; rejects with the worker's error message.
   */
  call<T = unknown>(type: string, payload?: object, onProgress?: ((progress: any) => void) | null, transfer?: Transferable[]): Promise<T>;
  /** Stops the worker; pending and later calls reject. */
  terminate(): void;
}

/** A new worker running worker.js (a same-origin blob: shim when this file is cross-origin). */
export declare function createWorker(): Worker;

/** The one worker the page and all widgets on it share. */
export declare function sharedRpc(): Rpc;

/** `call(type, payload, onProgress)` on the shared worker. */
export declare function call<T = unknown>(type: string, payload?: object, onProgress?: ((progress: any) => void) | null, transfer?: Transferable[]): Promise<T>;
