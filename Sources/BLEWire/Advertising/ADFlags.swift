/// The bits of the Flags AD type (Core Specification Supplement v11, Part A, §1.3).
///
/// ```
///  bit 7..5   4          3               2               1                0
/// +--------+----------+---------------+---------------+----------------+----------------+
/// |reserved| previously| simultaneous | BR/EDR not    | LE General     | LE Limited     |
/// |        | used      | LE + BR/EDR  | supported     | Discoverable   | Discoverable   |
/// +--------+----------+---------------+---------------+----------------+----------------+
/// ```
/// Bit 4 was "simultaneous LE and BR/EDR (host)" in older supplements; tshark still names
/// it so. It is kept as a member so that a received value round-trips unchanged.
public struct ADFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8

    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let leLimitedDiscoverable = ADFlags(rawValue: 1 << 0)
    public static let leGeneralDiscoverable = ADFlags(rawValue: 1 << 1)
    public static let brEDRNotSupported = ADFlags(rawValue: 1 << 2)
    public static let simultaneousLEAndBREDR = ADFlags(rawValue: 1 << 3)
    /// The formerly used "simultaneous LE and BR/EDR (host)" bit.
    public static let simultaneousLEAndBREDRHost = ADFlags(rawValue: 1 << 4)

    /// What an LE-only peripheral that wants to be found normally sends (0x06).
    public static let leGeneralDiscoverableOnly: ADFlags = [.leGeneralDiscoverable, .brEDRNotSupported]
}
