/// Which samples ``GatewayStore/forEachSample(_:_:)`` returns. Nil fields do not filter.
///
/// Times are gateway times in µs since the Unix epoch, as a half-open range
/// `from ..< to`, so consecutive windows neither overlap nor leave gaps.
public struct SampleQuery: Sendable, Equatable {
    /// Only samples of this device (its Bluetooth address, as stored).
    public var address: String?
    /// Only samples of this quantity (`"heart_rate"`, `"plantar_force"`, ...).
    public var quantity: String?
    /// Only samples at or after this gateway time (inclusive).
    public var from: Int64?
    /// Only samples before this gateway time (exclusive).
    public var to: Int64?
    /// At most this many samples, the earliest first. Zero or less returns none.
    public var limit: Int?

    /// A query; with no arguments, every stored sample.
    public init(address: String? = nil, quantity: String? = nil, from: Int64? = nil, to: Int64? = nil, limit: Int? = nil) {
        self.address = address
        self.quantity = quantity
        self.from = from
        self.to = to
        self.limit = limit
    }
}
