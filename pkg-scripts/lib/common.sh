# shellcheck shell=bash
# Shared helpers for pkg-scripts/*: repository root, messages, root/apt helpers.
# Sourced, never executed. Callers set ROOT before sourcing (resolved from their own path).

: "${ROOT:?set ROOT before sourcing common.sh}"
SCRIPT_NAME="$(basename "$0")"

# rustup's cargo installs binaries (wasm-bindgen) here; keep them reachable.
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in
  *":$CARGO_BIN:"*) ;;
  *) [ -d "$CARGO_BIN" ] && PATH="$PATH:$CARGO_BIN" ;;
esac
export PATH

say() { printf '%s: %s\n' "$SCRIPT_NAME" "$*"; }
die() { printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# Run a command as root: directly when root, else through sudo when it exists.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif have sudo; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# True when a Debian package is installed.
deb_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

# Run a command with its output in a log file; on failure show the log's tail and die.
quietly() {
  local what="$1" log
  shift
  log="$(mktemp "${TMPDIR:-/tmp}/latentlab-${SCRIPT_NAME}.XXXXXX.log")"
  if "$@" >"$log" 2>&1; then
    rm -f "$log"
  else
    tail -n 25 "$log" >&2
    die "$what failed (full log: $log)"
  fi
}

# apt-get install, waiting for another apt/dpkg run to let go of the lock.
apt_install() {
  have apt-get || die "apt-get not found; install these by hand: $*"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -y -qq)
  say "apt-get update + install: $*"
  quietly "apt-get update" as_root "${apt[@]}" update
  quietly "apt-get install $*" as_root "${apt[@]}" install "$@"
}

# The version of a package pinned in Cargo.lock (empty when absent).
cargo_lock_version() {
  [ -f "$ROOT/Cargo.lock" ] || return 0
  awk -v want="\"$1\"" '
    /^\[\[package\]\]/ { name = "" }
    /^name = / { name = $3 }
    /^version = / && name == want { gsub(/"/, "", $3); print $3; exit }
  ' "$ROOT/Cargo.lock"
}
