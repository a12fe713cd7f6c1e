import BLEWire

// The requests a client discovers the database with (Vol 3, Part G, §4.4-§4.7), over
// the ATT requests of Vol 3, Part F, §3.4.3 and §3.4.4. Every response holds as many
// entries as fit in ATT_MTU, all of one size (one UUID format, one value length): the
// client continues from the handle after the last one it got.

extension GATTServer {
    /// Attributes with handles in `range` (clipped to the database).
    func attributes(in range: ATTHandleRange) -> ArraySlice<GATTAttribute> {
        let last = Int(database.lastHandle.rawValue)
        let start = Int(range.start.rawValue), end = min(Int(range.end.rawValue), last)
        guard start <= end else { return [] }
        return database.attributes[(start - 1)..<end]
    }

    // MARK: Find Information (§3.4.3.1-2)

    mutating func findInformation(_ range: ATTHandleRange) -> [UInt8] {
        let opcode = ATTOpcode.findInformationRequest
        guard range.isValid else { return Self.error(opcode, range.start, .invalidHandle) }
        var space = Int(mtu) - 2
        var short: Bool?
        var writer = ByteWriter(capacity: Int(mtu))
        writer.write(ATTOpcode.findInformationResponse.rawValue)
        let format = writer.reserveByte()
        for attribute in attributes(in: range) {
            let uuid16 = attribute.type.uuid16
            if let short, short != (uuid16 != nil) { break }
            let size = uuid16 == nil ? 18 : 4
            guard space >= size else { break }
            short = uuid16 != nil
            writer.write(attribute.handle)
            writer.writeShortest(attribute.type)
            space -= size
        }
        guard let short else { return Self.error(opcode, range.start, .attributeNotFound) }
        writer.patch(format, short ? 0x01 : 0x02)
        return writer.bytes
    }

    // MARK: Find By Type Value (§3.4.3.3-4)

    mutating func findByTypeValue(_ range: ATTHandleRange, type: UInt16, value: [UInt8]) -> [UInt8] {
        let opcode = ATTOpcode.findByTypeValueRequest
        guard range.isValid else { return Self.error(opcode, range.start, .invalidHandle) }
        let type = BluetoothUUID(type)
        let wantedUUID = Self.uuid(littleEndian: value)
        var found: [ATTHandleRange] = []
        let capacity = (Int(mtu) - 1) / 4
        for attribute in attributes(in: range) where attribute.type == type && attribute.permissions.contains(.readable) {
            guard found.count < capacity else { break }
            let current = currentValue(attribute)
            // A service UUID matches whether the client sent it in 16 or 128 bits.
            let matches = attribute.isServiceDeclaration && wantedUUID != nil
                ? Self.uuid(littleEndian: current) == wantedUUID
                : current == value
            if matches { found.append(ATTHandleRange(start: attribute.handle, end: attribute.groupEnd)) }
        }
        guard !found.isEmpty else { return Self.error(opcode, range.start, .attributeNotFound) }
        var writer = ByteWriter(capacity: 1 + 4 * found.count)
        ATTPDU.encodeFindByTypeValueResponse(found, into: &writer)
        return writer.bytes
    }

    /// A 2- or 16-byte little-endian UUID, as ATT carries it (§3.2.1).
    static func uuid(littleEndian bytes: [UInt8]) -> BluetoothUUID? {
        func word(_ slice: ArraySlice<UInt8>) -> UInt64 {
            slice.reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        switch bytes.count {
        case 2: return BluetoothUUID(UInt16(bytes[0]) | UInt16(bytes[1]) << 8)
        case 16: return BluetoothUUID(high: word(bytes[8..<16]), low: word(bytes[0..<8]))
        default: return nil
        }
    }

    // MARK: Read By Type (§3.4.4.1-2)

    mutating func readByType(_ range: ATTHandleRange, type: BluetoothUUID) -> [UInt8] {
        let opcode = ATTOpcode.readByTypeRequest
        guard range.isValid else { return Self.error(opcode, range.start, .invalidHandle) }
        var space = Int(mtu) - 2
        let longest = min(Int(mtu) - 4, 253)
        var length: Int?
        var writer = ByteWriter(capacity: Int(mtu))
        writer.write(ATTOpcode.readByTypeResponse.rawValue)
        let lengthIndex = writer.reserveByte()
        for attribute in attributes(in: range) where attribute.type == type {
            guard attribute.permissions.contains(.readable) else {
                // An error on the first attribute is the answer; after that, the list
                // simply ends before it (§3.4.4.1).
                if length == nil { return Self.error(opcode, attribute.handle, .readNotPermitted) }
                break
            }
            let value = currentValue(attribute).prefix(longest)
            if let length, length != value.count { break }
            guard space >= 2 + value.count else { break }
            length = value.count
            writer.write(attribute.handle)
            writer.write(contentsOf: value)
            space -= 2 + value.count
        }
        guard let length else { return Self.error(opcode, range.start, .attributeNotFound) }
        writer.patch(lengthIndex, UInt8(2 + length))
        return writer.bytes
    }

    // MARK: Read By Group Type (§3.4.4.9-10)

    mutating func readByGroupType(_ range: ATTHandleRange, type: BluetoothUUID) -> [UInt8] {
        let opcode = ATTOpcode.readByGroupTypeRequest
        guard range.isValid else { return Self.error(opcode, range.start, .invalidHandle) }
        // Only services group attributes in GATT (Vol 3, Part G, §2.5.3).
        guard type == .primaryService || type == .secondaryService else {
            return Self.error(opcode, range.start, .unsupportedGroupType)
        }
        var space = Int(mtu) - 2
        let longest = min(Int(mtu) - 6, 251)
        var length: Int?
        var writer = ByteWriter(capacity: Int(mtu))
        writer.write(ATTOpcode.readByGroupTypeResponse.rawValue)
        let lengthIndex = writer.reserveByte()
        for attribute in attributes(in: range) where attribute.type == type {
            let value = currentValue(attribute).prefix(longest)
            if let length, length != value.count { break }
            guard space >= 4 + value.count else { break }
            length = value.count
            writer.write(attribute.handle)
            writer.write(attribute.groupEnd)
            writer.write(contentsOf: value)
            space -= 4 + value.count
        }
        guard let length else { return Self.error(opcode, range.start, .attributeNotFound) }
        writer.patch(lengthIndex, UInt8(4 + length))
        return writer.bytes
    }
}
