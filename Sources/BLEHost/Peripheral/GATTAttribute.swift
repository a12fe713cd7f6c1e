import BLEWire

/// One attribute of a built database (Core Specification v5.4, Vol 3, Part F, §3.2):
/// handle, type, permissions and where its value comes from.
///
/// ```
/// +-------------+--------------------+-----------------+-------------+
/// | Handle (2)  | Type (UUID 16/128) | Value (0..512)  | Permissions |
/// +-------------+--------------------+-----------------+-------------+
/// ```
public struct GATTAttribute {
    public let handle: AttributeHandle
    public let type: BluetoothUUID
    public let permissions: GATTPermissions
    /// For a service declaration, the last handle of the service; for any other
    /// attribute, its own handle (what Find By Type Value reports, §3.4.3.4).
    public let groupEnd: AttributeHandle
    let content: Content

    /// How the server produces and changes the value.
    enum Content {
        /// A declaration, or any value that never changes.
        case constant([UInt8])
        case provided(() -> [UInt8])
        /// A fixed value that writes replace.
        case variable(GATTValueCell)
        /// A Client Characteristic Configuration descriptor: its value lives in each
        /// connection's `GATTServer`.
        case clientConfiguration(valueHandle: AttributeHandle, properties: CharacteristicProperties)
    }

    let onWrite: GATTWriteHandler?

    /// Whether this is a «Primary Service» or «Secondary Service» declaration.
    public var isServiceDeclaration: Bool { type == .primaryService || type == .secondaryService }
}

/// The shared storage of a writable fixed value: a class, so that every `GATTServer`
/// holding a copy of the database sees a write.
final class GATTValueCell {
    var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}
