/// The payload of a Service Data AD structure, in place (Core Specification Supplement
/// v11, Part A, §1.11).
///
/// ```
/// +---------+---------+------------------------+------------------------+
/// | Length  | AD type | Service UUID           | Service data           |
/// |         | 16/20/21| 2, 4 or 16 octets (LE) | Length - 1 - UUID size |
/// +---------+---------+------------------------+------------------------+
/// ```
/// BTHome v2 (UUID 0xFCD2) and most sensor beacons travel this way.
public struct ServiceData: ~Escapable {
    public let uuid: BluetoothUUID
    /// The bytes after the UUID.
    public let data: RawSpan
    /// Absolute offset of the first byte of `data`.
    public let dataOffset: Int

    @_lifetime(copy data)
    public init(uuid: BluetoothUUID, data: RawSpan, dataOffset: Int) {
        self.uuid = uuid
        self.data = data
        self.dataOffset = dataOffset
    }

    /// A cursor over `data` that reports absolute offsets.
    @_lifetime(copy self)
    public func dataCursor(layer: WireError.Layer = .payload) -> ByteCursor {
        ByteCursor(data, layer: layer, base: dataOffset)
    }
}

/// The payload of a Manufacturer Specific Data AD structure, in place (Core Specification
/// Supplement v11, Part A, §1.4).
///
/// ```
/// +---------+---------+--------------------+--------------------------+
/// | Length  | 0xFF    | Company identifier | Manufacturer data        |
/// |         |         | 2 octets (LE)      | Length - 3 octets        |
/// +---------+---------+--------------------+--------------------------+
/// ```
/// Company identifiers are assigned in Bluetooth Assigned Numbers §7.
public struct ManufacturerData: ~Escapable {
    public let companyID: UInt16
    /// The bytes after the company identifier.
    public let data: RawSpan
    /// Absolute offset of the first byte of `data`.
    public let dataOffset: Int

    @_lifetime(copy data)
    public init(companyID: UInt16, data: RawSpan, dataOffset: Int) {
        self.companyID = companyID
        self.data = data
        self.dataOffset = dataOffset
    }

    /// A cursor over `data` that reports absolute offsets.
    @_lifetime(copy self)
    public func dataCursor(layer: WireError.Layer = .payload) -> ByteCursor {
        ByteCursor(data, layer: layer, base: dataOffset)
    }
}
