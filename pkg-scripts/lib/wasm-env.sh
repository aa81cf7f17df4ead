# shellcheck shell=bash
# wasm32 build environment, shared by build-wasm and test. Sourced after common.sh.
# Defines wasm_cargo SUBCOMMAND [ARGS...]: cargo for wasm32-unknown-unknown with simd128,
# through rustup's wasm32 target when installed, else Debian's rustc-web building std itself.

WASM_TARGET=wasm32-unknown-unknown
WASM_RUSTFLAGS="-C target-feature=+simd128"

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
  local sub="$1" runner f
  shift
  # Host RUSTFLAGS (e.g. target-cpu=native) are not meant for wasm: extra wasm flags go in
  # LATENTLAB_WASM_RUSTFLAGS.
  local envs=("RUSTFLAGS=$WASM_RUSTFLAGS${LATENTLAB_WASM_RUSTFLAGS:+ $LATENTLAB_WASM_RUSTFLAGS}")
  runner="$(command -v wasm-bindgen-test-runner || true)"
  [ -z "$runner" ] || envs+=("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=$runner")
  case "$(wasm_route)" in
    rustup)
      env "${envs[@]}" cargo "$sub" --target "$WASM_TARGET" "$@"
      ;;
    debian)
      for f in /usr/bin/rustc /usr/bin/cargo /usr/bin/rustdoc /usr/lib/rustlib/src/rust/library/std; do
        [ -e "$f" ] || die "$f missing: no rustup wasm32 target and no Debian rustc-web; run pkg-scripts/setup"
      done
      env "${envs[@]}" PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
        /usr/bin/cargo "$sub" -Z build-std=std,panic_abort --target "$WASM_TARGET" "$@"
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
