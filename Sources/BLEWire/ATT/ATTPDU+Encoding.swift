// Encoding of every ATT PDU (Core Specification v5.4, Vol 3, Part F, §3.4), for the
// GATT client of the gateway and the GATT server of the simulator. Layouts are given on
// the `ATTPDU` cases. Builders append to a `ByteWriter`; they do not check the ATT MTU,
// which is the caller's business (the MTU is a property of the connection, not the PDU).

extension ByteWriter {
    /// Appends bytes borrowed from a span (values re-emitted from a parsed PDU).
    @usableFromInline
    mutating func write(span: RawSpan) {
        span.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }
}

extension ATTPDU {
    // MARK: Error handling and MTU

    public static func encodeErrorResponse(request: ATTOpcode, handle: UInt16, error: ATTErrorCode, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.errorResponse.rawValue)
        writer.write(request.rawValue)
        writer.write(handle)
        writer.write(error.rawValue)
    }

    public static func encodeExchangeMTURequest(clientRxMTU: UInt16, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.exchangeMTURequest.rawValue)
        writer.write(clientRxMTU)
    }

    public static func encodeExchangeMTUResponse(serverRxMTU: UInt16, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.exchangeMTUResponse.rawValue)
        writer.write(serverRxMTU)
    }

    // MARK: Discovery

    public static func encodeFindInformationRequest(_ range: ATTHandleRange, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.findInformationRequest.rawValue)
        writer.write(range.start)
        writer.write(range.end)
    }

    /// Format 1 (16-bit UUIDs) when every UUID has a 16-bit alias, otherwise format 2
    /// with every UUID written in 128 bits, since one response has one format (§3.4.3.2).
    public static func encodeFindInformationResponse(_ entries: [(handle: UInt16, uuid: BluetoothUUID)], into writer: inout ByteWriter) {
        let short = entries.allSatisfy { $0.uuid.uuid16 != nil }
        writer.write(ATTOpcode.findInformationResponse.rawValue)
        writer.write(short ? UInt8(0x01) : 0x02)
        for entry in entries {
            writer.write(entry.handle)
            if short, let uuid16 = entry.uuid.uuid16 {
                writer.write(uuid16)
            } else {
                writer.write(contentsOf: entry.uuid.littleEndianBytes)
            }
        }
    }

    public static func encodeFindByTypeValueRequest(_ range: ATTHandleRange, type: UInt16, value: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.findByTypeValueRequest.rawValue)
        writer.write(range.start)
        writer.write(range.end)
        writer.write(type)
        writer.write(contentsOf: value)
    }

    /// Each entry is a found handle and its group end handle.
    public static func encodeFindByTypeValueResponse(_ entries: [ATTHandleRange], into writer: inout ByteWriter) {
        writer.write(ATTOpcode.findByTypeValueResponse.rawValue)
        for entry in entries {
            writer.write(entry.start)
            writer.write(entry.end)
        }
    }

    /// The type goes out in 16 bits when it has a 16-bit alias, otherwise in 128
    /// (32-bit UUIDs are not allowed in ATT, §3.2.1).
    public static func encodeReadByTypeRequest(_ range: ATTHandleRange, type: BluetoothUUID, into writer: inout ByteWriter) {
        encodeTypedRangeRequest(.readByTypeRequest, range, type: type, into: &writer)
    }

    /// - Throws: `.invalidValue` (layer `.att`) when the values differ in length or one
    ///   is longer than 253 bytes: the single Length octet cannot describe them.
    public static func encodeReadByTypeResponse(_ entries: [(handle: UInt16, value: [UInt8])], into writer: inout ByteWriter) throws(WireError) {
        try encodeAttributeDataList(.readByTypeResponse, entries, handlesSize: 2, value: \.value, into: &writer) { entry, writer in
            writer.write(entry.handle)
        }
    }

    /// The group type goes out in 16 or 128 bits, as in ``encodeReadByTypeRequest(_:type:into:)``.
    public static func encodeReadByGroupTypeRequest(_ range: ATTHandleRange, type: BluetoothUUID, into writer: inout ByteWriter) {
        encodeTypedRangeRequest(.readByGroupTypeRequest, range, type: type, into: &writer)
    }

    /// Read By Type and Read By Group Type Requests (§3.4.4.1, §3.4.4.9) share their layout:
    /// opcode, Starting Handle, Ending Handle, Attribute (Group) Type in 2 or 16 octets.
    private static func encodeTypedRangeRequest(_ opcode: ATTOpcode, _ range: ATTHandleRange, type: BluetoothUUID,
                                                into writer: inout ByteWriter) {
        writer.write(opcode.rawValue)
        writer.write(range.start)
        writer.write(range.end)
        writer.writeShortest(type)
    }

    /// - Throws: `.invalidValue` (layer `.att`) when the values differ in length or one
    ///   is longer than 251 bytes.
    public static func encodeReadByGroupTypeResponse(_ entries: [(group: ATTHandleRange, value: [UInt8])], into writer: inout ByteWriter) throws(WireError) {
        try encodeAttributeDataList(.readByGroupTypeResponse, entries, handlesSize: 4, value: \.value, into: &writer) { entry, writer in
            writer.write(entry.group.start)
            writer.write(entry.group.end)
        }
    }

    /// The Attribute Data Lists of Read By Type and Read By Group Type Responses (§3.4.4.2,
    /// §3.4.4.10): opcode, one Length octet for every entry (its handles plus its value), then
    /// each entry's handles (`writeHandles`) and value.
    private static func encodeAttributeDataList<Entry>(
        _ opcode: ATTOpcode, _ entries: [Entry], handlesSize: Int, value: (Entry) -> [UInt8],
        into writer: inout ByteWriter, writeHandles: (Entry, inout ByteWriter) -> Void
    ) throws(WireError) {
        let valueLength = entries.first.map { value($0).count } ?? 0
        try checkUniformLength(entries.map { value($0).count }, fixedPart: handlesSize, at: writer.count)
        writer.write(opcode.rawValue)
        writer.write(UInt8(truncatingIfNeeded: handlesSize + valueLength))
        for entry in entries {
            writeHandles(entry, &writer)
            writer.write(contentsOf: value(entry))
        }
    }

    private static func checkUniformLength(_ lengths: some Sequence<Int>, fixedPart: Int, at offset: Int) throws(WireError) {
        var first: Int?
        for length in lengths {
            guard length + fixedPart <= 255 else {
                throw WireError(.att, .invalidValue(field: "attribute data length", value: length + fixedPart), at: offset)
            }
            if let first, first != length {
                throw WireError(.att, .invalidValue(field: "attribute data length", value: length + fixedPart), at: offset)
            }
            first = length
        }
    }

    // MARK: Reading

    public static func encodeReadRequest(handle: UInt16, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.readRequest.rawValue)
        writer.write(handle)
    }

    public static func encodeReadResponse(value: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.readResponse.rawValue)
        writer.write(contentsOf: value)
    }

    public static func encodeReadBlobRequest(handle: UInt16, offset: UInt16, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.readBlobRequest.rawValue)
        writer.write(handle)
        writer.write(offset)
    }

    public static func encodeReadBlobResponse(value: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.readBlobResponse.rawValue)
        writer.write(contentsOf: value)
    }

    public static func encodeReadMultipleRequest(handles: some Sequence<UInt16>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.readMultipleRequest.rawValue)
        for handle in handles { writer.write(handle) }
    }

    /// The values concatenated, as the server read them (§3.4.4.8).
    public static func encodeReadMultipleResponse(values: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.readMultipleResponse.rawValue)
        writer.write(contentsOf: values)
    }

    public static func encodeReadMultipleVariableRequest(handles: some Sequence<UInt16>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.readMultipleVariableRequest.rawValue)
        for handle in handles { writer.write(handle) }
    }

    /// Each value with its 2-octet length (§3.4.4.12).
    public static func encodeReadMultipleVariableResponse(values: [[UInt8]], into writer: inout ByteWriter) {
        writer.write(ATTOpcode.readMultipleVariableResponse.rawValue)
        for value in values {
            writer.write(UInt16(truncatingIfNeeded: value.count))
            writer.write(contentsOf: value)
        }
    }

    // MARK: Writing

    public static func encodeWriteRequest(handle: UInt16, value: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.writeRequest.rawValue)
        writer.write(handle)
        writer.write(contentsOf: value)
    }

    public static func encodeWriteResponse(into writer: inout ByteWriter) {
        writer.write(ATTOpcode.writeResponse.rawValue)
    }

    public static func encodeWriteCommand(handle: UInt16, value: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.writeCommand.rawValue)
        writer.write(handle)
        writer.write(contentsOf: value)
    }

    /// `signature` is the 12-octet signature computed by the Security Manager
    /// (Vol 3, Part H, §2.4.5) over the opcode, handle and value; it is written as given.
    public static func encodeSignedWriteCommand(handle: UInt16, value: some Collection<UInt8>, signature: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.signedWriteCommand.rawValue)
        writer.write(handle)
        writer.write(contentsOf: value)
        writer.write(contentsOf: signature)
    }

    public static func encodePrepareWriteRequest(handle: UInt16, offset: UInt16, value: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.prepareWriteRequest.rawValue)
        writer.write(handle)
        writer.write(offset)
        writer.write(contentsOf: value)
    }

    public static func encodePrepareWriteResponse(handle: UInt16, offset: UInt16, value: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.prepareWriteResponse.rawValue)
        writer.write(handle)
        writer.write(offset)
        writer.write(contentsOf: value)
    }

    /// - Parameter flags: `ExecuteWriteFlags.writeAll` or `.cancelAll`.
    public static func encodeExecuteWriteRequest(flags: UInt8, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.executeWriteRequest.rawValue)
        writer.write(flags)
    }

    public static func encodeExecuteWriteResponse(into writer: inout ByteWriter) {
        writer.write(ATTOpcode.executeWriteResponse.rawValue)
    }

    // MARK: Server-initiated

    public static func encodeHandleValueNotification(handle: UInt16, value: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.handleValueNotification.rawValue)
        writer.write(handle)
        writer.write(contentsOf: value)
    }

    public static func encodeHandleValueIndication(handle: UInt16, value: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(ATTOpcode.handleValueIndication.rawValue)
        writer.write(handle)
        writer.write(contentsOf: value)
    }

    public static func encodeHandleValueConfirmation(into writer: inout ByteWriter) {
        writer.write(ATTOpcode.handleValueConfirmation.rawValue)
    }

    /// Each value with its handle and 2-octet length (§3.4.7.4).
    public static func encodeMultipleHandleValueNotification(_ entries: [(handle: UInt16, value: [UInt8])], into writer: inout ByteWriter) {
        writer.write(ATTOpcode.multipleHandleValueNotification.rawValue)
        for entry in entries {
            writer.write(entry.handle)
            writer.write(UInt16(truncatingIfNeeded: entry.value.count))
            writer.write(contentsOf: entry.value)
        }
    }

    // MARK: Re-encoding a parsed PDU

    /// Appends this PDU, taking its variable parts from `source`, the bytes it was parsed
    /// from (for forwarding, rewriting a capture, or checking a round trip).
    ///
    /// - Throws: `.truncated` (layer `.att`) when a range lies outside `source`.
    public func encode(into writer: inout ByteWriter, source: RawSpan) throws(WireError) {
        func bytes(_ range: Range<Int>) throws(WireError) -> Void {
            guard range.lowerBound >= 0, range.upperBound <= source.byteCount else {
                throw WireError(.att, .truncated(field: "ATT source", needed: range.upperBound, available: source.byteCount), at: 0)
            }
            writer.write(span: source.extracting(range))
        }
        switch self {
        case let .errorResponse(request, handle, error):
            Self.encodeErrorResponse(request: request, handle: handle, error: error, into: &writer)
        case let .exchangeMTURequest(mtu):
            Self.encodeExchangeMTURequest(clientRxMTU: mtu, into: &writer)
        case let .exchangeMTUResponse(mtu):
            Self.encodeExchangeMTUResponse(serverRxMTU: mtu, into: &writer)
        case let .findInformationRequest(range):
            Self.encodeFindInformationRequest(range, into: &writer)
        case let .findInformationResponse(list):
            writer.write(opcode.rawValue)
            writer.write(list.format)
            try bytes(list.entries)
        case let .findByTypeValueRequest(range, type, value):
            Self.encodeFindByTypeValueRequest(range, type: type, value: EmptyCollection(), into: &writer)
            try bytes(value)
        case let .findByTypeValueResponse(list):
            writer.write(opcode.rawValue)
            try bytes(list.entries)
        case let .readByTypeRequest(range, type):
            Self.encodeReadByTypeRequest(range, type: type, into: &writer)
        case let .readByTypeResponse(list):
            writer.write(opcode.rawValue)
            writer.write(UInt8(truncatingIfNeeded: list.entrySize))
            try bytes(list.entries)
        case let .readRequest(handle):
            Self.encodeReadRequest(handle: handle, into: &writer)
        case let .readBlobRequest(handle, offset):
            Self.encodeReadBlobRequest(handle: handle, offset: offset, into: &writer)
        case let .readResponse(value), let .readBlobResponse(value), let .readMultipleResponse(value):
            writer.write(opcode.rawValue)
            try bytes(value)
        case let .readMultipleRequest(set), let .readMultipleVariableRequest(set):
            writer.write(opcode.rawValue)
            try bytes(set.entries)
        case let .readByGroupTypeRequest(range, type):
            Self.encodeReadByGroupTypeRequest(range, type: type, into: &writer)
        case let .readByGroupTypeResponse(list):
            writer.write(opcode.rawValue)
            writer.write(UInt8(truncatingIfNeeded: list.entrySize))
            try bytes(list.entries)
        case let .readMultipleVariableResponse(list):
            writer.write(opcode.rawValue)
            try bytes(list.entries)
        case let .writeRequest(handle, value), let .writeCommand(handle, value),
             let .handleValueNotification(handle, value), let .handleValueIndication(handle, value):
            writer.write(opcode.rawValue)
            writer.write(handle)
            try bytes(value)
        case let .signedWriteCommand(handle, value, signature):
            writer.write(opcode.rawValue)
            writer.write(handle)
            try bytes(value)
            try bytes(signature)
        case let .prepareWriteRequest(handle, offset, value), let .prepareWriteResponse(handle, offset, value):
            writer.write(opcode.rawValue)
            writer.write(handle)
            writer.write(offset)
            try bytes(value)
        case let .executeWriteRequest(flags):
            Self.encodeExecuteWriteRequest(flags: flags, into: &writer)
        case .writeResponse, .executeWriteResponse, .handleValueConfirmation:
            writer.write(opcode.rawValue)
        case let .multipleHandleValueNotification(list):
            writer.write(opcode.rawValue)
            try bytes(list.entries)
        case let .unknown(opcode, parameters):
            writer.write(opcode.rawValue)
            try bytes(parameters)
        }
    }
}
