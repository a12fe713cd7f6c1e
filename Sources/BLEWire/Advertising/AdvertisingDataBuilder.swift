/// How many octets of advertising data a builder may produce.
public struct AdvertisingDataLimit: Hashable, Sendable {
    public var maximumLength: Int

    public init(maximumLength: Int) { self.maximumLength = maximumLength }

    /// Legacy advertising (ADV_IND, ADV_NONCONN_IND, ADV_SCAN_IND) and scan responses:
    /// AdvData/ScanRspData of 0–31 octets (Vol 6, Part B, §2.3.1;
    /// HCI_LE_Set_Advertising_Data, Vol 4, Part E, §7.8.7).
    public static let legacy = AdvertisingDataLimit(maximumLength: AdvertisingData.legacyMaximumLength)
    /// What fits in one extended advertising PDU: a 255-octet payload less the octet of
    /// Extended Header Length / AdvMode, with an empty extended header (Vol 6, Part B, §2.3.4).
    public static let extendedSinglePDU = AdvertisingDataLimit(maximumLength: 254)
    /// Extended advertising data fragmented over AUX_CHAIN_IND PDUs (Vol 6, Part B, §2.3.4.9).
    public static let extendedChained = AdvertisingDataLimit(maximumLength: AdvertisingData.extendedMaximumLength)
}

/// Encodes advertising or scan response data as a sequence of AD structures
/// (Core Specification v5.4, Vol 3, Part C, §11; formats from the Core Specification
/// Supplement v11, Part A, §1), refusing anything that would exceed the chosen limit.
///
/// ```swift
/// var builder = AdvertisingDataBuilder(limit: .legacy)
/// try builder.addFlags(.leGeneralDiscoverableOnly)
/// try builder.addServiceUUIDs([BluetoothUUID(0x180D)])
/// try builder.addLocalName("Gaitway Band", shortenToFit: true)
/// let advData = builder.bytes
/// ```
/// Encoding runs when an advertising set is configured, not per packet, so it may allocate.
/// Every method either appends one whole structure or throws and leaves `bytes` unchanged.
public struct AdvertisingDataBuilder: Sendable {
    /// The encoded structures so far.
    public private(set) var bytes: [UInt8] = []
    public let limit: AdvertisingDataLimit

    /// An AD structure's Length is one octet and counts the AD type, so its data holds at
    /// most 254 octets.
    public static let maximumDataLength = 254

    public init(limit: AdvertisingDataLimit = .legacy) {
        self.limit = limit
        bytes.reserveCapacity(min(limit.maximumLength, 256))
    }

    /// Octets still free under the limit.
    public var remainingCapacity: Int { max(0, limit.maximumLength - bytes.count) }

    /// Appends one AD structure with raw AD data.
    public mutating func add(_ type: ADType, data: some Collection<UInt8>) throws(WireError) {
        let dataCount = data.count
        try reserve(dataCount: dataCount)
        bytes.append(UInt8(dataCount + 1))
        bytes.append(type.rawValue)
        bytes.append(contentsOf: data)
    }

    /// Flags (CSS Part A §1.3). Only for advertising data: the supplement forbids Flags
    /// in a scan response, which this builder cannot tell apart, so that is the caller's call.
    public mutating func addFlags(_ flags: ADFlags) throws(WireError) {
        try add(.flags, data: CollectionOfOne(flags.rawValue))
    }

    /// TX Power Level in dBm (CSS Part A §1.5).
    public mutating func addTXPowerLevel(_ dBm: Int8) throws(WireError) {
        try add(.txPowerLevel, data: CollectionOfOne(UInt8(bitPattern: dBm)))
    }

    /// Appearance (CSS Part A §1.12).
    public mutating func addAppearance(_ appearance: UInt16) throws(WireError) {
        try add(.appearance, data: [UInt8(truncatingIfNeeded: appearance), UInt8(truncatingIfNeeded: appearance >> 8)])
    }

    /// The local name (CSS Part A §1.2) as a complete name. With `shortenToFit`, a name
    /// that does not fit is cut at a Unicode scalar boundary and sent as a shortened name
    /// instead, as GAP allows (Vol 3, Part C, §12.1); without it, it throws.
    public mutating func addLocalName(_ name: String, shortenToFit: Bool = false) throws(WireError) {
        let utf8 = Array(name.utf8)
        let room = min(remainingCapacity - 2, Self.maximumDataLength)
        if utf8.count <= room || !shortenToFit {
            try add(.completeLocalName, data: utf8)
            return
        }
        var cut = max(room, 0)
        // Step back over UTF-8 continuation bytes (10xxxxxx) so no scalar is split.
        while cut > 0, utf8[cut] & 0xC0 == 0x80 { cut -= 1 }
        guard cut > 0 else {
            throw WireError(.advertising, .oversize(field: "advertising data", limit: limit.maximumLength, actual: bytes.count + 3), at: bytes.count)
        }
        try add(.shortenedLocalName, data: utf8[..<cut])
    }

    /// A shortened local name as given (CSS Part A §1.2).
    public mutating func addShortenedLocalName(_ name: String) throws(WireError) {
        try add(.shortenedLocalName, data: Array(name.utf8))
    }

    /// Service UUID lists (CSS Part A §1.1): one structure per width present, 16-bit
    /// UUIDs first, each UUID in its shortest form. `complete` says whether these are all
    /// the services the device has (0x03/0x05/0x07) or only some (0x02/0x04/0x06).
    /// Throws, appending nothing, if the lists do not fit together.
    public mutating func addServiceUUIDs(_ uuids: [BluetoothUUID], complete: Bool = true) throws(WireError) {
        var lists: [[UInt8]] = [[], [], []]
        for uuid in uuids {
            switch Self.width(of: uuid) {
            case 2: lists[0].append(contentsOf: Self.encode(uuid, width: 2))
            case 4: lists[1].append(contentsOf: Self.encode(uuid, width: 4))
            default: lists[2].append(contentsOf: Self.encode(uuid, width: 16))
            }
        }
        let types: [ADType] = complete
            ? [.completeServiceUUIDs16, .completeServiceUUIDs32, .completeServiceUUIDs128]
            : [.incompleteServiceUUIDs16, .incompleteServiceUUIDs32, .incompleteServiceUUIDs128]
        let total = lists.reduce(0) { $0 + ($1.isEmpty ? 0 : $1.count + 2) }
        if total > remainingCapacity {
            throw WireError(.advertising, .oversize(field: "advertising data", limit: limit.maximumLength, actual: bytes.count + total), at: bytes.count)
        }
        for (list, type) in zip(lists, types) where !list.isEmpty {
            try add(type, data: list)
        }
    }

    /// Service data (CSS Part A §1.11), typed 0x16, 0x20 or 0x21 by the shortest width
    /// that holds `uuid`.
    public mutating func addServiceData(_ uuid: BluetoothUUID, data: some Collection<UInt8>) throws(WireError) {
        let width = Self.width(of: uuid)
        let type: ADType = width == 2 ? .serviceData16 : width == 4 ? .serviceData32 : .serviceData128
        try add(type, data: Self.encode(uuid, width: width) + data)
    }

    /// Manufacturer specific data (CSS Part A §1.4): the company identifier, then `data`.
    public mutating func addManufacturerData(companyID: UInt16, data: some Collection<UInt8>) throws(WireError) {
        try add(.manufacturerSpecificData, data: [UInt8(truncatingIfNeeded: companyID), UInt8(truncatingIfNeeded: companyID >> 8)] + data)
    }

    // MARK: Helpers

    private func reserve(dataCount: Int) throws(WireError) {
        guard dataCount <= Self.maximumDataLength else {
            throw WireError(.advertising, .oversize(field: "AD data", limit: Self.maximumDataLength, actual: dataCount), at: bytes.count)
        }
        let needed = dataCount + 2
        guard needed <= remainingCapacity else {
            throw WireError(.advertising, .oversize(field: "advertising data", limit: limit.maximumLength, actual: bytes.count + needed), at: bytes.count)
        }
    }

    private static func width(of uuid: BluetoothUUID) -> Int {
        if uuid.uuid16 != nil { return 2 }
        if uuid.shortValue != nil { return 4 }
        return 16
    }

    /// `uuid` in `width` octets, least significant first (as on the air).
    private static func encode(_ uuid: BluetoothUUID, width: Int) -> [UInt8] {
        guard width != 16, let short = uuid.shortValue else { return uuid.littleEndianBytes }
        return (0..<width).map { UInt8(truncatingIfNeeded: short >> (8 * UInt32($0))) }
    }
}
