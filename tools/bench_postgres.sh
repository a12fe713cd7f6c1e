#!/usr/bin/env bash
# The collector's PostgreSQL ingest benchmark (Benchmarks/CollectorBenchmarks, issue 13):
# starts a throwaway PostgreSQL 15 cluster on loopback with the server's default durability
# (fsync and synchronous_commit on: a collector's database is kept), runs the
# CollectorBenchmarks target with GAITWAY_BENCH_POSTGRES naming an empty database in it, and
# stops and removes the cluster however the run ends.
#
#   tools/bench_postgres.sh [extra arguments for `swift package benchmark`]
#
# As root the server runs as `nobody` (initdb and pg_ctl refuse root), as the tests'
# cluster does (Tests/GaitwayTestSupport/PostgresCluster.swift).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${GAITWAY_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"
swift="${SWIFT:-swift}"
[ -x "$bin/initdb" ] || { echo "bench_postgres: no PostgreSQL in $bin (Debian's postgresql; tools/bootstrap.sh)" >&2; exit 1; }

dir="$(mktemp -d /tmp/gaitway-bench-postgres-XXXXXX)"
as_server=()
if [ "$(id -u)" = 0 ]; then
    chown nobody: "$dir"
    as_server=(runuser -u nobody --)
fi
chmod 700 "$dir"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

stop() {
    "${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT

"${as_server[@]}" "$bin/initdb" -D "$dir/data" -U gaitway --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
"${as_server[@]}" "$bin/createdb" -h "$dir" -p "$port" -U gaitway bench

cd "$repo/Benchmarks"
GAITWAY_BENCH_POSTGRES="postgres://gaitway@127.0.0.1:$port/bench?sslmode=disable" \
    "$swift" package -Xswiftc -enforce-exclusivity=unchecked --allow-writing-to-package-directory \
    benchmark --target CollectorBenchmarks "$@"
