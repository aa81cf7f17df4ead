"""Training throughput of the PyTorch twins of Latent Lab's models (samples/s, median of runs).

    python3 benches/pytorch/bench_torch.py --kind dcgan --device cuda --steps 200 --runs 5 [--tf32] [--compile]

Data: one fixed MNIST-shaped batch on the device (uniform [0,1]), as benches/README.md's protocol;
prints one JSON line.
"""
import argparse
import json
import statistics
import time

import torch

from models import build, uniform_init_

ap = argparse.ArgumentParser()
ap.add_argument("--kind", choices=["mlp-vae", "dcgan", "vaegan"], required=True)
ap.add_argument("--device", default="cpu")
ap.add_argument("--steps", type=int, default=100)
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("--tf32", action="store_true")
args = ap.parse_args()

torch.backends.cuda.matmul.allow_tf32 = args.tf32
torch.backends.cudnn.allow_tf32 = args.tf32
torch.manual_seed(0)
model, opt, step, batch = build(args.kind, args.device)
uniform_init_(model)
x = torch.rand(batch, 1, 28, 28, device=args.device)


def sync():
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()


for _ in range(20):
    step(model, opt, x).item()
sync()
rates = []
for _ in range(args.runs):
    t = time.perf_counter()
    for _ in range(args.steps):
        loss = step(model, opt, x)
    loss.item()
    sync()
    rates.append(args.steps * batch / (time.perf_counter() - t))
print(json.dumps({"framework": f"pytorch {torch.__version__}", "kind": args.kind, "device": args.device,
                  "batch": batch, "samples_per_s": statistics.median(rates), "runs": rates, "tf32": args.tf32}))
