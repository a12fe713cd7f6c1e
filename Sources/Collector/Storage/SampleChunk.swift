import UploadFormat

/// Samples of one series (tenant, device, quantity, unit) stored together in one row of the
/// SQLite storage's `sample_chunk`: a batch's samples of a series, sorted by time then place
/// in the batch, up to ``maximumCount`` a row. One row, two index entries and three BLOBs per
/// chunk instead of a row and an index entry per sample is what lets one core store a
/// million samples a second (Benchmarks/CollectorBenchmarks).
///
/// Columns, each a BLOB:
/// - `times`: for each sample, the difference from the previous sample's time (the first
///   from `start_us`), zigzag-mapped (0, -1, 1, -2 -> 0, 1, 2, 3) and written as an unsigned
///   LEB128 varint: a steady stream costs one or two bytes a sample;
/// - `channels`: each channel (-1 for a scalar) zigzag-mapped, as a varint;
/// - `places`: each sample's place in its batch, as the difference from the previous one's
///   (the first from 0), zigzag-mapped, as a varint;
/// - `sample_values`: each value's IEEE 754 binary64 bit pattern, little-endian.
///
/// A sample's place in the collector's order is (time, ``row(batch:place:)``): the batch's
/// row id (growing as batches are stored) times 2^22, plus the sample's place in the batch,
/// exactly as the PostgreSQL storage numbers its sample rows, so that both order samples of
/// one time by arrival, and a page cursor is that pair.
struct SampleChunk: Equatable {
    var times: [Int64] = []
    var channels: [Int32] = []
    var places: [Int32] = []
    var values: [Double] = []

    /// Samples a chunk holds at most.
    static let maximumCount = 4096

    var count: Int { times.count }

    /// A sample's row number: its batch's row id times 2^22 (``UploadBatch/maximumRowCount``:
    /// no batch has more samples), plus its place in the batch.
    static func row(batch: Int64, place: Int32) -> Int64 { batch &* (1 << 22) &+ Int64(place) }

    /// One series' samples of a batch as chunks: `places` (the samples' places in the batch,
    /// in batch order) sorted by time then place and cut every ``maximumCount``.
    static func chunks(of places: [Int32], in samples: UnsafeBufferPointer<UploadBatch.Sample>) -> [SampleChunk] {
        var sorted = places
        sorted.sort { lhs, rhs in
            let (left, right) = (samples[Int(lhs)].timeMicros, samples[Int(rhs)].timeMicros)
            return left != right ? left < right : lhs < rhs
        }
        return stride(from: 0, to: sorted.count, by: maximumCount).map { piece in
            var chunk = SampleChunk()
            let rows = sorted[piece..<min(piece + maximumCount, sorted.count)]
            chunk.times.reserveCapacity(rows.count)
            chunk.channels.reserveCapacity(rows.count)
            chunk.places.reserveCapacity(rows.count)
            chunk.values.reserveCapacity(rows.count)
            for row in rows {
                let sample = samples[Int(row)]
                chunk.times.append(sample.timeMicros)
                chunk.channels.append(sample.channel)
                chunk.places.append(row)
                chunk.values.append(sample.value)
            }
            return chunk
        }
    }

    // MARK: Encoding

    struct Encoded {
        var start: Int64
        var end: Int64
        var times: [UInt8]
        var channels: [UInt8]
        var places: [UInt8]
        var values: [UInt8]
    }

    /// The columns of samples already sorted by (time, place); at least one.
    func encoded() -> Encoded {
        var timeBytes: [UInt8] = [], channelBytes: [UInt8] = [], placeBytes: [UInt8] = [], valueBytes: [UInt8] = []
        timeBytes.reserveCapacity(count * 2)
        channelBytes.reserveCapacity(count)
        placeBytes.reserveCapacity(count * 2)
        valueBytes.reserveCapacity(count * 8)
        var previousTime = times[0]
        var previousPlace: Int32 = 0
        for index in 0..<count {
            Self.appendVarint(Self.zigzag(times[index] &- previousTime), to: &timeBytes)
            previousTime = times[index]
            Self.appendVarint(Self.zigzag(Int64(channels[index])), to: &channelBytes)
            Self.appendVarint(Self.zigzag(Int64(places[index]) - Int64(previousPlace)), to: &placeBytes)
            previousPlace = places[index]
            withUnsafeBytes(of: values[index].bitPattern.littleEndian) { valueBytes.append(contentsOf: $0) }
        }
        return Encoded(start: times[0], end: times[count - 1], times: timeBytes, channels: channelBytes,
                       places: placeBytes, values: valueBytes)
    }

    static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    static func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    // MARK: Decoding

    /// A chunk whose columns do not hold `count` samples: the database was changed by
    /// something else, or damaged.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// Decodes the columns of a chunk of `count` samples from `start`, checking every length.
    init(start: Int64, count: Int, times: UnsafeRawBufferPointer, channels: UnsafeRawBufferPointer,
         places: UnsafeRawBufferPointer, values: UnsafeRawBufferPointer) throws(Malformed) {
        guard (1...Self.maximumCount).contains(count) else { throw Malformed(description: "a chunk of \(count) samples") }
        guard values.count == count * 8 else {
            throw Malformed(description: "\(values.count) value bytes for \(count) samples")
        }
        self.times.reserveCapacity(count)
        self.channels.reserveCapacity(count)
        self.places.reserveCapacity(count)
        self.values.reserveCapacity(count)
        var timeOffset = 0, channelOffset = 0, placeOffset = 0
        var time = start
        var place: Int64 = 0
        for index in 0..<count {
            time = time &+ Self.unzigzag(try Self.varint(times, &timeOffset))
            let channel = Self.unzigzag(try Self.varint(channels, &channelOffset))
            guard let narrow = Int32(exactly: channel) else { throw Malformed(description: "channel \(channel)") }
            place = place &+ Self.unzigzag(try Self.varint(places, &placeOffset))
            guard let placeInBatch = Int32(exactly: place), placeInBatch >= 0 else {
                throw Malformed(description: "place \(place) in a batch")
            }
            self.times.append(time)
            self.channels.append(narrow)
            self.places.append(placeInBatch)
            self.values.append(Double(bitPattern: UInt64(littleEndian: values.loadUnaligned(fromByteOffset: index * 8,
                                                                                            as: UInt64.self))))
        }
        guard timeOffset == times.count, channelOffset == channels.count, placeOffset == places.count else {
            throw Malformed(description: "bytes after the last sample")
        }
    }

    init() {}

    static func varint(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) throws(Malformed) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 64 else { throw Malformed(description: "a varint runs past its column") }
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }
}
