#!/usr/bin/env bash
# `make demo`: the simulator, the gateway and the collector together on this machine.
#
#   1. `gaitway collector` on 127.0.0.1:$DEMO_PORT with a fresh tokens file (a gateway token
#      and a reader token, random, in out/demo-tokens.yaml, mode 0600);
#   2. `gaitway gateway --hci sim:quickstart --upload ...` for $DEMO_SECONDS seconds (the live
#      table on a terminal), uploading what it commits;
#   3. a query of the gateway's own database, and a curl query of the collector, printed
#      and run. The collector is left running so that the printed curl keeps working; the
#      last line says how to stop it.
set -euo pipefail
gaitway="$1"
out="${DEMO_OUT:-out}"
seconds="${DEMO_SECONDS:-30}"
port="${DEMO_PORT:-8090}"
mkdir -p "$out"
rm -f "$out"/demo.db{,-wal,-shm} "$out"/demo-collector.db{,-wal,-shm}

token() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
gateway_token="gw-$(token)"
reader_token="rd-$(token)"
(umask 077
 printf 'tokens:\n  - {token: "%s", tenant: demo, role: gateway}\n  - {token: "%s", tenant: demo, role: reader}\n' \
     "$gateway_token" "$reader_token" >"$out/demo-tokens.yaml"
 printf '%s\n' "$gateway_token" >"$out/demo-gateway-token")

if pid="$(cat "$out/demo-collector.pid" 2>/dev/null)" && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" && sleep 1   # the previous demo's collector
fi
"$gaitway" collector --listen "127.0.0.1:$port" --db "$out/demo-collector.db" --tokens "$out/demo-tokens.yaml" \
    >"$out/demo-collector.log" 2>&1 &
collector=$!
echo "$collector" >"$out/demo-collector.pid"
for _ in $(seq 100); do
    grep -q "collector listening" "$out/demo-collector.log" 2>/dev/null && break
    kill -0 "$collector" 2>/dev/null || { cat "$out/demo-collector.log"; exit 1; }
    sleep 0.1
done
echo "== collector on http://127.0.0.1:$port (log: $out/demo-collector.log)"

"$gaitway" gateway --hci sim:quickstart --duration "$seconds" --db "$out/demo.db" \
    --upload "http://127.0.0.1:$port/v1/ingest" --token-file "$out/demo-gateway-token" --gateway-id demo-board

echo "== gaitway query --db $out/demo.db --quantity heart_rate --limit 5"
"$gaitway" query --db "$out/demo.db" --quantity heart_rate --limit 5
query="curl -s -H 'Authorization: Bearer $reader_token' 'http://127.0.0.1:$port/v1/samples?quantity=heart_rate&limit=5'"
echo "== the collector has it too:"
echo "$query"
eval "$query"
echo
echo "(also /v1/devices, /v1/metrics, /v1/fhir/Observation?code=8867-4, /openapi.yaml;"
echo " the collector keeps running for your queries: stop it with kill $collector)"
