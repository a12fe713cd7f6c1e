/// A decoded chunk being read front to back: its elements are sorted, so the chunk is a
/// sorted stream, and a query merges the streams of every chunk it touches.
protocol ChunkStream {
    /// Gateway time of the current element.
    var currentTime: Int64 { get }
    /// Whether every element was consumed.
    var isExhausted: Bool { get }
    mutating func advance()
    /// Whether the current element of `lhs` comes before that of `rhs` in the query's
    /// order; never equal for two different streams (the chunk id breaks ties).
    static func precedes(_ lhs: Self, _ rhs: Self) -> Bool
}

/// A k-way merge of chunk streams with a binary min-heap on their current elements.
///
/// Chunks are read in order of `start_us`, and chunks of different commits may overlap
/// in time (samples placed by a device clock fit can land before the previous commit's
/// end), so the reader adds a chunk before emitting anything at or after its start:
/// an element is final once its time is below the start of every chunk not yet added.
struct ChunkMerge<Stream: ChunkStream> {
    private var heap: [Stream] = []

    var isEmpty: Bool { heap.isEmpty }

    /// Time of the element that comes next, if any.
    var earliestTime: Int64? { heap.first?.currentTime }

    /// Adds a stream (ignored when empty).
    mutating func add(_ stream: Stream) {
        guard !stream.isExhausted else { return }
        heap.append(stream)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Stream.precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Calls `body` with the stream whose current element comes first, then moves that
    /// stream past the element.
    mutating func consumeFirst(_ body: (Stream) throws -> Void) rethrows {
        try body(heap[0])
        heap[0].advance()
        if heap[0].isExhausted {
            let last = heap.removeLast()
            guard !heap.isEmpty else { return }
            heap[0] = last
        }
        siftDown()
    }

    private mutating func siftDown() {
        var parent = 0
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var first = left
            let right = left + 1
            if right < count && Stream.precedes(heap[right], heap[left]) { first = right }
            guard Stream.precedes(heap[first], heap[parent]) else { return }
            heap.swapAt(first, parent)
            parent = first
        }
    }
}

/// A `sample_chunk` row, decoded, limited to the query's time range.
struct SampleChunkStream: ChunkStream {
    let chunkID: Int64
    /// Positions of the device's address and the quantity's name in sorted order, so
    /// the merge compares integers instead of strings.
    let addressRank: Int32
    let quantityRank: Int32
    let address: String
    let quantity: String
    let unit: String?
    private(set) var gatewayTimes: [Int64]
    /// Device times, `Int64.min` where `hasDeviceTime` says there is none.
    private(set) var deviceTimes: [Int64]?
    private(set) var hasDeviceTime: [Bool]?
    private(set) var channels: [Int]
    private(set) var values: [Double]
    private var position: Int
    private let end: Int

    /// Decodes the columns of a chunk of `count` samples starting at `start`, keeping
    /// those in `from ..< to`.
    init(
        chunkID: Int64, addressRank: Int32, quantityRank: Int32, address: String, quantity: String, unit: String?,
        start: Int64, count: Int, gatewayTimes gatewayTimeBytes: UnsafeRawBufferPointer,
        deviceTimes deviceTimeBytes: UnsafeRawBufferPointer?, channels channelBytes: UnsafeRawBufferPointer,
        values valueBytes: UnsafeRawBufferPointer, from: Int64?, to: Int64?
    ) throws(MalformedChunk) {
        self.chunkID = chunkID
        self.addressRank = addressRank
        self.quantityRank = quantityRank
        self.address = address
        self.quantity = quantity
        self.unit = unit
        let format = try ChunkFormat.of(gatewayTimeBytes, count: count)
        if format == ChunkFormat.compact {
            var timeReader = ByteReader(UnsafeRawBufferPointer(rebasing: gatewayTimeBytes.dropFirst()))
            gatewayTimes = try IntegerColumn.decode(&timeReader, count: count, base: start, channels: nil)
            try timeReader.expectEnd("gateway_times")
        } else {
            gatewayTimes = try decodeOriginalTimes(gatewayTimeBytes, count: count, start: start)
        }
        var first = 0
        var last = count
        if let from { while first < last && gatewayTimes[first] < from { first += 1 } }
        if let to { while last > first && gatewayTimes[last - 1] >= to { last -= 1 } }
        position = first
        end = last

        if let deviceTimeBytes {
            var reader = ByteReader(deviceTimeBytes)
            let flag = try reader.byte()
            var presence: [Bool]?
            var present = count
            switch flag {
            case 0:
                break
            case 1:
                let bitmap = try reader.bytes((count + 7) / 8)
                let flags = (0..<count).map { bitmap[$0 >> 3] & (1 << UInt8($0 & 7)) != 0 }
                present = flags.count { $0 }
                presence = flags
            default:
                throw MalformedChunk(detail: "a sample chunk's device times have an unknown format (\(flag))")
            }
            var times = [Int64](repeating: .min, count: count)
            if format == ChunkFormat.compact {
                let decoded = try IntegerColumn.decode(&reader, count: present, base: 0, channels: nil)
                var next = 0
                for index in 0..<count where presence?[index] ?? true {
                    times[index] = decoded[next]
                    next += 1
                }
            } else {
                var previous: Int64 = 0
                for index in 0..<count where presence?[index] ?? true {
                    previous = previous &+ (try reader.signedVarint())
                    times[index] = previous
                }
            }
            try reader.expectEnd("device_times")
            deviceTimes = times
            hasDeviceTime = presence
        }

        var channelReader = ByteReader(channelBytes)
        channels = []
        channels.reserveCapacity(count)
        if format == ChunkFormat.compact {
            for channel in try IntegerColumn.decode(&channelReader, count: count, base: 0, channels: nil) {
                guard let narrow = Int(exactly: channel) else { throw MalformedChunk(detail: "a channel is out of range") }
                channels.append(narrow)
            }
        } else {
            for _ in 0..<count {
                let channel = try channelReader.signedVarint()
                guard let narrow = Int(exactly: channel) else { throw MalformedChunk(detail: "a channel is out of range") }
                channels.append(narrow)
            }
        }
        try channelReader.expectEnd("channels")

        var valueReader = ByteReader(valueBytes)
        if format == ChunkFormat.compact {
            values = try ValueColumn.decode(&valueReader, count: count, channels: channels)
        } else {
            guard valueBytes.count == count * 8 else {
                throw MalformedChunk(detail: "a sample chunk's values column does not hold \(count) numbers")
            }
            values = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try valueReader.float64()) }
        }
        try valueReader.expectEnd("sample_values")
    }

    var currentTime: Int64 { gatewayTimes[position] }
    var isExhausted: Bool { position >= end }
    mutating func advance() { position += 1 }

    var current: StoredSample {
        let deviceTime: Int64? = deviceTimes.flatMap { times in
            (hasDeviceTime?[position] ?? true) ? times[position] : nil
        }
        return StoredSample(
            gatewayTimeMicros: gatewayTimes[position], deviceTimeMicros: deviceTime, address: address,
            quantity: quantity, unit: unit, channel: channels[position], value: values[position])
    }

    /// Time, then address, quantity name, channel, then arrival: the chunk (later
    /// commits have larger ids) and the position in it (sorted stably at commit).
    static func precedes(_ lhs: Self, _ rhs: Self) -> Bool {
        let (l, r) = (lhs.position, rhs.position)
        if lhs.gatewayTimes[l] != rhs.gatewayTimes[r] { return lhs.gatewayTimes[l] < rhs.gatewayTimes[r] }
        if lhs.addressRank != rhs.addressRank { return lhs.addressRank < rhs.addressRank }
        if lhs.quantityRank != rhs.quantityRank { return lhs.quantityRank < rhs.quantityRank }
        if lhs.channels[l] != rhs.channels[r] { return lhs.channels[l] < rhs.channels[r] }
        if lhs.chunkID != rhs.chunkID { return lhs.chunkID < rhs.chunkID }
        return l < r
    }
}

/// A `raw_chunk` row, decoded, limited to the query's time range.
struct RawChunkStream: ChunkStream {
    let chunkID: Int64
    /// The commit that wrote the chunk (its first chunk's id).
    let batch: Int64
    let address: String
    let source: String
    let uuid: String
    private(set) var gatewayTimes: [Int64]
    /// Index of each payload in its commit's batch: the order of arrival.
    private var arrivals: [Int64]
    /// The payloads of positions `first ..< end` only.
    private var payloads: [[UInt8]]
    private var position: Int
    private let first: Int
    private let end: Int

    init(
        chunkID: Int64, batch: Int64, address: String, source: String, uuid: String, start: Int64, count: Int,
        gatewayTimes gatewayTimeBytes: UnsafeRawBufferPointer, arrivals arrivalBytes: UnsafeRawBufferPointer,
        lengths lengthBytes: UnsafeRawBufferPointer, bytes: UnsafeRawBufferPointer, from: Int64?, to: Int64?
    ) throws(MalformedChunk) {
        self.chunkID = chunkID
        self.batch = batch
        self.address = address
        self.source = source
        self.uuid = uuid
        let format = try ChunkFormat.of(gatewayTimeBytes, count: count)
        var lengths: [Int64]?
        var arrivalReader = ByteReader(arrivalBytes)
        if format == ChunkFormat.compact {
            var timeReader = ByteReader(UnsafeRawBufferPointer(rebasing: gatewayTimeBytes.dropFirst()))
            gatewayTimes = try IntegerColumn.decode(&timeReader, count: count, base: start, channels: nil)
            try timeReader.expectEnd("gateway_times")
            arrivals = try IntegerColumn.decode(&arrivalReader, count: count, base: 0, channels: nil)
            var lengthReader = ByteReader(lengthBytes)
            lengths = try IntegerColumn.decode(&lengthReader, count: count, base: 0, channels: nil)
            try lengthReader.expectEnd("lengths")
        } else {
            gatewayTimes = try decodeOriginalTimes(gatewayTimeBytes, count: count, start: start)
            arrivals = []
            arrivals.reserveCapacity(count)
            var previous: Int64 = 0
            for _ in 0..<count {
                previous = previous &+ (try arrivalReader.signedVarint())
                arrivals.append(previous)
            }
        }
        try arrivalReader.expectEnd("arrivals")
        var first = 0
        var last = count
        if let from { while first < last && gatewayTimes[first] < from { first += 1 } }
        if let to { while last > first && gatewayTimes[last - 1] >= to { last -= 1 } }
        position = first
        self.first = first
        end = last

        // Only the payloads in range are copied out; the lengths of all are needed to
        // find them.
        var lengthReader = ByteReader(lengthBytes)
        var byteReader = ByteReader(bytes)
        payloads = []
        payloads.reserveCapacity(last - first)
        for index in 0..<count {
            let length: UInt64
            if let lengths { length = UInt64(bitPattern: lengths[index]) } else { length = try lengthReader.varint() }
            guard length <= UInt64(bytes.count) else { throw MalformedChunk(detail: "a payload length exceeds its chunk") }
            let payload = try byteReader.bytes(Int(length))
            if index >= first && index < last { payloads.append([UInt8](payload)) }
        }
        if lengths == nil { try lengthReader.expectEnd("lengths") }
        try byteReader.expectEnd("bytes")
    }

    var currentTime: Int64 { gatewayTimes[position] }
    var isExhausted: Bool { position >= end }
    mutating func advance() { position += 1 }

    var current: StoredRawPayload {
        StoredRawPayload(
            gatewayTimeMicros: gatewayTimes[position], address: address, source: source, uuid: uuid,
            bytes: payloads[position - first])
    }

    /// Time, then arrival: the commit, then the position in its batch.
    static func precedes(_ lhs: Self, _ rhs: Self) -> Bool {
        let (l, r) = (lhs.position, rhs.position)
        if lhs.gatewayTimes[l] != rhs.gatewayTimes[r] { return lhs.gatewayTimes[l] < rhs.gatewayTimes[r] }
        if lhs.batch != rhs.batch { return lhs.batch < rhs.batch }
        if lhs.arrivals[l] != rhs.arrivals[r] { return lhs.arrivals[l] < rhs.arrivals[r] }
        return lhs.chunkID < rhs.chunkID
    }
}

/// Decodes the `count` ascending times of chunk format 1, stored as varint differences
/// from the previous one.
private func decodeOriginalTimes(_ bytes: UnsafeRawBufferPointer, count: Int, start: Int64) throws(MalformedChunk) -> [Int64] {
    var reader = ByteReader(bytes)
    var times: [Int64] = []
    times.reserveCapacity(count)
    var previous = start
    for _ in 0..<count {
        previous = previous &+ Int64(bitPattern: try reader.varint())
        times.append(previous)
    }
    try reader.expectEnd("gateway_times")
    return times
}
