"""Latent Lab vs PyTorch eager on the CPU: benches/README.md's native training benches N1–N4, same
architectures, batch, init, optimizer, losses and thread count, in one run. Run it through
pkg-scripts/bench-native, which installs PyTorch and builds Latent Lab's side (the
`train_speed` cargo bench, driven here over its `--serve` pipe).

Per bench: both sides warm up, then the timed runs alternate (Latent Lab first on even runs,
PyTorch first on odd ones) so that noise on a shared machine hits both; each run trains whole
steps until --run-seconds have passed; the median run is reported. The machine's FMA peak is measured at the start and
at the end, the higher kept; each bench's GFLOP/s counts benches/pytorch/flops.py's FLOPs.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import torch

from bench_torch import TorchBench
from flops import FLOPS_PER_SAMPLE

# Bench id → the PyTorch twin's kind (models.py).
KINDS = {"N1": "mlp-vae", "N2": "dcgan", "N3": "vaegan", "N4": "pacgan"}
TITLES = {"N1": "MLP VAE", "N2": "DCGAN", "N3": "VAE-GAN", "N4": "PacGAN2 ring-8"}
# Processes whose CPU use distorts a measurement, found by name (as pkg-scripts/bench does).
BUSY_NAMES = ("latentlab", "cargo", "rustc")


def busy():
    """The names in BUSY_NAMES of processes running now."""
    return [n for n in BUSY_NAMES if subprocess.run(["pgrep", "-x", n], capture_output=True).returncode == 0]


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def others_cpu(seconds=2.0):
    """Share of the machine's CPU time used over `seconds` while this benchmark sleeps (so by
    other processes), from /proc/stat."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]  # total, idle + iowait

    t0, i0 = sample()
    time.sleep(seconds)
    t1, i1 = sample()
    return 1 - (i1 - i0) / max(1, t1 - t0)


# Other processes may use this share of the CPU and the machine still counts as quiet.
QUIET_CPU = 0.1


def check_quiet():
    """(quiet, note): no process named in BUSY_NAMES, and others used < QUIET_CPU of the CPU."""
    names, share = busy(), others_cpu()
    note = f"{' '.join(names) + ' running' if names else 'no latentlab/cargo/rustc'}, others used {100 * share:.0f} % of the CPU, load {load_average()}"
    return not names and share < QUIET_CPU, note


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class LatentLab:
    """The `train_speed --serve` process: one command line in, one JSON line out."""

    def __init__(self, binary, threads):
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
        self.proc = subprocess.Popen([binary, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env)

    def ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            sys.exit(f"bench-native: Latent Lab's bench process ended (exit {self.proc.wait()}) on {command!r}")
        reply = json.loads(line)
        if "error" in reply:
            sys.exit(f"bench-native: Latent Lab's bench process answered {command!r} with: {reply['error']}")
        return reply

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def measure(bench, ours, args):
    """One bench: warm-ups, then timed runs that alternate; its result row."""
    about = ours.ask(f"describe {bench}")
    batch = ours.ask(f"train {bench} {args.warm_seconds} {args.min_steps}")["batch"]
    twin = TorchBench(KINDS[bench])
    if twin.batch != batch:
        sys.exit(f"bench-native: {bench}: Latent Lab trains batches of {batch}, the PyTorch twin {twin.batch}")
    twin.train(args.warm_seconds, args.min_steps)
    runs = {"latentlab": [], "pytorch": []}
    for run in range(args.runs):
        for side in (("latentlab", "pytorch") if run % 2 == 0 else ("pytorch", "latentlab")):
            if side == "latentlab":
                r = ours.ask(f"train {bench} {args.run_seconds} 1")
                runs[side].append((r["steps"], r["seconds"]))
            else:
                runs[side].append(twin.train(args.run_seconds, 1))
    rates = {k: [steps * batch / seconds for steps, seconds in v] for k, v in runs.items()}
    ll, pt = statistics.median(rates["latentlab"]), statistics.median(rates["pytorch"])
    return {
        "bench": bench,
        "title": TITLES[bench],
        "latentlab_samples_per_s": round(ll, 1),
        "pytorch_samples_per_s": round(pt, 1),
        "ratio": round(ll / pt, 3),
        "batch": batch,
        "cli": f"latentlab train {about['cli']}",
        "flops_per_sample": FLOPS_PER_SAMPLE[bench],
        "runs_samples_per_s": {k: [round(r, 1) for r in v] for k, v in rates.items()},
        "runs_steps": {k: [steps for steps, _ in v] for k, v in runs.items()},
        "latentlab_config": {"model": about["model"], "train": about["train"]},
    }


def add_flops(row, peak_gflops):
    for side in ("latentlab", "pytorch"):
        g = row["flops_per_sample"] * row[f"{side}_samples_per_s"] / 1e9
        row[f"{side}_gflops"] = round(g, 2)
        row[f"{side}_peak_percent"] = round(100 * g / peak_gflops, 2)


def table(result):
    p = result["peak"]
    lines = [
        f"Peak ({p['isa']} FMA loop, {p['threads']} threads): {p['gflops']:.1f} GFLOP/s. "
        f"{result['threads']} threads each, PyTorch {result['torch']}; "
        f"{'quiet' if result['quiet'] else 'NOT quiet'} (at start: {result['load']['start']}; at the end: {result['load']['end']}).",
        "",
        "| bench | batch | Latent Lab samples/s | PyTorch samples/s | ratio | Latent Lab GFLOP/s (% peak) | PyTorch GFLOP/s (% peak) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['bench']} {r['title']} | {r['batch']} | {r['latentlab_samples_per_s']:.0f} "
            f"| {r['pytorch_samples_per_s']:.0f} | {r['ratio']:.2f}× "
            f"| {r['latentlab_gflops']:.1f} ({r['latentlab_peak_percent']:.1f} %) "
            f"| {r['pytorch_gflops']:.1f} ({r['pytorch_peak_percent']:.1f} %) |")
    return "\n".join(lines)


def wait_quiet(minutes):
    deadline = time.time() + 60 * minutes
    while not (q := check_quiet())[0] and time.time() < deadline:
        print(f"bench-native: waiting for a quiet machine ({q[1]})", file=sys.stderr)
        time.sleep(60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--latentlab-bench", required=True, help="the built train_speed bench binary")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--only", default="N1,N2,N3,N4")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--run-seconds", type=float, default=2.0)
    ap.add_argument("--warm-seconds", type=float, default=3.0)
    ap.add_argument("--min-steps", type=int, default=3)
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="MINUTES")
    ap.add_argument("--commit", default="", help="Latent Lab's git commit, for the record")
    ap.add_argument("--out", help="write the results here (JSON)")
    args = ap.parse_args()
    benches = sorted({b.strip().upper() for b in args.only.split(",") if b.strip()})
    unknown = [b for b in benches if b not in KINDS]
    if unknown or not benches:
        sys.exit(f"bench-native: unknown bench {unknown} in --only (known: {', '.join(KINDS)})")
    if args.threads < 1 or args.runs < 1:
        sys.exit("bench-native: --threads and --runs must be at least 1")

    torch.set_num_threads(args.threads)
    if args.wait_quiet > 0:
        wait_quiet(args.wait_quiet)
    quiet_start, note_start = check_quiet()
    if not quiet_start:
        print(f"bench-native: warning: the machine is busy ({note_start}): numbers are distorted", file=sys.stderr)
    ours = LatentLab(args.latentlab_bench, args.threads)
    peaks = [ours.ask("peak 1.0")]
    rows = []
    for bench in benches:
        print(f"bench-native: {bench} {TITLES[bench]} ...", file=sys.stderr)
        rows.append(measure(bench, ours, args))
    peaks.append(ours.ask("peak 1.0"))
    ours.close()
    peak = max(peaks, key=lambda p: p["gflops"])
    for r in rows:
        add_flops(r, peak["gflops"])
    quiet_end, note_end = check_quiet()
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "os": platform.platform()},
        "threads": args.threads,
        "torch": torch.__version__,
        "latentlab_commit": args.commit,
        "quiet": quiet_start and quiet_end,
        "load": {"start": note_start, "end": note_end},
        "peak": {**peak, "gflops": round(peak["gflops"], 1), "runs_gflops": [round(p["gflops"], 1) for p in peaks]},
        "protocol": (
            "training samples/s over whole steps (forward, backward, optimizer, losses read back), "
            f"median of {args.runs} timed runs per side, each of whole steps until at least {args.run_seconds} s "
            f"have passed, after a warm-up of at least {args.warm_seconds} s and {args.min_steps} steps; runs alternate "
            "Latent Lab / PyTorch. One fixed batch: "
            "uniform-noise MNIST-shaped images (N1-N3), 100 ring-8 points (N4); Latent Lab's Session::train_steps "
            "reshuffles that one batch every step, PyTorch reuses the tensor. GFLOP/s from flops_per_sample "
            "(benches/pytorch/flops.py: 2 FLOPs per multiply-add of the layers' forward and needed backward passes)."
        ),
        "rows": rows,
    }
    print(table(result))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        print(f"\nbench-native: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
