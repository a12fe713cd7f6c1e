#!/usr/bin/env python3
"""A Bumble Heart Rate peripheral that sends a fixed sequence of measurements, and says what it sent.

    python tools/hr_peripheral.py TRANSPORT [--count N] [--rate HZ] [--battery PERCENT]
                                  [--address ADDR] [--timeout S]

TRANSPORT is a Bumble transport spec, e.g. tcp-client:127.0.0.1:9001 for one of the two
controllers of `python -m bumble.apps.controllers tcp-server:_:9001 tcp-server:_:9002` (the
controller app listens a moment after it starts: the connection is retried for 10 s).

The device: random static address (default F1:F2:F3:F4:F5:F6; Bumble's LocalLink routes LE ACL
by the sender's random address), name "Gaitway HRP", legacy connectable advertising (Bumble
does not deliver legacy non-connectable advertising) every 20 ms with the Heart Rate service
UUID, Bumble's own Heart Rate Service (bumble.profiles.heart_rate_service, body sensor location
wrist) and Battery Service (bumble.profiles.battery_service, level --battery).

Once a central has written the Heart Rate Measurement CCCD (notifications on), it sends --count
notifications (default 40) at --rate per second (default 4), then waits half a second,
disconnects and exits 0. It does not advertise again after the connection, so a central that
reconnects finds nothing. Exits 1 on any failure or after --timeout seconds (default 30).

stdout gets one JSON object per line, flushed at once:

    {"event": "advertising", "address": "F1:F2:F3:F4:F5:F6"}
    {"event": "connected", "peer": "C1:C2:C3:C4:C5:C6"}
    {"event": "subscribed"}                   the HRM CCCD was written with notifications on
    {"event": "battery_read", "battery_level": 87}    each read of Battery Level
    {"event": "notification", "index": 0, "hex": "16 3c 00 03", "uint16": false,
     "heart_rate": 60, "sensor_contact": false, "energy_expended": null,
     "rr_raw": [768], "rr_intervals": [0.75]}
    {"event": "done", "notifications": 40, "battery_reads": 1}

A notification line is written after Bumble's notify_subscribers returned, and its values are
the payload bytes that went out decoded again with Bumble's own
HeartRateMeasurement.from_bytes: rr_raw in 1/1024 s units as on the air, rr_intervals in
seconds (raw / 1024, exact in binary floating point), sensor_contact null when the sensor does
not say it supports contact detection, energy_expended (kJ) null when absent.

The sequence is deterministic: heart rates 60..180; RR intervals 0, 1 or 2 per notification
(one with the RR flag set and no interval), half of them given to Bumble in seconds that are
not multiples of 1/1024 (its encoder truncates: int(seconds * 1024)); energy expended on every
third; contact unsupported / not detected / detected in turn. Bumble's encoder uses the 16-bit
rate format only above 255 bpm, so every fifth notification is hand-built with the 16-bit
format and a rate below 256 (legal: some straps always send 16 bits) and sent as bytes through
the same characteristic (its adapter passes bytes through unchanged).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import struct
import sys
from typing import Any

from bumble import hci
from bumble.core import AdvertisingData
from bumble.device import Device
from bumble.gatt import GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC, GATT_HEART_RATE_SERVICE
from bumble.host import Host
from bumble.profiles.battery_service import BatteryService
from bumble.profiles.heart_rate_service import HeartRateService
from bumble.transport import open_transport

Measurement = HeartRateService.HeartRateMeasurement
NAME = 'Gaitway HRP'


def emit(line: dict[str, Any]) -> None:
    print(json.dumps(line), flush=True)


def sequence(count: int) -> list[Measurement | bytes]:
    """The values to notify, in order: Bumble measurements, and every fifth a hand-built
    16-bit-format payload (flags, u16 rate, optional u16 energy, u16 RR intervals, little-endian)."""
    values: list[Measurement | bytes] = []
    for index in range(count):
        heart_rate = 60 + (index * 37) % 121  # 60..180, in no particular order
        contact = (None, False, True)[(index // 2) % 3]
        energy = 1000 + 13 * index if index % 3 == 1 else None
        rr_count = (2 * index + index // 4) % 3  # 0 (flag clear), 1 or 2
        if index == 11:
            rr: tuple[float, ...] | None = ()  # RR flag set, no interval
        elif rr_count == 0:
            rr = None
        elif index % 2 == 0:
            # Seconds that are not multiples of 1/1024: Bumble truncates when it encodes.
            rr = tuple(60 / heart_rate + 0.0123 * k for k in range(rr_count))
        else:
            rr = tuple((round(61440 / heart_rate) + 5 * k) / 1024 for k in range(rr_count))
        if index % 5 == 4:
            flags = 0x01
            if contact is not None:
                flags |= 0x04 | (0x02 if contact else 0)
            payload = struct.pack('<BH', flags, heart_rate)
            if energy is not None:
                flags |= 0x08
                payload += struct.pack('<H', energy)
            if rr is not None:
                flags |= 0x10
                payload += b''.join(struct.pack('<H', int(seconds * 1024)) for seconds in rr)
            values.append(bytes([flags]) + payload[1:])
        else:
            values.append(Measurement(heart_rate=heart_rate, sensor_contact_detected=contact,
                                      energy_expended=energy, rr_intervals=rr))
    return values


def describe(index: int, payload: bytes) -> dict[str, Any]:
    """What went out, as Bumble decodes it back."""
    decoded = Measurement.from_bytes(payload)
    rr_raw = [struct.unpack_from('<H', payload, offset)[0]
              for offset in range(len(payload) - 2 * len(decoded.rr_intervals or ()), len(payload), 2)]
    return {
        'event': 'notification', 'index': index, 'hex': payload.hex(' '),
        'uint16': bool(payload[0] & 0x01), 'heart_rate': decoded.heart_rate,
        'sensor_contact': decoded.sensor_contact_detected,
        'energy_expended': decoded.energy_expended,
        'rr_raw': rr_raw, 'rr_intervals': list(decoded.rr_intervals or ()),
    }


async def open_with_retry(spec: str, seconds: float):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        try:
            return await open_transport(spec)
        except (ConnectionError, OSError):
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.05)


async def run(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    transport = await open_with_retry(args.transport, 10)
    try:
        address = hci.Address(args.address, hci.Address.RANDOM_DEVICE_ADDRESS)
        device = Device(name=NAME, host=Host(transport.source, transport.sink), address=address)

        battery_reads = 0

        def read_battery(_connection) -> int:
            nonlocal battery_reads
            battery_reads += 1
            emit({'event': 'battery_read', 'battery_level': args.battery})
            return args.battery

        heart_rate = HeartRateService(
            read_heart_rate_measurement=lambda _connection: Measurement(heart_rate=60),
            body_sensor_location=HeartRateService.BodySensorLocation.WRIST,
        )
        device.add_service(heart_rate)
        device.add_service(BatteryService(read_battery_level=read_battery))
        device.advertising_data = bytes(AdvertisingData([
            (AdvertisingData.FLAGS, bytes([AdvertisingData.LE_GENERAL_DISCOVERABLE_MODE_FLAG
                                           | AdvertisingData.BR_EDR_NOT_SUPPORTED_FLAG])),
            (AdvertisingData.COMPLETE_LOCAL_NAME, NAME.encode()),
            (AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
             bytes(GATT_HEART_RATE_SERVICE)),
        ]))

        connected: asyncio.Future = loop.create_future()
        subscribed: asyncio.Future = loop.create_future()

        def on_connection(connection) -> None:
            emit({'event': 'connected', 'peer': str(connection.peer_address).split('/')[0]})
            if not connected.done():
                connected.set_result(connection)

        def on_subscription(_bearer, characteristic, notify_enabled, _indicate_enabled) -> None:
            if (characteristic.uuid == GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC
                    and notify_enabled and not subscribed.done()):
                emit({'event': 'subscribed'})
                subscribed.set_result(None)

        device.on(device.EVENT_CONNECTION, on_connection)
        device.gatt_server.on(device.gatt_server.EVENT_CHARACTERISTIC_SUBSCRIPTION, on_subscription)

        await device.power_on()
        # Legacy connectable undirected (ADV_IND); 20 ms so that the central finds it at once.
        await device.start_advertising(advertising_interval_min=20, advertising_interval_max=20)
        emit({'event': 'advertising', 'address': args.address})

        connection = await connected
        await subscribed
        gap = 1 / args.rate
        start = loop.time()
        for index, value in enumerate(sequence(args.count)):
            # On a schedule from the first one, so the rate does not drift with Bumble's latency.
            await asyncio.sleep(max(0.0, start + index * gap - loop.time()))
            payload = value if isinstance(value, bytes) else bytes(value)
            await device.notify_subscribers(heart_rate.heart_rate_measurement_characteristic, value)
            emit(describe(index, payload))
        # Let the last notifications reach the other side before the link goes.
        await asyncio.sleep(0.5)
        await connection.disconnect()
        emit({'event': 'done', 'notifications': args.count, 'battery_reads': battery_reads})
    finally:
        await transport.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('transport', help='Bumble transport spec, e.g. tcp-client:127.0.0.1:9001')
    parser.add_argument('--count', type=int, default=40, help='notifications to send (default 40)')
    parser.add_argument('--rate', type=float, default=4.0, help='notifications per second (default 4)')
    parser.add_argument('--battery', type=int, default=87, help='Battery Level, percent (default 87)')
    parser.add_argument('--address', default='F1:F2:F3:F4:F5:F6',
                        help='random static address (two top bits set)')
    parser.add_argument('--timeout', type=float, default=30.0, help='seconds (default 30)')
    args = parser.parse_args()
    # A BUMBLE_SNOOPER from the caller's environment would wrap the transport; not wanted here.
    os.environ.pop('BUMBLE_SNOOPER', None)
    try:
        asyncio.run(asyncio.wait_for(run(args), timeout=args.timeout))
    except (TimeoutError, asyncio.TimeoutError):
        print(f'hr_peripheral: failed: not done after {args.timeout} s', file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - report and fail
        print(f'hr_peripheral: failed: {type(error).__name__}: {error}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
