/// A command on the LE signalling channel, CID 0x0005 (Core Specification v5.4,
/// Vol 3, Part A, §4).
///
/// ```
///  0      8           16        32
/// +------+------------+---------+------------------+
/// | Code | Identifier | Length  | Data (Length)    |
/// +------+------------+---------+------------------+
/// ```
/// On LE a C-frame carries exactly one command (§4), so the L2CAP payload must end with
/// the command's data. Data this type does not decode is kept as a `Range<Int>` into the
/// parsed payload, as with every BLEWire parser.
public enum LESignalingCommand: Equatable, Sendable {
    /// Command Reject (code 0x01, §4.1): the peer did not understand or could not honour
    /// the command with that identifier.
    case commandReject(identifier: UInt8, reason: CommandRejectReason)
    /// Disconnection Request (code 0x06, §4.6), for credit-based channels.
    case disconnectionRequest(identifier: UInt8, destinationCID: UInt16, sourceCID: UInt16)
    /// Disconnection Response (code 0x07, §4.7).
    case disconnectionResponse(identifier: UInt8, destinationCID: UInt16, sourceCID: UInt16)
    /// Connection Parameter Update Request (code 0x12, §4.20), peripheral to central.
    case connectionParameterUpdateRequest(identifier: UInt8, parameters: ConnectionParameters)
    /// Connection Parameter Update Response (code 0x13, §4.21), central to peripheral.
    case connectionParameterUpdateResponse(identifier: UInt8, result: ConnectionParameterUpdateResult)
    /// Any other command; `data` is a range into the parsed payload.
    case other(code: UInt8, identifier: UInt8, data: Range<Int>)

    /// Command codes this type decodes.
    public enum Code {
        public static let commandReject: UInt8 = 0x01
        public static let disconnectionRequest: UInt8 = 0x06
        public static let disconnectionResponse: UInt8 = 0x07
        public static let connectionParameterUpdateRequest: UInt8 = 0x12
        public static let connectionParameterUpdateResponse: UInt8 = 0x13
    }

    /// The command's code.
    public var code: UInt8 {
        switch self {
        case .commandReject: Code.commandReject
        case .disconnectionRequest: Code.disconnectionRequest
        case .disconnectionResponse: Code.disconnectionResponse
        case .connectionParameterUpdateRequest: Code.connectionParameterUpdateRequest
        case .connectionParameterUpdateResponse: Code.connectionParameterUpdateResponse
        case .other(let code, _, _): code
        }
    }

    /// The identifier that pairs a response with its request.
    public var identifier: UInt8 {
        switch self {
        case .commandReject(let identifier, _),
             .disconnectionRequest(let identifier, _, _),
             .disconnectionResponse(let identifier, _, _),
             .connectionParameterUpdateRequest(let identifier, _),
             .connectionParameterUpdateResponse(let identifier, _),
             .other(_, let identifier, _):
            identifier
        }
    }

    /// Parses the payload of an L2CAP PDU received on `L2CAPChannelID.leSignaling`.
    ///
    /// - Parameter base: absolute offset of `payload[0]`, for errors.
    public init(parsing payload: RawSpan, base: Int = 0) throws(WireError) {
        var cursor = ByteCursor(payload, layer: .l2cap, base: base)
        let code = try cursor.readUInt8("signalling code")
        let identifier = try cursor.readUInt8("signalling identifier")
        let lengthOffset = cursor.absoluteOffset
        let length = Int(try cursor.readUInt16("signalling length"))
        guard length == cursor.remaining else {
            throw WireError(.l2cap, .lengthMismatch(field: "signalling length", declared: length, actual: cursor.remaining), at: lengthOffset)
        }
        switch code {
        case Code.commandReject:
            let reasonCode = try cursor.readUInt16("reject reason")
            switch reasonCode {
            case 0x0000:
                self = .commandReject(identifier: identifier, reason: .commandNotUnderstood)
            case 0x0001:
                let mtu = try cursor.readUInt16("actual signalling MTU")
                self = .commandReject(identifier: identifier, reason: .signalingMTUExceeded(actualMTU: mtu))
            case 0x0002:
                let local = try cursor.readUInt16("local CID")
                let remote = try cursor.readUInt16("remote CID")
                self = .commandReject(identifier: identifier, reason: .invalidCID(localCID: local, remoteCID: remote))
            default:
                // Unknown reasons may carry data we cannot interpret; accept and skip it.
                _ = cursor.readRest()
                self = .commandReject(identifier: identifier, reason: .other(reasonCode))
            }
        case Code.disconnectionRequest, Code.disconnectionResponse:
            let destination = try cursor.readUInt16("destination CID")
            let source = try cursor.readUInt16("source CID")
            self = code == Code.disconnectionRequest
                ? .disconnectionRequest(identifier: identifier, destinationCID: destination, sourceCID: source)
                : .disconnectionResponse(identifier: identifier, destinationCID: destination, sourceCID: source)
        case Code.connectionParameterUpdateRequest:
            let parameters = ConnectionParameters(
                intervalMin: try cursor.readUInt16("interval min"),
                intervalMax: try cursor.readUInt16("interval max"),
                peripheralLatency: try cursor.readUInt16("peripheral latency"),
                timeoutMultiplier: try cursor.readUInt16("timeout multiplier"))
            self = .connectionParameterUpdateRequest(identifier: identifier, parameters: parameters)
        case Code.connectionParameterUpdateResponse:
            let result = ConnectionParameterUpdateResult(rawValue: try cursor.readUInt16("result"))
            self = .connectionParameterUpdateResponse(identifier: identifier, result: result)
        default:
            let data = try cursor.readRange(cursor.remaining, "signalling data")
            self = .other(code: code, identifier: identifier, data: data)
        }
        try cursor.expectEnd()
    }

    /// Appends the command (code, identifier, length, data): the payload of a C-frame,
    /// without the L2CAP basic header.
    ///
    /// - Parameter source: the bytes `.other`'s `data` range refers to; ignored by every
    ///   other case. When `.other` is encoded without it, its data is left empty.
    public func encode(into writer: inout ByteWriter, source: RawSpan? = nil) {
        writer.write(code)
        writer.write(identifier)
        switch self {
        case .commandReject(_, let reason):
            switch reason {
            case .commandNotUnderstood:
                writer.write(UInt16(2))
                writer.write(UInt16(0x0000))
            case .signalingMTUExceeded(let mtu):
                writer.write(UInt16(4))
                writer.write(UInt16(0x0001))
                writer.write(mtu)
            case .invalidCID(let local, let remote):
                writer.write(UInt16(6))
                writer.write(UInt16(0x0002))
                writer.write(local)
                writer.write(remote)
            case .other(let value):
                writer.write(UInt16(2))
                writer.write(value)
            }
        case .disconnectionRequest(_, let destination, let source),
             .disconnectionResponse(_, let destination, let source):
            writer.write(UInt16(4))
            writer.write(destination)
            writer.write(source)
        case .connectionParameterUpdateRequest(_, let parameters):
            writer.write(UInt16(8))
            writer.write(parameters.intervalMin)
            writer.write(parameters.intervalMax)
            writer.write(parameters.peripheralLatency)
            writer.write(parameters.timeoutMultiplier)
        case .connectionParameterUpdateResponse(_, let result):
            writer.write(UInt16(2))
            writer.write(result.rawValue)
        case .other(_, _, let data):
            if let source, data.lowerBound >= 0, data.upperBound <= source.byteCount {
                writer.write(UInt16(truncatingIfNeeded: data.count))
                source.extracting(data).withUnsafeBytes { writer.write(contentsOf: $0) }
            } else {
                writer.write(UInt16(0))
            }
        }
    }
}

/// Why a signalling command was rejected (Vol 3, Part A, §4.1, Table 4.3).
public enum CommandRejectReason: Equatable, Hashable, Sendable {
    /// 0x0000: the command code is not understood.
    case commandNotUnderstood
    /// 0x0001: the command exceeded the signalling MTU, which is given.
    case signalingMTUExceeded(actualMTU: UInt16)
    /// 0x0002: the request named a channel that does not exist.
    case invalidCID(localCID: UInt16, remoteCID: UInt16)
    /// A reason code the specification does not define.
    case other(UInt16)
}

/// The result of a Connection Parameter Update Request (Vol 3, Part A, §4.21).
public struct ConnectionParameterUpdateResult: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let accepted = ConnectionParameterUpdateResult(rawValue: 0x0000)
    public static let rejected = ConnectionParameterUpdateResult(rawValue: 0x0001)

    public var description: String {
        switch self {
        case .accepted: "accepted"
        case .rejected: "rejected"
        default: "reserved 0x" + String(rawValue, radix: 16)
        }
    }
}
