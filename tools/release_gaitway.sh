# Sourced by the measuring scripts (gateway_soak.sh, gateway_memory.sh): sets `repo` and `bin`,
# the release binary `make build` makes (exclusivity checks off, as Benchmarks/README.md
# explains), or $BIN; stops with a message when it is not built.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BIN:-$(cd "$repo" && swift build -c release -Xswiftc -enforce-exclusivity=unchecked --show-bin-path)/gaitway}"
[ -x "$bin" ] || { echo "build first: make build (or give BIN=path/to/gaitway)" >&2; exit 1; }
