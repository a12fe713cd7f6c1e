#!/usr/bin/env python3
"""Print, as JSON lines, what tshark decodes from every Heart Rate Measurement in a capture.

    python3 tools/tshark_hr.py CAPTURE [--tshark PATH]

Standard library only (runs with any Python >= 3.9, venv or not); needs tshark (Debian
`tshark`, checked with 4.0.17). One line per ATT Handle Value Notification or Indication that
tshark decoded as Heart Rate Measurement (0x2A37), in frame order:

    {"frame": 82, "time_epoch_us": 1795307249771395, "time": "2026-11-22T00:27:29.771395Z",
     "address": "F6:F7:F8:F9:FA:FB", "source": "notification", "handle": 16, "uuid": "2a37",
     "flags": 31, "sensor_contact_bits": {"supported": true, "detected": true},
     "rr_intervals_raw": [1367, 1, 65535, 1670],
     "fields": {"heart_rate": 359, "rr_intervals": [1.3349609375, 0.0009765625,
                63.9990234375, 1.630859375], "energy_expended": 3183, "sensor_contact": true}}

"fields" has exactly the shape of `gaitway decode --format jsonl` fields for heart rate (and of
the lines tools/hr_capture.py --expected writes), so a test can compare the two objects whole.

tshark fields used (`tshark -G fields`, dissector packet-btatt.c):
  frame.number, frame.time_epoch     time_epoch is printed "SSSSSSSSSS.NNNNNNNNN"; btsnoop has
                                     microsecond resolution, so the last 3 digits are 0. It is
                                     converted to integer microseconds from the text, never
                                     through a float.
  hci_h4.direction                   0x01 = received by the host (tshark's "Rcvd").
  bthci_acl.src.bd_addr              the sender's address, which tshark learns from the LE
                                     Connection Complete event of that connection handle.
  btatt.opcode                       0x1b notification, 0x1d indication.
  btatt.handle                       "0x0010"; printed here as an integer.
  btatt.uuid16                       the characteristic UUID that tshark's own GATT tracking
                                     mapped the handle to (from the discovery it saw in the
                                     capture); only frames where it is 0x2a37 are printed.
  btatt.heart_rate_measurement.flags                               the flags octet.
  btatt.heart_rate_measurement.flags.sensor_contact_status.support bit 2.
  btatt.heart_rate_measurement.flags.sensor_contact_status.contact bit 1.
  btatt.heart_rate_measurement.value.8 / .value.16                 bpm, by flag bit 0.
  btatt.heart_rate_measurement.energy_expended                     kJ, only when bit 3 is set.
  btatt.heart_rate_measurement.rr_interval                         one occurrence per interval.

RR units: tshark shows the raw UINT16 ("RR Interval: 1367"), in units of 1/1024 s as the GATT
Specification Supplement defines the field; it does not convert. rr_intervals_raw repeats
those numbers; fields.rr_intervals is raw / 1024 in seconds, which is exact in binary
floating point (a 16-bit integer over a power of two), so comparisons can use ==.

Sensor contact: support bit 0 -> null; otherwise the contact bit as true / false.
Booleans arrive as "0"/"1" from tshark 4.0 (other versions print False/True: both accepted).
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from typing import Any

HRM = 'btatt.heart_rate_measurement'
FIELDS = [
    'frame.number',
    'frame.time_epoch',
    'hci_h4.direction',
    'bthci_acl.src.bd_addr',
    'btatt.opcode',
    'btatt.handle',
    'btatt.uuid16',
    f'{HRM}.flags',
    f'{HRM}.flags.sensor_contact_status.support',
    f'{HRM}.flags.sensor_contact_status.contact',
    f'{HRM}.value.8',
    f'{HRM}.value.16',
    f'{HRM}.energy_expended',
    f'{HRM}.rr_interval',
]
SOURCES = {0x1B: 'notification', 0x1D: 'indication'}


def run_tshark(tshark: str, capture: str) -> list[dict[str, list[str]]]:
    command = [tshark, '-n', '-r', capture, '-Y', f'{HRM}.flags', '-T', 'json']
    for field in FIELDS:
        command += ['-e', field]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        # tshark also warns "Running as user root" on stderr: show it only on failure.
        raise SystemExit(f'tshark_hr: tshark failed ({result.returncode}): '
                         f'{result.stderr.strip()}')
    return [packet['_source']['layers'] for packet in json.loads(result.stdout or '[]')]


def one(layers: dict[str, list[str]], field: str) -> str | None:
    values = layers.get(field, [])
    if len(values) > 1:
        # e.g. a Multiple Handle Value Notification holding two measurements: the fields of
        # the two would be interleaved, so refuse rather than guess.
        raise SystemExit(f'tshark_hr: frame {layers["frame.number"][0]}: '
                         f'{len(values)} values of {field}')
    return values[0] if values else None


def integer(text: str) -> int:
    return int(text, 0)


def boolean(text: str | None) -> bool:
    return text is not None and text.strip().lower() in ('1', 'true')


def epoch_us(text: str) -> int:
    seconds, _, fraction = text.partition('.')
    return int(seconds) * 1_000_000 + int((fraction + '000000')[:6])


def iso_time(us: int) -> str:
    moment = datetime.datetime.fromtimestamp(us // 1_000_000, tz=datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S') + f'.{us % 1_000_000:06d}Z'


def line_for(layers: dict[str, list[str]]) -> dict[str, Any] | None:
    uuid = one(layers, 'btatt.uuid16')
    opcode = one(layers, 'btatt.opcode')
    if uuid is None or integer(uuid) != 0x2A37 or opcode is None:
        return None
    if integer(opcode) not in SOURCES:
        return None  # e.g. a Read Response of the characteristic (not sent by Bumble's HRS)

    flags = integer(one(layers, f'{HRM}.flags') or '0')
    supported = boolean(one(layers, f'{HRM}.flags.sensor_contact_status.support'))
    detected = boolean(one(layers, f'{HRM}.flags.sensor_contact_status.contact'))
    heart_rate = one(layers, f'{HRM}.value.16') or one(layers, f'{HRM}.value.8')
    energy = one(layers, f'{HRM}.energy_expended')
    rr_raw = [integer(v) for v in layers.get(f'{HRM}.rr_interval', [])]
    us = epoch_us(one(layers, 'frame.time_epoch') or '0')
    address = one(layers, 'bthci_acl.src.bd_addr')
    direction = one(layers, 'hci_h4.direction')

    fields: dict[str, Any] = {
        'heart_rate': integer(heart_rate) if heart_rate is not None else None,
        'rr_intervals': [raw / 1024 for raw in rr_raw],
    }
    if energy is not None:
        fields['energy_expended'] = integer(energy)
    fields['sensor_contact'] = detected if supported else None

    return {
        'frame': integer(one(layers, 'frame.number') or '0'),
        'time_epoch_us': us,
        'time': iso_time(us),
        'address': address.upper() if address else None,
        'received': direction is not None and integer(direction) == 1,
        'source': SOURCES[integer(opcode)],
        'handle': integer(one(layers, 'btatt.handle') or '0'),
        'uuid': f'{integer(uuid):04x}',
        'flags': flags,
        'sensor_contact_bits': {'supported': supported, 'detected': detected},
        'rr_intervals_raw': rr_raw,
        'fields': fields,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('capture', help='btsnoop (or pcap) file')
    parser.add_argument('--tshark', default='tshark', help='tshark executable')
    args = parser.parse_args()
    try:
        packets = run_tshark(args.tshark, args.capture)
    except FileNotFoundError:
        print(f'tshark_hr: {args.tshark} not found (run tools/bootstrap.sh)', file=sys.stderr)
        return 1
    for layers in packets:
        line = line_for(layers)
        if line is not None:
            print(json.dumps(line))
    return 0


if __name__ == '__main__':
    sys.exit(main())
