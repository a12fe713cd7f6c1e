#!/usr/bin/env python3
"""Writes Fuzz/corpus/upload-batch/: upload batches built from the layout documented in
Sources/UploadFormat/UploadBatch+Wire.swift (and the collector's openapi.yaml) by this
independent encoder, each behind the fuzz target's coding byte (0 identity, 1 gzip, 2 deflate).
    python3 Fuzz/make-upload-seeds.py
"""
import gzip
import pathlib
import struct
import zlib

OUT = pathlib.Path(__file__).resolve().parent / "corpus/upload-batch"
NONE = 0xFFFFFFFF


def batch(batch_id, gateway, strings, samples=(), events=(), records=()):
    out = b"GWUB" + struct.pack("<HHIIII", 1, 0, len(strings), len(samples), len(events), len(records))
    out += struct.pack("<B", len(batch_id)) + batch_id.encode()
    out += struct.pack("<H", len(gateway.encode())) + gateway.encode()
    for string in strings:
        out += struct.pack("<H", len(string.encode())) + string.encode()
    for time, value, address, quantity, unit, channel in samples:
        out += struct.pack("<qdIIIi", time, value, address, quantity, unit, channel)
    for time, address, kind, detail in events:
        out += struct.pack("<qIIII", time, address, kind, detail, 0)
    for time, end, value, quality, subject, metric, unit, kind, flags in records:
        out += struct.pack("<qqddIIIBBH", time, end, value, quality, subject, metric, unit, kind, flags, 0)
    return out


def main():
    t = 1_764_000_000_000_000
    strings = ["C0:11:22:33:44:55", "heart_rate", "bpm", "plantar_force", "N", "connected", "runner", "rmssd", "ms"]
    samples = [(t + i * 1_000_000, 60.0 + i, 0, 1, 2, -1) for i in range(5)]
    samples += [(t + i * 10_000, float(i), 0, 3, 4, i % 8) for i in range(16)]
    events = [(t, 0, 5, NONE)]
    records = [(t, t + 300_000_000, 42.0, 0.9, 6, 7, 8, 1, 3), (t, 0, 1.0, 0.0, 0, 1, 2, 0, 0)]
    full = batch("gw-1.000042", "gateway-1", strings, samples, events, records)
    seeds = {
        "empty": batch("b", "g", []),
        "identity-full": full,
        "events-only": batch("b2", "g", strings[:6], events=events),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    for name, body in seeds.items():
        (OUT / f"{name}-identity").write_bytes(b"\x00" + body)
    (OUT / "full-gzip").write_bytes(b"\x01" + gzip.compress(full, mtime=0))
    (OUT / "full-deflate").write_bytes(b"\x02" + zlib.compress(full))


if __name__ == "__main__":
    main()
