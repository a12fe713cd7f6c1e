#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a bare Debian 12 machine, and nothing
# when it is all there already (a dpkg-query and a stamp comparison: well under a second).
#
#   apt:  tshark           reference decoder for the captures (tools/tshark_hr.py)
#         bluez            btmon, the second reference reader of the captures (BtmonReferenceTests)
#         libbluetooth-dev BlueZ headers and libbluetooth.so for the CBlueZ system library
#         libsqlite3-dev   SQLite headers for GatewayStore
#         zlib1g-dev       zlib headers for CZlib (upload batches: gzip and deflate)
#         openssl          makes the test certificates of the HTTPS upload test (UplinkTests)
#         postgresql       PostgreSQL 15 server binaries: the collector's tests start a throwaway
#                          cluster with initdb/pg_ctl (Tests/GaitwayTestSupport/PostgresCluster.swift)
#         python3-venv     python3 + venv/ensurepip for .venv
#         qemu-system-x86  the virtual machine of tools/bluez_vm/run.sh (BlueZKernelTests)
#         linux-image-amd64  the kernel it boots: Bluetooth and hci_vhci as modules
#         busybox-static   the initramfs virtme-ng builds to load that kernel's modules
#         libgomp1         OpenMP runtime of lightgbm, which scikit-digital-health imports (sleep period reference)
#   venv: .venv at the repository root, from tools/requirements.txt (pinned: bumble, ...),
#         tools/requirements-reference.txt, tools/requirements-vm.txt (virtme-ng) and
#         tools/requirements-collector.txt (schemathesis, fhir.resources), then
#         tools/requirements-reference-nodeps.txt (pyActigraphy) with --no-deps
#
# Non-interactive: runs as root (or through sudo when it is there), answers tshark's debconf
# question ("should non-superusers be able to capture packets?") with "no" before installing,
# and runs `apt-get update` once and only when a package is missing.
#
# Environment:
#   GAITWAY_PYTHON   interpreter for the venv (default /usr/bin/python3, Debian's; >= 3.11
#                    because bumble 0.0.236 requires it)
#   GAITWAY_VENV     where the venv goes (default REPO/.venv)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${GAITWAY_VENV:-$repo/.venv}"
requirements="$repo/tools/requirements.txt"
# Reference analysis tools (NeuroKit2 and its numeric stack), kept apart from the BLE tools.
reference_requirements="$repo/tools/requirements-reference.txt"
# virtme-ng, for the kernel Bluetooth check in a virtual machine (tools/bluez_vm/).
vm_requirements="$repo/tools/requirements-vm.txt"
# schemathesis and fhir.resources, the collector's reference tools (Tests/CollectorTests/).
collector_requirements="$repo/tools/requirements-collector.txt"
# pyActigraphy, installed without its declared dependencies (tools/requirements-reference.txt says why).
nodeps_requirements="$repo/tools/requirements-reference-nodeps.txt"
python="${GAITWAY_PYTHON:-/usr/bin/python3}"
apt_packages=(tshark bluez libbluetooth-dev libsqlite3-dev zlib1g-dev openssl postgresql python3-venv qemu-system-x86 linux-image-amd64 busybox-static libgomp1)

say() { printf 'bootstrap: %s\n' "$*" >&2; }

# Two `make` runs at once must not both run apt-get or pip on the same venv.
# (apt has its own lock, but a second run would fail on it instead of waiting.)
exec 9>"${TMPDIR:-/tmp}/gaitway-bootstrap.lock"
flock 9

# --- Debian packages ---------------------------------------------------------------------
missing=()
for package in "${apt_packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]})); then
    as_root=()
    if ((EUID != 0)); then
        if command -v sudo >/dev/null; then
            as_root=(sudo -n)
        else
            say "missing Debian packages: ${missing[*]}; run as root or install them yourself"
            exit 1
        fi
    fi
    say "installing Debian packages: ${missing[*]}"
    if [[ " ${missing[*]} " == *" tshark "* ]]; then
        # wireshark-common asks whether non-root users may capture; "no" keeps dumpcap
        # unprivileged and, preseeded, never prompts.
        echo 'wireshark-common wireshark-common/install-setuid boolean false' |
            "${as_root[@]}" debconf-set-selections
    fi
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}" >&2
fi

# --- Python venv ---------------------------------------------------------------------------
stamp="$venv/.gaitway-requirements.sha256"
want="$(cat "$requirements" "$reference_requirements" "$vm_requirements" "$collector_requirements" "$nodeps_requirements" | sha256sum | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "$python is missing or older than 3.11 (bumble needs 3.11); set GAITWAY_PYTHON"
    exit 1
fi
if [[ ! -x "$venv/bin/python" ]]; then
    say "creating venv $venv with $("$python" --version 2>&1)"
    "$python" -m venv "$venv"
fi
say "installing Python packages from tools/requirements*.txt into $venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
    -r "$requirements" -r "$reference_requirements" -r "$vm_requirements" -r "$collector_requirements" >&2
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q --no-deps -r "$nodeps_requirements" >&2
"$venv/bin/python" -m pip freeze --disable-pip-version-check | sed 's/^/bootstrap:   /' >&2
echo "$want" >"$stamp"
say "done"
