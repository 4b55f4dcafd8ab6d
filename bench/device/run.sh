#!/usr/bin/env bash
# Autoencoder Studio's GPU check, self-contained (built by `npm run bench:device-bundle`; see docs/gpu.md).
# Needs only a GPU driver and python3 (with torch for the PyTorch columns): Node, Dawn, the Vulkan loader, the data
# and the benchmark travel in this folder. Prints one JSON document (and writes it to $OUT/gpu-check.json when OUT
# is set).
#
#   bash run.sh            # the measurement: about 6,000 images per model and engine, under 8 minutes on a fast GPU
#   bash run.sh --smoke    # seconds of work on any adapter, a software one included (proves the bundle runs)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ae-studio-gpu-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

unpack() { # file.xz target: xz where there is one, else Python's lzma
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$1" >"$2"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}
unpack "$here/node.xz" "$work/node"
chmod +x "$work/node"
# Where the npm package webgpu (bundled into device-bench.mjs) looks for its addon: beside the script.
mkdir -p "$work/dist/linux-x64"
unpack "$here/dawn.node.xz" "$work/dist/linux-x64/dawn.node"
cp "$here/device-bench.mjs" "$work/"

# Vulkan: Debian's loader from this folder; the driver's ICD, also where the loader does not look (GPU containers
# mount NVIDIA's under /usr/local/nvidia), or one written for NVIDIA's library when the container has none.
driver_libs=""
for dir in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [ -d "$dir" ] && driver_libs="$driver_libs:$dir"
done
export LD_LIBRARY_PATH="$here/lib$driver_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  icds=""
  for dir in /usr/local/nvidia/share/vulkan/icd.d /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    for file in "$dir"/*.json; do
      [ -f "$file" ] && icds="$icds${icds:+:}$file"
    done
  done
  if [ -z "$icds" ]; then
    for dir in /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu /usr/lib64; do
      if [ -f "$dir/libGLX_nvidia.so.0" ]; then
        printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' \
          "$dir/libGLX_nvidia.so.0" >"$work/nvidia_icd.json"
        icds="$work/nvidia_icd.json"
        break
      fi
    done
  fi
  [ -n "$icds" ] && export VK_ICD_FILENAMES="$icds"
fi
echo "Vulkan drivers: ${VK_ICD_FILENAMES:-none found}" >&2

out=()
[ -n "${OUT:-}" ] && out=(--out "$OUT/gpu-check.json")
"$work/node" "$work/device-bench.mjs" --data "$here/data" --torch "$here/torch_reference.py" \
  --python "${PYTHON:-python3}" ${out[@]+"${out[@]}"} "$@"
