import BLEWire

/// What a client may do with an attribute over ATT (Core Specification v5.4, Vol 3,
/// Part F, §3.2.5): the server checks these, not the characteristic properties, which
/// only tell the client what to expect (Vol 3, Part G, §3.3.1.1).
///
/// Security requirements (encryption, authentication, authorization) are not modelled:
/// the simulated devices expose everything over an unencrypted link.
public struct GATTPermissions: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Read, Read Blob, Read By Type and Read Multiple may return the value.
    public static let readable = GATTPermissions(rawValue: 0x01)
    /// Write Request and Write Command may change the value.
    public static let writable = GATTPermissions(rawValue: 0x02)

    /// The permissions the properties promise: readable with `.read`, writable with
    /// `.write` or `.writeWithoutResponse`.
    public init(_ properties: CharacteristicProperties) {
        var permissions: GATTPermissions = []
        if properties.contains(.read) { permissions.insert(.readable) }
        if !properties.isDisjoint(with: [.write, .writeWithoutResponse]) { permissions.insert(.writable) }
        self = permissions
    }
}
