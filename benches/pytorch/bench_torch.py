"""Training throughput of the PyTorch twins of Latent Lab's models (samples/s, median of runs).

    python3 benches/pytorch/bench_torch.py --kind dcgan --device cuda --steps 200 --runs 5 [--tf32]

Data: one fixed batch on the device (uniform [0, 1] MNIST-shaped images; 100 ring-8 points for
PacGAN), as benches/README.md's protocol; prints one JSON line. `TorchBench` is the same bench as
an object, which pkg-scripts/bench-native times in turn with Latent Lab's.
"""
import argparse
import json
import math
import statistics
import time

import torch

from models import KINDS, build


def ring8(n, generator):
    """`n` points of the 8-Gaussian ring (unit circle, σ = 0.01), as src/data/toy.rs draws them."""
    modes = torch.randint(0, 8, (n,), generator=generator).float() * (2 * math.pi / 8)
    centres = torch.stack([modes.cos(), modes.sin()], 1)
    return centres + 0.01 * torch.randn(n, 2, generator=generator)


class TorchBench:
    """One model, its optimizer(s) and its fixed batch, ready to train."""

    def __init__(self, kind, device="cpu"):
        torch.manual_seed(0)
        self.device = device
        self.model, self.opt, self.step_fn, self.batch = build(kind, device)
        g = torch.Generator().manual_seed(0)
        x = ring8(self.batch, g) if kind == "pacgan" else torch.rand(self.batch, 1, 28, 28, generator=g)
        self.x = x.to(device)

    def _sync(self):
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()

    def steps(self, n):
        """`n` whole training steps (losses read back at the end); seconds taken."""
        t = time.perf_counter()
        for _ in range(n):
            loss = self.step_fn(self.model, self.opt, self.x)
        loss.item()
        self._sync()
        return time.perf_counter() - t

    def train(self, seconds, min_steps):
        """Trains one step at a time until at least `seconds` and `min_steps` steps have
        passed (a warm-up, or a timed run that ends on time); (steps, seconds)."""
        t, n = time.perf_counter(), 0
        while n < min_steps or time.perf_counter() - t < seconds:
            self.steps(1)
            n += 1
        return n, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=KINDS, required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, help="CPU threads (default: PyTorch's choice)")
    ap.add_argument("--tf32", action="store_true")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    bench = TorchBench(args.kind, args.device)
    bench.train(1.0, 20)
    rates = [args.steps * bench.batch / bench.steps(args.steps) for _ in range(args.runs)]
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "kind": args.kind, "device": args.device,
                      "threads": torch.get_num_threads(), "batch": bench.batch,
                      "samples_per_s": statistics.median(rates), "runs": rates, "tf32": args.tf32}))


if __name__ == "__main__":
    main()
