#!/usr/bin/env python3
"""Relays the kernel's virtual HCI device (/dev/vhci) to a controller on TCP, e.g. the
virtual controller of `gaitway sim --hci tcp-server:HOST:PORT`: the kernel's adapter (hci0)
is then that controller.

Usage: vhci_relay.py HOST PORT

The TCP connection is made first and /dev/vhci opened after it, so the kernel's first
command (HCI_Reset, sent as soon as hci0 exists) already has somewhere to go: Bumble's
hci_bridge opens the two the other way round. Standard library only, because under software
emulation importing Bumble takes minutes on a loaded machine.

/dev/vhci (drivers/bluetooth/hci_vhci.c) takes and gives one H4 packet per write and read;
writing the vendor packet 0xFF 0x00 first creates a primary adapter at once (without it the
kernel waits a second) and is answered with 0xFF 0x00 and the new index (u16).
"""
import os
import select
import socket
import sys

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


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    controller = socket.create_connection((host, port))
    controller.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    vhci = os.open("/dev/vhci", os.O_RDWR)
    os.write(vhci, bytes([0xFF, 0x00]))
    created = os.read(vhci, 4)
    print(f"vhci_relay: hci{int.from_bytes(created[2:4], 'little')} <-> {host}:{port}", flush=True)
    pending = bytearray()
    while True:
        ready, _, _ = select.select([vhci, controller], [], [])
        if vhci in ready:
            packet = os.read(vhci, 4096)
            if not packet:
                return
            controller.sendall(packet)
        if controller in ready:
            data = controller.recv(65536)
            if not data:
                print("vhci_relay: the controller closed the connection", flush=True)
                return
            pending += data
            for packet in packets(pending):
                os.write(vhci, packet)


if __name__ == "__main__":
    main()
