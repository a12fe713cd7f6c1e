// Attribute values GATT defines for its own declarations, as a client reads them
// through ATT (Core Specification v5.4, Vol 3, Part G, §3.1-§3.3). Each parses the
// value bytes of one attribute, e.g. a `value` span from `AttributeDataList.forEach`.

/// The Characteristic Properties bit field (Vol 3, Part G, §3.3.1.1, Table 3.5).
public struct CharacteristicProperties: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let broadcast = CharacteristicProperties(rawValue: 0x01)
    public static let read = CharacteristicProperties(rawValue: 0x02)
    public static let writeWithoutResponse = CharacteristicProperties(rawValue: 0x04)
    public static let write = CharacteristicProperties(rawValue: 0x08)
    public static let notify = CharacteristicProperties(rawValue: 0x10)
    public static let indicate = CharacteristicProperties(rawValue: 0x20)
    public static let authenticatedSignedWrites = CharacteristicProperties(rawValue: 0x40)
    /// More properties are in the Characteristic Extended Properties descriptor.
    public static let extendedProperties = CharacteristicProperties(rawValue: 0x80)

    /// Names of the set bits joined by `|`, e.g. `read|notify`.
    public var description: String {
        let names: [(CharacteristicProperties, String)] = [
            (.broadcast, "broadcast"), (.read, "read"), (.writeWithoutResponse, "write-without-response"),
            (.write, "write"), (.notify, "notify"), (.indicate, "indicate"),
            (.authenticatedSignedWrites, "authenticated-signed-writes"), (.extendedProperties, "extended-properties"),
        ]
        return names.filter { contains($0.0) }.map(\.1).joined(separator: "|")
    }
}

/// The value of a «Characteristic» declaration attribute (type 0x2803; Vol 3, Part G,
/// §3.3.1).
///
/// ```
/// +----------------+----------------------+-----------------------------+
/// | Properties (1) | Value Handle (2, LE) | Characteristic UUID (2/16)  |
/// +----------------+----------------------+-----------------------------+
/// ```
public struct CharacteristicDeclaration: Equatable, Hashable, Sendable {
    public var properties: CharacteristicProperties
    /// Handle of the attribute that holds the characteristic's value.
    public var valueHandle: AttributeHandle
    public var uuid: BluetoothUUID

    public init(properties: CharacteristicProperties, valueHandle: AttributeHandle, uuid: BluetoothUUID) {
        self.properties = properties
        self.valueHandle = valueHandle
        self.uuid = uuid
    }

    /// Parses the declaration's value: 5 bytes (16-bit UUID) or 19 bytes (128-bit).
    public init(parsing value: RawSpan, base: Int = 0) throws(WireError) {
        var cursor = ByteCursor(value, layer: .att, base: base)
        properties = CharacteristicProperties(rawValue: try cursor.readUInt8("characteristic properties"))
        valueHandle = try cursor.readAttributeHandle("characteristic value handle")
        let width = cursor.remaining
        guard width == 2 || width == 16 else {
            throw cursor.error(.invalidValue(field: "characteristic UUID length", value: width))
        }
        uuid = try BluetoothUUID(reading: &cursor, width: width)
    }

    /// Appends the declaration's value.
    public func encode(into writer: inout ByteWriter) {
        writer.write(properties.rawValue)
        writer.write(valueHandle)
        writer.writeShortest(uuid)
    }
}

/// The value of a «Primary Service» or «Secondary Service» declaration (types 0x2800,
/// 0x2801; Vol 3, Part G, §3.1): the service UUID alone, 2 or 16 bytes.
public struct ServiceDeclaration: Equatable, Hashable, Sendable {
    public var uuid: BluetoothUUID

    public init(uuid: BluetoothUUID) { self.uuid = uuid }

    public init(parsing value: RawSpan, base: Int = 0) throws(WireError) {
        var cursor = ByteCursor(value, layer: .att, base: base)
        let width = cursor.remaining
        guard width == 2 || width == 16 else {
            throw cursor.error(.invalidValue(field: "service UUID length", value: width))
        }
        uuid = try BluetoothUUID(reading: &cursor, width: width)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeShortest(uuid)
    }
}

/// The value of an «Include» declaration (type 0x2802; Vol 3, Part G, §3.2).
///
/// ```
/// +-----------------------------+-----------------+-------------------------+
/// | Included Service Handle (2) | End Group (2)   | Service UUID (2, or absent for 128-bit) |
/// +-----------------------------+-----------------+-------------------------+
/// ```
/// A 128-bit service UUID is not carried here; the client must read it separately.
public struct IncludeDeclaration: Equatable, Hashable, Sendable {
    public var service: ATTHandleRange
    /// The 16-bit service UUID, or `nil` when the service has a 128-bit UUID.
    public var uuid: BluetoothUUID?

    public init(service: ATTHandleRange, uuid: BluetoothUUID?) {
        self.service = service
        self.uuid = uuid
    }

    public init(parsing value: RawSpan, base: Int = 0) throws(WireError) {
        var cursor = ByteCursor(value, layer: .att, base: base)
        let start = try cursor.readAttributeHandle("included service handle")
        let end = try cursor.readAttributeHandle("end group handle")
        service = ATTHandleRange(start: start, end: end)
        switch cursor.remaining {
        case 0: uuid = nil
        case 2: uuid = BluetoothUUID(try cursor.readUInt16("service UUID"))
        default: throw cursor.error(.invalidValue(field: "include UUID length", value: cursor.remaining))
        }
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(service.start)
        writer.write(service.end)
        if let short = uuid?.uuid16 { writer.write(short) }
    }
}

/// The value of a Client Characteristic Configuration descriptor (type 0x2902;
/// Vol 3, Part G, §3.3.3.3): two octets, of which bit 0 enables notifications and bit 1
/// indications. A client writes it to subscribe; reserved bits are kept as received.
public struct ClientCharacteristicConfiguration: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let notification = ClientCharacteristicConfiguration(rawValue: 0x0001)
    public static let indication = ClientCharacteristicConfiguration(rawValue: 0x0002)

    /// Parses the 2-byte descriptor value.
    public init(parsing value: RawSpan, base: Int = 0) throws(WireError) {
        var cursor = ByteCursor(value, layer: .att, base: base)
        rawValue = try cursor.readUInt16("client characteristic configuration")
        try cursor.expectEnd()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(rawValue)
    }

    /// The two value bytes, for a Write Request.
    public var bytes: [UInt8] { [UInt8(truncatingIfNeeded: rawValue), UInt8(truncatingIfNeeded: rawValue >> 8)] }
}
