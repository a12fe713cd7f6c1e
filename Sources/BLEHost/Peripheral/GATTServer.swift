import BLEWire

/// The server side of GATT over one ATT bearer (one connection): answers every request a
/// client sends (Core Specification v5.4, Vol 3, Part F, §3.4; Part G, §4), keeps the
/// connection's state (ATT_MTU, CCCD values, the outstanding indication) and builds the
/// notifications and indications the firmware sends.
///
/// A value type: the firmware keeps one per connection and calls `handle(request:)` with
/// each ATT PDU from the central, sending back what it returns. The database is shared
/// by all connections of a device; values come from its `GATTValue`s.
///
/// Errors follow §3.4.1.1: a malformed request gets Invalid PDU (0x04) with handle 0; a
/// handle of 0 or an inverted range, Invalid Handle (0x01); an empty range, Attribute
/// Not Found (0x0A) at the starting handle; an unknown request, Request Not Supported
/// (0x06). Commands (opcode bit 6) and PDUs meant for a client are never answered.
public struct GATTServer {
    /// ATT_MTU before any exchange, for LE (Vol 3, Part F, §3.2.8).
    public static let defaultMTU: UInt16 = 23
    /// The longest attribute value GATT allows (Vol 3, Part F, §3.2.9).
    public static let maximumValueLength = 512

    public let database: GATTDatabase
    /// What this server announces in its Exchange MTU Response.
    public let serverRxMTU: UInt16
    /// The ATT_MTU in effect: min(client Rx MTU, server Rx MTU) after an exchange,
    /// 23 before (§3.4.2.2).
    public private(set) var mtu: UInt16 = GATTServer.defaultMTU
    /// Each CCCD value this client wrote, by characteristic value handle (zeros are
    /// dropped).
    public internal(set) var clientConfigurations: [AttributeHandle: ClientCharacteristicConfiguration] = [:]
    /// The value handle of the indication awaiting its confirmation.
    public internal(set) var pendingIndication: AttributeHandle?
    /// Called after a CCCD write changed this connection's configuration.
    public var onSubscriptionChange: ((GATTSubscriptionChange) -> Void)?

    /// - Parameter serverRxMTU: the largest ATT PDU this server accepts, announced in the
    ///   MTU exchange; values below 23 are raised to 23.
    public init(database: GATTDatabase, serverRxMTU: UInt16 = 247) {
        self.database = database
        self.serverRxMTU = max(serverRxMTU, Self.defaultMTU)
    }

    /// Answers one ATT PDU from the client.
    ///
    /// - Returns: the response PDU, or nil when none is due (commands, confirmations,
    ///   PDUs a server does not take, an empty PDU).
    public mutating func handle(request pdu: RawSpan) -> [UInt8]? {
        guard pdu.byteCount > 0 else { return nil }
        let opcode = ATTOpcode(pdu.withUnsafeBytes { $0[0] })
        let parsed: ATTPDU
        do {
            parsed = try ATTPDU(parsing: pdu)
        } catch {
            return Self.isRequest(opcode) ? Self.error(opcode, .reserved, .invalidPDU) : nil
        }
        switch parsed {
        case .exchangeMTURequest(let clientRxMTU):
            return exchangeMTU(clientRxMTU: clientRxMTU)
        case .findInformationRequest(let range):
            return findInformation(range)
        case let .findByTypeValueRequest(range, type, value):
            return findByTypeValue(range, type: type, value: Self.bytes(pdu, value))
        case let .readByTypeRequest(range, type):
            return readByType(range, type: type)
        case let .readByGroupTypeRequest(range, type):
            return readByGroupType(range, type: type)
        case .readRequest(let handle):
            return read(handle)
        case let .readBlobRequest(handle, offset):
            return readBlob(handle, offset: offset)
        case .readMultipleRequest(let set):
            return readMultiple(Self.handles(pdu, set), variable: false)
        case .readMultipleVariableRequest(let set):
            return readMultiple(Self.handles(pdu, set), variable: true)
        case let .writeRequest(handle, value):
            if let error = write(handle, Self.bytes(pdu, value)) { return Self.error(opcode, handle, error) }
            var writer = ByteWriter(capacity: 1)
            ATTPDU.encodeWriteResponse(into: &writer)
            return writer.bytes
        case let .writeCommand(handle, value):
            _ = write(handle, Self.bytes(pdu, value))
            return nil
        case .prepareWriteRequest, .executeWriteRequest:
            // Long and reliable writes (queued writes, §3.4.6) are not supported.
            return Self.error(opcode, .reserved, .requestNotSupported)
        case .handleValueConfirmation:
            pendingIndication = nil
            return nil
        case .signedWriteCommand:
            // No signing keys: an unverifiable signed write is dropped (§3.4.5.4).
            return nil
        case .unknown(let opcode, _):
            return opcode.isCommand ? nil : Self.error(opcode, .reserved, .requestNotSupported)
        default:
            // Responses, notifications and indications are for a client; this bearer
            // has none.
            return nil
        }
    }

    /// Answers one ATT PDU from the client (see `handle(request:)` over a span).
    public mutating func handle(request pdu: [UInt8]) -> [UInt8]? {
        handle(request: pdu.span.bytes)
    }

    // MARK: MTU exchange (§3.4.2)

    private mutating func exchangeMTU(clientRxMTU: UInt16) -> [UInt8] {
        // A client Rx MTU below the default is invalid; the MTU then stays 23.
        mtu = max(Self.defaultMTU, min(clientRxMTU, serverRxMTU))
        var writer = ByteWriter(capacity: 3)
        ATTPDU.encodeExchangeMTUResponse(serverRxMTU: serverRxMTU, into: &writer)
        return writer.bytes
    }

    // MARK: Shared helpers

    /// Request opcodes of Vol 3, Part F, Table 3.37: a malformed one is answered with
    /// Invalid PDU; anything else malformed is dropped.
    static func isRequest(_ opcode: ATTOpcode) -> Bool {
        switch opcode {
        case .exchangeMTURequest, .findInformationRequest, .findByTypeValueRequest, .readByTypeRequest,
             .readRequest, .readBlobRequest, .readMultipleRequest, .readByGroupTypeRequest, .writeRequest,
             .prepareWriteRequest, .executeWriteRequest, .readMultipleVariableRequest:
            true
        default:
            // Unknown opcodes always parse (as `.unknown`), so they never get here.
            false
        }
    }

    static func error(_ request: ATTOpcode, _ handle: AttributeHandle, _ code: ATTErrorCode) -> [UInt8] {
        var writer = ByteWriter(capacity: 5)
        ATTPDU.encodeErrorResponse(request: request, handle: handle, error: code, into: &writer)
        return writer.bytes
    }

    static func bytes(_ pdu: RawSpan, _ range: Range<Int>) -> [UInt8] {
        guard range.lowerBound >= 0, range.upperBound <= pdu.byteCount else { return [] }
        return pdu.extracting(range).withUnsafeBytes { Array($0) }
    }

    static func handles(_ pdu: RawSpan, _ set: ATTPDU.HandleSet) -> [AttributeHandle] {
        var handles: [AttributeHandle] = []
        handles.reserveCapacity(set.count)
        try? set.forEach(in: pdu) { handles.append($0) }
        return handles
    }

    /// The attribute's current value on this connection, permissions not checked.
    func currentValue(_ attribute: GATTAttribute) -> [UInt8] {
        switch attribute.content {
        case .constant(let bytes): bytes
        case .provided(let provider): provider()
        case .variable(let cell): cell.bytes
        case .clientConfiguration(let valueHandle, _):
            (clientConfigurations[valueHandle] ?? []).bytes
        }
    }
}
