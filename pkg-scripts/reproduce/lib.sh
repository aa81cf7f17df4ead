# shellcheck shell=bash
# Shared by pkg-scripts/reproduce/*: budgets, the CLI, and one JSON row per result appended to
# results/results.jsonl. Sourced; callers set ROOT.
: "${ROOT:?set ROOT before sourcing}"
# shellcheck source=../lib/common.sh
. "$ROOT/pkg-scripts/lib/common.sh"

BUDGET=small
DEVICE=cpu
for arg in "$@"; do
  case "$arg" in
    --full) BUDGET=full ;;
    --device=*) DEVICE="${arg#--device=}" ;;
  esac
done
[ "$BUDGET" = full ] && [ "$DEVICE" = cpu ] && say "warning: the --full budget is meant for a GPU (--device=cuda)"

cd "$ROOT"
"$ROOT/pkg-scripts/fetch-data" >/dev/null
# LATENTLAB_BIN: a fixed binary for long runs (so rebuilding the tree leaves them alone).
BIN="${LATENTLAB_BIN:-$ROOT/target/release/latentlab}"
[ -n "${LATENTLAB_BIN:-}" ] || cargo build --release --quiet
mkdir -p results
HARDWARE="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $DEVICE"

# json_get JSON FIELD.PATH: a number or string out of a JSON document (node is installed by setup).
json_get() {
  node -e 'let v=JSON.parse(process.argv[1]);for(const k of process.argv[2].split("."))v=v[k];console.log(typeof v==="object"?JSON.stringify(v):v)' "$1" "$2"
}

# row NAME METRIC VALUE PAPER_VALUE SEEDS COMMAND WALL_S [EXTRA_JSON]
# EXTRA_JSON: more fields for the row, e.g. {"std": 0.3} or {"checkpoint": "results/…"}.
row() {
  node -e '
    const [name, metric, value, paper, seeds, command, wall, hardware, budget, extra] = process.argv.slice(1);
    const num = (s) => (s === "null" ? null : Number(s));
    console.log(JSON.stringify({name, metric, value: num(value), paper_value: num(paper), seeds: Number(seeds),
      command, hardware, wall_s: Math.round(Number(wall) * 10) / 10, budget,
      date: new Date().toISOString().slice(0, 10), ...JSON.parse(extra || "{}")}));' \
    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$HARDWARE" "$BUDGET" "${8:-}" >>results/results.jsonl
  say "$1 $2 = $3 (paper: $4)"
}

# mean_of FIELD FILE...: mean of a numeric field over JSON files; null if any is null
# (an infinite reverse KL is written as null).
mean_of() {
  local field="$1"; shift
  node -e 'const fs=require("fs");const [f,...files]=process.argv.slice(1);let s=0;for(const p of files){let v=JSON.parse(fs.readFileSync(p,"utf8"));for(const k of f.split("."))v=v[k];if(v===null){s=null;break;}s+=v;}console.log(s===null?"null":s/files.length)' "$field" "$@"
}

# std_of FIELD FILE...: sample standard deviation of a numeric field over JSON files (0 for
# one file); null if any is null.
std_of() {
  local field="$1"; shift
  node -e 'const fs=require("fs");const [f,...files]=process.argv.slice(1);const xs=[];for(const p of files){let v=JSON.parse(fs.readFileSync(p,"utf8"));for(const k of f.split("."))v=v[k];if(v===null){console.log("null");process.exit(0);}xs.push(v);}const m=xs.reduce((a,b)=>a+b,0)/xs.length;const s=xs.length<2?0:Math.sqrt(xs.reduce((a,x)=>a+(x-m)**2,0)/(xs.length-1));console.log(s)' "$field" "$@"
}

# left_steps CHECKPOINT TOTAL: the steps a run resumed from CHECKPOINT has left to reach TOTAL in
# all (`train --resume --steps N` trains N more); 0 once it is there.
left_steps() {
  node -e 'const done=JSON.parse(process.argv[1]).train.steps;console.log(Math.max(0,Number(process.argv[2])-done))' \
    "$("$BIN" info "$1" --json)" "$2"
}
