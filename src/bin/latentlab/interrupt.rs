//! Ctrl-C (SIGINT) and SIGTERM during `train`: the first one asks the run to stop where its
//! current call of steps ends, so that it saves its checkpoint and loss curve; another one
//! (of either kind) ends the process at once, as it would without us. Once saved, the run ends
//! by the first signal ([`reraise`]), so a shell or script that started it sees it interrupted.

#[cfg(unix)]
use std::sync::atomic::AtomicU64;
use std::sync::atomic::{AtomicI32, Ordering};

/// The signal that asked the run to stop; 0 while none has.
static REQUESTED: AtomicI32 = AtomicI32::new(0);
/// When it came, in nanoseconds of the monotonic clock.
#[cfg(unix)]
static REQUESTED_AT_NS: AtomicU64 = AtomicU64::new(0);
/// A signal this soon after the first is the same request delivered twice (`timeout` signals
/// its child and then the child's process group), not a second Ctrl-C.
#[cfg(unix)]
const SAME_REQUEST_NS: u64 = 200_000_000;

#[cfg(unix)]
const STOPPING: &[u8] = b"\nlatentlab: stopping once the current steps end, to save the run \
(Ctrl-C again quits without saving)\n";

/// The process's own signal names, for messages.
pub fn name(signal: i32) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// The monotonic clock, in nanoseconds (`clock_gettime` is async-signal-safe).
#[cfg(unix)]
fn now_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes one timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    (t.tv_sec as u64).saturating_mul(1_000_000_000) + t.tv_nsec as u64
}

/// Runs on the signal: only async-signal-safe calls (atomics, clock_gettime, write, signal,
/// raise).
#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    let now = now_ns();
    if REQUESTED
        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
    {
        REQUESTED_AT_NS.store(now.max(1), Ordering::SeqCst);
        // SAFETY: async-signal-safe calls on our own descriptors and dispositions. A reader
        // that Ctrl-C ends with us (`| tee log`) must not end the run by SIGPIPE before it has
        // saved: writes to it fail instead, and `train` ignores those failures.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
            libc::write(2, STOPPING.as_ptr().cast(), STOPPING.len());
        }
        return;
    }
    // 0: the first handler has not stored its time yet (a duplicate on another thread, or a
    // signal nested in that handler): the same request.
    let first_at = REQUESTED_AT_NS.load(Ordering::SeqCst);
    if first_at == 0 || now.saturating_sub(first_at) < SAME_REQUEST_NS {
        return;
    }
    // SAFETY: the default action for this signal, taken as soon as the handler returns (the
    // signal is blocked while its handler runs).
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Catches SIGINT and SIGTERM until [`reraise`]; a signal the process was started ignoring (a
/// shell's background job ignores SIGINT) stays ignored. Elsewhere than Unix, the signals keep
/// their default action.
#[cfg(unix)]
pub fn catch() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: installs the handler above (glibc's `signal` keeps it installed and blocks the
        // signal while it runs); an ignored signal is put back at once.
        unsafe {
            if libc::signal(signal, handler) == libc::SIG_IGN {
                libc::signal(signal, libc::SIG_IGN);
            }
        }
    }
}

#[cfg(not(unix))]
pub fn catch() {}

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
