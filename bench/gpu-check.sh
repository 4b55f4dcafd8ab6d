#!/usr/bin/env bash
# GPU check: run this on a machine with an NVIDIA, AMD, Intel or Apple GPU to see which adapter the WebGPU engine
# finds and how fast it trains the benchmark models, beside the Native CPU engine and PyTorch on the same data.
#
#   bash bench/gpu-check.sh                 # 6,000 training images per model (a few minutes)
#   LIMIT=0 bash bench/gpu-check.sh         # whole epochs
#   TORCH_CUDA=1 bash bench/gpu-check.sh    # PyTorch on CUDA as the reference (needs a CUDA build of torch)
#
# Needs: `npm ci` done; Linux: libvulkan1 and the GPU driver's Vulkan driver (NVIDIA: the proprietary driver);
# Windows: a Direct3D 12 driver; macOS: Metal (built in). Debian's dataset-fashion-mnist for the data.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== The engine this machine trains with, and why not another"
node_modules/.bin/node bin/ae-studio.mjs engine --data-dir "$(mktemp -d)"

echo "== Training: WebGPU engine, Native CPU engine, PyTorch (images/s, test loss, peak memory)"
torch_flags=()
[ "${TORCH_CUDA:-0}" = 1 ] && torch_flags+=(--torch-cuda)
npm run --silent bench:train -- --engines webgpu,native --models "${MODELS:-conv,cae001,photos004}" \
  --limit "${LIMIT:-6000}" "${torch_flags[@]}"
