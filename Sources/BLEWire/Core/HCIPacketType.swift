/// The HCI packet indicator that precedes every packet on a UART (H4) transport
/// (Core Specification v5.4, Vol 4, Part A, §2). btsnoop datalink 1002 stores it too.
public enum HCIPacketType: UInt8, Sendable, CustomStringConvertible {
    case command = 0x01
    case aclData = 0x02
    case synchronousData = 0x03
    case event = 0x04
    case isoData = 0x05

    public var description: String {
        switch self {
        case .command: "command"
        case .aclData: "acl"
        case .synchronousData: "sco"
        case .event: "event"
        case .isoData: "iso"
        }
    }
}

/// Which way a packet travelled, seen from the host.
public enum PacketDirection: UInt8, Sendable {
    /// Host to controller (commands, outgoing ACL).
    case sent = 0
    /// Controller to host (events, incoming ACL).
    case received = 1
}
