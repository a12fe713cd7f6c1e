#!/usr/bin/env bash
# Boots Debian's kernel (linux-image-amd64: Bluetooth and hci_vhci as modules) in a virtual
# machine with virtme-ng, the host's filesystem visible, and runs guest_check.sh in it: the
# gateway binary GAITWAY against a kernel Bluetooth stack in both BlueZ modes. Results go to OUT
# (see guest_check.sh). tools/bootstrap.sh installs what it needs.
#
# Usage: tools/bluez_vm/run.sh OUT GAITWAY [DURATION]
# GAITWAY_VM_LINK: what hci0 is: host (default), virtual or bumble (guest_check.sh says how).
# With host, the simulator runs here, natively, and the guest reaches it through qemu's user
# network (the host is 10.0.2.2 there): under software emulation the simulator in the guest
# answered the kernel's commands late enough for its 2 s command timeout ("command 0x2042 tx
# timeout", then "start background scanning failed: -110", dmesg of /tmp/bf-vm1, the machine at
# load average 12), and the kernel then stopped connecting.
# GAITWAY_VM_CPUS: virtual CPUs (default 2: the controllers, the simulator and the gateway are
# three busy processes; TCG runs each vCPU on a host thread).
# Exit status: 0 when the check ran through (its results are for the caller to judge), 1 when
# it did not, 77 when this machine cannot run it (no qemu, kernel image or virtme-ng).
#
# Software emulation (--disable-kvm), where /dev/kvm exists here it is a PVM hypervisor
# (kvm_pvm) that boots only PVM-aware guest kernels (a stock kernel hangs after "Probing EDD").
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)" gaitway="$(realpath "$2")" duration="${3:-60}"
venv="${GAITWAY_VENV:-$repo/.venv}"
say() { printf 'bluez_vm: %s\n' "$*" >&2; }

kernel="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)"
[[ -n "$kernel" ]] || { say "skip: no kernel image in /boot (apt-get install linux-image-amd64)"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { say "skip: no qemu-system-x86_64 (apt-get install qemu-system-x86)"; exit 77; }
[[ -x "$venv/bin/vng" ]] || { say "skip: no virtme-ng in $venv (tools/bootstrap.sh)"; exit 77; }
command -v btmon >/dev/null && command -v btmgmt >/dev/null || { say "skip: no btmon/btmgmt (apt-get install bluez)"; exit 77; }

rm -rf "$out"/*
# bash reads a script as it runs: the guest runs a copy, so editing the checkout meanwhile is safe.
cp "$repo/tools/bluez_vm/guest_check.sh" "$repo/tools/bluez_vm/vhci_relay.py" "$out/"
link="${GAITWAY_VM_LINK:-host}" port=0 network=() sim=
if [[ "$link" == host ]]; then
    # The simulator's virtual controller for both runs, on a free loopback port of this machine.
    port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$gaitway" sim --scenario quickstart --hci "tcp-server:127.0.0.1:$port" --duration 86400 \
        --btsnoop "$out/sim.btsnoop" --truth "$out/truth.jsonl" >"$out/sim.log" 2>&1 &
    sim=$!
    network=(--network user)
fi
# Stops the simulator (SIGINT closes its capture and ground truth; 20 s before SIGKILL).
stop_sim() {
    [[ -n "$sim" ]] || return 0
    kill -INT "$sim" 2>/dev/null
    for _ in $(seq 20); do kill -0 "$sim" 2>/dev/null || break; sleep 1; done
    kill -KILL "$sim" 2>/dev/null
    wait "$sim" 2>/dev/null
    sim=
}
trap stop_sim EXIT
say "booting $kernel (software emulation, ${GAITWAY_VM_CPUS:-2} vCPUs)"
# vng calls virtme-run from PATH. The guest sees the host's filesystem read-only, with
# throw-away overlays on /tmp and the like: OUT is shared writable (--rwdir).
PATH="$venv/bin:$PATH" timeout 1200 "$venv/bin/vng" --disable-kvm --run "$kernel" --cpus "${GAITWAY_VM_CPUS:-2}" --memory 2G \
    --rwdir "$out" "${network[@]}" \
    --exec "bash $out/guest_check.sh $out $gaitway $venv/bin/python $duration $link $port" </dev/null
status=$?
stop_sim
if [[ ! -f "$out/finished" ]]; then
    say "the check did not run through (vng exit status $status)"
    exit 1
fi
