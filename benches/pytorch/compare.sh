#!/usr/bin/env bash
# Side-by-side training throughput, Latent Lab (Candle) vs PyTorch eager, same architectures,
# batch and optimizer: MLP VAE (batch 128), DCGAN (batch 128), VAE-GAN (batch 64).
# Usage: benches/pytorch/compare.sh [cpu|cuda] [LATENTLAB_BINARY]
# Needs python3 with torch (PYTHONPATH may point at it) and the MNIST files under data/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
device="${1:-cpu}"
bin="${2:-$root/target/release/latentlab}"
steps=200; [ "$device" = cpu ] && steps=30
printf '| model | batch | Latent Lab samples/s | PyTorch samples/s | ratio |\n|---|---|---|---|---|\n'
for kind in mlp-vae dcgan vaegan; do
  case $kind in
    mlp-vae) args=(--model vae --arch mlp --hidden 400 --latent-dim 20 --batch-size 128) ; batch=128 ;;
    dcgan) args=(--model gan --arch conv --hidden 64,128 --latent-dim 100 --batch-size 128) ; batch=128 ;;
    vaegan) args=(--model vaegan --arch conv --hidden 32,64 --latent-dim 32 --batch-size 64) ; batch=64 ;;
  esac
  rates=()
  for _ in 1 2 3; do
    out=$("$bin" train "${args[@]}" --dataset mnist --train-size 2048 --steps "$steps" --log-every "$steps" \
      --checkpoint-every 0 --device "$device" --json --out "/tmp/compare-$kind.safetensors" | tail -1)
    rates+=("$(node -e 'console.log(JSON.parse(process.argv[1]).steps_per_s)' "$out")")
  done
  ours=$(printf '%s\n' "${rates[@]}" | sort -g | sed -n 2p)
  ours=$(node -e "console.log(($ours*$batch).toFixed(0))")
  theirs=$(cd "$here" && python3 bench_torch.py --kind "$kind" --device "$device" --steps "$steps" --runs 3 \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).samples_per_s.toFixed(0)))')
  printf '| %s | %s | %s | %s | %s |\n' "$kind" "$batch" "$ours" "$theirs" "$(node -e "console.log(($ours/$theirs).toFixed(2))")"
done
