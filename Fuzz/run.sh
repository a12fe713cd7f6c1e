#!/usr/bin/env bash
# Builds the libFuzzer targets (incrementally) and runs each one.
#
#   bash Fuzz/run.sh [RUNS] [MAX_SECONDS]      (make fuzz FUZZ_RUNS=..., make fuzz-smoke)
#
# RUNS: executions per target (-runs; default 20000); MAX_SECONDS: a time guard per
# target (-max_total_time; default 120, FUZZ_MAX_TIME overrides). FUZZ_SEED fixes
# libFuzzer's seed (default 0: random, printed in the summary). FUZZ_TARGETS limits the
# run to some targets, e.g. FUZZ_TARGETS="FuzzH4HCI FuzzPayloadSpec".
#
# New inputs go to .build-fuzz/corpus/<target>/ (the seeds in Fuzz/corpus/ are read, never
# written); crashes, hangs and OOMs to .build-fuzz/artifacts/<target>/. Exits non-zero
# if any target found one, after running the others.
set -uo pipefail

RUNS="${1:-20000}"
MAX_SECONDS="${2:-${FUZZ_MAX_TIME:-120}}"
SEED="${FUZZ_SEED:-0}"
FUZZ="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$FUZZ")"
SCRATCH="$ROOT/.build-fuzz"
SWIFT="${SWIFT:-swift}"
export PATH="/opt/swift/usr/bin:$PATH"

# target name : seed folder. Every module is instrumented (-sanitize=fuzzer); lld links,
# because gold trips over the libFuzzer runtime (an internal error in format_file_lineno).
TARGETS=(FuzzH4HCI:h4-hci FuzzL2CAPATT:l2cap-att FuzzPayloadSpec:payload-spec FuzzBTSnoopAD:btsnoop-ad
         FuzzCentralHost:central-host FuzzUploadBatch:upload-batch)
BUILD=(-c release --package-path "$FUZZ" --scratch-path "$SCRATCH"
       -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld)

echo "== fuzz: building (swift build ${BUILD[*]})"
mkdir -p "$SCRATCH"
if ! "$SWIFT" build "${BUILD[@]}" >"$SCRATCH/build.log" 2>&1; then
    grep -Ev "^warning: 'fuzz'" "$SCRATCH/build.log" | tail -40 >&2
    echo "fuzz: build failed (log: $SCRATCH/build.log)" >&2
    exit 1
fi
BIN="$("$SWIFT" build "${BUILD[@]}" --show-bin-path)"

failed=0
for entry in "${TARGETS[@]}"; do
    target="${entry%%:*}"
    seeds="$FUZZ/corpus/${entry#*:}"
    if [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $target "* ]]; then continue; fi
    work="$SCRATCH/corpus/$target"
    artifacts="$SCRATCH/artifacts/$target"
    log="$SCRATCH/logs/$target.log"
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    before=$(ls "$artifacts" | wc -l)
    start=$(date +%s)
    "$BIN/$target" -runs="$RUNS" -max_total_time="$MAX_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -seed="$SEED" -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "$seeds" >"$log" 2>&1
    status=$?
    seconds=$(( $(date +%s) - start ))
    stat() { grep -m1 "^stat::$1:" "$log" | awk '{print $2}'; }
    crashes=$(( $(ls "$artifacts" | wc -l) - before ))
    used_seed=$(grep -m1 -o 'Seed: [0-9]*' "$log" | awk '{print $2}')
    printf '%-16s executions %-9s exec/s %-7s new units %-5s peak RSS %s MB  %ss  seed %s  crashes %s\n' \
        "$target" "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" "$(stat new_units_added)" \
        "$(stat peak_rss_mb)" "$seconds" "$used_seed" "$crashes"
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        failed=1
        echo "  FAILED (exit $status): log $log, reproducers in $artifacts/" >&2
        grep -E "^(==[0-9]+==|Fatal error|.*error:|SUMMARY|artifact_prefix|Test unit written)" "$log" | head -20 >&2
        echo "  reproduce: $BIN/$target <reproducer file>" >&2
    fi
done
exit "$failed"
