// The decode path the benchmarks measure, shared with DecodeProfile (a small driver for
// callgrind/perf): H4 bytes -> framer -> ACL -> L2CAP -> ATT -> PayloadProgram.decode into a
// sink defined here, outside BLEWire, as an application's would be.
import BLEWire
import ProtocolSpecs

/// Notifications (or packets, or events) processed by one benchmark iteration.
public let unitsPerIteration = 1000

/// Mutable state kept across iterations (created before measuring, so its buffers'
/// allocations are not counted).
public final class StateBox<Value>: @unchecked Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}

/// The per-stream state of the decoder: framer, reassembler and sink. A class with one
/// stored property each, so that the three can be passed `inout` at once (exclusivity is
/// enforced per stored property of a class instance).
public final class DecodeState: @unchecked Sendable {
    public var framer = H4Framer()
    public var reassembler = L2CAPReassembler(maximumPDUSize: 517 + L2CAPBasicHeader.size)
    public var sink = SummingSink()

    public init() {}
}

// MARK: The decode path

/// H4 bytes -> H4Framer -> ACLDataHeader -> L2CAPReassembler -> ATTPDU -> handle lookup ->
/// PayloadProgram.decode into `sink`. Returns the number of notifications decoded.
@inline(never)
public func decode(
    _ stream: RawSpan, readSize: Int?, table: HandleTable,
    framer: inout H4Framer, reassembler: inout L2CAPReassembler, sink: inout SummingSink
) throws(WireError) -> Int {
    var notifications = 0
    let count = stream.byteCount
    var position = 0
    // The table's programs through a pointer taken once per call, and its slots inline:
    // then the per-packet closures capture nothing that needs reference counting.
    try table.programs.withUnsafeBufferPointer { (programs) throws(WireError) in
        let slots = table.slots
        while position < count {
            let end = readSize.map { Swift.min(position + $0, count) } ?? count
            try framer.feed(stream.extracting(position..<end)) { (type, packet, offset) throws(WireError) in
                guard type == .aclData else { return }
                let acl = try ACLDataHeader(parsing: packet, base: offset)
                try reassembler.push(
                    handle: acl.connectionHandle, boundary: acl.boundary,
                    fragment: packet.extracting(acl.payload), offset: offset &+ acl.payload.lowerBound
                ) { (frame) throws(WireError) in
                    guard frame.channelID == .att else { return }
                    let pdu = try ATTPDU(parsing: frame.payload, base: frame.payloadOffset)
                    guard case .handleValueNotification(let handle, let value) = pdu else { return }
                    guard let slot = HandleTable.slot(for: handle.rawValue, in: slots) else { return }
                    try programs[slot].decode(frame.payload.extracting(value), into: &sink,
                                              base: frame.payloadOffset &+ value.lowerBound)
                    notifications &+= 1
                }
            }
            position = end
        }
    }
    return notifications
}

/// ATT handle -> compiled payload program, built once: a flat array indexed by handle.
public struct HandleTable: @unchecked Sendable {
    public var programs: [PayloadProgram] = []
    /// Handle -> index in `programs`, -1 for none (handles above 255 are not used here).
    public var slots = InlineArray<256, Int8>(repeating: -1)

    public init() {}

    public mutating func add(handle: UInt16, _ program: PayloadProgram) {
        slots[Int(handle)] = Int8(programs.count)
        programs.append(program)
    }

    @inline(__always)
    public static func slot(for handle: UInt16, in slots: InlineArray<256, Int8>) -> Int? {
        let index = Int(handle)
        guard index < 256 else { return nil }
        let slot = slots[index]
        return slot < 0 ? nil : Int(slot)
    }
}

/// A sink that only sums what it is given: stands in for one that stores samples into a
/// preallocated ring, without making the benchmark measure that store.
public struct SummingSink: PayloadSink {
    public var sum = 0.0
    public var values = 0

    public init() {}

    @inline(__always) public mutating func integer(_ value: Int64, field: PayloadFieldRef) { sum += Double(value); values &+= 1 }
    @inline(__always) public mutating func number(_ value: Double, field: PayloadFieldRef) { sum += value; values &+= 1 }
    @inline(__always) public mutating func special(_ value: IEEE11073Special, field: PayloadFieldRef) { values &+= 1 }
    @inline(__always) public mutating func bool(_ value: Bool, field: PayloadFieldRef) { sum += value ? 1 : 0; values &+= 1 }
    @inline(__always) public mutating func label(_ label: Int, raw: Int64, field: PayloadFieldRef) { sum += Double(raw); values &+= 1 }
    @inline(__always) public mutating func text(_ utf8: RawSpan, field: PayloadFieldRef) { values &+= utf8.byteCount }
    @inline(__always) public mutating func bytes(_ bytes: RawSpan, field: PayloadFieldRef) { values &+= bytes.byteCount }
    @inline(__always) public mutating func null(field: PayloadFieldRef) {}
    @inline(__always) public mutating func beginArray(field: PayloadFieldRef) {}
    @inline(__always) public mutating func endArray(field: PayloadFieldRef) {}
    @inline(__always) public mutating func beginObject(field: PayloadFieldRef) {}
    @inline(__always) public mutating func endObject(field: PayloadFieldRef) {}
}

/// Parses an LE Advertising Report event, walks its reports and their AD structures.
@inline(never)
public func walkAdvertisingReport(_ event: RawSpan) throws(WireError) -> Int {
    guard case .leAdvertisingReport(let reports) = try HCIEvent(parsing: event) else { return 0 }
    var checksum = 0
    try reports.forEach(in: event) { (report, data) throws(WireError) in
        checksum &+= Int(report.rssi)
        var iterator = ADStructureIterator(data)
        while let structure = try iterator.next() {
            checksum &+= Int(structure.type.rawValue) &+ structure.data.byteCount
        }
    }
    return checksum
}

// MARK: Fixture

/// The byte streams, built once: 1000 notifications per stream, so one iteration = 1000 units.
public struct DecodeFixture: @unchecked Sendable {
    public static let heartRateHandle: UInt16 = 0x0010
    public static let insoleHandle: UInt16 = 0x0020
    public static let connectionHandle: UInt16 = 0x0040

    public var table = HandleTable()
    public var heartRateStream: [UInt8] = []
    public var insoleStream: [UInt8] = []
    public var mixedStream: [UInt8] = []
    public var advertisingReportEvent: [UInt8] = []
    public var notificationCount: Int { unitsPerIteration }

    public static func make() -> DecodeFixture {
        let catalog: ProtocolCatalog
        do {
            catalog = try ProtocolCatalog.load(directories: [ProtocolCatalog.repositoryProtocolsDirectory])
        } catch {
            fatalError("cannot load Protocols/: \(error)")
        }
        guard let heartRate = catalog.spec(forCharacteristic: BluetoothUUID(UInt16(0x2A37))),
              let insoleUUID = BluetoothUUID("67610101-7761-7900-8000-000000000000"),
              let insole = catalog.spec(forCharacteristic: insoleUUID)
        else { fatalError("heart-rate-measurement or gaitway-insole missing from Protocols/") }

        var fixture = DecodeFixture()
        fixture.table.add(handle: heartRateHandle, heartRate.program)
        fixture.table.add(handle: insoleHandle, insole.program)

        let count = unitsPerIteration
        let heartRateValues = Self.heartRateValues
        let insoleValues = Self.insoleValues
        for index in 0..<count {
            fixture.heartRateStream += h4Notification(handle: heartRateHandle, value: heartRateValues[index % heartRateValues.count])
            fixture.insoleStream += h4Notification(handle: insoleHandle, value: insoleValues[index % insoleValues.count])
            fixture.mixedStream += index % 2 == 0
                ? h4Notification(handle: heartRateHandle, value: heartRateValues[index / 2 % heartRateValues.count])
                : h4Notification(handle: insoleHandle, value: insoleValues[index / 2 % insoleValues.count])
        }
        fixture.advertisingReportEvent = Self.advertisingReportEvent

        // Every value must decode, and the sink must see what the specs say.
        for value in heartRateValues { _ = try! heartRate.decodeFields(value) }
        for value in insoleValues { _ = try! insole.decodeFields(value) }
        let state = DecodeState()
        for stream in [fixture.heartRateStream, fixture.insoleStream, fixture.mixedStream] {
            let decoded = try! decode(stream.span.bytes, readSize: 256, table: fixture.table, framer: &state.framer,
                                      reassembler: &state.reassembler, sink: &state.sink)
            precondition(decoded == count, "decoded \(decoded) of \(count) notifications")
        }
        precondition(try! walkAdvertisingReport(fixture.advertisingReportEvent.span.bytes) != 0)
        return fixture
    }

    /// Heart Rate Measurement values (GATT Specification Supplement §3.113), all with RR
    /// intervals. The second is Bumble's `HeartRateMeasurement(75, True, 10, (0.8, 0.78125))`
    /// (a test vector in Protocols/heart-rate-measurement.yaml).
    public static let heartRateValues: [[UInt8]] = [
        [0x16, 72, 0x00, 0x04, 0x33, 0x03],                         // 8-bit, contact, 2 RR
        [0x1E, 0x4B, 0x0A, 0x00, 0x33, 0x03, 0x20, 0x03],           // 8-bit, contact, energy, 2 RR
        [0x17, 0x2C, 0x01, 0x00, 0x04, 0x33, 0x03, 0x20, 0x03],     // 16-bit, contact, 3 RR
        [0x10, 180, 0x55, 0x01],                                    // 8-bit, 1 RR
    ]

    /// gaitway-insole values (Protocols/gaitway-insole.yaml): several frames each, the
    /// frames taken from that spec's test vectors.
    public static let insoleValues: [[UInt8]] = {
        let forces8: [UInt8] = [0x64, 0x80, 0x0C, 0x2C, 0x01, 0x19, 0xF4, 0x81, 0x25, 0xBC, 0x02, 0x32]
        let forces16: [UInt8] = forces8 + [0x84, 0x83, 0x3E, 0x4C, 0x04, 0x4B, 0x14, 0x85, 0x57, 0xDC, 0x05, 0x64]
        let imu: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x10, 0x00, 0xF0, 0xFF, 0x00, 0x00]
        func header(flags: UInt8, sequence: UInt16) -> [UInt8] {
            [flags, UInt8(sequence & 0xFF), UInt8(sequence >> 8), 0xE8, 0x03, 0x00, 0x00, 0x10, 0x27]
        }
        return [
            header(flags: 0x05, sequence: 1) + Array([[UInt8]](repeating: forces8 + imu, count: 4).joined()),  // right, 8 cells + IMU, 4 frames
            header(flags: 0x06, sequence: 2) + Array([[UInt8]](repeating: forces16 + imu, count: 5).joined()), // left, 16 cells + IMU, 5 frames
            header(flags: 0x00, sequence: 3) + Array([[UInt8]](repeating: forces8, count: 8).joined()),        // left, 8 cells, 8 frames
        ]
    }()

    /// An H4 ACL packet carrying one ATT Handle Value Notification, in one L2CAP B-frame.
    ///
    /// ```
    /// 0x02 | handle+PB (2) | ACL length (2) | L2CAP length (2) | CID 0x0004 (2) | 0x1B | ATT handle (2) | value
    /// ```
    public static func h4Notification(handle: UInt16, value: [UInt8]) -> [UInt8] {
        let att = [0x1B, UInt8(handle & 0xFF), UInt8(handle >> 8)] + value
        let l2cap = le16(att.count) + le16(0x0004) + att
        let boundary: UInt16 = 0b10 << 12 // first automatically flushable: what a controller sends
        return [0x02] + le16(Int(connectionHandle | boundary)) + le16(l2cap.count) + l2cap
    }

    /// HCI_LE_Advertising_Report (Core v5.4 Vol 4 Part E §7.7.65.2), one connectable report
    /// with Flags, a Complete Local Name, the Heart Rate service UUID and a TX power level.
    public static let advertisingReportEvent: [UInt8] = {
        let name = Array("Gaitway HR".utf8)
        let ad: [UInt8] = [0x02, 0x01, 0x06] + [UInt8(name.count + 1), 0x09] + name + [0x03, 0x03, 0x0D, 0x18] + [0x02, 0x0A, 0x00]
        let report: [UInt8] = [0x00, 0x01, 0xFB, 0xFA, 0xF9, 0xF8, 0xF7, 0xF6, UInt8(ad.count)] + ad + [0xC4]
        let parameters: [UInt8] = [0x02, 0x01] + report
        return [0x3E, UInt8(parameters.count)] + parameters
    }()

    public static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
}
