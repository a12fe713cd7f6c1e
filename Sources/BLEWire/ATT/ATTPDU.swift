/// One Attribute Protocol PDU, as carried in an L2CAP payload on CID 0x0004
/// (Core Specification v5.4, Vol 3, Part F, §3.3 and §3.4).
///
/// ```
///  0        8
/// +--------+--------------------------------------+-------------------------+
/// | Opcode | Attribute Parameters (0..MTU-1)      | Signature (12, if bit 7)|
/// +--------+--------------------------------------+-------------------------+
/// ```
/// Parsing frames the PDU without copying: fixed fields become scalars, variable parts
/// become `Range<Int>` offsets into the parsed bytes (offset 0 is the opcode), and lists
/// are checked whole up front and walked later with `forEach(in:)` over the same bytes.
/// Every fixed-size PDU must be exactly its size; extra bytes are an error, as BlueZ and
/// Bumble answer such requests with Invalid PDU.
///
/// Unknown opcodes are `.unknown`, not an error: a server must still answer (or ignore)
/// them (§3.4.9). Encoding is the static `encode…(into:)` builders, one per PDU, and
/// `encode(into:source:)` re-emits a parsed PDU.
public enum ATTPDU: Equatable, Hashable, Sendable {
    // MARK: Error handling (§3.4.1)

    /// Error Response (0x01): `request` failed on `handle` with `error`.
    /// `| 0x01 | Request Opcode In Error (1) | Attribute Handle In Error (2) | Error Code (1) |`
    case errorResponse(request: ATTOpcode, handle: UInt16, error: ATTErrorCode)

    // MARK: MTU exchange (§3.4.2)

    /// Exchange MTU Request (0x02). `| 0x02 | Client Rx MTU (2) |`
    case exchangeMTURequest(clientRxMTU: UInt16)
    /// Exchange MTU Response (0x03). `| 0x03 | Server Rx MTU (2) |`
    case exchangeMTUResponse(serverRxMTU: UInt16)

    // MARK: Find information (§3.4.3)

    /// Find Information Request (0x04). `| 0x04 | Starting Handle (2) | Ending Handle (2) |`
    case findInformationRequest(ATTHandleRange)
    /// Find Information Response (0x05). `| 0x05 | Format (1) | Information Data (4 or 18 each) |`
    case findInformationResponse(InformationList)
    /// Find By Type Value Request (0x06).
    /// `| 0x06 | Starting Handle (2) | Ending Handle (2) | Attribute Type (2) | Attribute Value (0..MTU-7) |`
    case findByTypeValueRequest(range: ATTHandleRange, type: UInt16, value: Range<Int>)
    /// Find By Type Value Response (0x07). `| 0x07 | Handles Information List (4 each) |`
    case findByTypeValueResponse(HandlesInformationList)

    // MARK: Reading (§3.4.4)

    /// Read By Type Request (0x08).
    /// `| 0x08 | Starting Handle (2) | Ending Handle (2) | Attribute Type (2 or 16) |`
    case readByTypeRequest(range: ATTHandleRange, type: BluetoothUUID)
    /// Read By Type Response (0x09). `| 0x09 | Length (1) | Attribute Data List |`
    case readByTypeResponse(AttributeDataList)
    /// Read Request (0x0A). `| 0x0A | Attribute Handle (2) |`
    case readRequest(handle: UInt16)
    /// Read Response (0x0B). `| 0x0B | Attribute Value (0..MTU-1) |`
    case readResponse(value: Range<Int>)
    /// Read Blob Request (0x0C). `| 0x0C | Attribute Handle (2) | Value Offset (2) |`
    case readBlobRequest(handle: UInt16, offset: UInt16)
    /// Read Blob Response (0x0D). `| 0x0D | Part Attribute Value (0..MTU-1) |`
    case readBlobResponse(value: Range<Int>)
    /// Read Multiple Request (0x0E). `| 0x0E | Set Of Handles (2 each, at least 2) |`
    case readMultipleRequest(HandleSet)
    /// Read Multiple Response (0x0F): the values concatenated, without lengths.
    /// `| 0x0F | Set Of Values (0..MTU-1) |`
    case readMultipleResponse(values: Range<Int>)
    /// Read By Group Type Request (0x10).
    /// `| 0x10 | Starting Handle (2) | Ending Handle (2) | Attribute Group Type (2 or 16) |`
    case readByGroupTypeRequest(range: ATTHandleRange, type: BluetoothUUID)
    /// Read By Group Type Response (0x11). `| 0x11 | Length (1) | Attribute Data List |`
    case readByGroupTypeResponse(GroupDataList)
    /// Read Multiple Variable Request (0x20). `| 0x20 | Set Of Handles (2 each, at least 2) |`
    case readMultipleVariableRequest(HandleSet)
    /// Read Multiple Variable Response (0x21). `| 0x21 | Length Value Tuple List |`
    case readMultipleVariableResponse(LengthValueList)

    // MARK: Writing (§3.4.5, §3.4.6)

    /// Write Request (0x12). `| 0x12 | Attribute Handle (2) | Attribute Value (0..MTU-3) |`
    case writeRequest(handle: UInt16, value: Range<Int>)
    /// Write Response (0x13). `| 0x13 |`
    case writeResponse
    /// Write Command (0x52), unacknowledged. `| 0x52 | Attribute Handle (2) | Attribute Value |`
    case writeCommand(handle: UInt16, value: Range<Int>)
    /// Signed Write Command (0xD2).
    /// `| 0xD2 | Attribute Handle (2) | Attribute Value (0..MTU-15) | Authentication Signature (12) |`
    case signedWriteCommand(handle: UInt16, value: Range<Int>, signature: Range<Int>)
    /// Prepare Write Request (0x16).
    /// `| 0x16 | Attribute Handle (2) | Value Offset (2) | Part Attribute Value |`
    case prepareWriteRequest(handle: UInt16, offset: UInt16, value: Range<Int>)
    /// Prepare Write Response (0x17): echoes the request.
    case prepareWriteResponse(handle: UInt16, offset: UInt16, value: Range<Int>)
    /// Execute Write Request (0x18). `| 0x18 | Flags (1): 0x00 cancel, 0x01 write |`
    case executeWriteRequest(flags: UInt8)
    /// Execute Write Response (0x19). `| 0x19 |`
    case executeWriteResponse

    // MARK: Server-initiated (§3.4.7)

    /// Handle Value Notification (0x1B). `| 0x1B | Attribute Handle (2) | Attribute Value (0..MTU-3) |`
    case handleValueNotification(handle: UInt16, value: Range<Int>)
    /// Handle Value Indication (0x1D), to be confirmed. Same layout as the notification.
    case handleValueIndication(handle: UInt16, value: Range<Int>)
    /// Handle Value Confirmation (0x1E). `| 0x1E |`
    case handleValueConfirmation
    /// Multiple Handle Value Notification (0x23). `| 0x23 | Handle Length Value Tuple List |`
    case multipleHandleValueNotification(HandleLengthValueList)

    /// An opcode this parser does not know; `parameters` is everything after it.
    case unknown(opcode: ATTOpcode, parameters: Range<Int>)

    /// Execute Write Request flag values (§3.4.6.3).
    public enum ExecuteWriteFlags {
        public static let cancelAll: UInt8 = 0x00
        public static let writeAll: UInt8 = 0x01
    }

    /// Size of an authentication signature (§3.3.1).
    public static let signatureSize = 12

    /// The opcode this PDU is sent with.
    public var opcode: ATTOpcode {
        switch self {
        case .errorResponse: .errorResponse
        case .exchangeMTURequest: .exchangeMTURequest
        case .exchangeMTUResponse: .exchangeMTUResponse
        case .findInformationRequest: .findInformationRequest
        case .findInformationResponse: .findInformationResponse
        case .findByTypeValueRequest: .findByTypeValueRequest
        case .findByTypeValueResponse: .findByTypeValueResponse
        case .readByTypeRequest: .readByTypeRequest
        case .readByTypeResponse: .readByTypeResponse
        case .readRequest: .readRequest
        case .readResponse: .readResponse
        case .readBlobRequest: .readBlobRequest
        case .readBlobResponse: .readBlobResponse
        case .readMultipleRequest: .readMultipleRequest
        case .readMultipleResponse: .readMultipleResponse
        case .readByGroupTypeRequest: .readByGroupTypeRequest
        case .readByGroupTypeResponse: .readByGroupTypeResponse
        case .readMultipleVariableRequest: .readMultipleVariableRequest
        case .readMultipleVariableResponse: .readMultipleVariableResponse
        case .writeRequest: .writeRequest
        case .writeResponse: .writeResponse
        case .writeCommand: .writeCommand
        case .signedWriteCommand: .signedWriteCommand
        case .prepareWriteRequest: .prepareWriteRequest
        case .prepareWriteResponse: .prepareWriteResponse
        case .executeWriteRequest: .executeWriteRequest
        case .executeWriteResponse: .executeWriteResponse
        case .handleValueNotification: .handleValueNotification
        case .handleValueIndication: .handleValueIndication
        case .handleValueConfirmation: .handleValueConfirmation
        case .multipleHandleValueNotification: .multipleHandleValueNotification
        case .unknown(let opcode, _): opcode
        }
    }

    // MARK: Parsing

    /// Parses one ATT PDU: the whole payload of an L2CAP frame on `L2CAPChannelID.att`.
    ///
    /// - Parameter base: absolute offset of `pdu[0]` in the outermost buffer, for errors
    ///   (`L2CAPFrame.payloadOffset`).
    public init(parsing pdu: RawSpan, base: Int = 0) throws(WireError) {
        var cursor = ByteCursor(pdu, layer: .att, base: base)
        let opcode = ATTOpcode(try cursor.readUInt8("ATT opcode"))
        switch opcode {
        case .handleValueNotification, .handleValueIndication:
            let handle = try cursor.readUInt16("attribute handle")
            let value = cursor.position..<pdu.byteCount
            self = opcode == .handleValueNotification
                ? .handleValueNotification(handle: handle, value: value)
                : .handleValueIndication(handle: handle, value: value)
            return
        case .errorResponse:
            let request = ATTOpcode(try cursor.readUInt8("request opcode in error"))
            let handle = try cursor.readUInt16("attribute handle in error")
            let code = ATTErrorCode(try cursor.readUInt8("error code"))
            self = .errorResponse(request: request, handle: handle, error: code)
        case .exchangeMTURequest:
            self = .exchangeMTURequest(clientRxMTU: try cursor.readUInt16("client rx MTU"))
        case .exchangeMTUResponse:
            self = .exchangeMTUResponse(serverRxMTU: try cursor.readUInt16("server rx MTU"))
        case .findInformationRequest:
            self = .findInformationRequest(try Self.readRange(&cursor))
        case .findInformationResponse:
            let formatOffset = cursor.absoluteOffset
            let format = try cursor.readUInt8("format")
            guard format == 0x01 || format == 0x02 else {
                throw WireError(.att, .invalidValue(field: "find information format", value: Int(format)), at: formatOffset)
            }
            let list = InformationList(format: format, entries: 0..<0)
            let entries = try Self.readFixedList(&cursor, entrySize: list.entrySize, field: "information data")
            self = .findInformationResponse(InformationList(format: format, entries: entries))
        case .findByTypeValueRequest:
            let range = try Self.readRange(&cursor)
            let type = try cursor.readUInt16("attribute type")
            self = .findByTypeValueRequest(range: range, type: type, value: cursor.position..<pdu.byteCount)
            return
        case .findByTypeValueResponse:
            let entries = try Self.readFixedList(&cursor, entrySize: 4, field: "handles information")
            self = .findByTypeValueResponse(HandlesInformationList(entries: entries))
        case .readByTypeRequest, .readByGroupTypeRequest:
            let range = try Self.readRange(&cursor)
            let width = cursor.remaining
            guard width == 2 || width == 16 else {
                throw WireError(.att, .invalidValue(field: "attribute type length", value: width), at: cursor.absoluteOffset)
            }
            let type = try BluetoothUUID(reading: &cursor, width: width)
            self = opcode == .readByTypeRequest
                ? .readByTypeRequest(range: range, type: type)
                : .readByGroupTypeRequest(range: range, type: type)
        case .readByTypeResponse:
            let (size, entries) = try Self.readLengthPrefixedList(&cursor, minimumEntrySize: ReadByTypeEntry.keySize)
            self = .readByTypeResponse(AttributeDataList(entrySize: size, entries: entries))
        case .readByGroupTypeResponse:
            let (size, entries) = try Self.readLengthPrefixedList(&cursor, minimumEntrySize: ReadByGroupTypeEntry.keySize)
            self = .readByGroupTypeResponse(GroupDataList(entrySize: size, entries: entries))
        case .readRequest:
            self = .readRequest(handle: try cursor.readUInt16("attribute handle"))
        case .readResponse:
            self = .readResponse(value: 1..<pdu.byteCount)
            return
        case .readBlobRequest:
            let handle = try cursor.readUInt16("attribute handle")
            let offset = try cursor.readUInt16("value offset")
            self = .readBlobRequest(handle: handle, offset: offset)
        case .readBlobResponse:
            self = .readBlobResponse(value: 1..<pdu.byteCount)
            return
        case .readMultipleRequest, .readMultipleVariableRequest:
            // At least two handles (§3.4.4.7): reading one is what Read Request is for.
            try cursor.require(4, for: "set of handles")
            let entries = try Self.readFixedList(&cursor, entrySize: 2, field: "set of handles")
            self = opcode == .readMultipleRequest
                ? .readMultipleRequest(HandleSet(entries: entries))
                : .readMultipleVariableRequest(HandleSet(entries: entries))
        case .readMultipleResponse:
            self = .readMultipleResponse(values: 1..<pdu.byteCount)
            return
        case .readMultipleVariableResponse:
            let start = cursor.position
            while !cursor.isAtEnd {
                let length = Int(try cursor.readUInt16("value length"))
                try cursor.skip(min(length, cursor.remaining), "attribute value")
            }
            self = .readMultipleVariableResponse(LengthValueList(entries: start..<cursor.position))
        case .writeRequest, .writeCommand:
            let handle = try cursor.readUInt16("attribute handle")
            let value = cursor.position..<pdu.byteCount
            self = opcode == .writeRequest
                ? .writeRequest(handle: handle, value: value)
                : .writeCommand(handle: handle, value: value)
            return
        case .writeResponse:
            self = .writeResponse
        case .signedWriteCommand:
            let handle = try cursor.readUInt16("attribute handle")
            try cursor.require(Self.signatureSize, for: "authentication signature")
            let valueEnd = pdu.byteCount &- Self.signatureSize
            self = .signedWriteCommand(handle: handle, value: cursor.position..<valueEnd, signature: valueEnd..<pdu.byteCount)
            return
        case .prepareWriteRequest, .prepareWriteResponse:
            let handle = try cursor.readUInt16("attribute handle")
            let offset = try cursor.readUInt16("value offset")
            let value = cursor.position..<pdu.byteCount
            self = opcode == .prepareWriteRequest
                ? .prepareWriteRequest(handle: handle, offset: offset, value: value)
                : .prepareWriteResponse(handle: handle, offset: offset, value: value)
            return
        case .executeWriteRequest:
            self = .executeWriteRequest(flags: try cursor.readUInt8("flags"))
        case .executeWriteResponse:
            self = .executeWriteResponse
        case .handleValueConfirmation:
            self = .handleValueConfirmation
        case .multipleHandleValueNotification:
            let start = cursor.position
            var count = 0
            while !cursor.isAtEnd {
                try cursor.skip(2, "handle")
                let length = Int(try cursor.readUInt16("value length"))
                try cursor.skip(length, "attribute value")
                count &+= 1
            }
            guard count > 0 else {
                throw cursor.error(.truncated(field: "handle length value tuple", needed: 4, available: 0))
            }
            self = .multipleHandleValueNotification(HandleLengthValueList(entries: start..<cursor.position, count: count))
        default:
            self = .unknown(opcode: opcode, parameters: 1..<pdu.byteCount)
            return
        }
        try cursor.expectEnd()
    }

    static func readRange(_ cursor: inout ByteCursor) throws(WireError) -> ATTHandleRange {
        let start = try cursor.readUInt16("starting handle")
        let end = try cursor.readUInt16("ending handle")
        return ATTHandleRange(start: start, end: end)
    }

    /// Frames a non-empty list of `entrySize`-byte entries filling the rest of the PDU.
    /// A partial last entry is reported at its own offset.
    static func readFixedList(_ cursor: inout ByteCursor, entrySize: Int, field: StaticString) throws(WireError) -> Range<Int> {
        let remaining = cursor.remaining
        guard remaining > 0 else {
            throw cursor.error(.truncated(field: field, needed: entrySize, available: 0))
        }
        let whole = remaining - remaining % entrySize
        guard whole == remaining else {
            throw WireError(.att, .truncated(field: field, needed: entrySize, available: remaining - whole), at: cursor.absoluteOffset &+ whole)
        }
        return try cursor.readRange(remaining, field)
    }

    /// Frames a Length octet and the list of Length-sized entries after it (§3.4.4.2,
    /// §3.4.4.10). A Length too small for the fixed part is reported at the Length
    /// octet; a list that is not a whole number of entries, at the partial entry.
    static func readLengthPrefixedList(_ cursor: inout ByteCursor, minimumEntrySize: Int) throws(WireError) -> (Int, Range<Int>) {
        let lengthOffset = cursor.absoluteOffset
        let size = Int(try cursor.readUInt8("length"))
        guard size >= minimumEntrySize else {
            throw WireError(.att, .invalidValue(field: "attribute data length", value: size), at: lengthOffset)
        }
        let entries = try readFixedList(&cursor, entrySize: size, field: "attribute data")
        return (size, entries)
    }
}
