/// What the packet bytes of a btsnoop file are, and how its record flags are read.
///
/// Codes from the btsnoop format description (Frontline, "BT Snoop File Format"),
/// Wireshark's wiretap/btsnoop.c and BlueZ's src/shared/btsnoop.h.
public enum BTSnoopDatalink: UInt32, Sendable, CustomStringConvertible {
    /// "H1": the HCI packet without an indicator; the flags say its kind
    /// (bit 0: 0 sent / 1 received; bit 1: 0 ACL data / 1 command or event).
    case hciUnencapsulated = 1001
    /// HCI UART (H4): the packet starts with its H4 indicator (Vol 4, Part A, §2);
    /// flags bit 0 is the direction. Android and Bumble write this one.
    case hciUART = 1002
    /// Linux monitor (btmon): flags = adapter index << 16 | monitor opcode; packets have
    /// no indicator, and non-packet records (index added, notes, logs) appear too.
    case linuxMonitor = 2001

    public var description: String {
        switch self {
        case .hciUnencapsulated: "HCI un-encapsulated (1001)"
        case .hciUART: "HCI UART/H4 (1002)"
        case .linuxMonitor: "Linux monitor (2001)"
        }
    }
}

/// The 16-octet btsnoop file header (all integers big-endian, unlike Bluetooth itself).
///
/// ```
///  0                        8                 12                16
/// +------------------------+-----------------+-----------------+
/// | identification pattern | version         | datalink type   |
/// | "btsnoop\0"            | u32 BE = 1      | u32 BE          |
/// +------------------------+-----------------+-----------------+
/// ```
/// Derived from the Sun snoop format (RFC 1761) by Symbian; see the Frontline "BT Snoop
/// File Format" page and Wireshark's wiretap/btsnoop.c.
public struct BTSnoopHeader: Equatable, Sendable {
    /// Size of the file header in octets.
    public static let size = 16
    /// "btsnoop" followed by a NUL.
    public static let identificationPattern: [UInt8] = Array("btsnoop".utf8) + [0]
    /// The only version ever defined.
    public static let supportedVersion: UInt32 = 1

    /// Microseconds from 0000-01-01 00:00 (the btsnoop epoch, proleptic Gregorian) to
    /// 1970-01-01 00:00 UTC, as Wireshark's `KUnixTimeBase`.
    public static let unixEpochOffsetMicros: Int64 = 0x00DC_DDB3_0F2F_8000

    public var version: UInt32
    public var datalink: BTSnoopDatalink

    public init(datalink: BTSnoopDatalink, version: UInt32 = BTSnoopHeader.supportedVersion) {
        self.datalink = datalink
        self.version = version
    }

    /// Whether `bytes` starts with the btsnoop identification pattern: a cheap test for
    /// "is this a btsnoop file at all" before reporting anything finer.
    public static func hasIdentificationPattern(_ bytes: RawSpan) -> Bool {
        guard bytes.byteCount >= identificationPattern.count else { return false }
        for (index, expected) in identificationPattern.enumerated() where bytes.byte(at: index) != expected {
            return false
        }
        return true
    }

    /// Parses and checks the file header at the start of `file`.
    ///
    /// Errors: a wrong identification pattern is `invalidValue("btsnoop identification
    /// pattern")` at the first wrong octet; a version other than 1 is
    /// `invalidValue("btsnoop version")` at 8; a datalink this reader does not frame
    /// (BCSP 1003, H5 1004, simulator 2002, …) is `unknownType("btsnoop datalink")` at 12.
    public init(parsing file: RawSpan) throws(WireError) {
        var cursor = ByteCursor(file, layer: .btsnoop)
        for expected in Self.identificationPattern {
            let offset = cursor.absoluteOffset
            let octet = try cursor.readUInt8("btsnoop identification pattern")
            guard octet == expected else {
                throw WireError(.btsnoop, .invalidValue(field: "btsnoop identification pattern", value: Int(octet)), at: offset)
            }
        }
        let version = try cursor.readUInt32BE("btsnoop version")
        guard version == Self.supportedVersion else {
            throw WireError(.btsnoop, .invalidValue(field: "btsnoop version", value: Int(version)), at: 8)
        }
        let code = try cursor.readUInt32BE("btsnoop datalink")
        guard let datalink = BTSnoopDatalink(rawValue: code) else {
            throw WireError(.btsnoop, .unknownType(field: "btsnoop datalink", value: Int(code)), at: 12)
        }
        self.init(datalink: datalink, version: version)
    }

    /// Appends the 16 header octets.
    public func encode(into writer: inout ByteWriter) {
        writer.write(contentsOf: Self.identificationPattern)
        writer.writeBigEndian(version)
        writer.writeBigEndian(datalink.rawValue)
    }
}
