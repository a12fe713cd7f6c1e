import Testing
@testable import BLEWire

@Suite struct ByteCursorTests {
    @Test func readsLittleEndianUnalignedFields() throws {
        let bytes: [UInt8] = [0xFF, 0x34, 0x12, 0x56, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12]
        var cursor = ByteCursor(bytes.span.bytes, layer: .payload)
        #expect(try cursor.readUInt8() == 0xFF)
        #expect(try cursor.readUInt16() == 0x1234)
        #expect(try cursor.readUInt24() == 0x123456)
        #expect(try cursor.readUInt32() == 0x1234_5678)
        let atEnd = cursor.isAtEnd
        #expect(atEnd)
    }

    @Test func truncationReportsAbsoluteOffset() throws {
        let bytes: [UInt8] = [0, 0, 0, 0x01]
        var outer = ByteCursor(bytes.span.bytes, layer: .hci)
        try outer.skip(2)
        var inner = try outer.readCursor(2, layer: .att)
        _ = try inner.readUInt8()
        #expect(throws: WireError(.att, .truncated(field: "u16", needed: 2, available: 1), at: 3)) {
            _ = try inner.readUInt16()
        }
    }

    @Test func addressPrintsMostSignificantOctetFirst() throws {
        let bytes: [UInt8] = [0xFB, 0xFA, 0xF9, 0xF8, 0xF7, 0xF6]
        var cursor = ByteCursor(bytes.span.bytes, layer: .hci)
        let address = try cursor.readAddress()
        #expect(address.description == "F6:F7:F8:F9:FA:FB")
        #expect(BDAddress("F6:F7:F8:F9:FA:FB") == address)
        #expect(address.littleEndianBytes == bytes)
    }

    @Test func uuidsCompareEqualAcrossWidths() throws {
        let short = BluetoothUUID(0x2A37)
        #expect(BluetoothUUID("2A37") == short)
        #expect(BluetoothUUID("00002a37-0000-1000-8000-00805f9b34fb") == short)
        #expect(short.description == "2a37")
        let bytes = short.littleEndianBytes
        var cursor = ByteCursor(bytes.span.bytes, layer: .att)
        #expect(try BluetoothUUID(reading: &cursor, width: 16) == short)
        let vendor = BluetoothUUID("6e400001-b5a3-f393-e0a9-e50e24dcca9e")!
        #expect(vendor.description == "6e400001-b5a3-f393-e0a9-e50e24dcca9e")
        #expect(vendor.uuid16 == nil)
    }
}
