#!/usr/bin/env bash
# A long run of `gaitway gateway` on the in-process simulator: its resident memory over
# time (VmRSS from /proc every STEP seconds, the simulator included, since it runs in the
# same process) and how many log lines it wrote (none may be per packet).
#
#   tools/gateway_soak.sh [SECONDS [SCENARIO [STEP]]]        defaults: 600 gym-100 30
#
# Uses the release build of `make build` (BIN=... to use another binary).
set -euo pipefail
seconds="${1:-600}"
scenario="${2:-gym-100}"
step="${3:-30}"
source "$(dirname "${BASH_SOURCE[0]}")/release_gaitway.sh"
work="$(mktemp -d)"
trap 'kill $gateway 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" gateway --hci "sim:$scenario" --duration "$seconds" --db "$work/gateway.db" --no-status 2>"$work/gateway.log" &
gateway=$!
start=$(date +%s)
echo "seconds  VmRSS_MiB  log_lines"
while kill -0 "$gateway" 2>/dev/null; do
    rss="$(awk '/VmRSS/ {print $2}' "/proc/$gateway/status" 2>/dev/null || echo 0)"
    [ -n "$rss" ] && printf '%7d  %9.1f  %9d\n' "$(( $(date +%s) - start ))" "$(echo "$rss / 1024" | bc -l)" "$(wc -l <"$work/gateway.log")"
    sleep "$step"
done
wait "$gateway" && status=0 || status=$?
echo "exit status $status; log lines by label:"
grep -o '"label":"[^"]*"' "$work/gateway.log" | sort | uniq -c
echo "summary lines (every 10 s): $(grep -c 'connected, ' "$work/gateway.log" || true)"
tail -1 "$work/gateway.log"
ls -l "$work/gateway.db"
