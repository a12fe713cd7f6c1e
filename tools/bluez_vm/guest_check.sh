#!/usr/bin/env bash
# Runs inside the virtual machine that tools/bluez_vm/run.sh boots (a stock Debian kernel with
# Bluetooth as modules, the host's filesystem visible): links a kernel adapter (hci0, through
# /dev/vhci) to a Bumble controller on TCP, hosts the simulated quickstart devices on a second
# Bumble controller of the same link (`gaitway sim --hci tcp-client:`), and runs the gateway
# once per BlueZ mode. What the checks need is copied to OUT: per mode NAME (bluez, user)
#
#   NAME.db                 the gateway's database (written on the guest's tmpfs, not the 9p share)
#   NAME-gateway.log/.rc    its JSON log lines and exit status
#   NAME-btmon.btsnoop      btmon's capture of the run (the kernel's monitor channel)
#
# and for both runs sim.btsnoop (the simulator's own HCI traffic: what the devices sent),
# truth.jsonl (its ground truth: beats), sim.log, controllers.log, adapter.txt, dmesg.txt, and
# `finished` last (its absence: the check did not run through).
#
# Usage: guest_check.sh OUT GAITWAY PYTHON [DURATION [LINK]]
# LINK: virtual (default: the simulator's virtual controller as hci0) or bumble (two Bumble
# controllers on one link, the simulator hosting the devices on the second; see below).
# The kernel-managed mode runs first: when the HCI user channel closes, Bumble keeps writing
# into the downed vhci device and hci0 disappears (found on Debian's 6.1 kernel, 2026-12-02).
set -uo pipefail

out="$1" gaitway="$2" python="$3" duration="${4:-60}" link="${5:-virtual}"
work=/tmp/gaitway-check
port=9100
mkdir -p "$work" "$out"
say() { printf 'guest: %s %s\n' "$(date -u +%T)" "$*" | tee -a "$out/guest.log" >&2; }

# Waits up to $2 seconds for the command $1 to succeed.
wait_for() {
    local i
    for ((i = 0; i < $2; i++)); do eval "$1" && return 0; sleep 1; done
    return 1
}

say "kernel $(uname -r)"
ip link set lo up
modprobe bluetooth && modprobe hci_vhci || { say "no Bluetooth modules in this kernel"; exit 1; }
cd "$work"
case "$link" in
virtual)
    # hci0 is the simulator's own virtual controller: vhci_relay.py connects to
    # `gaitway sim --hci tcp-server:` and then opens /dev/vhci (the kernel's side). The devices
    # are the controller's peripherals, each on its own link.
    "$gaitway" sim --scenario quickstart --hci "tcp-server:127.0.0.1:$port" --duration 86400 \
        --btsnoop "$work/sim.btsnoop" --truth "$work/truth.jsonl" >"$work/sim.log" 2>&1 &
    sim=$!
    wait_for "grep -q 'waiting for a host' '$work/sim.log'" 300 || { say "the simulator is not listening"; cp "$work/sim.log" "$out/"; exit 1; }
    "$python" "$(dirname "$0")/vhci_relay.py" 127.0.0.1 "$port" >"$work/controllers.log" 2>&1 &
    ;;
bumble)
    # hci0 is a Bumble controller; the simulator hosts the devices on a second one of the same
    # link. Bumble's controller keys LE links by the peer's address (controller.py,
    # on_link_acl_data: le_connections[sender_address]), so the devices' controller sees one
    # central on four links and hands all its data to the newest: only the device connected
    # last is served (bumble 0.0.236, found here 2026-12-02).
    "$python" -m bumble.apps.controllers vhci "tcp-server:127.0.0.1:$port" >"$work/controllers.log" 2>&1 &
    ;;
*)
    say "unknown link $link (virtual or bumble)"; exit 1 ;;
esac
# Python under emulation is slow to start: 30 s to minutes on a loaded machine.
wait_for '[ -e /sys/class/bluetooth/hci0 ]' 300 || { say "hci0 never appeared"; cp "$work"/*.log "$out/"; exit 1; }
sleep 2
if [[ "$link" == bumble ]]; then
    # Bumble's controller has the address 00:00:00:00:00:00; the kernel powers on an LE-only
    # adapter only with a public or static random address. (The virtual controller has a
    # public one. With a static address on it, the kernel's identity address becomes the
    # static one and an ATT socket bound to the public address gets EHOSTUNREACH: a known
    # defect of BlueZATTSocket, found here 2026-12-02.)
    timeout 60 btmgmt --index 0 static-addr C0:11:22:33:44:55 >/dev/null
fi
timeout 60 btmgmt --index 0 le on >/dev/null
timeout 60 btmgmt --index 0 power on >/dev/null
timeout 60 btmgmt --index 0 info >"$work/adapter.txt" 2>&1
say "hci0 powered on ($link link)"

if [[ "$link" == bumble ]]; then
    # The simulated devices, for both runs: started once (under emulation the simulator and
    # Bumble take minutes to come up on a loaded machine). Its capture and ground truth
    # cover both runs; after a gateway disconnects, the devices advertise again.
    "$gaitway" sim --scenario quickstart --hci "tcp-client:127.0.0.1:$port" --duration 86400 \
        --btsnoop "$work/sim.btsnoop" --truth "$work/truth.jsonl" >"$work/sim.log" 2>&1 &
    sim=$!
    wait_for "grep -q advertising '$work/sim.log'" 300 || say "the simulator is not advertising"
fi
say "simulator running"

# One gateway run: mode NAME on transport HCI, with btmon recording the kernel's monitor channel.
run_mode() {
    local name="$1" hci="$2" btmon rc
    btmon -w "$work/$name-btmon.btsnoop" >/dev/null 2>&1 &
    btmon=$!
    sleep 1
    if [[ "$name" == user ]]; then
        # The user channel takes only an adapter that is down (btmon records it). Not with
        # `btmgmt power off`: the kernel then disables advertising first, LE Set Extended
        # Advertising Enable (0x2039), which the virtual controller (a central's controller)
        # refuses, and hci0 stays up ("Opcode 0x2039 failed: -56", /tmp/bzvm-out4). The
        # HCIDEVDOWN ioctl of `hciconfig hci0 down` (hci_sock.c) closes the device without that.
        timeout 60 hciconfig hci0 down >"$work/user-power-off.txt" 2>&1
        timeout 60 btmgmt --index 0 info >>"$work/user-power-off.txt" 2>&1
    fi
    say "$name: gateway --hci $hci --duration $duration"
    timeout --signal=INT $((duration + 120)) "$gaitway" gateway --hci "$hci" --duration "$duration" \
        --db "$work/$name.db" --no-status 2>"$work/$name-gateway.log"
    rc=$?
    echo "$rc" >"$work/$name-gateway.rc"
    say "$name: gateway exit status $rc"
    sleep 1
    kill -INT "$btmon" 2>/dev/null
    wait "$btmon" 2>/dev/null
    # A clean stop folds the write-ahead log back into the database; copy it all the same.
    cp "$work/$name".db* "$work/$name"-* "$out/"
}

run_mode bluez bluez:hci0
run_mode user hci-socket:0

# The simulator stops on SIGINT, closing its capture; it gets 20 s before SIGKILL.
kill -INT "$sim" 2>/dev/null
wait_for "! kill -0 $sim 2>/dev/null" 20 || { say "the simulator ignored SIGINT"; kill -KILL "$sim"; }
wait "$sim" 2>/dev/null
cp "$work/controllers.log" "$work/adapter.txt" "$work/user-power-off.txt" "$work/sim.log" "$work/sim.btsnoop" "$work/truth.jsonl" "$out/"
dmesg >"$out/dmesg.txt"
date -u +%FT%TZ >"$out/finished"
