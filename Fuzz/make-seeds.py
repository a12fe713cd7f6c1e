#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/corpus/<target>/ from inputs nobody here wrote by hand.

Sources: the Bumble heart-rate capture (Tests/DissectorTests/Fixtures/bumble-heart-rate.btsnoop,
see its README) and the test vectors of Protocols/*.yaml. Run from anywhere:
    python3 Fuzz/make-seeds.py
It rewrites the seed folders; libFuzzer's own findings go to .build-fuzz/corpus/, not here.
"""
import hashlib
import pathlib
import shutil
import struct

import yaml  # Debian's python3-yaml

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
CAPTURE = ROOT / "Tests/DissectorTests/Fixtures/bumble-heart-rate.btsnoop"


def records(data):
    """(flags, packet with its H4 indicator) of each record of a datalink-1002 capture."""
    assert data[:8] == b"btsnoop\0" and struct.unpack(">II", data[8:16]) == (1, 1002)
    offset = 16
    while offset < len(data):
        _, included, flags, _, _ = struct.unpack(">IIIIq", data[offset:offset + 24])
        yield flags, data[offset + 24:offset + 24 + included]
        offset += 24 + included


def write(target, name, data):
    folder = FUZZ / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}-{hashlib.sha1(data).hexdigest()[:8]}").write_bytes(data)


def main():
    for target in ("h4-hci", "l2cap-att", "payload-spec", "btsnoop-ad"):
        shutil.rmtree(FUZZ / "corpus" / target, ignore_errors=True)
    capture = CAPTURE.read_bytes()
    packets = [packet for _, packet in records(capture)]

    # h4-hci: byte 0 picks the read sizes (0: one read; low 3 bits: largest read index).
    stream = b"".join(packets)
    write("h4-hci", "capture-one-read", b"\x00" + stream)
    write("h4-hci", "capture-reads-of-16", b"\x2c" + stream)
    write("h4-hci", "capture-bytewise", b"\x08" + stream[:600])
    seen = set()
    for packet in packets:
        kind = (packet[0], packet[1], packet[3] if packet[0] == 4 and packet[1] == 0x3E else None)
        if kind not in seen:
            seen.add(kind)
            write("h4-hci", f"packet-{packet[0]:02x}-{packet[1]:02x}", b"\x0b" + packet)

    # l2cap-att: byte 0 configuration, then (control, length, ACL payload) per fragment;
    # control = handle & 3 | boundary << 2.
    def fragment(acl, handle=None, boundary=None, body=None):
        header = struct.unpack("<H", acl[1:3])[0] if acl else 0
        handle = header & 0x3 if handle is None else handle
        boundary = (header >> 12) & 0x3 if boundary is None else boundary
        body = acl[5:] if body is None else body
        return bytes([handle | boundary << 2, len(body)]) + body

    acls = [p for p in packets if p[0] == 2 and len(p) - 5 <= 255]
    write("l2cap-att", "capture-acl", b"\x00" + b"".join(fragment(a) for a in acls))
    write("l2cap-att", "capture-acl-small-bound", b"\x01" + b"".join(fragment(a) for a in acls[:40]))
    per_opcode = {}
    for acl in acls:
        pdu = acl[5:]
        if len(pdu) >= 5:
            opcode = pdu[4]
            per_opcode[opcode] = per_opcode.get(opcode, 0) + 1
            if per_opcode[opcode] <= 3:
                write("l2cap-att", f"att-{opcode:02x}", b"\x00" + fragment(acl))
    # A notification split into three fragments (start, continuing, continuing), and the
    # same interleaved with another connection's PDU.
    notification = next(a for a in acls if len(a) > 10 and a[9] == 0x1B)[5:]
    parts = [notification[:3], notification[3:7], notification[7:]]
    split = fragment(b"", 0, 2, parts[0]) + fragment(b"", 0, 1, parts[1]) + fragment(b"", 0, 1, parts[2])
    write("l2cap-att", "notification-fragmented", b"\x00" + split)
    write("l2cap-att", "notification-interleaved",
          b"\x00" + fragment(b"", 1, 2, parts[0]) + fragment(b"", 2, 2, notification) + fragment(b"", 1, 1, parts[1] + parts[2]))
    # LE signalling (Core v5.4 Vol 3 Part A §4.20/§4.21): Connection Parameter Update
    # Request (interval 6..12, latency 0, timeout 500) and its Response (accepted).
    request = bytes([0x12, 0x01, 0x08, 0x00]) + struct.pack("<HHHH", 6, 12, 0, 500)
    response = bytes([0x13, 0x01, 0x02, 0x00, 0x00, 0x00])
    for name, command in (("le-signalling-request", request), ("le-signalling-response", response)):
        pdu = struct.pack("<HH", len(command), 5) + command
        write("l2cap-att", name, b"\x00" + fragment(b"", 0, 2, pdu))

    # payload-spec: byte 0 selects the spec in name order (as the target sorts them).
    specs = sorted((yaml.safe_load(p.read_text()) for p in (ROOT / "Protocols").glob("*.yaml")),
                   key=lambda spec: spec["name"])
    for index, spec in enumerate(specs):
        for number, vector in enumerate(spec.get("vectors") or []):
            payload = bytes.fromhex(str(vector.get("hex") or "").replace(" ", ""))
            write("payload-spec", f"{spec['name']}-{number}", bytes([index]) + payload)

    # btsnoop-ad: the capture, a short one, and the AD data of its advertising reports.
    write("btsnoop-ad", "capture", capture)
    short, offset = bytearray(capture[:16]), 16
    for _ in range(12):
        _, included, _, _, _ = struct.unpack(">IIIIq", capture[offset:offset + 24])
        short += capture[offset:offset + 24 + included]
        offset += 24 + included
    write("btsnoop-ad", "capture-first-12", bytes(short))
    for packet in packets:
        if packet[0] == 4 and packet[1] == 0x3E and packet[3] == 0x0D:  # extended advertising report
            count, position = packet[4], 5
            for _ in range(count):
                length = packet[position + 23]
                write("btsnoop-ad", "ad-data", packet[position + 24:position + 24 + length])
                position += 24 + length
    # The capture has extended reports only: the same advert as a legacy
    # HCI_LE_Advertising_Report (Core v5.4 Vol 4 Part E §7.7.65.2), for h4-hci.
    report = next(p for p in packets if p[0] == 4 and p[1] == 0x3E and p[3] == 0x0D)
    ad = report[5 + 24:5 + 24 + report[5 + 23]][:31]
    event_type, address_type, address = 0x00, report[5 + 2], report[5 + 3:5 + 9]
    parameters = bytes([0x02, 1, event_type, address_type]) + address + bytes([len(ad)]) + ad + bytes([0xC4])
    write("h4-hci", "packet-04-3e-02", b"\x0b" + bytes([0x04, 0x3E, len(parameters)]) + parameters)


if __name__ == "__main__":
    main()
