#!/usr/bin/env python3
"""Record what Bumble's GATT client asks and what Bumble's GATT server answers, for the
Swift test GATTServerBumbleClientTests, which replays the requests into our GATTServer.

    .venv/bin/python tools/gatt_client_check.py [--timeout S] > transcript.txt

Two Bumble hosts over Bumble's two in-process virtual controllers (bumble.link.LocalLink),
as tools/hr_capture.py does. The peripheral's Bumble GATT server holds the layout of the
Swift tests' SampleDevice (after Bumble's own Generic Access and Generic Attribute
services): Heart Rate (2A37 notify, 2A38 read = wrist, 2A39 write), Battery (2A19 read and
notify, 87 %), Device Information (six strings), the Gaitway insole service (128-bit
UUID, stream 67610101-... notify, CCCD, user description "Insole Stream"). Bumble's
server puts user-given descriptors before the CCCD it adds; ours puts the CCCD first, so
here the CCCD is given explicitly before the user description (bound to Bumble's own
subscription logic) to get the same order.

The central (Bumble's GATT client) then, at the default ATT_MTU of 23: discovers
everything (discover_all), discovers Battery and the insole service by UUID (Find By
Type Value), reads the 38-byte manufacturer name (Read + Read Blob), the battery level,
the model number by UUID (Read By Type), the user description; writes the Heart Rate
Control Point (0x01 accepted, 0x02 refused with 0x80); subscribes to 2A37 and the insole
stream (the peripheral notifies each once), unsubscribes from 2A37 (one more insole
notification); exchanges the MTU (247, the server says 517), reads the manufacturer
name again, and the peripheral sends a 100-byte insole notification.

Output: one line per ATT PDU on CID 4 in capture order, '> HEX' sent by the central,
'< HEX' received from the server. Deterministic (no timestamps). Exits 0 on success.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import struct
import sys

from bumble import hci
from bumble.att import ATT_Error
from bumble.controller import Controller
from bumble.device import Device, Peer
from bumble.gatt import (
    GATT_BATTERY_LEVEL_CHARACTERISTIC,
    GATT_BATTERY_SERVICE,
    GATT_BODY_SENSOR_LOCATION_CHARACTERISTIC,
    GATT_CHARACTERISTIC_USER_DESCRIPTION_DESCRIPTOR,
    GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR,
    GATT_DEVICE_INFORMATION_SERVICE,
    GATT_FIRMWARE_REVISION_STRING_CHARACTERISTIC,
    GATT_HARDWARE_REVISION_STRING_CHARACTERISTIC,
    GATT_HEART_RATE_CONTROL_POINT_CHARACTERISTIC,
    GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC,
    GATT_HEART_RATE_SERVICE,
    GATT_MANUFACTURER_NAME_STRING_CHARACTERISTIC,
    GATT_MODEL_NUMBER_STRING_CHARACTERISTIC,
    GATT_SERIAL_NUMBER_STRING_CHARACTERISTIC,
    GATT_SOFTWARE_REVISION_STRING_CHARACTERISTIC,
    Characteristic,
    CharacteristicValue,
    Descriptor,
    Service,
)
from bumble.core import UUID
from bumble.host import Host
from bumble.link import LocalLink
from bumble.snoop import BtSnooper
from bumble.transport.common import AsyncPipeSink

PERIPHERAL_ADDRESS = 'F6:F7:F8:F9:FA:FB'
CENTRAL_ADDRESS = 'C6:C7:C8:C9:CA:CB'
INSOLE_SERVICE = UUID('67610100-7761-7900-8000-000000000000')
INSOLE_STREAM = UUID('67610101-7761-7900-8000-000000000000')
MANUFACTURER = 'Gaitway Simulated Devices Incorporated'


def build_services(peripheral: Device) -> tuple[Characteristic, Characteristic]:
    def control_point(_connection, value: bytes) -> None:
        if value != b'\x01':
            raise ATT_Error(0x80)  # HRS: Control Point Not Supported

    hrm = Characteristic(GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC,
                         Characteristic.Properties.NOTIFY, Characteristic.READABLE, b'')
    heart_rate = Service(GATT_HEART_RATE_SERVICE, [
        hrm,
        Characteristic(GATT_BODY_SENSOR_LOCATION_CHARACTERISTIC, Characteristic.Properties.READ,
                       Characteristic.READABLE, bytes([0x02])),
        Characteristic(GATT_HEART_RATE_CONTROL_POINT_CHARACTERISTIC, Characteristic.Properties.WRITE,
                       Characteristic.WRITEABLE, CharacteristicValue(write=control_point)),
    ])
    battery = Service(GATT_BATTERY_SERVICE, [
        Characteristic(GATT_BATTERY_LEVEL_CHARACTERISTIC,
                       Characteristic.Properties.READ | Characteristic.Properties.NOTIFY,
                       Characteristic.READABLE, CharacteristicValue(read=lambda _c: bytes([87]))),
    ])
    strings = [
        (GATT_MANUFACTURER_NAME_STRING_CHARACTERISTIC, MANUFACTURER),
        (GATT_MODEL_NUMBER_STRING_CHARACTERISTIC, 'GW-1'),
        (GATT_SERIAL_NUMBER_STRING_CHARACTERISTIC, '0001'),
        (GATT_HARDWARE_REVISION_STRING_CHARACTERISTIC, 'B'),
        (GATT_FIRMWARE_REVISION_STRING_CHARACTERISTIC, '1.2.3'),
        (GATT_SOFTWARE_REVISION_STRING_CHARACTERISTIC, 'sim'),
    ]
    device_information = Service(GATT_DEVICE_INFORMATION_SERVICE, [
        Characteristic(uuid, Characteristic.Properties.READ, Characteristic.READABLE, text.encode())
        for uuid, text in strings
    ])
    stream = Characteristic(INSOLE_STREAM, Characteristic.Properties.NOTIFY, Characteristic.READABLE, b'')
    server = peripheral.gatt_server
    stream.descriptors = [
        Descriptor(GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR,
                   Descriptor.READABLE | Descriptor.WRITEABLE, server.make_descriptor_value(stream)),
        Descriptor(GATT_CHARACTERISTIC_USER_DESCRIPTION_DESCRIPTOR, Descriptor.READABLE, b'Insole Stream'),
    ]
    insole = Service(INSOLE_SERVICE, [stream])
    peripheral.add_services([heart_rate, battery, device_information, insole])
    return hrm, stream


async def run() -> bytes:
    snoop = io.BytesIO()
    link = LocalLink()
    controllers = [Controller('C0', link=link, public_address='00:00:00:00:C0:00'),
                   Controller('C1', link=link, public_address='00:00:00:00:C1:00')]
    hosts = [Host(c, AsyncPipeSink(c)) for c in controllers]
    hosts[0].snooper = BtSnooper(snoop)
    central = Device(name='central', host=hosts[0],
                     address=hci.Address(CENTRAL_ADDRESS, hci.Address.RANDOM_DEVICE_ADDRESS))
    peripheral = Device(name='Gaitway Insole', host=hosts[1],
                        address=hci.Address(PERIPHERAL_ADDRESS, hci.Address.RANDOM_DEVICE_ADDRESS))
    hrm, stream = build_services(peripheral)

    await central.power_on()
    await peripheral.power_on()
    await peripheral.start_advertising(advertising_interval_min=20, advertising_interval_max=20)
    connection = await central.connect(hci.Address(PERIPHERAL_ADDRESS, hci.Address.RANDOM_DEVICE_ADDRESS))
    peer = Peer(connection)

    await peer.discover_all()
    await peer.discover_service(GATT_BATTERY_SERVICE)
    await peer.discover_service(INSOLE_SERVICE)

    def characteristic(uuid):
        [found] = peer.gatt_client.get_characteristics_by_uuid(uuid)
        return found

    manufacturer = characteristic(GATT_MANUFACTURER_NAME_STRING_CHARACTERISTIC)
    if bytes(await peer.read_value(manufacturer)) != MANUFACTURER.encode():
        raise RuntimeError('long read of the manufacturer name failed')
    await peer.read_value(characteristic(GATT_BATTERY_LEVEL_CHARACTERISTIC))
    await peer.read_characteristics_by_uuid(GATT_MODEL_NUMBER_STRING_CHARACTERISTIC)
    remote_stream = characteristic(INSOLE_STREAM)
    [description] = [d for d in remote_stream.descriptors
                     if d.type == GATT_CHARACTERISTIC_USER_DESCRIPTION_DESCRIPTOR]
    await peer.read_value(description)

    control_point = characteristic(GATT_HEART_RATE_CONTROL_POINT_CHARACTERISTIC)
    await peer.write_value(control_point, b'\x01', with_response=True)
    try:
        await peer.write_value(control_point, b'\x02', with_response=True)
        raise RuntimeError('control point accepted 0x02')
    except ATT_Error as error:
        if error.error_code != 0x80:
            raise

    received = asyncio.Queue()
    remote_hrm = characteristic(GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC)
    await peer.subscribe(remote_hrm, received.put_nowait)
    await peer.subscribe(remote_stream, received.put_nowait)
    await asyncio.sleep(0.05)
    await peripheral.notify_subscribers(hrm, bytes([0x10, 72, 0x00, 0x04]))
    await peripheral.notify_subscribers(stream, bytes(range(20)))
    for _ in range(2):
        await asyncio.wait_for(received.get(), 2)
    await peer.unsubscribe(remote_hrm)
    await asyncio.sleep(0.05)
    await peripheral.notify_subscribers(hrm, bytes([0x00, 80]))  # no longer subscribed: not sent
    await peripheral.notify_subscribers(stream, bytes(range(20, 40)))
    await asyncio.wait_for(received.get(), 2)

    await peer.request_mtu(247)
    await peer.read_value(manufacturer)
    await peripheral.notify_subscribers(stream, bytes(range(100)))
    await asyncio.wait_for(received.get(), 2)
    await connection.disconnect()
    await asyncio.sleep(0.05)
    return snoop.getvalue()


def att_lines(snoop: bytes) -> list[str]:
    """btsnoop v1 (datalink 1002, H4) -> '> HEX' / '< HEX' for each ATT PDU on CID 4."""
    lines = []
    offset = 16
    while offset + 24 <= len(snoop):
        _, included, flags, _, _ = struct.unpack('>IIIIq', snoop[offset:offset + 24])
        record = snoop[offset + 24:offset + 24 + included]
        offset += 24 + included
        if not record or record[0] != 0x02:
            continue
        handle_flags, _ = struct.unpack('<HH', record[1:5])
        if (handle_flags >> 12) & 0x3 == 0x1:
            raise RuntimeError('fragmented ACL packet: this transcript format has no reassembly')
        length, cid = struct.unpack('<HH', record[5:9])
        if cid == 0x0004:
            lines.append(('<' if flags & 1 else '>') + ' ' + record[9:9 + length].hex())
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--timeout', type=float, default=20.0)
    args = parser.parse_args()
    os.environ.pop('BUMBLE_SNOOPER', None)
    try:
        snoop = asyncio.run(asyncio.wait_for(run(), args.timeout))
    except Exception as error:  # noqa: BLE001 - report and fail
        print(f'gatt_client_check: failed: {type(error).__name__}: {error}', file=sys.stderr)
        return 1
    print('\n'.join(att_lines(snoop)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
