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
#   NAME-rmem.txt           the most bytes the gateway's Bluetooth sockets held unread
#   NAME-faults.txt         the faults injected mid-run, one per line: "KIND EPOCH-SECONDS" with
#                           KIND link-lost, adapter-removed or adapter-back (virtual link only)
#   unopenable-NAME.rc/.log a gateway run of 10 s on an adapter it cannot open in that mode
#                           (bluez:hci1, which does not exist; hci-socket:0 while hci0 is up),
#                           and unopenable-NAME.seconds, how long it ran
#
# and for both runs sim.btsnoop (the simulator's own HCI traffic: what the devices sent),
# truth.jsonl (its ground truth: beats), sim.log, controllers.log, adapter.txt, dmesg.txt, and
# `finished` last (its absence: the check did not run through).
#
# Usage: guest_check.sh OUT GAITWAY PYTHON [DURATION [LINK [PORT]]]
# LINK: host (default: hci0 is the virtual controller of the simulator that run.sh started on
# the host, port PORT, reached through qemu's user network; sim.log, sim.btsnoop and
# truth.jsonl are then written there), virtual (that simulator started here in the guest) or
# bumble (two Bumble controllers on one link, the simulator hosting the devices on the second).
# The kernel-managed mode runs first: when the HCI user channel closes, Bumble keeps writing
# into the downed vhci device and hci0 disappears (found on Debian's 6.1 kernel, 2026-12-02).
set -uo pipefail

out="$1" gaitway="$2" python="$3" duration="${4:-60}" link="${5:-host}" host_port="${6:-0}"
work=/tmp/gaitway-check
port=9100
mkdir -p "$work" "$out"
say() { printf 'guest: %s %s\n' "$(date -u +%T)" "$*" | tee -a "$out/guest.log" >&2; }

# Waits up to $2 seconds (of the wall clock: under emulation on a loaded machine a pass of the
# loop takes seconds) for the command $1 to succeed.
wait_for() {
    local end=$((SECONDS + $2))
    while ((SECONDS < end)); do eval "$1" && return 0; sleep 1; done
    return 1
}

# Powers hci0 on for the kernel-managed mode, as bluetoothd does (AutoEnable) for a new adapter,
# with a static random address although the virtual controller has a public one: the kernel then
# takes the static address as its identity (an LE-only adapter, hci_copy_identity_address), and
# the gateway's ATT sockets must still find their route (EHOSTUNREACH before 2026-12-02).
power_on() {
    timeout 60 btmgmt --index 0 static-addr C0:11:22:33:44:55 >/dev/null
    timeout 60 btmgmt --index 0 le on >/dev/null
    timeout 60 btmgmt --index 0 power on >/dev/null
}

say "kernel $(uname -r)"
ip link set lo up
modprobe bluetooth && modprobe hci_vhci || { say "no Bluetooth modules in this kernel"; exit 1; }
cd "$work"
case "$link" in
host)
    # qemu's user network, where the host is 10.0.2.2. Without udev here nothing loads the
    # network driver (virtme-ng's DHCP found no eth0, /tmp/bf-vm2): load it and give eth0
    # slirp's default guest address.
    modprobe virtio_net
    wait_for '[ -n "$(ls /sys/class/net | grep -v "^lo$")" ]' 180 || say "no network interface: $(ls /sys/class/net) $(lsmod | grep -c virtio)"
    nic="$(ls /sys/class/net | grep -v '^lo$' | head -n 1)"
    ip addr add 10.0.2.15/24 dev "$nic" 2>/dev/null
    ip link set "$nic" up
    say "network: $nic $(ip -4 -o addr show dev "$nic" 2>&1 | awk '{print $4}' | tr '\n' ' ')"
    "$python" "$(dirname "$0")/vhci_relay.py" 10.0.2.2 "$host_port" >"$work/controllers.log" 2>&1 &
    relay=$!
    ;;
virtual)
    # hci0 is the simulator's own virtual controller: vhci_relay.py connects to
    # `gaitway sim --hci tcp-server:` and then opens /dev/vhci (the kernel's side). The devices
    # are the controller's peripherals, each on its own link.
    "$gaitway" sim --scenario quickstart --hci "tcp-server:127.0.0.1:$port" --duration 86400 \
        --btsnoop "$work/sim.btsnoop" --truth "$work/truth.jsonl" >"$work/sim.log" 2>&1 &
    sim=$!
    wait_for "grep -q 'waiting for a host' '$work/sim.log'" 300 || { say "the simulator is not listening"; cp "$work/sim.log" "$out/"; exit 1; }
    "$python" "$(dirname "$0")/vhci_relay.py" 127.0.0.1 "$port" >"$work/controllers.log" 2>&1 &
    relay=$!
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
# (Bumble's controller has the address 00:00:00:00:00:00: the kernel powers on an LE-only
# adapter only with a public or static random address, which power_on sets.)
power_on
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

# Counts the gateway log's lines of NAME containing TEXT.
log_count() { grep -c "$2" "$work/$1-gateway.log" 2>/dev/null || true; }

# The faults of a run of mode NAME, injected through vhci_relay.py while the gateway runs: a link
# lost once every device is subscribed, then the adapter removed once that device is back.
# Each step waits for the gateway to recover from the one before, within the run's duration.
inject_faults() {
    local name="$1" connected
    [[ -n "${relay:-}" ]] || { say "$name: no faults on the $link link"; return; }
    # The timeline runs from the gateway's own start (--duration does too): under emulation on a
    # loaded machine the debug binary took 53 s to get there (/tmp/bf-vm5).
    wait_for "grep -q 'gateway on' '$work/$name-gateway.log'" 240 || say "$name: the gateway did not start"
    wait_for "[ \$(log_count $name 'subscribed to') -ge 4 ]" $((duration * 2 / 5)) || say "$name: not every device subscribed"
    sleep 5
    connected=$(log_count "$name" "connected to")
    # Each fault's time is taken before the signal: the gateway may log its effects before a
    # `date` after it has run.
    echo "link-lost $(date +%s.%N)" >>"$work/$name-faults.txt"
    kill -USR1 "$relay"
    say "$name: link lost"
    wait_for "[ \$(log_count $name 'connected to') -gt $connected ]" 30 || say "$name: the lost link was not reconnected"
    sleep 8
    echo "adapter-removed $(date +%s.%N)" >>"$work/$name-faults.txt"
    kill -USR2 "$relay"
    say "$name: adapter removed"
    wait_for '[ ! -e /sys/class/bluetooth/hci0 ]' 20 || say "$name: hci0 did not go away"
    wait_for '[ -e /sys/class/bluetooth/hci0 ]' 60 || { say "$name: hci0 did not come back"; return; }
    [[ "$name" == bluez ]] && { sleep 2; power_on; }
    echo "adapter-back $(date +%s.%N)" >>"$work/$name-faults.txt"
    say "$name: adapter back"
}

# Writes to FILE the most bytes the sockets of process PID held in /proc/net/hci or
# /proc/net/l2cap (columns: sk RefCnt Rmem Wmem User Inode ...), until PID ends.
sample_rmem() {
    local pid="$1" max=0 inodes rmem inode
    while kill -0 "$pid" 2>/dev/null; do
        inodes=" $(ls -l "/proc/$pid/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | tr '\n' ' ') "
        while read -r _ _ rmem _ _ inode _; do
            [[ "$rmem" =~ ^[0-9]+$ && "$inodes" == *" $inode "* ]] && ((rmem > max)) && max=$rmem
        done < <(cat /proc/net/hci /proc/net/l2cap 2>/dev/null)
        echo "$max" >"$2"
        sleep 2
    done
}

# One gateway run: mode NAME on transport HCI, with btmon recording the kernel's monitor channel.
run_mode() {
    local name="$1" hci="$2" btmon rc gateway
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
    : >"$work/$name-faults.txt"
    timeout --signal=INT $((duration + 120)) "$gaitway" gateway --hci "$hci" --duration "$duration" \
        --db "$work/$name.db" --no-status 2>"$work/$name-gateway.log" &
    gateway=$!
    # The most the gateway's Bluetooth sockets had queued, unread (Rmem of /proc/net/hci and
    # /proc/net/l2cap, af_bluetooth.c bt_seq_show), sampled every 2 s: the kernel drops
    # packets beyond the socket's receive buffer.
    sample_rmem "$gateway" "$work/$name-rmem.txt" &
    inject_faults "$name"
    wait "$gateway"
    rc=$?
    echo "$rc" >"$work/$name-gateway.rc"
    say "$name: gateway exit status $rc"
    sleep 1
    kill -INT "$btmon" 2>/dev/null
    wait "$btmon" 2>/dev/null
    # A clean stop folds the write-ahead log back into the database; copy it all the same.
    cp "$work/$name".db* "$work/$name"-* "$out/"
}

# --duration on an adapter that cannot be opened in mode NAME: the gateway retries the open and
# still stops at --duration with exit status 0.
run_unopenable() {
    local name="$1" hci="$2" started rc
    say "unopenable-$name: gateway --hci $hci --duration 10"
    started=$(date +%s.%N)
    timeout --signal=INT 130 "$gaitway" gateway --hci "$hci" --duration 10 --db "$work/unopenable-$name.db" \
        --no-status 2>"$out/unopenable-$name.log"
    rc=$?
    echo "$rc" >"$out/unopenable-$name.rc"
    echo "$(date +%s.%N) - $started" | bc >"$out/unopenable-$name.seconds"
    say "unopenable-$name: exit status $rc after $(cat "$out/unopenable-$name.seconds") s"
}

run_mode bluez bluez:hci0
# hci0 is up now (powered on for the kernel-managed mode): the user channel cannot have it.
hciconfig hci0 up >/dev/null 2>&1
run_unopenable user hci-socket:0
run_unopenable bluez bluez:hci1
run_mode user hci-socket:0

if [[ -n "${sim:-}" ]]; then
    # The simulator stops on SIGINT, closing its capture; it gets 20 s before SIGKILL.
    kill -INT "$sim" 2>/dev/null
    wait_for "! kill -0 $sim 2>/dev/null" 20 || { say "the simulator ignored SIGINT"; kill -KILL "$sim"; }
    wait "$sim" 2>/dev/null
    cp "$work/sim.log" "$work/sim.btsnoop" "$work/truth.jsonl" "$out/"
fi
cp "$work/controllers.log" "$work/adapter.txt" "$work/user-power-off.txt" "$out/"
dmesg >"$out/dmesg.txt"
date -u +%FT%TZ >"$out/finished"
