#!/usr/bin/env bash
# Installs NVRTC (the CUDA run-time compiler, no GPU needed) from PyPI into .cache/nvrtc, once, and
# prints the directory holding libnvrtc.so.13, for LD_LIBRARY_PATH. The gpu crate's NVRTC test then
# compiles every kernel on a CPU-only machine.
#   export LD_LIBRARY_PATH="$(.ci/nvrtc.sh)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
set -euo pipefail
cd "$(dirname "$0")/.."
version=13.0.88
target=.cache/nvrtc
lib="$PWD/$target/nvidia/cu13/lib"
if [ ! -e "$lib/libnvrtc.so.13" ] || [ "$(cat "$target/.version" 2>/dev/null)" != "$version" ]; then
    rm -rf "$target"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$target" \
        "nvidia-cuda-nvrtc==$version" >&2
    echo "$version" > "$target/.version"
fi
# No link needed: cudarc (cuda-13000) asks the loader for libnvrtc.so.13 itself, the wheel's name.
echo "$lib"
