// Small readers and writers shared by the HCI command and event codecs.

extension ByteCursor {
    /// Reads one octet that must be a case of `type`; a reserved value is an error at that octet.
    @inlinable
    mutating func readHCIEnum<T: RawRepresentable>(_ type: T.Type, _ field: StaticString) throws(WireError) -> T
    where T.RawValue == UInt8 {
        let offset = absoluteOffset
        let raw = try readUInt8(field)
        guard let value = T(rawValue: raw) else {
            throw WireError(layer, .invalidValue(field: field, value: Int(raw)), at: offset)
        }
        return value
    }

    /// Reads a 0x00/0x01 octet (HCI's "disabled/enabled"); other values are reserved.
    @inlinable
    mutating func readHCIBool(_ field: StaticString) throws(WireError) -> Bool {
        let offset = absoluteOffset
        let raw = try readUInt8(field)
        guard raw <= 1 else { throw WireError(layer, .invalidValue(field: field, value: Int(raw)), at: offset) }
        return raw == 1
    }
}

extension ByteWriter {
    mutating func write(_ value: Int8) { write(UInt8(bitPattern: value)) }
    mutating func write(_ flag: Bool) { write(flag ? 1 as UInt8 : 0) }

    /// Writes an 8-bit length placeholder, runs `body`, then patches the length with what
    /// `body` wrote. HCI command and event parameters are at most 255 bytes (Vol 4, Part E,
    /// §5.4.1 and §5.4.4); building a longer one is a programming error, not bad input.
    mutating func writeWithLength8(_ body: (inout ByteWriter) -> Void) {
        let index = reserveByte()
        body(&self)
        let length = count - index - 1
        precondition(length <= 255, "HCI parameters longer than 255 bytes")
        patch(index, UInt8(length))
    }

    /// Copies `range` of `source` (a parsed packet) into the output.
    mutating func write(_ source: RawSpan, range: Range<Int>) {
        source.withUnsafeBytes { raw in write(contentsOf: UnsafeRawBufferPointer(rebasing: raw[range])) }
    }
}

extension ByteWriter {
    /// Writes an HCI event packet header (Vol 4, Part E, §5.4.4) around `body`.
    mutating func writeEvent(code: UInt8, _ body: (inout ByteWriter) -> Void) {
        write(code)
        writeWithLength8(body)
    }

    /// Writes an HCI_LE_Meta event (§7.7.65) with `subevent` around `body`.
    mutating func writeLEMetaEvent(subevent: UInt8, _ body: (inout ByteWriter) -> Void) {
        writeEvent(code: HCIEvent.leMetaCode) { writer in
            writer.write(subevent)
            body(&writer)
        }
    }
}
