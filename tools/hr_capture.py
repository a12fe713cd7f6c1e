#!/usr/bin/env python3
"""Record a btsnoop capture of a Bumble Heart Rate peripheral talking to a Bumble central.

    python tools/hr_capture.py OUT.btsnoop [--expected OUT.jsonl] [--controllers-app]

Two Bumble hosts run over Bumble's two virtual controllers (bumble.controller.Controller) on
one virtual link (bumble.link.LocalLink). By default the controllers run in this process, as
Bumble's own tests do; with --controllers-app they run as the separate process
`python -m bumble.apps.controllers tcp-server:127.0.0.1:P1 tcp-server:127.0.0.1:P2` and the
hosts reach them over H4-over-TCP. Bumble's snooper (bumble.snoop.BtSnooper, the writer behind
BUMBLE_SNOOPER=btsnoop:file:PATH) records the CENTRAL's host side of the HCI: btsnoop v1,
datalink 1002 (H4, each record starts with the HCI packet type byte).

What the capture holds, in order: the central's controller setup (reset, masks, features,
random address), an LE scan that sees the peripheral's connectable advertisement (name
"Gaitway HR", Heart Rate service 0x180D), LE create connection + connection complete, an ATT
MTU exchange (central asks 247, Bumble's server answers 517), full GATT discovery by the
central (primary services, characteristics, descriptors of each), a read of Body Sensor
Location (0x2A38), the CCCD write that subscribes to Heart Rate Measurement (0x2A37), one
notification per case in cases(), and a disconnection by the central.

The peripheral is Bumble's own Heart Rate profile (bumble.profiles.heart_rate_service).
Its HeartRateService.HeartRateMeasurement encoder picks the 16-bit format exactly when
heart_rate > 255, sets contact-supported when sensor_contact_detected is not None, the energy
flag when energy_expended is not None, and the RR flag when rr_intervals is not None (an empty
tuple gives "RR flag set, no intervals", a legal edge case). It writes RR as
int(seconds * 1024), so every RR below is an exact multiple of 1/1024 s and the expected
seconds are exact binary floats. Two legal encodings it never produces (contact status bits
0b01, and a 16-bit rate below 256) are sent as hand-built payloads through the same
characteristic: see cases().

--expected writes one JSON object per notification, in the order sent:
    {"heart_rate": 72, "rr_intervals": [0.8125], "energy_expended": 1234,
     "sensor_contact": true}
rr_intervals is in seconds ([] when none were sent), energy_expended is absent when not sent,
sensor_contact is null when the sensor does not support contact detection.

Everything but the btsnoop timestamps (wall clock, microseconds) is deterministic: addresses,
values, order. Exits 0 on success, 1 on any failure, and gives up after --timeout seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from bumble import hci
from bumble.controller import Controller
from bumble.core import AdvertisingData
from bumble.device import Device, Peer
from bumble.gatt import (
    GATT_BODY_SENSOR_LOCATION_CHARACTERISTIC,
    GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC,
    GATT_HEART_RATE_SERVICE,
)
from bumble.host import Host
from bumble.link import LocalLink
from bumble.profiles.heart_rate_service import HeartRateService
from bumble.snoop import BtSnooper
from bumble.transport import open_transport
from bumble.transport.common import AsyncPipeSink

# Random static addresses (two top bits set, Core v5.4 Vol 6 Part B 1.3.2.1). Bumble's LocalLink
# routes LE ACL by the sender's random address, so both hosts must use one.
PERIPHERAL_ADDRESS = 'F6:F7:F8:F9:FA:FB'
CENTRAL_ADDRESS = 'C6:C7:C8:C9:CA:CB'
PERIPHERAL_NAME = 'Gaitway HR'
CENTRAL_MTU = 247
NOTIFICATION_GAP = 0.002  # seconds between notifications, so each has its own timestamp

Measurement = HeartRateService.HeartRateMeasurement


@dataclasses.dataclass(frozen=True)
class Case:
    """One notification: either a Bumble HeartRateMeasurement (encoded by Bumble's profile) or
    a hand-built payload for the flag encodings Bumble's encoder never produces."""

    value: Measurement | bytes
    expected: dict[str, Any]

    @property
    def payload(self) -> bytes:
        return bytes(self.value)


def expected_fields(heart_rate: int, rr_raw: list[int], energy: int | None,
                    contact: bool | None) -> dict[str, Any]:
    line: dict[str, Any] = {'heart_rate': heart_rate,
                            'rr_intervals': [raw / 1024 for raw in rr_raw]}
    if energy is not None:
        line['energy_expended'] = energy
    line['sensor_contact'] = contact
    return line


def cases() -> list[Case]:
    """Every flag combination Bumble's profile can express: {8, 16}-bit rate x contact
    {unsupported, no, yes} x energy {absent, present} x {0 (flag clear), 1, 2, 3, 4} RR
    intervals = 60, then one with the RR flag set and no interval (Bumble: rr_intervals=()).
    Values walk through the edges (8-bit 0 and 255, 16-bit 256 and 65535, energy 0 and 65535,
    RR 1/1024 s and 65535/1024 s) and otherwise vary, so no two payloads are the same.

    Then eight hand-built payloads (bytes, sent through the same Bumble characteristic; its
    adapter passes bytes through unchanged) for legal encodings Bumble's encoder never makes:
    contact status bits 0b01 ("not supported": the GATT Specification Supplement, Heart Rate
    Measurement flags, gives both 0 and 1 that meaning), and the 16-bit format carrying a
    value below 256. 69 notifications in all."""
    result: list[Case] = []
    contacts: tuple[bool | None, ...] = (None, False, True)
    for index, (wide, contact, energy, rr_count) in enumerate(
        itertools.product((False, True), contacts, (False, True), range(5))
    ):
        if wide:
            heart_rate = (256, 65535, 300 + index)[index % 3]
        else:
            heart_rate = (0, 255, 40 + index)[index % 3]
        energy_expended = (0, 65535, 1000 + 37 * index)[index % 3] if energy else None
        rr_raw = [(1, 65535, 600 + 13 * index + 101 * k)[(index + k) % 3]
                  for k in range(rr_count)]
        rr_intervals = tuple(raw / 1024 for raw in rr_raw) if rr_count else None
        measurement = Measurement(heart_rate=heart_rate, sensor_contact_detected=contact,
                                  energy_expended=energy_expended, rr_intervals=rr_intervals)
        result.append(Case(measurement,
                           expected_fields(heart_rate, rr_raw, energy_expended, contact)))
    result.append(Case(Measurement(heart_rate=72, sensor_contact_detected=True,
                                   energy_expended=None, rr_intervals=()),
                       expected_fields(72, [], None, True)))

    # Contact status 0b01 with every combination of the other three flags, so that every flags
    # octet 0x00-0x1F occurs in the capture. Built as: flags, rate (u8 or u16), energy (u16),
    # RR (u16 each), all little-endian.
    for k, (wide, energy, rr) in enumerate(itertools.product((False, True), repeat=3)):
        flags = 0x02 | (0x01 if wide else 0) | (0x08 if energy else 0) | (0x10 if rr else 0)
        heart_rate = (70, 333)[k % 2] if wide else 61 + k  # 70: 16-bit format, value < 256
        energy_expended = 500 + k if energy else None
        rr_raw = [512 * (j + 1) + k for j in range(1 + k % 4)] if rr else []
        payload = bytes([flags]) + struct.pack('<H' if wide else '<B', heart_rate)
        if energy_expended is not None:
            payload += struct.pack('<H', energy_expended)
        payload += b''.join(struct.pack('<H', raw) for raw in rr_raw)
        result.append(Case(payload,
                           expected_fields(heart_rate, rr_raw, energy_expended, None)))
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def controllers_app() -> Iterator[tuple[str, str]]:
    """Runs Bumble's two-controller app; yields the two HCI transport specs to connect to."""
    ports = (free_port(), free_port())
    process = subprocess.Popen(
        [sys.executable, '-m', 'bumble.apps.controllers',
         *(f'tcp-server:127.0.0.1:{port}' for port in ports)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )
    try:
        yield tuple(f'tcp-client:127.0.0.1:{port}' for port in ports)  # type: ignore[misc]
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def open_app_transport(spec: str, deadline: float):
    """The app's TCP servers start listening a moment after it starts: retry until then."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            return await open_transport(spec)
        except (ConnectionError, OSError):
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.05)


async def record(out_path: str, sent_cases: list[Case], use_app: bool,
                 exit_stack: contextlib.AsyncExitStack) -> None:
    loop = asyncio.get_running_loop()
    snoop_file = exit_stack.enter_context(open(out_path, 'wb'))
    snooper = BtSnooper(snoop_file)

    if use_app:
        specs = exit_stack.enter_context(controllers_app())
        deadline = loop.time() + 5
        transports = [await open_app_transport(spec, deadline) for spec in specs]
        for transport in transports:
            exit_stack.push_async_callback(transport.close)
        hosts = [Host(t.source, t.sink) for t in transports]
    else:
        link = LocalLink()
        controllers = [
            Controller('C0', link=link, public_address='00:00:00:00:C0:00'),
            Controller('C1', link=link, public_address='00:00:00:00:C1:00'),
        ]
        hosts = [Host(c, AsyncPipeSink(c)) for c in controllers]
    hosts[0].snooper = snooper  # the central's side of the HCI

    central = Device(name='Gaitway central', host=hosts[0],
                     address=hci.Address(CENTRAL_ADDRESS, hci.Address.RANDOM_DEVICE_ADDRESS))
    peripheral = Device(name=PERIPHERAL_NAME, host=hosts[1],
                        address=hci.Address(PERIPHERAL_ADDRESS,
                                            hci.Address.RANDOM_DEVICE_ADDRESS))

    heart_rate_service = HeartRateService(
        read_heart_rate_measurement=lambda _connection: sent_cases[0].value,
        body_sensor_location=HeartRateService.BodySensorLocation.WRIST,
    )
    peripheral.add_service(heart_rate_service)
    peripheral.advertising_data = bytes(AdvertisingData([
        (AdvertisingData.FLAGS, bytes([AdvertisingData.LE_GENERAL_DISCOVERABLE_MODE_FLAG
                                       | AdvertisingData.BR_EDR_NOT_SUPPORTED_FLAG])),
        (AdvertisingData.COMPLETE_LOCAL_NAME, PERIPHERAL_NAME.encode()),
        (AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
         bytes(GATT_HEART_RATE_SERVICE)),
    ]))

    subscribed = loop.create_future()

    def on_subscription(_bearer, characteristic, notify_enabled, _indicate_enabled):
        if (characteristic.uuid == GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC
                and notify_enabled and not subscribed.done()):
            subscribed.set_result(None)

    peripheral.gatt_server.on(peripheral.gatt_server.EVENT_CHARACTERISTIC_SUBSCRIPTION,
                              on_subscription)

    await central.power_on()
    await peripheral.power_on()
    await peripheral.start_advertising(advertising_interval_min=20,
                                       advertising_interval_max=20)

    # Scan until the peripheral's advertisement shows up, so the capture has one.
    seen = loop.create_future()
    target = hci.Address(PERIPHERAL_ADDRESS, hci.Address.RANDOM_DEVICE_ADDRESS)

    def on_advertisement(advertisement):
        if advertisement.address == target and not seen.done():
            seen.set_result(None)

    central.on(central.EVENT_ADVERTISEMENT, on_advertisement)
    await central.start_scanning(active=False, filter_duplicates=True)
    await seen
    await central.stop_scanning()

    connection = await central.connect(target)
    peer = Peer(connection)
    await peer.request_mtu(CENTRAL_MTU)
    await peer.discover_all()

    [location] = peer.gatt_client.get_characteristics_by_uuid(
        GATT_BODY_SENSOR_LOCATION_CHARACTERISTIC)
    await peer.read_value(location)

    [hrm] = peer.gatt_client.get_characteristics_by_uuid(
        GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC)
    received: list[bytes] = []
    all_received = loop.create_future()

    def on_notification(value: bytes) -> None:
        received.append(bytes(value))
        if len(received) == len(sent_cases) and not all_received.done():
            all_received.set_result(None)

    await peer.subscribe(hrm, on_notification)
    await subscribed

    for case in sent_cases:
        await peripheral.notify_subscribers(
            heart_rate_service.heart_rate_measurement_characteristic, case.value)
        await asyncio.sleep(NOTIFICATION_GAP)
    await all_received

    sent = [m.payload for m in sent_cases]
    if received != sent:
        raise RuntimeError(f'central received {len(received)} notifications that differ '
                           f'from the {len(sent)} sent')

    await connection.disconnect()
    # Let the Disconnection Complete event reach the central's host (and so the snooper).
    await asyncio.sleep(0.05)


async def main_async(args: argparse.Namespace) -> None:
    sent_cases = cases()
    async with contextlib.AsyncExitStack() as exit_stack:
        await asyncio.wait_for(
            record(args.output, sent_cases, args.controllers_app, exit_stack),
            timeout=args.timeout)
    # The snoop file is closed (flushed) by now: write the ground truth only after success.
    if args.expected:
        with open(args.expected, 'w') as f:
            for case in sent_cases:
                f.write(json.dumps(case.expected) + '\n')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('output', help='btsnoop file to write')
    parser.add_argument('--expected', help='JSON lines file for what the peripheral sent')
    parser.add_argument('--controllers-app', action='store_true',
                        help='run the controllers as `python -m bumble.apps.controllers`')
    parser.add_argument('--timeout', type=float, default=20.0, help='seconds (default 20)')
    args = parser.parse_args()
    # The capture is made by an explicit BtSnooper on the central's host; a BUMBLE_SNOOPER
    # from the caller's environment would add captures of its own (and, in the app mode,
    # wrap both hosts' transports).
    os.environ.pop('BUMBLE_SNOOPER', None)
    try:
        asyncio.run(main_async(args))
    except (TimeoutError, asyncio.TimeoutError):
        print(f'hr_capture: failed: not done after {args.timeout} s', file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - report and fail
        print(f'hr_capture: failed: {type(error).__name__}: {error}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
