#!/usr/bin/env python3
"""Relays the kernel's virtual HCI device (/dev/vhci) to a controller on TCP, e.g. the
virtual controller of `gaitway sim --hci tcp-server:HOST:PORT`: the kernel's adapter (hci0)
is then that controller.

Usage: vhci_relay.py HOST PORT

Faults, for the gateway's fault cases (guest_check.sh sends the signals):

- SIGUSR1, a link lost: the relay disconnects the oldest LE link at the controller (HCI
  Disconnect, reason Remote User Terminated Connection: the device advertises again) and tells
  the host the link timed out (Disconnection Complete, reason Connection Timeout 0x08), as a
  supervision timeout would; the controller's answers to its Disconnect are not passed on.
- SIGUSR2, the adapter removed: the relay closes /dev/vhci (the kernel unregisters the adapter,
  as when a USB dongle is pulled) and opens it again 8 seconds later (a new adapter, which the
  kernel resets: the controller drops its links). What the controller sends meanwhile is dropped.

The TCP connection is made first and /dev/vhci opened after it, so the kernel's first
command (HCI_Reset, sent as soon as hci0 exists) already has somewhere to go: Bumble's
hci_bridge opens the two the other way round. Standard library only, because under software
emulation importing Bumble takes minutes on a loaded machine.

/dev/vhci (drivers/bluetooth/hci_vhci.c) takes and gives one H4 packet per write and read;
writing the vendor packet 0xFF 0x00 first creates a primary adapter at once (without it the
kernel waits a second) and is answered with 0xFF 0x00 and the new index (u16).
"""
import errno
import os
import select
import signal
import socket
import sys
import time

# H4 packet type -> (header length, offset and size of the length field, mask)
HEADERS = {
    0x01: (3, 2, 1, 0xFF),      # command: opcode u16, length u8
    0x02: (4, 2, 2, 0xFFFF),    # ACL: handle u16, length u16
    0x03: (3, 2, 1, 0xFF),      # SCO: handle u16, length u8
    0x04: (2, 1, 1, 0xFF),      # event: code u8, length u8
    0x05: (4, 2, 2, 0x3FFF),    # ISO: handle u16, length 14 bits
}


def packets(buffer):
    """Whole H4 packets at the front of buffer, and what is left."""
    out = []
    while buffer:
        kind = buffer[0]
        if kind not in HEADERS:
            raise ValueError(f"not an H4 packet type: 0x{kind:02x}")
        header, offset, size, mask = HEADERS[kind]
        if len(buffer) < 1 + header:
            break
        length = int.from_bytes(buffer[1 + offset:1 + offset + size], "little") & mask
        total = 1 + header + length
        if len(buffer) < total:
            break
        out.append(bytes(buffer[:total]))
        del buffer[:total]
    return out


# How long the adapter stays removed after SIGUSR2, in seconds.
REMOVED_FOR = 8.0


class Faults:
    """What the signal handlers asked for; the relay loop acts on it between packets."""

    def __init__(self):
        self.drop_link = False
        self.remove_adapter = False

    def link_lost(self, *_):
        self.drop_link = True

    def adapter_removed(self, *_):
        self.remove_adapter = True


def open_vhci():
    """A new adapter behind /dev/vhci, and its index."""
    vhci = os.open("/dev/vhci", os.O_RDWR)
    os.write(vhci, bytes([0xFF, 0x00]))
    created = os.read(vhci, 4)
    return vhci, int.from_bytes(created[2:4], "little")


def to_host(vhci, packet):
    """Writes one packet to the kernel. While the adapter is down the kernel refuses what the
    controller sends (ENXIO, hci_recv_frame in hci_core.c): after the HCI user channel closes,
    the controller goes on reporting what it was doing. Dropped, as a powered-off adapter would."""
    try:
        os.write(vhci, packet)
    except OSError as error:
        if error.errno != errno.ENXIO:
            raise


def say(text):
    print(f"vhci_relay: {time.time():.3f} {text}", flush=True)


class Links:
    """LE links the controller reported (handle -> peer), in the order they came up, and the
    controller's answers to the relay's own Disconnect, which the host must not see."""

    def __init__(self):
        self.handles = []
        self.swallow_status = 0
        self.swallow_disconnection = set()

    def from_controller(self, packet):
        """Whether to pass the controller's packet on to the host."""
        if packet[0] != 0x04 or len(packet) < 3:
            return True
        code = packet[1]
        # LE Meta (0x3E): LE Connection Complete (0x01) / Enhanced Connection Complete (0x0A, 0x29):
        # status, handle (Vol 4, Part E, §7.7.65.1, .10).
        if code == 0x3E and len(packet) >= 7 and packet[3] in (0x01, 0x0A, 0x29) and packet[4] == 0:
            self.handles.append(int.from_bytes(packet[5:7], "little") & 0x0FFF)
        elif code == 0x05 and len(packet) >= 7:
            # Disconnection Complete: status, handle, reason (§7.7.5).
            handle = int.from_bytes(packet[4:6], "little") & 0x0FFF
            if handle in self.handles:
                self.handles.remove(handle)
            if handle in self.swallow_disconnection:
                self.swallow_disconnection.discard(handle)
                return False
        elif code == 0x0F and len(packet) >= 7 and packet[5:7] == bytes([0x06, 0x04]) and self.swallow_status:
            # Command Status of Disconnect (opcode 0x0406).
            self.swallow_status -= 1
            return False
        return True

    def drop_oldest(self):
        """The packets that end the oldest link: (to the controller, to the host), or None."""
        if not self.handles:
            return None
        handle = self.handles.pop(0)
        self.swallow_status += 1
        self.swallow_disconnection.add(handle)
        le = handle.to_bytes(2, "little")
        disconnect = bytes([0x01, 0x06, 0x04, 0x03]) + le + bytes([0x13])
        timed_out = bytes([0x04, 0x05, 0x04, 0x00]) + le + bytes([0x08])
        return handle, disconnect, timed_out


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    faults = Faults()
    signal.signal(signal.SIGUSR1, faults.link_lost)
    signal.signal(signal.SIGUSR2, faults.adapter_removed)
    # Retried for a minute: the guest's network may still be coming up.
    for attempt in range(60):
        try:
            controller = socket.create_connection((host, port), timeout=5)
            break
        except OSError as error:
            if attempt == 59:
                raise
            say(f"cannot connect to {host}:{port} yet: {error}")
            time.sleep(1)
    controller.settimeout(None)
    controller.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    vhci, index = open_vhci()
    say(f"hci{index} <-> {host}:{port}")
    pending = bytearray()
    links = Links()
    removed_until = None
    while True:
        if faults.drop_link:
            faults.drop_link = False
            dropped = links.drop_oldest() if vhci is not None else None
            if dropped:
                handle, disconnect, timed_out = dropped
                controller.sendall(disconnect)
                to_host(vhci, timed_out)
                say(f"link lost: handle 0x{handle:04x}")
            else:
                say("link lost: no link to drop")
        if faults.remove_adapter:
            faults.remove_adapter = False
            if vhci is not None:
                os.close(vhci)
                vhci = None
                links = Links()
                removed_until = time.monotonic() + REMOVED_FOR
                say("adapter removed")
        if vhci is None and time.monotonic() >= removed_until:
            vhci, index = open_vhci()
            say(f"adapter back: hci{index}")
        watched = [controller] if vhci is None else [vhci, controller]
        try:
            ready, _, _ = select.select(watched, [], [], 0.2)
        except InterruptedError:
            continue
        if vhci is not None and vhci in ready:
            packet = os.read(vhci, 4096)
            if not packet:
                return
            controller.sendall(packet)
        if controller in ready:
            data = controller.recv(65536)
            if not data:
                say("the controller closed the connection")
                return
            pending += data
            for packet in packets(pending):
                if vhci is not None and links.from_controller(packet):
                    to_host(vhci, packet)


if __name__ == "__main__":
    main()
