/// An HCI event packet (Core Specification v5.4, Vol 4, Part E, §5.4.4 and §7.7), parsed in
/// place: every case holds scalars and ranges into the packet, never a copy of it.
///
/// ```
/// +----------------+----------------------------+------------------------------+
/// | Event_Code (1) | Parameter_Total_Length (1) | Parameters                   |
/// +----------------+----------------------------+------------------------------+
/// LE Meta (0x3E):  | Subevent_Code (1) | subevent parameters                    |
/// ```
///
/// Parameter_Total_Length must match the bytes present, and each known event must carry
/// exactly its parameters; violations throw `WireError` (layer `.hci`) with the offset.
/// Events and LE subevents not listed here are not errors: they parse as `.other` and
/// `.leMetaOther` with the range of their parameters. Ranges are relative to the packet
/// given to `init(parsing:base:)`; `base` only shifts the offsets in errors.
public enum HCIEvent: Equatable, Sendable {
    case disconnectionComplete(DisconnectionComplete)
    case encryptionChange(EncryptionChange)
    case commandComplete(CommandComplete)
    case commandStatus(CommandStatus)
    case numberOfCompletedPackets(NumberOfCompletedPackets)
    case leConnectionComplete(LEConnectionComplete)
    case leAdvertisingReport(LEAdvertisingReports)
    case leConnectionUpdateComplete(LEConnectionUpdateComplete)
    case leRemoteConnectionParameterRequest(LERemoteConnectionParameterRequest)
    case leDataLengthChange(LEDataLengthChange)
    /// v1 (subevent 0x0A) or v2 (0x29), told apart by `isV2`.
    case leEnhancedConnectionComplete(LEEnhancedConnectionComplete)
    case lePHYUpdateComplete(LEPHYUpdateComplete)
    case leExtendedAdvertisingReport(LEExtendedAdvertisingReports)
    /// An LE Meta subevent not decoded here; `parameters` excludes the subevent code.
    case leMetaOther(subevent: UInt8, parameters: Range<Int>)
    /// An event not decoded here.
    case other(code: UInt8, parameters: Range<Int>)

    /// Size of the event header: code and parameter length.
    public static let headerSize = 2
    /// HCI_LE_Meta event code (§7.7.65).
    public static let leMetaCode: UInt8 = 0x3E

    /// The event code (0x3E for every LE subevent).
    public var code: UInt8 {
        switch self {
        case .disconnectionComplete: DisconnectionComplete.code
        case .encryptionChange: EncryptionChange.code
        case .commandComplete: CommandComplete.code
        case .commandStatus: CommandStatus.code
        case .numberOfCompletedPackets: NumberOfCompletedPackets.code
        case .leConnectionComplete, .leAdvertisingReport, .leConnectionUpdateComplete,
             .leRemoteConnectionParameterRequest, .leDataLengthChange, .leEnhancedConnectionComplete,
             .lePHYUpdateComplete, .leExtendedAdvertisingReport, .leMetaOther:
            Self.leMetaCode
        case .other(let code, _): code
        }
    }

    // MARK: Parsing

    /// Parses an event packet without its H4 indicator. `base` is the packet's offset in the
    /// outer buffer or stream, used in error offsets only.
    public init(parsing packet: RawSpan, base: Int = 0) throws(WireError) {
        var cursor = ByteCursor(packet, layer: .hci, base: base)
        let code = try cursor.readUInt8("Event_Code")
        let length = Int(try cursor.readUInt8("Parameter_Total_Length"))
        guard length == cursor.remaining else {
            throw WireError(.hci, .lengthMismatch(field: "Parameter_Total_Length", declared: length, actual: cursor.remaining),
                            at: base &+ 1)
        }
        switch code {
        case DisconnectionComplete.code: self = .disconnectionComplete(try DisconnectionComplete(parsing: &cursor))
        case EncryptionChange.code: self = .encryptionChange(try EncryptionChange(parsing: &cursor))
        case CommandComplete.code: self = .commandComplete(try CommandComplete(parsing: &cursor))
        case CommandStatus.code: self = .commandStatus(try CommandStatus(parsing: &cursor))
        case NumberOfCompletedPackets.code: self = .numberOfCompletedPackets(try NumberOfCompletedPackets(parsing: &cursor))
        case Self.leMetaCode: self = try Self.parseLEMeta(&cursor)
        default:
            self = .other(code: code, parameters: Self.headerSize..<(Self.headerSize &+ length))
            return
        }
        try cursor.expectEnd()
    }

    private static func parseLEMeta(_ cursor: inout ByteCursor) throws(WireError) -> HCIEvent {
        let subevent = try cursor.readUInt8("Subevent_Code")
        switch subevent {
        case LEConnectionComplete.subevent: return .leConnectionComplete(try LEConnectionComplete(parsing: &cursor))
        case LEAdvertisingReports.subevent: return .leAdvertisingReport(try LEAdvertisingReports(parsing: &cursor))
        case LEConnectionUpdateComplete.subevent:
            return .leConnectionUpdateComplete(try LEConnectionUpdateComplete(parsing: &cursor))
        case LERemoteConnectionParameterRequest.subevent:
            return .leRemoteConnectionParameterRequest(try LERemoteConnectionParameterRequest(parsing: &cursor))
        case LEDataLengthChange.subevent: return .leDataLengthChange(try LEDataLengthChange(parsing: &cursor))
        case LEEnhancedConnectionComplete.subeventV1:
            return .leEnhancedConnectionComplete(try LEEnhancedConnectionComplete(parsing: &cursor, v2: false))
        case LEEnhancedConnectionComplete.subeventV2:
            return .leEnhancedConnectionComplete(try LEEnhancedConnectionComplete(parsing: &cursor, v2: true))
        case LEPHYUpdateComplete.subevent: return .lePHYUpdateComplete(try LEPHYUpdateComplete(parsing: &cursor))
        case LEExtendedAdvertisingReports.subevent:
            return .leExtendedAdvertisingReport(try LEExtendedAdvertisingReports(parsing: &cursor))
        default:
            let start = cursor.position
            _ = cursor.readRest()
            return .leMetaOther(subevent: subevent, parameters: start..<cursor.position)
        }
    }

    // MARK: Encoding

    /// Appends the event packet (without H4 indicator). Cases that refer to bytes by range
    /// (Command Complete's return parameters, Number Of Completed Packets' entries,
    /// advertising reports, `.other`, `.leMetaOther`) copy them from `packet`, the packet
    /// the event was parsed from; the other cases ignore it. To build those events from
    /// values, use the `encode` functions of their types.
    public func encode(into writer: inout ByteWriter, copyingFrom packet: RawSpan) {
        switch self {
        case .disconnectionComplete(let event): event.encode(into: &writer)
        case .encryptionChange(let event): event.encode(into: &writer)
        case .commandStatus(let event): event.encode(into: &writer)
        case .leConnectionComplete(let event): event.encode(into: &writer)
        case .leConnectionUpdateComplete(let event): event.encode(into: &writer)
        case .leRemoteConnectionParameterRequest(let event): event.encode(into: &writer)
        case .leDataLengthChange(let event): event.encode(into: &writer)
        case .leEnhancedConnectionComplete(let event): event.encode(into: &writer)
        case .lePHYUpdateComplete(let event): event.encode(into: &writer)
        case .commandComplete(let event):
            writer.writeEvent(code: CommandComplete.code) { writer in
                writer.write(event.numHCICommandPackets)
                writer.write(event.opcode.rawValue)
                writer.write(packet, range: event.returnParameters)
            }
        case .numberOfCompletedPackets(let event):
            writer.writeEvent(code: NumberOfCompletedPackets.code) { writer in
                writer.write(UInt8(truncatingIfNeeded: event.count))
                writer.write(packet, range: event.entries)
            }
        case .leAdvertisingReport(let event): event.encode(into: &writer, copyingFrom: packet)
        case .leExtendedAdvertisingReport(let event): event.encode(into: &writer, copyingFrom: packet)
        case .leMetaOther(let subevent, let parameters):
            writer.writeLEMetaEvent(subevent: subevent) { writer in writer.write(packet, range: parameters) }
        case .other(let code, let parameters):
            writer.writeEvent(code: code) { writer in writer.write(packet, range: parameters) }
        }
    }

    /// A cursor over `range` of `packet`, or a `.truncated` error when `packet` is not the
    /// packet the range came from and is too short for it.
    @_lifetime(copy packet)
    static func cursor(over range: Range<Int>, in packet: RawSpan, base: Int, _ field: StaticString) throws(WireError) -> ByteCursor {
        var outer = ByteCursor(packet, layer: .hci, base: base)
        try outer.skip(range.lowerBound, field)
        return try outer.readCursor(range.count, field)
    }
}
