/// HCI error codes (Core Specification v5.4, Vol 1, Part F, §1.3), the ones hosts and the
/// virtual controller send or act on, and their names for logs.
public enum HCIStatusCode {
    public static let success: UInt8 = 0x00
    public static let unknownCommand: UInt8 = 0x01
    public static let unknownConnection: UInt8 = 0x02
    public static let memoryCapacityExceeded: UInt8 = 0x07
    public static let connectionTimeout: UInt8 = 0x08
    public static let connectionLimitExceeded: UInt8 = 0x09
    public static let connectionAlreadyExists: UInt8 = 0x0B
    public static let commandDisallowed: UInt8 = 0x0C
    public static let invalidParameters: UInt8 = 0x12
    public static let remoteUserTerminated: UInt8 = 0x13
    public static let localHostTerminated: UInt8 = 0x16
    public static let connectionFailedToBeEstablished: UInt8 = 0x3E

    /// `Remote User Terminated Connection (0x13)`; codes without a name here read "HCI error".
    public static func describe(_ code: UInt8) -> String {
        let name: String
        switch code {
        case unknownCommand: name = "Unknown HCI Command"
        case unknownConnection: name = "Unknown Connection Identifier"
        case memoryCapacityExceeded: name = "Memory Capacity Exceeded"
        case connectionTimeout: name = "Connection Timeout"
        case connectionLimitExceeded: name = "Connection Limit Exceeded"
        case connectionAlreadyExists: name = "Connection Already Exists"
        case commandDisallowed: name = "Command Disallowed"
        case invalidParameters: name = "Invalid HCI Command Parameters"
        case remoteUserTerminated: name = "Remote User Terminated Connection"
        case localHostTerminated: name = "Connection Terminated By Local Host"
        case 0x22: name = "LL Response Timeout"
        case 0x3B: name = "Unacceptable Connection Parameters"
        case connectionFailedToBeEstablished: name = "Connection Failed to be Established"
        default: name = "HCI error"
        }
        return "\(name) (0x\(String(code, radix: 16, uppercase: true)))"
    }
}
