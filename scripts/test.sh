#!/usr/bin/env bash
# The project's test command: installs NVRTC from PyPI (once, into .cache/nvrtc; no GPU needed) so the
# gpu crate's test compiles every CUDA kernel, then runs every test of the workspace. The ML-100k
# acceptance test fetches its data through pip on first run (into .cache/ml-100k).
set -euo pipefail
cd "$(dirname "$0")/.."
export LD_LIBRARY_PATH="$(.ci/nvrtc.sh)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# With NVRTC installed above, the kernel-compilation test must run, never skip.
export CI=true
cargo test --release --workspace "$@"
