// LE advertising reports, legacy and extended: the gateway's busiest events. Parsing only
// validates the report boundaries and records their range; `forEach` then walks the
// reports in place and hands each one's AD data over as a sub-span, allocating nothing.
// Reports are interleaved (all fields of report 0, then report 1, ...) as controllers
// send them and BlueZ, Zephyr and Bumble read them.

/// Event_Type of a legacy advertising report (Core Specification v5.4, Vol 4, Part E, §7.7.65.2).
public enum LEAdvertisingEventType: UInt8, Sendable {
    /// Connectable and scannable undirected (ADV_IND).
    case advInd = 0x00
    /// Connectable directed (ADV_DIRECT_IND).
    case advDirectInd = 0x01
    /// Scannable undirected (ADV_SCAN_IND).
    case advScanInd = 0x02
    /// Non-connectable undirected (ADV_NONCONN_IND).
    case advNonconnInd = 0x03
    /// Scan response (SCAN_RSP).
    case scanResponse = 0x04
}

/// Data_Status bits of an extended advertising report (Vol 4, Part E, §7.7.65.13).
public enum LEAdvertisingDataStatus: UInt8, Sendable {
    case complete = 0
    /// More reports with the rest of this advertisement follow.
    case incompleteMoreToCome = 1
    /// The controller gave up: the data is truncated and no more will come.
    case incompleteTruncated = 2
    case reserved = 3
}

/// One report of an LE advertising report event, legacy (§7.7.65.2) or extended (§7.7.65.13):
/// both events carry Num_Reports and then the reports one after the other, each with its AD
/// data inside, so one list type (``LEAdvertisingReportList``) frames and walks both.
public protocol LEAdvertisingReportRecord: Equatable, Sendable {
    /// The LE Meta subevent code of the event that carries this kind of report.
    static var subevent: UInt8 { get }
    /// Where the AD data lies within the event packet (ignored when encoding).
    var data: Range<Int> { get }
    /// Reads one report; `cursor` spans the whole event packet so `data` is relative to it.
    init(parsing cursor: inout ByteCursor) throws(WireError)
    /// Appends the report with `data` as its AD data.
    func encode(data: some Collection<UInt8>, into writer: inout ByteWriter)
}

/// The reports of an LE advertising report event (legacy or extended, by `Report`):
///
/// ```
/// +----------+-----------------+-----------+-----------+-----
/// | Subevent | Num_Reports (1) | report[0] | report[1] | ...
/// +----------+-----------------+-----------+-----------+-----
/// ```
///
/// Parsing validates every report's bounds and records where the reports lie; ``forEach(in:base:_:)``
/// then walks them in place.
public struct LEAdvertisingReportList<Report: LEAdvertisingReportRecord>: Equatable, Sendable {
    /// The LE Meta subevent code: 0x02 (legacy) or 0x0D (extended).
    public static var subevent: UInt8 { Report.subevent }

    /// Num_Reports.
    public var count: Int
    /// Where the reports lie within the event packet.
    public var reports: Range<Int>

    public init(count: Int, reports: Range<Int>) {
        self.count = count
        self.reports = reports
    }

    /// Checks every report's bounds; `cursor` spans the whole event packet.
    init(parsing cursor: inout ByteCursor) throws(WireError) {
        count = Int(try cursor.readUInt8("Num_Reports"))
        let start = cursor.position
        for _ in 0..<count { _ = try Report(parsing: &cursor) }
        reports = start..<cursor.position
    }

    /// Calls `body` with each report and its AD data. `packet` is the event packet this
    /// value was parsed from; `base` its offset in the stream, for errors. Inlinable, so that a
    /// scanner in another module walks its reports specialised to their concrete type.
    @inlinable
    public func forEach(in packet: RawSpan, base: Int = 0,
                        _ body: (Report, _ data: RawSpan) throws(WireError) -> Void) throws(WireError) {
        var cursor = ByteCursor(packet, layer: .hci, base: base)
        try cursor.skip(reports.lowerBound, "advertising reports")
        for _ in 0..<count {
            let report = try Report(parsing: &cursor)
            try body(report, packet.extracting(report.data))
        }
    }

    /// Appends the event packet again, its reports copied from `packet` (the packet this value
    /// was parsed from).
    func encode(into writer: inout ByteWriter, copyingFrom packet: RawSpan) {
        writer.writeLEMetaEvent(subevent: Self.subevent) { writer in
            writer.write(UInt8(truncatingIfNeeded: count))
            writer.write(packet, range: reports)
        }
    }

    /// Appends an event packet with these reports and AD data (the reports' `data` ranges are
    /// ignored).
    public static func encode(_ reports: [(report: Report, data: [UInt8])], into writer: inout ByteWriter) {
        writer.writeLEMetaEvent(subevent: subevent) { writer in
            writer.write(UInt8(truncatingIfNeeded: reports.count))
            for entry in reports { entry.report.encode(data: entry.data, into: &writer) }
        }
    }

    /// Appends an event packet with a single report.
    public static func encode(_ report: Report, data: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.writeLEMetaEvent(subevent: subevent) { writer in
            writer.write(1 as UInt8)
            report.encode(data: data, into: &writer)
        }
    }
}

extension HCIEvent {
    /// HCI_LE_Advertising_Report (Core Specification v5.4, Vol 4, Part E, §7.7.65.2): subevent
    /// 0x02, 0x01 ... 0x19 reports (see ``LEAdvertisingReport``).
    public typealias LEAdvertisingReports = LEAdvertisingReportList<LEAdvertisingReport>

    /// HCI_LE_Extended_Advertising_Report (Vol 4, Part E, §7.7.65.13): subevent 0x0D,
    /// 0x01 ... 0x0A reports (see ``LEExtendedAdvertisingReport``).
    public typealias LEExtendedAdvertisingReports = LEAdvertisingReportList<LEExtendedAdvertisingReport>
    /// One report of HCI_LE_Advertising_Report.
    ///
    /// ```
    /// +----------------+------------------+-------------+-----------------+------------+----------+
    /// | Event_Type (1) | Address_Type (1) | Address (6) | Data_Length (1) | Data (len) | RSSI (1) |
    /// +----------------+------------------+-------------+-----------------+------------+----------+
    /// ```
    public struct LEAdvertisingReport: LEAdvertisingReportRecord {
        public static let fixedSize = 10
        public static var subevent: UInt8 { 0x02 }

        public var eventType: LEAdvertisingEventType
        /// 0x00 public, 0x01 random, 0x02 public identity, 0x03 random (static) identity
        /// (see `AddressType`).
        public var addressType: UInt8
        public var address: BDAddress
        /// In dBm; 127 means not available.
        public var rssi: Int8
        /// Where the AD data lies within the event packet (ignored when encoding).
        public var data: Range<Int>

        public init(eventType: LEAdvertisingEventType, addressType: UInt8, address: BDAddress, rssi: Int8,
                    data: Range<Int> = 0..<0) {
            self.eventType = eventType
            self.addressType = addressType
            self.address = address
            self.rssi = rssi
            self.data = data
        }

        /// `addressType` as an `AddressType`, when it is one.
        public var knownAddressType: AddressType? { AddressType(rawValue: addressType) }

        /// Reads one report; `cursor` spans the whole event packet so `data` is relative to it.
        public init(parsing cursor: inout ByteCursor) throws(WireError) {
            eventType = try cursor.readHCIEnum(LEAdvertisingEventType.self, "Event_Type")
            addressType = try cursor.readUInt8("Address_Type")
            address = try cursor.readAddress("Address")
            let length = Int(try cursor.readUInt8("Data_Length"))
            data = try cursor.readRange(length, "Data")
            rssi = try cursor.readInt8("RSSI")
        }

        public func encode(data: some Collection<UInt8>, into writer: inout ByteWriter) {
            writer.write(eventType.rawValue)
            writer.write(addressType)
            writer.write(address)
            writer.write(UInt8(truncatingIfNeeded: data.count))
            writer.write(contentsOf: data)
            writer.write(rssi)
        }
    }

    /// One report of HCI_LE_Extended_Advertising_Report (Vol 4, Part E, §7.7.65.13).
    ///
    /// ```
    /// +----------------+------------------+-------------+-----------------+-------------------+
    /// | Event_Type (2) | Address_Type (1) | Address (6) | Primary_PHY (1) | Secondary_PHY (1) |
    /// +----------------+------------------+-------------+-----------------+-------------------+
    /// | Advertising_SID (1) | TX_Power (1) | RSSI (1) | Periodic_Advertising_Interval (2)      |
    /// +---------------------+--------------+----------+----------------------------------------+
    /// | Direct_Address_Type (1) | Direct_Address (6) | Data_Length (1) | Data (Data_Length)    |
    /// +-------------------------+--------------------+-----------------+-----------------------+
    /// Event_Type bits: 0 connectable, 1 scannable, 2 directed, 3 scan response,
    ///                  4 legacy PDU, 5-6 data status
    /// ```
    public struct LEExtendedAdvertisingReport: LEAdvertisingReportRecord {
        public static let fixedSize = 24
        public static var subevent: UInt8 { 0x0D }

        /// The Event_Type bit field; see the computed properties.
        public var eventType: UInt16
        /// As `LEAdvertisingReport.addressType`, plus 0xFF: anonymous (no address sent).
        public var addressType: UInt8
        public var address: BDAddress
        /// 0x01 LE 1M, 0x03 LE Coded.
        public var primaryPHY: UInt8
        /// 0x00 none (legacy), 0x01 LE 1M, 0x02 LE 2M, 0x03 LE Coded.
        public var secondaryPHY: UInt8
        /// Advertising set ID 0x00...0x0F; 0xFF when no ADI field was sent.
        public var advertisingSID: UInt8
        /// In dBm; 127 means not available.
        public var txPower: Int8
        /// In dBm; 127 means not available.
        public var rssi: Int8
        /// In units of 1.25 ms; 0 when there is no periodic advertising.
        public var periodicAdvertisingInterval: UInt16
        /// For directed advertising: 0x00...0x03 as `addressType`, 0xFE unresolved RPA.
        public var directAddressType: UInt8
        public var directAddress: BDAddress
        /// Where the AD data lies within the event packet (ignored when encoding).
        public var data: Range<Int>

        public init(eventType: UInt16, addressType: UInt8, address: BDAddress, primaryPHY: UInt8 = 0x01,
                    secondaryPHY: UInt8 = 0x00, advertisingSID: UInt8 = 0xFF, txPower: Int8 = 127, rssi: Int8,
                    periodicAdvertisingInterval: UInt16 = 0, directAddressType: UInt8 = 0,
                    directAddress: BDAddress = BDAddress(rawValue: 0), data: Range<Int> = 0..<0) {
            self.eventType = eventType
            self.addressType = addressType
            self.address = address
            self.primaryPHY = primaryPHY
            self.secondaryPHY = secondaryPHY
            self.advertisingSID = advertisingSID
            self.txPower = txPower
            self.rssi = rssi
            self.periodicAdvertisingInterval = periodicAdvertisingInterval
            self.directAddressType = directAddressType
            self.directAddress = directAddress
            self.data = data
        }

        public var isConnectable: Bool { eventType & 0x01 != 0 }
        public var isScannable: Bool { eventType & 0x02 != 0 }
        public var isDirected: Bool { eventType & 0x04 != 0 }
        public var isScanResponse: Bool { eventType & 0x08 != 0 }
        /// Whether a legacy advertising PDU carried this report.
        public var isLegacy: Bool { eventType & 0x10 != 0 }
        public var dataStatus: LEAdvertisingDataStatus {
            LEAdvertisingDataStatus(rawValue: UInt8(truncatingIfNeeded: eventType >> 5) & 0x03) ?? .reserved
        }
        /// `addressType` as an `AddressType`; nil for anonymous advertisers.
        public var knownAddressType: AddressType? { AddressType(rawValue: addressType) }

        /// Reads one report; `cursor` spans the whole event packet so `data` is relative to it.
        public init(parsing cursor: inout ByteCursor) throws(WireError) {
            eventType = try cursor.readUInt16("Event_Type")
            addressType = try cursor.readUInt8("Address_Type")
            address = try cursor.readAddress("Address")
            primaryPHY = try cursor.readUInt8("Primary_PHY")
            secondaryPHY = try cursor.readUInt8("Secondary_PHY")
            advertisingSID = try cursor.readUInt8("Advertising_SID")
            txPower = try cursor.readInt8("TX_Power")
            rssi = try cursor.readInt8("RSSI")
            periodicAdvertisingInterval = try cursor.readUInt16("Periodic_Advertising_Interval")
            directAddressType = try cursor.readUInt8("Direct_Address_Type")
            directAddress = try cursor.readAddress("Direct_Address")
            let length = Int(try cursor.readUInt8("Data_Length"))
            data = try cursor.readRange(length, "Data")
        }

        public func encode(data: some Collection<UInt8>, into writer: inout ByteWriter) {
            writer.write(eventType)
            writer.write(addressType)
            writer.write(address)
            writer.write(primaryPHY)
            writer.write(secondaryPHY)
            writer.write(advertisingSID)
            writer.write(txPower)
            writer.write(rssi)
            writer.write(periodicAdvertisingInterval)
            writer.write(directAddressType)
            writer.write(directAddress)
            writer.write(UInt8(truncatingIfNeeded: data.count))
            writer.write(contentsOf: data)
        }
    }
}

