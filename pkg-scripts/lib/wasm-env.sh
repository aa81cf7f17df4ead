# shellcheck shell=bash
# wasm32 build environment, shared by build-wasm and test. Sourced after common.sh.
# Defines wasm_cargo SUBCOMMAND [ARGS...]: cargo for wasm32-unknown-unknown with simd128,
# through rustup's wasm32 target when installed, else Debian's rustc-web building std itself.
# WASM_BUILD (set before calling) chooses the build: single (the default); threads, atomics
# and shared memory, std rebuilt with them (build-std on either route), `--features threads`,
# in its own target dir (other RUSTFLAGS: sharing one would rebuild everything at each
# switch); relaxed and threads-relaxed, the same two with relaxed-simd (our products' fused
# multiply-add, src/kernels/simd128.rs). Only our crate needs relaxed-simd, so those two share
# the plain builds' target dirs and dependencies, and pass the feature to our crate alone
# (wasm_crate_flags, for `cargo rustc`): a relaxed build recompiles one crate, not all.

WASM_TARGET=wasm32-unknown-unknown
WASM_RUSTFLAGS="-C target-feature=+simd128"
# Shared memory: imported (the pool's Web Workers get the same one), up to 4 GiB like the
# single-thread build, and the TLS symbols wasm-bindgen sets up for each thread.
WASM_THREADS_RUSTFLAGS="-C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals \
-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=4294967296 \
-C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
-C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"
WASM_BUILD="${WASM_BUILD:-single}"
# Every build, in the order build-wasm makes them.
WASM_BUILDS=(single threads relaxed threads-relaxed)

# The target dir of the current WASM_BUILD: the usual one for single and relaxed, wasm-threads/
# inside it for the threaded two (LATENTLAB_THREADS_TARGET_DIR overrides that one).
wasm_target_dir() {
  local base="${CARGO_TARGET_DIR:-$ROOT/target}"
  case "$WASM_BUILD" in
    single | relaxed) printf '%s\n' "$base" ;;
    threads | threads-relaxed) printf '%s\n' "${LATENTLAB_THREADS_TARGET_DIR:-$base/wasm-threads}" ;;
  esac
}

# The rustc flags of our crate alone in the current WASM_BUILD (none for the plain builds).
wasm_crate_flags() {
  case "$WASM_BUILD" in
    *relaxed) printf '%s\n' "-C target-feature=+relaxed-simd" ;;
  esac
}

# Which route: LATENTLAB_WASM_ROUTE=rustup|debian overrides the detection.
wasm_route() {
  if [ -n "${LATENTLAB_WASM_ROUTE:-}" ]; then
    printf '%s\n' "$LATENTLAB_WASM_ROUTE"
  elif have rustup && timeout 20 rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
    echo rustup
  else
    echo debian
  fi
}

wasm_cargo() {
  local sub="$1" runner f flags="$WASM_RUSTFLAGS" extra=()
  shift
  case "$WASM_BUILD" in
    single | relaxed) ;;
    threads | threads-relaxed) flags="$WASM_THREADS_RUSTFLAGS" extra=(--features threads) ;;
    *) die "WASM_BUILD must be one of ${WASM_BUILDS[*]}, got $WASM_BUILD" ;;
  esac
  # Host RUSTFLAGS (e.g. target-cpu=native) are not meant for wasm: extra wasm flags go in
  # LATENTLAB_WASM_RUSTFLAGS.
  local envs=("RUSTFLAGS=$flags${LATENTLAB_WASM_RUSTFLAGS:+ $LATENTLAB_WASM_RUSTFLAGS}"
    "CARGO_TARGET_DIR=$(wasm_target_dir)")
  runner="$(command -v wasm-bindgen-test-runner || true)"
  [ -z "$runner" ] || envs+=("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=$runner")
  case "$(wasm_route)" in
    rustup)
      if [ "${WASM_BUILD#threads}" != "$WASM_BUILD" ]; then
        # std must be rebuilt with atomics: rust-src, and build-std (nightly-only, unlocked).
        timeout 20 rustup component list --installed 2>/dev/null | grep -q '^rust-src' ||
          die "the threaded wasm build needs rust-src: rustup component add rust-src"
        env "${envs[@]}" RUSTC_BOOTSTRAP=1 cargo "$sub" -Z build-std=std,panic_abort \
          --target "$WASM_TARGET" "${extra[@]}" "$@"
      else
        env "${envs[@]}" cargo "$sub" --target "$WASM_TARGET" "$@"
      fi
      ;;
    debian)
      for f in /usr/bin/rustc /usr/bin/cargo /usr/bin/rustdoc /usr/lib/rustlib/src/rust/library/std; do
        [ -e "$f" ] || die "$f missing: no rustup wasm32 target and no Debian rustc-web; run pkg-scripts/setup"
      done
      env "${envs[@]}" PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
        /usr/bin/cargo "$sub" -Z build-std=std,panic_abort --target "$WASM_TARGET" "${extra[@]}" "$@"
      ;;
    *) die "LATENTLAB_WASM_ROUTE must be rustup or debian" ;;
  esac
}

# wasm-bindgen must equal the wasm-bindgen crate in Cargo.lock.
wasm_bindgen_check() {
  local want have_v
  want="$(cargo_lock_version wasm-bindgen)"
  have wasm-bindgen || die "wasm-bindgen not found; run pkg-scripts/setup"
  have_v="$(wasm-bindgen --version | awk '{print $2}')"
  [ -z "$want" ] || [ "$want" = "$have_v" ] ||
    die "wasm-bindgen $have_v != $want in Cargo.lock; run pkg-scripts/setup"
}
