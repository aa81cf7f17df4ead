//! Ctrl-C (SIGINT) and SIGTERM during `train`: the first one asks the run to stop where its
//! current call of steps ends, so that it saves its checkpoint and loss curve; a second one
//! ends the process at once, as it would without us. Once saved, the run ends by the same
//! signal ([`reraise`]), so a shell or script that started it sees it interrupted.

use std::sync::atomic::{AtomicI32, Ordering};

/// The signal that asked the run to stop; 0 while none has.
static REQUESTED: AtomicI32 = AtomicI32::new(0);

/// The process's own signal names, for messages.
pub fn name(signal: i32) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

extern "C" fn on_signal(signal: libc::c_int) {
    REQUESTED.store(signal, Ordering::SeqCst);
    // SAFETY: `signal` is async-signal-safe; a second signal takes the default action.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
    }
}

/// Catches SIGINT and SIGTERM until [`reraise`]; a signal the process was started ignoring (a
/// shell's background job ignores SIGINT) stays ignored.
pub fn catch() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores an atomic and restores the default disposition; an
        // ignored signal is put back before any thread could be waiting for it.
        unsafe {
            if libc::signal(signal, handler) == libc::SIG_IGN {
                libc::signal(signal, libc::SIG_IGN);
            }
        }
    }
}

/// The signal that asked the run to stop, if one has.
pub fn requested() -> Option<i32> {
    match REQUESTED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// Ends the process by `signal`'s default action (the exit a shell reads as "interrupted":
/// status 130 for SIGINT), or with status 128 + `signal` if that returns.
pub fn reraise(signal: i32) -> ! {
    // SAFETY: restores the default disposition and raises the signal on this thread.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
    std::process::exit(128 + signal)
}
