import Testing
@testable import BLEWire

@Suite struct ATTGATTDeclarationsTests {
    @Test func characteristicDeclaration16() throws {
        // BlueZ unit/test-gatt.c SERVICE_DATA_1_PDUS: the value part of
        // raw_pdu(0x09, 0x07, 0x06, 0x00, 0x0a, 0x07, 0x00, 0x29, 0x2a): read|write,
        // value handle 7, Manufacturer Name String (0x2A29).
        let value = [UInt8](hex: "0a 0700 292a")!
        let declaration = try CharacteristicDeclaration(parsing: value.span.bytes)
        #expect(declaration == CharacteristicDeclaration(properties: [.read, .write], valueHandle: AttributeHandle(7), uuid: BluetoothUUID(0x2A29)))
        #expect(declaration.properties.description == "read|write")
        var writer = ByteWriter()
        declaration.encode(into: &writer)
        #expect(writer.bytes == value)
    }

    @Test func characteristicDeclarationErrors() {
        #expect(throws: WireError(.att, .invalidValue(field: "characteristic UUID length", value: 4), at: 13)) {
            _ = try parseHex(CharacteristicDeclaration.self, "10 0300 372a0000", base: 10)
        }
        #expect(throws: WireError(.att, .truncated(field: "characteristic value handle", needed: 2, available: 1), at: 1)) {
            _ = try parseHex(CharacteristicDeclaration.self, "10 03")
        }
    }

    @Test func serviceAndIncludeDeclarations() throws {
        // BlueZ SERVICE_DATA_1_PDUS: raw_pdu(0x11, 0x06, 0x05, 0x00, 0x08, 0x00, 0x0d, 0x18)
        // -> the Heart Rate service (0x180D).
        let heartRate = try parseHex(ServiceDeclaration.self, "0d18")
        #expect(heartRate.uuid == BluetoothUUID(0x180D))
        let uuid128 = BluetoothUUID("6e400001-b5a3-f393-e0a9-e50e24dcca9e")!
        let vendor = try parseBytes(ServiceDeclaration.self, uuid128.littleEndianBytes)
        #expect(vendor.uuid == uuid128)
        #expect(throws: WireError(.att, .invalidValue(field: "service UUID length", value: 3), at: 0)) {
            _ = try parseHex(ServiceDeclaration.self, "0d1800")
        }
        var writer = ByteWriter()
        ServiceDeclaration(uuid: BluetoothUUID(0x180D)).encode(into: &writer)
        #expect(writer.bytes == [0x0D, 0x18])

        // BlueZ INCLUDE_DISC_SMALL_DB: raw_pdu(0x09, 0x08, 0x11, 0xf0, 0x01, 0x00, 0x0f, 0x00, 0x0a, 0x18)
        let include = try parseHex(IncludeDeclaration.self, "0100 0f00 0a18")
        #expect(include == IncludeDeclaration(service: ATTHandleRange(start: AttributeHandle(1), end: AttributeHandle(15)), uuid: BluetoothUUID(0x180A)))
        let include128 = try parseHex(IncludeDeclaration.self, "0100 0f00")
        #expect(include128.uuid == nil)
    }

    @Test func clientCharacteristicConfiguration() throws {
        func parse(_ hex: String) throws -> ClientCharacteristicConfiguration {
            try parseHex(ClientCharacteristicConfiguration.self, hex)
        }
        #expect(try parse("0100") == .notification)
        #expect(try parse("0200") == .indication)
        #expect(try parse("0300") == [.notification, .indication])
        #expect(ClientCharacteristicConfiguration([]).bytes == [0, 0])
        #expect(throws: WireError(.att, .trailingBytes(count: 1), at: 2)) {
            _ = try parseHex(ClientCharacteristicConfiguration.self, "010000")
        }
        #expect(throws: WireError.self) { _ = try parseBytes(ClientCharacteristicConfiguration.self, [0x01]) }
    }

    @Test func wellKnownUUIDs() {
        #expect(BluetoothUUID.primaryService.description == "2800")
        #expect(BluetoothUUID.secondaryService.uuid16 == 0x2801)
        #expect(BluetoothUUID.characteristic.uuid16 == 0x2803)
        #expect(BluetoothUUID.clientCharacteristicConfiguration.uuid16 == 0x2902)
    }

    @Test func handleRange() {
        #expect(ATTHandleRange.all.isValid)
        #expect(!ATTHandleRange(start: AttributeHandle(0), end: AttributeHandle(5)).isValid)
        #expect(!ATTHandleRange(start: AttributeHandle(6), end: AttributeHandle(5)).isValid)
        #expect(ATTHandleRange(start: AttributeHandle(1), end: AttributeHandle(5)).contains(AttributeHandle(5)))
    }
}
