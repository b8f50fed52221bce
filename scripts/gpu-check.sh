#!/usr/bin/env bash
# One call on a real GPU (issue 13, §2); gpu/README.md's last section documents it.
#
#   scripts/gpu-check.sh build     here, where Rust is: the gpu crate's test binaries and the vae binary
#                                  (release, debug info stripped) and the prepared ML-100k split, into
#                                  the git-ignored .gpu-bundle/ (at most 64 MiB with the working tree)
#   scripts/gpu-check.sh run       there, on a GPU machine with no Rust, from the repo root: every GPU
#                                  test with GPU_TESTS_REQUIRED=1, ten epochs of ML-100k on the GPU and
#                                  on the CPU (final validation NDCG@100 within 0.01), `vae bench
#                                  --device cuda --epoch --eval` in FP32 and with --tf32; writes
#                                  gpu-report.md, gpu-report.json and the logs under $OUT
#   scripts/gpu-check.sh compare CPU_METRICS GPU_METRICS [TOL [EPOCHS]]
#                                  the NDCG comparison of two metrics.jsonl files on its own
#   scripts/gpu-check.sh selftest  the parsers and the comparison on fixed inputs (no GPU, no Rust)
#
# `run` keeps going after a failed part, so one failure loses no other figure, and exits 1 at the end
# if any part failed. Every part runs under `timeout`; a part that runs out counts as failed. All of
# it fits in GPU_CHECK_BUDGET_S seconds (default 450, inside the issue's 8 minutes): a part gets at
# most what is left of that, and one that would get under 5 s is skipped and counted as failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# This script by a path that holds from the repo root, for the parts that call it again.
SELF=$PWD/scripts/gpu-check.sh

BUNDLE=.gpu-bundle
# What the device tool carries: the working tree and the carried folders together.
LIMIT_BYTES=$((64 * 1024 * 1024))
NDCG_TOLERANCE=0.01
EPOCHS=10
# The CUDA 13 libraries cudarc opens at run time (gpu/README.md, Requirements).
CUDA_LIBS=(libcuda.so.1 libnvrtc.so.13 libcublas.so.13 libcublasLt.so.13)

die() {
    echo "gpu-check: $*" >&2
    exit 1
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# --- build (here) ---------------------------------------------------------------------------------

# The executables a `cargo --message-format=json` run built, one path a line.
executables() {
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' "$1"
}

# Debug info is most of a release binary (line tables for backtraces); symbols stay, so a panic's
# backtrace still names its functions.
copy_stripped() {
    if command -v strip >/dev/null; then
        strip --strip-debug -o "$2" "$1"
    else
        echo "gpu-check: no strip here; copying $1 with its debug info" >&2
        cp "$1" "$2"
    fi
}

build() {
    set -e
    command -v cargo >/dev/null || die "build needs cargo: run it where Rust is, then carry $BUNDLE"
    rm -rf "$BUNDLE"
    mkdir -p "$BUNDLE/bin" "$BUNDLE/data"
    local name exe
    # Global, so that the EXIT trap still sees it.
    json=$(mktemp)
    trap 'rm -f "$json"' EXIT

    echo "gpu-check: building every test binary of the gpu crate (release)" >&2
    cargo test --release -p gpu --no-run --message-format=json-render-diagnostics >"$json"
    while read -r exe; do
        name=$(basename "$exe")
        name=${name%-*} # parity-0123456789abcdef → parity
        # The library's unit tests are CPU-only (the simulator among them needs g++, which the GPU
        # machine may lack); CI runs them.
        [ "$name" != gpu ] || continue
        [ ! -e "$BUNDLE/bin/test-$name" ] || die "two test binaries are named $name"
        copy_stripped "$exe" "$BUNDLE/bin/test-$name"
    done < <(executables "$json")
    ls "$BUNDLE"/bin/test-* >/dev/null 2>&1 || die "cargo built no test binary for the gpu crate"

    echo "gpu-check: building the vae binary (release)" >&2
    cargo build --release -p vae --bin vae --message-format=json-render-diagnostics >"$json"
    exe=$(grep '"kind":\["bin"\]' "$json" | executables /dev/stdin | tail -n 1)
    [ -n "$exe" ] || die "cargo reported no vae executable"
    copy_stripped "$exe" "$BUNDLE/bin/vae"

    # The project's own preparation, as the ML-100k acceptance test does it: fetch into .cache/ml-100k
    # (pip, once; kept while its sha256 matches), then the paper's split with 10% held-out users.
    "$BUNDLE/bin/vae" data fetch ml-100k --out .cache/ml-100k
    "$BUNDLE/bin/vae" data prepare --input .cache/ml-100k/ml-100k.inter \
        --out "$BUNDLE/data/ml-100k" --heldout-frac 0.1

    {
        printf 'BUILT_ROOT=%q\n' "$PWD"
        printf 'BUILT_COMMIT=%q\n' "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- || echo +dirty)"
        printf 'BUILT_UTC=%q\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        printf 'BUILT_RUSTC=%q\n' "$(rustc --version)"
    } >"$BUNDLE/build.env"

    local bundle tree
    bundle=$(du -sb "$BUNDLE" | cut -f1)
    tree=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -n 1 | cut -f1)
    echo
    ls -l "$BUNDLE/bin"
    echo "bundle: $BUNDLE, $(mib "$bundle"); with the working tree ($(mib "$tree")): $(mib $((bundle + tree))) of the $(mib "$LIMIT_BYTES") the device tool carries"
    if ((bundle + tree > LIMIT_BYTES)); then
        die "over the limit by $(mib $((bundle + tree - LIMIT_BYTES)))"
    fi
    echo
    echo "On the GPU machine, from the device tool (it sends the checkout the session started in, so"
    echo "build in that checkout):"
    echo "  run  command: scripts/gpu-check.sh run"
    echo "       carry:   [\"$BUNDLE\"]"
    echo "       timeout_s: 540"
}

# --- compare (the NDCG check) ---------------------------------------------------------------------

# "EPOCHS NDCG" of a metrics.jsonl: how many epoch lines it has and the last one's validation
# ndcg@100 ("-" where there is none).
final_ndcg() {
    awk '
        /"validation":/ {
            n++
            v = $0
            sub(/.*"validation":[^}]*"ndcg@100":/, "", v)
            if (v != $0) { sub(/[^-+0-9.eE].*/, "", v); last = v }
        }
        END { printf "%d %s\n", n, (last == "" ? "-" : last) }
    ' "$1" 2>/dev/null || echo "0 -"
}

# Exit 0 when both runs have EPOCHS epochs and final validation NDCG@100 within TOL of each other.
compare() {
    local cpu=$1 gpu=$2 tol=${3:-$NDCG_TOLERANCE} epochs=${4:-}
    local ce cn ge gn
    read -r ce cn < <(final_ndcg "$cpu")
    read -r ge gn < <(final_ndcg "$gpu")
    echo "cpu: $ce epochs, final validation ndcg@100 $cn ($cpu)"
    echo "gpu: $ge epochs, final validation ndcg@100 $gn ($gpu)"
    if [ "$cn" = - ] || [ "$gn" = - ]; then
        echo "no comparison: a run has no validation ndcg@100"
        return 1
    fi
    if [ -n "$epochs" ] && { [ "$ce" != "$epochs" ] || [ "$ge" != "$epochs" ]; }; then
        echo "no comparison: expected $epochs epochs from each run"
        return 1
    fi
    awk -v a="$cn" -v b="$gn" -v tol="$tol" 'BEGIN {
        d = a - b; if (d < 0) d = -d
        ok = d <= tol
        printf "|cpu - gpu| = %.6f (tolerance %s): %s\n", d, tol, ok ? "within" : "OUTSIDE"
        exit !ok
    }'
}

# --- run (there) ----------------------------------------------------------------------------------

# EPOCHREALTIME is bash 5's; date's %N is GNU's.
now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
remaining() { awk -v end="$DEADLINE" -v t="$(now)" 'BEGIN { r = int(end - t); print (r < 0 ? 0 : r) }'; }

# run_part NAME CAP_S COMMAND...: runs COMMAND under a timeout of CAP_S or what is left of the
# budget, its output in logs/NAME.log; appends "NAME status rc seconds limit" to parts.tsv.
run_part() {
    local name=$1 cap=$2 log left limit start rc status secs
    shift 2
    log=$WORK/logs/$name.log
    left=$(remaining)
    limit=$((cap < left ? cap : left))
    if ((limit < 5)); then
        echo "skipped: the ${BUDGET}s budget is spent" >"$log"
        status=skipped rc=- secs=0
    else
        start=$(now)
        timeout --kill-after=5 "$limit" "$@" >"$log" 2>&1
        rc=$?
        secs=$(seconds_since "$start")
        case $rc in
        0) status=passed ;;
        124 | 137) status=timeout ;;
        *) status=failed ;;
        esac
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$rc" "$secs" "$limit" >>"$WORK/parts.tsv"
    printf '[%6ss] %-14s %-8s %6ss (limit %ss)\n' "$(seconds_since "$T0")" "$name" "$status" "$secs" "$limit"
    [ "$status" = passed ]
}

# Marks the last part of parts.tsv failed (its command passed, but what it printed says otherwise).
fail_last_part() {
    awk 'BEGIN { FS = OFS = "\t" } { line[NR] = $0 } END {
        for (i = 1; i < NR; i++) print line[i]
        split(line[NR], f, "\t"); f[2] = "failed"; print f[1], f[2], f[3], f[4], f[5]
    }' "$WORK/parts.tsv" >"$WORK/parts.tmp" && mv "$WORK/parts.tmp" "$WORK/parts.tsv"
}

# One line per library: "NAME<TAB>DIR" where it was found outside the loader's own paths,
# "NAME<TAB>loader" where the loader finds it already, "NAME<TAB>missing". Exit 1 if any is missing.
find_libs() {
    local lib dir found missing=0 cache
    cache=$(ldconfig -p 2>/dev/null)
    for lib in "${CUDA_LIBS[@]}"; do
        found=
        if grep -q " $lib " <<<"$cache"; then
            found=loader
        else
            for dir in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }} /usr/local/nvidia/lib64 /usr/local/nvidia/lib \
                /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
                /usr/local/cuda-13*/lib64 /usr/local/cuda-13*/targets/x86_64-linux/lib \
                /opt/*/.venv/lib/python3*/site-packages/nvidia/cu13/lib \
                /usr/local/lib/python3*/dist-packages/nvidia/cu13/lib \
                /usr/lib/python3/dist-packages/nvidia/cu13/lib; do
                if [ -e "$dir/$lib" ]; then
                    found=$dir
                    break
                fi
            done
        fi
        if [ -z "$found" ]; then
            found=$(timeout 20 find /usr /opt -name "$lib" -print -quit 2>/dev/null)
            found=${found%/*}
        fi
        printf '%s\t%s\n' "$lib" "${found:-missing}"
        [ -n "$found" ] || missing=1
    done
    return $missing
}

# Reads a libtest run (--test-threads=1 --nocapture) after its --list output and prints one
# "test<TAB>BINARY<TAB>NAME<TAB>RESULT<TAB>CHECKS<TAB>WORST" line per test, then one
# "line<TAB>BINARY<TAB>NAME<TAB>TEXT" per line the test printed (backtrace frames left out). RESULT is
# pass, fail, ignored, "no result" (started, then the binary died or ran out of time) or "not run";
# CHECKS counts the printed relative errors and WORST is the largest.
parse_tests() {
    awk -v bin="$1" '
        function result(r) { return r == "ok" ? "pass" : r == "FAILED" ? "fail" : r ~ /^ignored/ ? "ignored" : r }
        function add(name, text,   v) {
            gsub(/\t/, " ", text)
            out[++lines] = "line\t" bin "\t" name "\t" text
            if (match(text, /relative error [-+0-9.eEinfINFNa]+/)) {
                v = substr(text, RSTART + 15, RLENGTH - 15)
                checks[name]++
                if (!(name in worst) || v + 0 > worst[name] + 0 || v ~ /[nN][aA][nN]/) worst[name] = v
            }
        }
        FNR == NR { if (sub(/: test$/, "")) { order[++n] = $0; res[$0] = "not run" } next }
        /^test .* \.\.\. / {
            rest = $0; sub(/^test /, "", rest)
            i = index(rest, " ... "); cur = substr(rest, 1, i - 1); rest = substr(rest, i + 5)
            if (!(cur in res)) order[++n] = cur
            res[cur] = "no result"
            if (rest == "ok" || rest == "FAILED" || rest ~ /^ignored/) { res[cur] = result(rest); cur = "" }
            else if (rest != "") add(cur, rest)
            next
        }
        cur == "" { next }
        $0 == "ok" || $0 == "FAILED" || /^ignored/ { res[cur] = result($0); cur = ""; next }
        /^ +[0-9]+: / || /^ +at / || /^stack backtrace:$/ || /^note: .*backtrace/ { next }
        { add(cur, $0) }
        END {
            for (i = 1; i <= n; i++) {
                t = order[i]
                printf "test\t%s\t%s\t%s\t%d\t%s\n", bin, t, res[t], checks[t], (t in worst ? worst[t] : "-")
            }
            for (i = 1; i <= lines; i++) print out[i]
        }
    ' "$2" "$3"
}

# "KEY<TAB>VALUE" figures of a `vae bench` output (what is absent is left out).
parse_bench() {
    awk '
        function num(s) { sub(/^[^0-9]*/, "", s); sub(/[^0-9.eE+-].*/, "", s); return s }
        /^vae bench: / { d = $0; sub(/^vae bench: /, "", d); sub(/ on .*/, "", d); print "device\t" d }
        /^epoch \(/ && match($0, /: [0-9.]+ s;/) { print "epoch_s\t" num(substr($0, RSTART, RLENGTH)) }
        /^epoch \(/ && match($0, /[0-9]+ users\/s/) { print "users_per_s\t" num(substr($0, RSTART, RLENGTH)) }
        /^step  / { print "step_s\t" $NF }
        /^achieved: / { print "gflops\t" num($0) }
        /^floor / && match($0, /: [0-9.]+ s per epoch/) { print "floor_s\t" num(substr($0, RSTART, RLENGTH)) }
        /^floor / && match($0, /is [0-9.]+× the floor/) { print "times_floor\t" num(substr($0, RSTART, RLENGTH)) }
        /^evaluation of / && match($0, /: [0-9.]+ s$/) { print "eval_s\t" num(substr($0, RSTART, RLENGTH)) }
    ' "$1"
}

json_str() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/\\t}
    printf '"%s"' "$(tr -d '\000-\037' <<<"$s")"
}

# A JSON number, or null for "-", empty or anything awk would not read as one.
json_num() {
    if [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then printf '%s' "$1"; else printf null; fi
}

# The value of KEY in a KEY<TAB>VALUE file, or "-".
field() { awk -v k="$2" 'BEGIN { FS = "\t" } $1 == k { v = $2 } END { print (v == "" ? "-" : v) }' "$1"; }

run() {
    [ -x "$BUNDLE/bin/vae" ] || die "no $BUNDLE/bin/vae: run 'scripts/gpu-check.sh build' where Rust is, and carry $BUNDLE"
    # shellcheck source=/dev/null
    . "$BUNDLE/build.env"
    BUDGET=${GPU_CHECK_BUDGET_S:-450}
    T0=$(now)
    DEADLINE=$(awk -v t="$T0" -v b="$BUDGET" 'BEGIN { printf "%.3f", t + b }')
    OUTDIR=${OUT:-.gpu-check-out}
    mkdir -p "$OUTDIR"
    # Run folders stay out of the bundle, so a local try does not grow what the device tool carries.
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
    mkdir -p "$WORK/logs"
    : >"$WORK/parts.tsv"
    : >"$WORK/tests.tsv"
    local started_utc bin name
    started_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    echo "gpu-check run: bundle $BUILT_COMMIT built $BUILT_UTC; budget ${BUDGET}s; work in $WORK"

    # 1. The device.
    run_part device 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    local device_line gpu_name=unknown driver=unknown memory=unknown
    device_line=$(head -n 1 "$WORK/logs/device.log")
    if [ "$(tail -n 1 "$WORK/parts.tsv" | cut -f2)" = passed ]; then
        IFS=, read -r gpu_name driver memory <<<"$device_line"
        gpu_name=${gpu_name# } driver=${driver# } memory=${memory# }
    fi

    # The libraries, put on the loader's path where it would not find them.
    run_part libraries 40 "$SELF" find-libs
    local lib dir
    while IFS=$'\t' read -r lib dir; do
        case $dir in loader | missing | "") ;; *) LD_LIBRARY_PATH=$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ;; esac
    done <"$WORK/logs/libraries.log"
    export LD_LIBRARY_PATH

    # Tests that read their sources through CARGO_MANIFEST_DIR (nvrtc.rs lists gpu/kernels/) look
    # where the bundle was built: point that path at this copy of the tree.
    local linked=no
    if [ ! -e "$BUILT_ROOT" ] && mkdir -p "$(dirname "$BUILT_ROOT")" 2>/dev/null && ln -s "$PWD" "$BUILT_ROOT" 2>/dev/null; then
        linked=yes
    fi

    # 2. Every GPU test, one binary at a time; every figure they print is in its log. CI=true makes
    # the NVRTC test fail rather than skip where NVRTC is missing, as scripts/test.sh does.
    local cap left
    for bin in "$BUNDLE"/bin/test-*; do
        name=${bin##*/test-}
        case $name in parity) cap=150 ;; *) cap=60 ;; esac
        left=$(remaining)
        ((left < 1)) || timeout "$((left < 20 ? left : 20))" "$bin" --list >"$WORK/logs/tests-$name.list" 2>&1
        if run_part "tests-$name" "$cap" env GPU_TESTS_REQUIRED=1 CI=true RUST_BACKTRACE=1 "$bin" --test-threads=1 --nocapture; then :; fi
        parse_tests "$name" "$WORK/logs/tests-$name.list" "$WORK/logs/tests-$name.log" >>"$WORK/tests.tsv"
        if awk -v b="$name" 'BEGIN { FS = "\t" } $1 == "test" && $2 == b && $4 != "pass" && $4 != "ignored" { bad = 1 }
            $1 == "test" && $2 == b { any = 1 } END { exit !(bad || !any) }' "$WORK/tests.tsv" &&
            [ "$(tail -n 1 "$WORK/parts.tsv" | cut -f2)" = passed ]; then
            fail_last_part
        fi
    done

    # 3. Ten epochs of ML-100k on the GPU and on the CPU, same settings; NDCG@100 within 0.01.
    local data=$BUNDLE/data/ml-100k
    run_part train-gpu 90 "$BUNDLE/bin/vae" train --data "$data" --out "$WORK/train-gpu" --device cuda --epochs "$EPOCHS"
    run_part train-cpu 90 "$BUNDLE/bin/vae" train --data "$data" --out "$WORK/train-cpu" --device cpu --epochs "$EPOCHS"
    run_part ndcg-compare 10 "$SELF" compare "$WORK/train-cpu/metrics.jsonl" "$WORK/train-gpu/metrics.jsonl" "$NDCG_TOLERANCE" "$EPOCHS"
    local ce cn ge gn
    read -r ce cn < <(final_ndcg "$WORK/train-cpu/metrics.jsonl")
    read -r ge gn < <(final_ndcg "$WORK/train-gpu/metrics.jsonl")
    cp "$WORK/train-cpu/metrics.jsonl" "$WORK/logs/train-cpu.metrics.jsonl" 2>/dev/null
    cp "$WORK/train-gpu/metrics.jsonl" "$WORK/logs/train-gpu.metrics.jsonl" 2>/dev/null

    # 4. vae bench at ML-20M's shape on its own synthetic data (what `vae bench` generates when it
    # has none, made here first so its time is a part of its own), FP32 then TF32.
    if [ -e .cache/synth-ml20m/unique_sid.txt ]; then
        run_part bench-data 60 echo "already in .cache/synth-ml20m"
    else
        run_part bench-data 60 "$BUNDLE/bin/vae" data synth --shape ml-20m --out .cache/synth-ml20m
    fi
    run_part bench-fp32 90 "$BUNDLE/bin/vae" bench --device cuda --epoch --eval
    run_part bench-tf32 90 "$BUNDLE/bin/vae" bench --device cuda --epoch --eval --tf32
    parse_bench "$WORK/logs/bench-fp32.log" >"$WORK/bench-fp32.tsv"
    parse_bench "$WORK/logs/bench-tf32.log" >"$WORK/bench-tf32.tsv"

    # 5. The report.
    local total failed verdict
    total=$(seconds_since "$T0")
    failed=$(awk -F '\t' '$2 != "passed" { n++ } END { print n + 0 }' "$WORK/parts.tsv")
    verdict=$([ "$failed" = 0 ] && echo "all parts passed" || echo "$failed part(s) failed")
    report_md >"$OUTDIR/gpu-report.md"
    report_json >"$OUTDIR/gpu-report.json"
    tar -czf "$OUTDIR/gpu-check-logs.tar.gz" -C "$WORK" logs
    echo
    echo "gpu-check: $verdict in ${total}s on $gpu_name (driver $driver)"
    awk -F '\t' '$1 == "test" && $4 != "pass" { printf "  %s %s: %s\n", $2, $3, $4 }' "$WORK/tests.tsv"
    echo "  ndcg@100 cpu $cn, gpu $gn; bench epoch fp32 $(field "$WORK/bench-fp32.tsv" epoch_s) s, tf32 $(field "$WORK/bench-tf32.tsv" epoch_s) s"
    echo "  report: $OUTDIR/gpu-report.md, $OUTDIR/gpu-report.json, logs: $OUTDIR/gpu-check-logs.tar.gz"
    rm -rf "$WORK"
    [ "$failed" = 0 ]
}

report_md() {
    local mode key label
    echo "# GPU check: $gpu_name"
    echo
    echo "- verdict: **$verdict**, ${total}s of a ${BUDGET}s budget (started $started_utc)"
    echo "- device: $gpu_name; driver $driver; memory $memory"
    echo "- bundle: commit $BUILT_COMMIT, built $BUILT_UTC with $BUILT_RUSTC"
    echo "- libraries: $(awk -F '\t' '{ printf "%s%s %s", (NR > 1 ? "; " : ""), $1, $2 }' "$WORK/logs/libraries.log")"
    [ "$linked" = no ] || echo "- $BUILT_ROOT linked to $PWD (the tests' CARGO_MANIFEST_DIR)"
    echo
    echo "## Parts"
    echo
    echo "| part | status | exit | seconds | limit (s) |"
    echo "| --- | --- | --- | ---: | ---: |"
    awk -F '\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$WORK/parts.tsv"
    echo
    echo "## Tests (GPU_TESTS_REQUIRED=1, --test-threads=1)"
    echo
    echo "| binary | test | result | relative errors printed | worst |"
    echo "| --- | --- | --- | ---: | ---: |"
    awk -F '\t' '$1 == "test" { printf "| %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6 }' "$WORK/tests.tsv"
    echo
    echo "### What each test printed"
    awk -F '\t' '
        $1 == "line" { k = $2 "::" $3; if (k != prev) { if (prev != "") print "```"; printf "\n%s\n```\n", k; prev = k }
                       print $4 }
        END { if (prev != "") print "```" }' "$WORK/tests.tsv"
    echo
    echo "## Ten epochs of ML-100k, GPU against CPU"
    echo
    echo "| device | epochs | final validation NDCG@100 | seconds |"
    echo "| --- | ---: | ---: | ---: |"
    echo "| cuda | $ge | $gn | $(awk -F '\t' '$1 == "train-gpu" { print $4 }' "$WORK/parts.tsv") |"
    echo "| cpu | $ce | $cn | $(awk -F '\t' '$1 == "train-cpu" { print $4 }' "$WORK/parts.tsv") |"
    echo
    echo '```'
    cat "$WORK/logs/ndcg-compare.log"
    echo '```'
    echo
    echo "## vae bench --device cuda --epoch --eval (ML-20M-shaped synthetic data)"
    echo
    echo "| figure | FP32 | TF32 |"
    echo "| --- | ---: | ---: |"
    while IFS=: read -r key label; do
        echo "| $label | $(field "$WORK/bench-fp32.tsv" "$key") | $(field "$WORK/bench-tf32.tsv" "$key") |"
    done <<'EOF'
epoch_s:epoch (s, measured)
floor_s:GEMM floor (s per epoch)
times_floor:× the floor
step_s:step (s, mean)
users_per_s:users/s
gflops:achieved GFLOP/s
eval_s:validation of the held-out users (s)
EOF
    for mode in fp32 tf32; do
        echo
        echo "### $mode"
        echo
        echo '```'
        cat "$WORK/logs/bench-$mode.log"
        echo '```'
    done
    # The end of every failed part's log, except where the report already holds what it printed:
    # the benches' whole output, and each test's lines where the binary got as far as running tests.
    local status
    while IFS=$'\t' read -r name status _; do
        [ "$status" != passed ] || continue
        case $name in bench-fp32 | bench-tf32) continue ;; esac
        if [[ $name == tests-* ]] && awk -F '\t' -v b="${name#tests-}" '$1 == "test" && $2 == b && $4 != "not run" { found = 1 }
            END { exit !found }' "$WORK/tests.tsv"; then
            continue
        fi
        echo
        echo "## $name $status: the end of its log"
        echo
        echo '```'
        tail -n 40 "$WORK/logs/$name.log"
        echo '```'
    done <"$WORK/parts.tsv"
}

report_json() {
    local first mode key
    printf '{\n  "verdict": %s,\n  "ok": %s,\n' "$(json_str "$verdict")" "$([ "$failed" = 0 ] && echo true || echo false)"
    printf '  "started_utc": %s,\n  "total_s": %s,\n  "budget_s": %s,\n' "$(json_str "$started_utc")" "$total" "$BUDGET"
    printf '  "device": {"name": %s, "driver": %s, "memory_total": %s, "nvidia_smi": %s},\n' \
        "$(json_str "$gpu_name")" "$(json_str "$driver")" "$(json_str "$memory")" "$(json_str "$device_line")"
    printf '  "bundle": {"commit": %s, "built_utc": %s, "rustc": %s},\n' \
        "$(json_str "$BUILT_COMMIT")" "$(json_str "$BUILT_UTC")" "$(json_str "$BUILT_RUSTC")"
    printf '  "libraries": {'
    first=1
    while IFS=$'\t' read -r lib dir; do
        [ $first = 1 ] || printf ', '
        first=0
        printf '%s: %s' "$(json_str "$lib")" "$(json_str "$dir")"
    done <"$WORK/logs/libraries.log"
    printf '},\n  "parts": [\n'
    first=1
    while IFS=$'\t' read -r name status rc secs limit; do
        [ $first = 1 ] || printf ',\n'
        first=0
        printf '    {"name": %s, "status": %s, "exit": %s, "seconds": %s, "limit_s": %s}' \
            "$(json_str "$name")" "$(json_str "$status")" "$(json_num "$rc")" "$(json_num "$secs")" "$(json_num "$limit")"
    done <"$WORK/parts.tsv"
    printf '\n  ],\n  "tests": [\n'
    awk -F '\t' '
        function js(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/[[:cntrl:]]/, " ", s); return "\"" s "\"" }
        function num(s) { return s ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ ? s : "null" }
        $1 == "test" { n++; bin[n] = $2; name[n] = $3; res[n] = $4; checks[n] = $5; worst[n] = $6 }
        # mawk makes an assignment'"'"'s element before it reads the right side, so "in printed" cannot tell.
        $1 == "line" { k = $2 SUBSEP $3; sep = (k in seen) ? ", " : ""; seen[k] = 1; printed[k] = printed[k] sep js($4) }
        END {
            for (i = 1; i <= n; i++) {
                k = bin[i] SUBSEP name[i]
                printf "    {\"binary\": %s, \"name\": %s, \"result\": %s, \"pass\": %s, \"relative_errors\": %d, \"worst_relative_error\": %s, \"printed\": [%s]}%s\n",
                    js(bin[i]), js(name[i]), js(res[i]), (res[i] == "pass" ? "true" : "false"), checks[i], num(worst[i]),
                    printed[k], (i < n ? "," : "")
            }
        }' "$WORK/tests.tsv"
    printf '  ],\n  "training": {"epochs": %s, "tolerance": %s, "within": %s,\n' \
        "$EPOCHS" "$NDCG_TOLERANCE" "$([ "$(awk -F '\t' '$1 == "ndcg-compare" { print $2 }' "$WORK/parts.tsv")" = passed ] && echo true || echo false)"
    printf '    "gpu": {"epochs": %s, "final_validation_ndcg100": %s},\n' "$(json_num "$ge")" "$(json_num "$gn")"
    printf '    "cpu": {"epochs": %s, "final_validation_ndcg100": %s}},\n' "$(json_num "$ce")" "$(json_num "$cn")"
    printf '  "bench": {'
    for mode in fp32 tf32; do
        [ "$mode" = fp32 ] || printf ','
        printf '\n    "%s": {"command": %s' "$mode" "$(json_str "vae bench --device cuda --epoch --eval$([ "$mode" = tf32 ] && echo ' --tf32')")"
        for key in device epoch_s floor_s times_floor step_s users_per_s gflops eval_s; do
            if [ "$key" = device ]; then
                printf ', "%s": %s' "$key" "$(json_str "$(field "$WORK/bench-$mode.tsv" "$key")")"
            else
                printf ', "%s": %s' "$key" "$(json_num "$(field "$WORK/bench-$mode.tsv" "$key")")"
            fi
        done
        printf ', "output": ['
        first=1
        while IFS= read -r line; do
            [ $first = 1 ] || printf ', '
            first=0
            json_str "$line"
        done <"$WORK/logs/bench-$mode.log"
        printf ']}'
    done
    printf '\n  }\n}\n'
}

# --- selftest -------------------------------------------------------------------------------------

selftest() {
    local fails=0
    # Global, so that the EXIT trap still sees it.
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    check() {
        if [ "$2" = "$3" ]; then echo "ok   $1"; else
            echo "FAIL $1: got [$2], expected [$3]"
            fails=$((fails + 1))
        fi
    }
    metrics() { # EPOCHS NDCG → a metrics.jsonl whose epochs all end at NDCG
        local e
        for ((e = 0; e < $1; e++)); do
            printf '{"epoch":%d,"train_loss":400.5,"beta":5e-6,"validation":{"ndcg@100":%s,"recall@20":0.9}}\n' "$e" "$2"
        done
    }
    metrics 10 0.27912345 >"$dir/cpu.jsonl"
    metrics 10 0.2741 >"$dir/near.jsonl"
    metrics 10 0.2641 >"$dir/far.jsonl"
    metrics 9 0.2791 >"$dir/short.jsonl"
    : >"$dir/empty.jsonl"
    check "final_ndcg reads the last epoch" "$(final_ndcg "$dir/cpu.jsonl")" "10 0.27912345"
    check "final_ndcg of a missing file" "$(final_ndcg "$dir/absent.jsonl")" "0 -"
    compare "$dir/cpu.jsonl" "$dir/near.jsonl" 0.01 10 >/dev/null
    check "0.0050 apart is within 0.01" $? 0
    compare "$dir/cpu.jsonl" "$dir/far.jsonl" 0.01 10 >/dev/null
    check "0.0150 apart is not" $? 1
    compare "$dir/cpu.jsonl" "$dir/short.jsonl" 0.01 10 >/dev/null
    check "a run with 9 of 10 epochs fails" $? 1
    compare "$dir/cpu.jsonl" "$dir/empty.jsonl" 0.01 10 >/dev/null
    check "a run without metrics fails" $? 1

    printf '%s\n' 'alpha: test' 'beta: test' 'gamma: test' 'delta: test' 'eps: test' '' '5 tests, 0 benchmarks' >"$dir/list"
    cat >"$dir/log" <<'EOF'

running 5 tests
test alpha ... running on NVIDIA H200
gemm 7×13: relative error 1.2e-7 (tolerance 1e-5)
gemm 500×600: relative error 3.5e-6 (tolerance 1e-5)
ok
test beta ... ok
test gamma ... 
thread 'gamma' panicked at gpu/tests/parity.rs:10:5:
softmax: relative error NaN > 1e-5
stack backtrace:
   0: rust_begin_unwind
             at /rustc/library/std/src/panicking.rs:1:1
FAILED
test delta ... ignored, needs two GPUs
test eps ... running on NVIDIA H200
EOF
    parse_tests parity "$dir/list" "$dir/log" >"$dir/parsed"
    row() { awk -F '\t' -v t="$1" '$1 == "test" && $3 == t' "$dir/parsed"; }
    check "a test that prints and passes" "$(row alpha)" \
        "$(printf 'test\tparity\talpha\tpass\t2\t3.5e-6')"
    check "a test with no output" "$(row beta | cut -f4)" pass
    check "a failed test, NaN its worst" "$(row gamma | cut -f4-)" \
        "$(printf 'fail\t1\tNaN')"
    check "an ignored test" "$(row delta | cut -f4)" ignored
    check "a test cut off by a crash" "$(row eps | cut -f4)" "no result"
    check "backtrace frames are not figures" "$(grep -c 'rust_begin_unwind\|panicking.rs:1\|stack backtrace' "$dir/parsed")" 0
    check "every printed line is kept" "$(awk -F '\t' '$1 == "line" && $3 == "gamma"' "$dir/parsed" | wc -l)" 2
    printf '%s\n' 'zeta: test' >"$dir/list2"
    check "a listed test the binary never reached" "$(parse_tests allocator "$dir/list2" /dev/null | cut -f4)" "not run"

    # Parts under a 6-second budget: one fails, one outruns what is left, the next finds too little.
    WORK=$dir/work BUDGET=6
    mkdir -p "$WORK/logs"
    : >"$WORK/parts.tsv"
    T0=$(now)
    DEADLINE=$(awk -v t="$T0" 'BEGIN { printf "%.3f", t + 6 }')
    run_part fails 60 false >/dev/null
    run_part slow 60 sleep 30 >/dev/null
    run_part late 60 true >/dev/null
    check "a failing part" "$(awk -F '\t' '$1 == "fails" { print $2, $3 }' "$WORK/parts.tsv")" "failed 1"
    check "a part stopped at its limit" "$(awk -F '\t' '$1 == "slow" { print $2, $3, ($4 < 8) }' "$WORK/parts.tsv")" "timeout 124 1"
    check "a part left no time" "$(awk -F '\t' '$1 == "late" { print $2 }' "$WORK/parts.tsv")" skipped

    cat >"$dir/bench" <<'EOF'
vae bench: NVIDIA H200 (cuda:0) on synthetic ml-20m-shaped data, model Vae I-600-200-I, batch 500, f32
step                                               0.0123
epoch (measured from 234 steps): 2.88 s; 40625 users/s; at the median step 2.80 s
achieved: 1234.5 GFLOP/s (3.51 GFLOP per step)
floor (output layer: 3 GEMMs per step, 0.50 TFLOP per epoch, at each form's faster rate): 0.03 s per epoch; this run is 96.00× the floor
evaluation of 10000 validation users (ndcg@100, recall@20, recall@50): 0.412 s
EOF
    parse_bench "$dir/bench" >"$dir/bench.tsv"
    check "bench: device" "$(field "$dir/bench.tsv" device)" "NVIDIA H200 (cuda:0)"
    check "bench: epoch" "$(field "$dir/bench.tsv" epoch_s)" 2.88
    check "bench: users/s" "$(field "$dir/bench.tsv" users_per_s)" 40625
    check "bench: step" "$(field "$dir/bench.tsv" step_s)" 0.0123
    check "bench: GFLOP/s" "$(field "$dir/bench.tsv" gflops)" 1234.5
    check "bench: floor" "$(field "$dir/bench.tsv" floor_s)" 0.03
    check "bench: × floor" "$(field "$dir/bench.tsv" times_floor)" 96.00
    check "bench: evaluation" "$(field "$dir/bench.tsv" eval_s)" 0.412
    check "bench: a figure it did not print" "$(field "$dir/bench.tsv" nothing)" -
    check "json_str escapes" "$(json_str $'a"b\\c\td\001')" '"a\"b\\c\td"'
    check "json_num: a number" "$(json_num 1.5e-3)" 1.5e-3
    check "json_num: not one" "$(json_num -)" null
    [ "$fails" = 0 ] && echo "selftest: all passed" || echo "selftest: $fails failed"
    [ "$fails" = 0 ]
}

case ${1:-} in
build) build ;;
run) run ;;
compare)
    [ $# -ge 3 ] || die "usage: scripts/gpu-check.sh compare CPU_METRICS GPU_METRICS [TOL [EPOCHS]]"
    compare "${@:2}"
    ;;
find-libs) find_libs ;;
selftest) selftest ;;
*) die "usage: scripts/gpu-check.sh build|run|compare|selftest (see the top of this file)" ;;
esac
