#!/usr/bin/env bash
# Resident memory of `gaitway gateway` with many simulated devices connected: the
# simulator serves a scenario scaled to N devices as a virtual controller on loopback TCP
# (its own process, so its memory is not counted), the gateway connects to all of them
# and stores what they send; the gateway's peak resident set (VmHWM) is read from /proc.
#
#   tools/gateway_memory.sh [DEVICES [SECONDS [SCENARIO]]]     defaults: 200 120 gym-100
#
# Prints one line per 10 s of the gateway's own status, then the peak. Uses the release
# build of `make build` (BIN=... to use another binary).
set -euo pipefail
devices="${1:-200}"
seconds="${2:-120}"
scenario="${3:-gym-100}"
source "$(dirname "${BASH_SOURCE[0]}")/release_gaitway.sh"
work="$(mktemp -d)"
trap 'kill $sim $gateway 2>/dev/null || true; rm -rf "$work"' EXIT
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

"$bin" sim --scenario "$scenario" --devices "$devices" --max-connections "$devices" \
    --hci "tcp-server:127.0.0.1:$port" --duration $((seconds + 60)) 2>"$work/sim.log" &
sim=$!
sleep 1
"$bin" gateway --hci "tcp-client:127.0.0.1:$port" --duration "$seconds" --db "$work/gateway.db" \
    --max-connections "$devices" --no-status 2>"$work/gateway.log" &
gateway=$!
peak=0
while kill -0 "$gateway" 2>/dev/null; do
    hwm="$(awk '/VmHWM/ {print $2}' "/proc/$gateway/status" 2>/dev/null || echo 0)"
    [ -n "$hwm" ] && [ "$hwm" -gt "$peak" ] && peak="$hwm"
    sleep 1
done
wait "$gateway" || true
grep -o '"message":"[0-9]* connected[^"]*"' "$work/gateway.log" | sed 's/"message":"//; s/"$//' || true
tail -2 "$work/gateway.log"
echo "gateway peak resident memory (VmHWM): $((peak / 1024)) MiB ($peak KiB) with $devices devices of $scenario for $seconds s"
