/// The opcode in the low 16 bits of a Linux monitor (datalink 2001) record's flags:
/// what the record carries. Values from BlueZ src/shared/btsnoop.h (`BTSNOOP_OPCODE_*`)
/// and doc/btsnoop-protocol.rst.
public struct BTSnoopMonitorOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// A controller index appeared (payload: type, bus, BD_ADDR, 8-octet name).
    public static let newIndex = Self(0)
    public static let deleteIndex = Self(1)
    public static let commandPacket = Self(2)
    public static let eventPacket = Self(3)
    public static let aclTxPacket = Self(4)
    public static let aclRxPacket = Self(5)
    public static let scoTxPacket = Self(6)
    public static let scoRxPacket = Self(7)
    public static let openIndex = Self(8)
    public static let closeIndex = Self(9)
    /// Payload: BD_ADDR, manufacturer (u16 LE).
    public static let indexInfo = Self(10)
    public static let vendorDiagnostic = Self(11)
    /// Payload: a NUL-terminated text note.
    public static let systemNote = Self(12)
    /// Payload: priority, ident length, ident, message.
    public static let userLogging = Self(13)
    public static let controlOpen = Self(14)
    public static let controlClose = Self(15)
    public static let controlCommand = Self(16)
    public static let controlEvent = Self(17)
    public static let isoTxPacket = Self(18)
    public static let isoRxPacket = Self(19)

    /// The HCI packet kind and direction carried by this opcode, or nil for records that
    /// are not HCI packets (index changes, notes, logs, management control traffic).
    @inlinable
    public var hciPacket: (type: HCIPacketType, direction: PacketDirection)? {
        switch rawValue {
        case 2: (.command, .sent)
        case 3: (.event, .received)
        case 4: (.aclData, .sent)
        case 5: (.aclData, .received)
        case 6: (.synchronousData, .sent)
        case 7: (.synchronousData, .received)
        case 18: (.isoData, .sent)
        case 19: (.isoData, .received)
        default: nil
        }
    }

    /// The opcode that carries an HCI packet of `type` travelling in `direction`, or nil
    /// when the monitor format has none (a command from the controller, an event to it).
    @inlinable
    public init?(packetType type: HCIPacketType, direction: PacketDirection) {
        switch (type, direction) {
        case (.command, .sent): self = .commandPacket
        case (.event, .received): self = .eventPacket
        case (.aclData, .sent): self = .aclTxPacket
        case (.aclData, .received): self = .aclRxPacket
        case (.synchronousData, .sent): self = .scoTxPacket
        case (.synchronousData, .received): self = .scoRxPacket
        case (.isoData, .sent): self = .isoTxPacket
        case (.isoData, .received): self = .isoRxPacket
        default: return nil
        }
    }

    public var description: String {
        let names = [
            "new-index", "delete-index", "command", "event", "acl-tx", "acl-rx", "sco-tx", "sco-rx",
            "open-index", "close-index", "index-info", "vendor-diag", "system-note", "user-logging",
            "ctrl-open", "ctrl-close", "ctrl-command", "ctrl-event", "iso-tx", "iso-rx",
        ]
        return Int(rawValue) < names.count ? names[Int(rawValue)] : "monitor-opcode-\(rawValue)"
    }
}
