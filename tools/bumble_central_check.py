#!/usr/bin/env python3
"""A Bumble central against Gaitway's virtual controller (the check of issue 3).

    python tools/bumble_central_check.py tcp-client:127.0.0.1:PORT [--notifications 3] [--devices 1] [--timeout 30]

Bumble's host (bumble.host.Host, bumble.device.Device) connects over H4 to the controller
listening at the transport spec, powers it on (Bumble's full start-up sequence: reset, read
supported commands/version/features, event masks, buffer sizes, data length defaults,
random address ...), scans (extended scanning when the controller announces LE Extended
Advertising, which Gaitway's does), picks the first connectable device whose advertisement
lists the Heart Rate service (0x180D), connects, exchanges the ATT MTU, discovers the Heart
Rate service and its characteristics, subscribes to Heart Rate Measurement (0x2A37) and waits
for --notifications measurements; it also reads the Device Information service's Serial Number
String (0x2A25) when the device has one (Gaitway's devices put their address there, so it
tells which device's GATT server answered). It then disconnects and prints one JSON object:

    {"address": "F6:00:00:00:00:01/P", "mtu": 247, "services": ["180d"],
     "characteristics": ["2a37", ...], "measurements": [{"heart_rate": 72, "rr_intervals": [...]}, ...],
     "serial": "F6:00:00:00:00:01", "connection_interval_ms": 30.0, "elapsed": 1.23}

With --devices N it scans until N different such devices have advertised, then does the
above with each in turn (one link at a time: Bumble's virtual controller keys its links by
the peer's address, so one central cannot hold two links to one controller) and prints
{"devices": [one object per device, in the order connected], "elapsed": ...}.

Exits 0 on success, 1 on any failure or when --timeout seconds pass (it never hangs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import sys
import time

from bumble import hci
from bumble.core import AdvertisingData
from bumble.device import Device, Peer
from bumble.gatt import (
    GATT_DEVICE_INFORMATION_SERVICE,
    GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC,
    GATT_HEART_RATE_SERVICE,
    GATT_SERIAL_NUMBER_STRING_CHARACTERISTIC,
)
from bumble.transport import open_transport

# A random static address (two top bits set, Core v5.4 Vol 6 Part B 1.3.2.1).
CENTRAL_ADDRESS = 'C6:C7:C8:C9:CA:CB'
CENTRAL_MTU = 247


def decode_heart_rate_measurement(value: bytes) -> dict:
    """Heart Rate Measurement (GATT Specification Supplement 3.113): flags, rate, then the
    optional energy expended and RR intervals (1/1024 s)."""
    flags = value[0]
    offset = 1
    if flags & 0x01:
        rate = struct.unpack_from('<H', value, offset)[0]
        offset += 2
    else:
        rate = value[offset]
        offset += 1
    if flags & 0x08:
        offset += 2
    rr = []
    if flags & 0x10:
        while offset + 2 <= len(value):
            rr.append(struct.unpack_from('<H', value, offset)[0] / 1024)
            offset += 2
    return {'heart_rate': rate, 'rr_intervals': rr}


def advertises_heart_rate(advertisement) -> bool:
    for type_id in (AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                    AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS):
        for uuids in advertisement.data.get_all(type_id):
            if GATT_HEART_RATE_SERVICE in uuids:
                return True
    return False


async def read_serial_number(peer: Peer) -> str | None:
    """The Serial Number String of the Device Information service, if there is one."""
    for service in await peer.discover_services([GATT_DEVICE_INFORMATION_SERVICE]):
        for characteristic in await service.discover_characteristics([GATT_SERIAL_NUMBER_STRING_CHARACTERISTIC]):
            return bytes(await characteristic.read_value()).decode('utf-8', errors='replace')
    return None


async def read_device(device: Device, advertisement, wanted: int, started: float) -> dict:
    """Connects to one advertiser, reads it as the module docstring says, disconnects."""
    connection = await device.connect(advertisement.address)
    peer = Peer(connection)
    mtu = await peer.request_mtu(CENTRAL_MTU)
    services = await peer.discover_services([GATT_HEART_RATE_SERVICE])
    if not services:
        raise RuntimeError('Heart Rate service not found')
    heart_rate = services[0]
    characteristics = await heart_rate.discover_characteristics()
    measurement = next((c for c in characteristics
                        if c.uuid == GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC), None)
    if measurement is None:
        raise RuntimeError('Heart Rate Measurement characteristic not found')
    serial = await read_serial_number(peer)

    measurements: list[dict] = []
    enough = asyncio.Event()

    def on_value(value: bytes) -> None:
        measurements.append(decode_heart_rate_measurement(bytes(value)))
        if len(measurements) >= wanted:
            enough.set()

    await peer.subscribe(measurement, on_value)
    await enough.wait()
    await connection.disconnect()
    return {
        'address': str(advertisement.address),
        'mtu': mtu,
        'services': [str(s.uuid.to_hex_str()).lower() for s in services],
        'characteristics': [str(c.uuid.to_hex_str()).lower() for c in characteristics],
        'measurements': measurements[:max(wanted, len(measurements))],
        'serial': serial,
        'connection_interval_ms': connection.parameters.connection_interval,
        'elapsed': round(time.monotonic() - started, 3),
    }


async def run(spec: str, wanted: int, count: int) -> dict:
    started = time.monotonic()
    async with await open_transport(spec) as (source, sink):
        device = Device.with_hci('Gaitway check', hci.Address(CENTRAL_ADDRESS), source, sink)
        await device.power_on()
        loop = asyncio.get_running_loop()

        found: dict[str, object] = {}
        all_found = loop.create_future()

        def on_advertisement(advertisement) -> None:
            if advertisement.is_connectable and advertises_heart_rate(advertisement) and not all_found.done():
                found.setdefault(str(advertisement.address), advertisement)
                if len(found) >= count:
                    all_found.set_result(None)

        device.on(device.EVENT_ADVERTISEMENT, on_advertisement)
        await device.start_scanning(active=True, filter_duplicates=True)
        await all_found
        await device.stop_scanning()

        results = [await read_device(device, advertisement, wanted, started)
                   for advertisement in list(found.values())[:count]]
        if count == 1:
            return results[0]
        return {'devices': results, 'elapsed': round(time.monotonic() - started, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('transport', help='Bumble transport spec, e.g. tcp-client:127.0.0.1:9001')
    parser.add_argument('--notifications', type=int, default=3)
    parser.add_argument('--devices', type=int, default=1, help='how many Heart Rate devices to read, one after the other')
    parser.add_argument('--timeout', type=float, default=30)
    args = parser.parse_args()
    try:
        result = asyncio.run(asyncio.wait_for(run(args.transport, args.notifications, args.devices), args.timeout))
    except TimeoutError:
        print(json.dumps({'error': f'timed out after {args.timeout} s'}))
        return 1
    except (Exception, asyncio.CancelledError) as error:  # noqa: BLE001 - any failure is reported, not raised
        print(json.dumps({'error': f'{type(error).__name__}: {error}'}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main())
