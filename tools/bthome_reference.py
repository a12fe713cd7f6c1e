#!/usr/bin/env python3
"""What bthome-ble (Home Assistant's BTHome parser) makes of BTHome v2 payloads.

    .venv/bin/python tools/bthome_reference.py [CORPUS]      (default: standard input)

CORPUS holds one payload a line: the hex of the service data after the FCD2 UUID (device
information byte, optional MAC, objects). Spaces between bytes are allowed; `#` starts a
comment; blank lines are skipped. For every payload, one JSON line:

    {"line": 12, "hex": "40020a0b", "status": "decoded",
     "sensors": [{"key": "temperature", "device_class": "temperature",
                  "value": 28.26, "unit": "°C"}],
     "binary_sensors": [{"key": "opening", "device_class": "opening", "value": true}],
     "events": [{"key": "button", "event_type": "press", "properties": null}],
     "log": ["Invalid Object ID found in payload: ..."]}

status:
  decoded   bthome-ble reported at least one sensor, binary sensor or event
  empty     it accepted the payload but reported nothing (no objects, or none it shows)
  rejected  it refused the payload as a whole; `reason` says why (`version` when the
            version bits are not 2, `encrypted` when the encryption bit is set and no bind
            key is given, as here)

A bthome-ble parse that stops early (unknown object id, truncated object) keeps the objects
before the stop and logs why at DEBUG level; those messages are in `log` (with the payload
hex cut off), and `stopped_early` is true when one of them says it gave up on the rest.

Timestamps (object 0x50) come out of bthome-ble as datetimes; `value` is the POSIX time in
seconds and `iso` the datetime as bthome-ble made it. The signal-strength sensor every
update carries is left out: it is the RSSI of the made-up advertisement, not payload data.

Each payload gets a fresh BTHomeBluetoothDeviceData, so packet-id de-duplication (which
drops an advertisement whose packet id repeats the previous one's) never applies. Runs
offline.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime

from bthome_ble import BTHomeBluetoothDeviceData
from bthome_ble.parser import BTHomeVersion, EncryptionScheme
from habluetooth import BluetoothServiceInfoBleak

BTHOME_V2_UUID = "0000fcd2-0000-1000-8000-00805f9b34fb"
SIGNAL_STRENGTH = "signal_strength"
# bthome-ble titles the device "<name> <last 4 hex digits of the address>" and names it by
# those 4 digits in some messages.
ADDRESS = "00:00:00:00:00:00"
ADDRESS_SUFFIX = "0000"
TITLE = "TEST DEVICE " + ADDRESS_SUFFIX
# Debug messages bthome-ble logs when it gives up on the rest of a payload (parser.py,
# _parse_payload: `break` out of the object loop).
STOP_MESSAGES = ("Invalid Object ID found", "Invalid payload data length", "Truncated payload",
                 "Truncated V1 payload")


class LogCollector(logging.Handler):
    """Keeps bthome-ble's log messages for the payload being parsed."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Parsing BTHome BLE advertisement data"):
            return
        # Drop the device title bthome-ble puts first ("TEST DEVICE 0000: ") and the
        # payload hex it puts last: both are noise for a comparison.
        message = message.removeprefix(TITLE + ": ").removeprefix(ADDRESS_SUFFIX + ": ")
        message = re.sub(r": [0-9a-f]*$", "", message)
        self.messages.append(message)


def service_info(payload: bytes) -> BluetoothServiceInfoBleak:
    """The service info bthome-ble's own tests build (tests/test_parser_v2.py)."""
    return BluetoothServiceInfoBleak(
        name="TEST DEVICE",
        address=ADDRESS,
        rssi=-60,
        manufacturer_data={},
        service_data={BTHOME_V2_UUID: payload},
        service_uuids=[],
        source="",
        device=None,
        advertisement=None,
        connectable=False,
        time=1709331995.5181565,
        tx_power=None,
    )


def plain(value):
    """A JSON-ready form of a native value (enums become their string)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def describe(payload: bytes, collector: LogCollector) -> dict:
    collector.messages.clear()
    device = BTHomeBluetoothDeviceData()
    update = device.update(service_info(payload))

    result: dict = {"hex": payload.hex()}
    sensors = []
    for device_key, value in update.entity_values.items():
        if device_key.key == SIGNAL_STRENGTH:
            continue
        description = update.entity_descriptions[device_key]
        entry = {
            "key": device_key.key,
            "device_class": plain(description.device_class),
            "unit": plain(description.native_unit_of_measurement),
        }
        native = value.native_value
        if isinstance(native, datetime):
            entry["value"] = native.timestamp()
            entry["iso"] = native.isoformat()
        else:
            entry["value"] = plain(native)
        sensors.append(entry)
    binary_sensors = [
        {
            "key": device_key.key,
            "device_class": plain(update.binary_entity_descriptions[device_key].device_class),
            "value": value.native_value,
        }
        for device_key, value in update.binary_entity_values.items()
    ]
    events = [
        {"key": device_key.key, "event_type": event.event_type, "properties": event.event_properties}
        for device_key, event in update.events.items()
    ]

    if device.bthome_version == BTHomeVersion.INVALID:
        result["status"] = "rejected"
        result["reason"] = "version"
    elif device.encryption_scheme == EncryptionScheme.BTHOME_BINDKEY:
        result["status"] = "rejected"
        result["reason"] = "encrypted"
    elif sensors or binary_sensors or events:
        result["status"] = "decoded"
    else:
        result["status"] = "empty"
    result["sensors"] = sensors
    result["binary_sensors"] = binary_sensors
    result["events"] = events
    result["log"] = list(collector.messages)
    # bthome-ble's own words for "stopped before the end of the payload"; the objects before
    # the stop are still reported.
    result["stopped_early"] = any(message.startswith(STOP_MESSAGES) for message in collector.messages)
    return result


def main() -> int:
    source = open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin
    collector = LogCollector()
    logger = logging.getLogger("bthome_ble")
    logger.addHandler(collector)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # keep stderr quiet: messages go into the JSON

    with source:
        for number, line in enumerate(source, start=1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            try:
                payload = bytes.fromhex(text)
            except ValueError as error:
                print(f"line {number}: not hex: {error}", file=sys.stderr)
                return 2
            result = {"line": number}
            result.update(describe(payload, collector))
            print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
