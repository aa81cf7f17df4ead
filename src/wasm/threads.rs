//! The rayon thread pool. The threaded build (`--features threads`, atomics and shared memory)
//! exports `initThreadPool(n)` (from `wasm-bindgen-rayon`: `n` Web Workers sharing this module
//! and its memory), which the JS side awaits once, right after `init` and before any other
//! call: rayon builds its global pool at its first use, and a later `initThreadPool` fails.
//! Without it, and in the single-thread build, rayon runs everything on the calling thread.

use wasm_bindgen::prelude::*;

#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// How many threads rayon's global pool has: the `initThreadPool` size in the threaded build,
/// else 1 (the calling thread).
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count() -> usize {
    rayon::current_num_threads()
}
