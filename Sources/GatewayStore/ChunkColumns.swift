/// The column encodings of chunk format 2 (see "Schema" in ``GatewayStore``): each column
/// BLOB starts with a tag byte saying how the rest is encoded, and the commit picks, per
/// chunk and column, the smallest of the encodings below. The choice costs one pass per
/// candidate over a chunk of at most 4096 numbers and is exact: every encoding
/// round-trips every input bit for bit.
///
/// Why these encodings: the columns are time series. Sample times on one device are
/// near-periodic, or equal within one notification (an insole notification carries one
/// time for its 60-110 cells), so their differences repeat and runs of equal
/// differences collapse to a few bytes (the delta and delta-of-delta encodings of
/// Gorilla, Pelkonen et al., VLDB 2015, section 4.1.1, here with run lengths instead of
/// bit packing). Channels cycle 0, 1, ..., n-1 within a notification: runs of the
/// difference 1. Decoded BLE values are integers times a power-of-ten resolution (the
/// GATT specs' "M x 10^d" fields), so a chunk's Float64 values are usually exactly
/// `n / 10^k` for small integers `n`, stored as an integer column, whose differences
/// within a channel (one pressure cell over time) are small.
enum IntegerColumn {
    /// How an integer column is transformed before its residuals are written.
    struct Encoding: Equatable {
        /// 0: the values themselves; 1: differences from the previous one; 2:
        /// differences of those differences. The first value's predecessor is the base
        /// (`start_us` for gateway times, 0 otherwise), with a previous difference of 0.
        var order: UInt8
        /// Differences taken within each channel's own subsequence (in chunk order)
        /// rather than from the previous element: a cell's pressure over time.
        var perChannel: Bool
        /// Residuals written as runs: (zigzag residual, run length - 1) pairs of varints,
        /// instead of one zigzag varint each.
        var runs: Bool

        /// The tag byte: bits 0-1 order, bit 2 runs, bit 3 per channel.
        var tag: UInt8 { order | (runs ? 4 : 0) | (perChannel ? 8 : 0) }

        init(order: UInt8, perChannel: Bool, runs: Bool) {
            self.order = order
            self.perChannel = perChannel
            self.runs = runs
        }

        init(tag: UInt8) throws(MalformedChunk) {
            guard tag & ~0x0F == 0, tag & 3 != 3 else {
                throw MalformedChunk(detail: "a chunk column has an unknown integer encoding (\(tag))")
            }
            self.init(order: tag & 3, perChannel: tag & 8 != 0, runs: tag & 4 != 0)
        }
    }

    /// The residuals of `values` under `encoding`: what is written. Wrapping arithmetic,
    /// so that any Int64 round-trips.
    static func residuals(
        _ values: [Int64], base: Int64, order: UInt8, channels: [Int]?, into residuals: inout [Int64]
    ) {
        residuals.removeAll(keepingCapacity: true)
        residuals.reserveCapacity(values.count)
        guard order > 0 else {
            residuals.append(contentsOf: values)
            return
        }
        if let channels {
            var states = ChannelStates(base: base)
            for index in values.indices {
                let value = values[index]
                residuals.append(states.update(channel: channels[index], value: value, order: order))
            }
        } else {
            var state = DifferenceState(previous: base, difference: 0)
            for value in values { residuals.append(state.push(value, order: order)) }
        }
    }

    /// Undoes ``residuals(_:base:order:channels:into:)``.
    static func values(
        fromResiduals residuals: [Int64], base: Int64, order: UInt8, channels: [Int]?
    ) -> [Int64] {
        guard order > 0 else { return residuals }
        var values: [Int64] = []
        values.reserveCapacity(residuals.count)
        if let channels {
            var states = ChannelStates(base: base)
            for index in residuals.indices {
                values.append(states.restore(channel: channels[index], residual: residuals[index], order: order))
            }
        } else {
            var state = DifferenceState(previous: base, difference: 0)
            for residual in residuals { values.append(state.pop(residual, order: order)) }
        }
        return values
    }

    /// Bytes the residuals take written one by one, and as runs.
    static func sizes(_ residuals: [Int64]) -> (single: Int, runs: Int) {
        var single = 0
        var runs = 0
        var index = 0
        while index < residuals.count {
            let value = residuals[index]
            let length = varintLength(ChunkCodec.zigzag(value))
            var end = index + 1
            while end < residuals.count && residuals[end] == value { end += 1 }
            single += length * (end - index)
            runs += length + varintLength(UInt64(end - index - 1))
            index = end
        }
        return (single, runs)
    }

    @inline(__always)
    static func varintLength(_ value: UInt64) -> Int {
        // 7 bits a byte; 0 still takes one.
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
    }

    /// The smallest encoding of `values`: tag byte then residuals. `channels`, when
    /// given, allows the per-channel differences (same count as `values`).
    static func encode(_ values: [Int64], base: Int64, channels: [Int]?) -> [UInt8] {
        var scratch: [Int64] = []
        var best: (encoding: Encoding, size: Int)?
        for perChannel in channels == nil ? [false] : [false, true] {
            for order: UInt8 in 0...2 where !(perChannel && order == 0) {
                residuals(values, base: base, order: order, channels: perChannel ? channels : nil, into: &scratch)
                let (single, runs) = sizes(scratch)
                for (size, isRuns) in [(single, false), (runs, true)] where size < (best?.size ?? .max) {
                    best = (Encoding(order: order, perChannel: perChannel, runs: isRuns), size)
                }
            }
        }
        let encoding = best?.encoding ?? Encoding(order: 0, perChannel: false, runs: false)
        residuals(values, base: base, order: encoding.order,
                  channels: encoding.perChannel ? channels : nil, into: &scratch)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1 + (best?.size ?? 0))
        bytes.append(encoding.tag)
        var index = 0
        while index < scratch.count {
            let value = scratch[index]
            var end = index + 1
            if encoding.runs {
                while end < scratch.count && scratch[end] == value { end += 1 }
                appendVarint(ChunkCodec.zigzag(value), to: &bytes)
                appendVarint(UInt64(end - index - 1), to: &bytes)
            } else {
                appendVarint(ChunkCodec.zigzag(value), to: &bytes)
            }
            index = end
        }
        return bytes
    }

    /// Reads an integer column of `count` values written by ``encode(_:base:channels:)``;
    /// `channels` must be given when the column may be per channel.
    static func decode(
        _ reader: inout ByteReader, count: Int, base: Int64, channels: [Int]?
    ) throws(MalformedChunk) -> [Int64] {
        let encoding = try Encoding(tag: reader.byte())
        var residuals: [Int64] = []
        residuals.reserveCapacity(count)
        while residuals.count < count {
            let value = try reader.signedVarint()
            if encoding.runs {
                let extra = try reader.varint()
                guard extra < UInt64(count - residuals.count) else {
                    throw MalformedChunk(detail: "a run in a chunk column is longer than the chunk")
                }
                residuals.append(contentsOf: repeatElement(value, count: Int(extra) + 1))
            } else {
                residuals.append(value)
            }
        }
        if encoding.perChannel {
            guard let channels else { throw MalformedChunk(detail: "a chunk column is per channel without channels") }
            return values(fromResiduals: residuals, base: base, order: encoding.order, channels: channels)
        }
        return values(fromResiduals: residuals, base: base, order: encoding.order, channels: nil)
    }

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}

/// The previous value and difference of a sequence, for differences of order 1 or 2.
private struct DifferenceState {
    var previous: Int64
    var difference: Int64

    @inline(__always)
    mutating func push(_ value: Int64, order: UInt8) -> Int64 {
        let delta = value &- previous
        let residual = order == 1 ? delta : delta &- difference
        previous = value
        difference = delta
        return residual
    }

    @inline(__always)
    mutating func pop(_ residual: Int64, order: UInt8) -> Int64 {
        let delta = order == 1 ? residual : difference &+ residual
        previous = previous &+ delta
        difference = delta
        return previous
    }
}

/// One ``DifferenceState`` per channel, each starting from the base: an array for the
/// usual small channel numbers (cells, RR indexes, -1 for a scalar), a dictionary else.
private struct ChannelStates {
    let base: Int64
    private var small: [DifferenceState?] = []
    private var other: [Int: DifferenceState] = [:]

    init(base: Int64) { self.base = base }

    @inline(__always)
    private mutating func withState<R>(_ channel: Int, _ body: (inout DifferenceState) -> R) -> R {
        let slot = channel &+ 1
        if slot >= 0 && slot < 1024 {
            if slot >= small.count { small.append(contentsOf: repeatElement(nil, count: slot + 1 - small.count)) }
            var state = small[slot] ?? DifferenceState(previous: base, difference: 0)
            let result = body(&state)
            small[slot] = state
            return result
        }
        var state = other[channel] ?? DifferenceState(previous: base, difference: 0)
        let result = body(&state)
        other[channel] = state
        return result
    }

    mutating func update(channel: Int, value: Int64, order: UInt8) -> Int64 {
        withState(channel) { $0.push(value, order: order) }
    }

    mutating func restore(channel: Int, residual: Int64, order: UInt8) -> Int64 {
        withState(channel) { $0.pop(residual, order: order) }
    }
}

/// The values column of format 2: a tag byte, then
/// - 0: little-endian Float64 bit patterns, 8 bytes each (any value: NaN, -0.0, ...);
/// - 1: a byte `k` (0...9), then an integer column of `n` with every value exactly
///   `Double(n) / 10^k` (bit for bit, so -0.0 and non-integers beyond `k` digits fall back
///   to 0), differences per channel allowed.
enum ValueColumn {
    static let raw: UInt8 = 0
    static let decimal: UInt8 = 1
    static let maximumDecimals = 9
    /// Powers of ten, exact in Float64 up to 10^22.
    static let powers: [Double] = (0...maximumDecimals).map { exponent in
        var power = 1.0
        for _ in 0..<exponent { power *= 10 }
        return power
    }

    /// `value` as `n` with `Double(n) / 10^k == value` bit for bit, or nil.
    @inline(__always)
    static func scaled(_ value: Double, decimals k: Int) -> Int64? {
        let scaled = (value * powers[k]).rounded()
        // Beyond 2^53 integers are no longer all exact in Float64.
        guard scaled.magnitude < 9_007_199_254_740_992 else { return nil }
        let integer = Int64(scaled)
        guard (Double(integer) / powers[k]).bitPattern == value.bitPattern else { return nil }
        return integer
    }

    /// The fewest decimals that make every value an exact `n / 10^k`, with the integers;
    /// nil when there are none up to ``maximumDecimals``.
    static func decimalForm(_ values: [Double]) -> (decimals: Int, integers: [Int64])? {
        var decimals = 0
        // A value exact at k digits is exact at k + 1 (same real number, same rounding),
        // so the search only moves up; the final pass computes every integer at the end k.
        for value in values {
            while scaled(value, decimals: decimals) == nil {
                decimals += 1
                if decimals > maximumDecimals { return nil }
            }
        }
        var integers: [Int64] = []
        integers.reserveCapacity(values.count)
        for value in values {
            guard let integer = scaled(value, decimals: decimals) else { return nil }
            integers.append(integer)
        }
        return (decimals, integers)
    }

    static func encode(_ values: [Double], channels: [Int]) -> [UInt8] {
        if let (decimals, integers) = decimalForm(values) {
            let column = IntegerColumn.encode(integers, base: 0, channels: channels)
            if column.count + 2 < 1 + values.count * 8 { return [decimal, UInt8(decimals)] + column }
        }
        var bytes: [UInt8] = [raw]
        bytes.reserveCapacity(1 + values.count * 8)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    static func decode(_ reader: inout ByteReader, count: Int, channels: [Int]) throws(MalformedChunk) -> [Double] {
        let tag = try reader.byte()
        switch tag {
        case raw:
            guard reader.remaining == count * 8 else {
                throw MalformedChunk(detail: "a sample chunk's values column does not hold \(count) numbers")
            }
            var values: [Double] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try reader.float64()) }
            return values
        case decimal:
            let decimals = Int(try reader.byte())
            guard decimals <= maximumDecimals else {
                throw MalformedChunk(detail: "a sample chunk's values have \(decimals) decimals")
            }
            let power = powers[decimals]
            return try IntegerColumn.decode(&reader, count: count, base: 0, channels: channels)
                .map { Double($0) / power }
        default:
            throw MalformedChunk(detail: "a sample chunk's values have an unknown encoding (\(tag))")
        }
    }
}
