// The upload batch on the wire, version 1: the body of `POST /v1/ingest` before its
// Content-Encoding (gzip recommended; ContentCoding.swift). Integers are little-endian,
// floats IEEE 754 binary64 little-endian, as the gateway's ARM and x86 boards hold them, so
// both sides read a row with unaligned loads and no byte swapping.
//
//   offset  size  field
//        0     4  magic "GWUB" (47 57 55 42)
//        4     2  version = 1
//        6     2  flags: reserved, 0
//        8     4  S, string count            (each count at most 4,194,304)
//       12     4  N, sample count
//       16     4  E, device event count
//       20     4  M, metric record count
//       24     1  L, batch id length (1...64)
//       25     L  batch id: ASCII A-Z a-z 0-9 . _ : -
//     25+L     2  G, gateway id length (1...65535)
//     27+L     G  gateway id, UTF-8
//              strings, S times:   u16 length (>= 1), UTF-8 bytes without U+0000; referred to by index 0..<S
//              samples, N x 32:    i64 time_us | f64 value | u32 address | u32 quantity
//                                  | u32 unit (0xFFFFFFFF: none) | i32 channel (-1: scalar)
//              events, E x 24:     i64 time_us | u32 address | u32 kind
//                                  | u32 detail (0xFFFFFFFF: none) | u32 reserved, 0
//              metric records, M x 48:
//                                  i64 time_us | i64 end_us | f64 value | f64 quality
//                                  | u32 subject | u32 metric | u32 unit
//                                  | u8 subject kind (0 device, 1 wearer)
//                                  | u8 flags (bit 0: end_us present, bit 1: quality present)
//                                  | u16 reserved, 0
//              nothing after the last record.
//
// A body is consistent when every index is below S, every value is finite, every end is not
// before its time and every quality is within 0...1; the collector refuses anything else
// whole (400), storing nothing of it. Fixed-size rows decode at memory speed and deflate
// well (the times and names repeat), which a text format would not give at the collector's
// 1,000,000 samples/s target.

extension UploadBatch {
    static let magic: [UInt8] = Array("GWUB".utf8)
    /// The version this code writes and reads.
    public static let wireVersion: UInt16 = 1
    static let headerSize = 24
    static let sampleSize = 32
    static let eventSize = 24
    static let metricRecordSize = 48
    static let hasEnd: UInt8 = 1 << 0
    static let hasQuality: UInt8 = 1 << 1

    // MARK: Encoding

    /// The batch in wire form, uncompressed.
    ///
    /// - Throws: ``UploadFormatError/tooManyRows(kind:count:)`` when a kind of row (or the
    ///   string table) is past ``maximumRowCount``: split the batch;
    ///   ``UploadFormatError/emptyString(offset:)`` when a row names an empty string.
    public func encoded() throws(UploadFormatError) -> [UInt8] {
        for (kind, count) in [("strings", strings.count), ("samples", samples.count),
                              ("events", events.count), ("metric records", metricRecords.count)]
        where count > Self.maximumRowCount {
            throw .tooManyRows(kind: kind, count: count)
        }
        var size = Self.headerSize + 1 + id.utf8.count + 2 + gatewayID.utf8.count
        for string in strings { size += 2 + string.utf8.count }
        size += samples.count * Self.sampleSize + events.count * Self.eventSize
            + metricRecords.count * Self.metricRecordSize
        var out = WireWriter(capacity: size)
        out.bytes.append(contentsOf: Self.magic)
        out.append(Self.wireVersion)
        out.append(UInt16(0))
        for count in [strings.count, samples.count, events.count, metricRecords.count] { out.append(UInt32(count)) }
        out.bytes.append(UInt8(id.utf8.count))
        out.bytes.append(contentsOf: id.utf8)
        out.append(UInt16(gatewayID.utf8.count))
        out.bytes.append(contentsOf: gatewayID.utf8)
        for string in strings {
            guard !string.isEmpty else { throw .emptyString(offset: out.bytes.count) }
            out.append(UInt16(string.utf8.count))
            out.bytes.append(contentsOf: string.utf8)
        }
        for sample in samples {
            out.append(sample.timeMicros)
            out.append(sample.value.bitPattern)
            out.append(sample.address.index)
            out.append(sample.quantity.index)
            out.append(sample.unit?.index ?? StringRef.absent)
            out.append(sample.channel)
        }
        for event in events {
            out.append(event.timeMicros)
            out.append(event.address.index)
            out.append(event.kind.index)
            out.append(event.detail?.index ?? StringRef.absent)
            out.append(UInt32(0))
        }
        for record in metricRecords {
            out.append(record.timeMicros)
            out.append(record.endMicros ?? 0)
            out.append(record.value.bitPattern)
            out.append((record.quality ?? 0).bitPattern)
            out.append(record.subject.index)
            out.append(record.metric.index)
            out.append(record.unit.index)
            out.bytes.append(record.subjectKind.rawValue)
            out.bytes.append((record.endMicros == nil ? 0 : Self.hasEnd) | (record.quality == nil ? 0 : Self.hasQuality))
            out.append(UInt16(0))
        }
        return out.bytes
    }

    // MARK: Decoding

    /// Decodes and checks a batch in wire form (uncompressed: see ``ContentCoding/decode(_:limit:)``).
    ///
    /// Never traps: every length and index is checked before it is used, and the first
    /// problem is thrown with its byte offset.
    public init(decoding body: [UInt8]) throws(UploadFormatError) {
        // withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.
        let result = body.withUnsafeBytes { buffer in
            Result { () throws(UploadFormatError) in try Self.decode(buffer) }
        }
        self = try result.get()
    }

    /// ``init(decoding:)`` over borrowed bytes.
    public static func decode(_ buffer: UnsafeRawBufferPointer) throws(UploadFormatError) -> UploadBatch {
        var reader = WireReader(buffer: buffer)
        try reader.require(headerSize)
        guard buffer[0] == magic[0], buffer[1] == magic[1], buffer[2] == magic[2], buffer[3] == magic[3] else {
            throw .badMagic
        }
        reader.offset = 4
        let version: UInt16 = reader.load()
        guard version == wireVersion else { throw .unsupportedVersion(version) }
        let flags: UInt16 = reader.load()
        guard flags == 0 else { throw .reservedBitsSet(offset: 6) }
        var counts: [Int] = []
        for kind in ["strings", "samples", "events", "metric records"] {
            let count = Int(reader.load() as UInt32)
            guard count <= maximumRowCount else { throw .tooManyRows(kind: kind, count: count) }
            counts.append(count)
        }
        let (stringCount, sampleCount, eventCount, recordCount) = (counts[0], counts[1], counts[2], counts[3])

        try reader.require(1)
        let idOffset = reader.offset
        let idLength = Int(reader.load() as UInt8)
        let id = try reader.string(length: idLength, at: idOffset)
        guard isValidID(id) else { throw .invalidBatchID(id) }
        try reader.require(2)
        let gatewayOffset = reader.offset
        let gatewayLength = Int(reader.load() as UInt16)
        let gatewayID = try reader.string(length: gatewayLength, at: gatewayOffset)
        guard !gatewayID.isEmpty else { throw .invalidGatewayID(gatewayID) }

        // Every string needs at least 3 bytes: refuse a count the body cannot hold before
        // reserving room for it.
        try reader.require(stringCount * 3)
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount {
            try reader.require(2)
            let offset = reader.offset
            let length = Int(reader.load() as UInt16)
            let string = try reader.string(length: length, at: offset)
            guard !string.isEmpty else { throw .emptyString(offset: offset) }
            strings.append(string)
        }
        let limit = UInt32(stringCount)

        let rowBytes = sampleCount * sampleSize + eventCount * eventSize + recordCount * metricRecordSize
        try reader.require(rowBytes)
        if reader.remaining > rowBytes {
            throw .trailingBytes(offset: reader.offset + rowBytes, count: reader.remaining - rowBytes)
        }

        var samples: [Sample] = []
        samples.reserveCapacity(sampleCount)
        for _ in 0..<sampleCount {
            let offset = reader.offset
            let time: Int64 = reader.load()
            let value = Double(bitPattern: reader.load())
            let address: UInt32 = reader.load()
            let quantity: UInt32 = reader.load()
            let unit: UInt32 = reader.load()
            let channel: Int32 = reader.load()
            guard value.isFinite else { throw .nonFiniteValue(offset: offset) }
            guard address < limit, quantity < limit, unit < limit || unit == StringRef.absent else {
                throw .stringOutOfRange(offset: offset, index: max(address, quantity, unit == StringRef.absent ? 0 : unit))
            }
            samples.append(Sample(timeMicros: time, value: value, address: StringRef(index: address),
                                  quantity: StringRef(index: quantity),
                                  unit: unit == StringRef.absent ? nil : StringRef(index: unit), channel: channel))
        }

        var events: [DeviceEvent] = []
        events.reserveCapacity(eventCount)
        for _ in 0..<eventCount {
            let offset = reader.offset
            let time: Int64 = reader.load()
            let address: UInt32 = reader.load()
            let kind: UInt32 = reader.load()
            let detail: UInt32 = reader.load()
            let reserved: UInt32 = reader.load()
            guard reserved == 0 else { throw .reservedBitsSet(offset: offset + 20) }
            guard address < limit, kind < limit, detail < limit || detail == StringRef.absent else {
                throw .stringOutOfRange(offset: offset, index: max(address, kind, detail == StringRef.absent ? 0 : detail))
            }
            events.append(DeviceEvent(timeMicros: time, address: StringRef(index: address), kind: StringRef(index: kind),
                                      detail: detail == StringRef.absent ? nil : StringRef(index: detail)))
        }

        var records: [MetricRecordRow] = []
        records.reserveCapacity(recordCount)
        for _ in 0..<recordCount {
            let offset = reader.offset
            let time: Int64 = reader.load()
            let end: Int64 = reader.load()
            let value = Double(bitPattern: reader.load())
            let quality = Double(bitPattern: reader.load())
            let subject: UInt32 = reader.load()
            let metric: UInt32 = reader.load()
            let unit: UInt32 = reader.load()
            let kindRaw: UInt8 = reader.load()
            let rowFlags: UInt8 = reader.load()
            let reserved: UInt16 = reader.load()
            guard let kind = SubjectKind(rawValue: kindRaw) else {
                throw .unknownSubjectKind(offset: offset + 36, raw: kindRaw)
            }
            guard rowFlags & ~(hasEnd | hasQuality) == 0, reserved == 0 else {
                throw .reservedBitsSet(offset: offset + 37)
            }
            guard value.isFinite else { throw .nonFiniteValue(offset: offset) }
            guard subject < limit, metric < limit, unit < limit else {
                throw .stringOutOfRange(offset: offset, index: max(subject, metric, unit))
            }
            let hasEndTime = rowFlags & hasEnd != 0
            if hasEndTime, end < time { throw .endBeforeTime(offset: offset) }
            let hasQualityValue = rowFlags & hasQuality != 0
            if hasQualityValue, !(0...1).contains(quality) { throw .qualityOutOfRange(offset: offset) }
            records.append(MetricRecordRow(
                timeMicros: time, endMicros: hasEndTime ? end : nil, value: value,
                quality: hasQualityValue ? quality : nil, subjectKind: kind, subject: StringRef(index: subject),
                metric: StringRef(index: metric), unit: StringRef(index: unit)))
        }
        return UploadBatch(id: id, gatewayID: gatewayID, strings: strings, samples: samples, events: events,
                           metricRecords: records)
    }
}

/// Appends little-endian scalars.
struct WireWriter {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads little-endian scalars from borrowed bytes. ``require(_:)`` checks a span once; the
/// loads after it are unchecked and unaligned (STYLE.md: one bounds check, then loads).
struct WireReader {
    let buffer: UnsafeRawBufferPointer
    var offset = 0

    var remaining: Int { buffer.count - offset }

    func require(_ count: Int) throws(UploadFormatError) {
        guard count <= remaining else { throw .truncated(offset: offset, needed: count - remaining) }
    }

    /// Only after ``require(_:)`` covered it.
    mutating func load<T: FixedWidthInteger>() -> T {
        let value = buffer.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    /// `length` bytes of UTF-8 after the length field that started at `fieldOffset`.
    mutating func string(length: Int, at fieldOffset: Int) throws(UploadFormatError) -> String {
        try require(length)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length])
        offset += length
        // U+0000 is valid UTF-8, but PostgreSQL's text cannot hold it (SQLSTATE 22021), and no
        // address, name or unit has one: refused here, for both storages alike.
        guard !bytes.contains(0), let string = String(validating: bytes, as: UTF8.self) else {
            throw .invalidUTF8(offset: fieldOffset)
        }
        return string
    }
}
