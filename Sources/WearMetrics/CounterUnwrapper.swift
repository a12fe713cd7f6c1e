/// Extends a wrapping device counter (a `u32` millisecond timestamp, a `u16` sequence
/// number) to a signed 64-bit value that keeps counting across wraps.
///
/// Each new raw value is read as the step from the previous one that is shortest modulo
/// the counter's range: a step back by more than half the modulus is a wrap forward (from
/// 4 294 967 290 to 10 is +16, not −4 294 967 280), and a step forward by more than half is
/// a small step back across the wrap (a reordered older value). This is the rule of RFC 1982
/// ("Serial Number Arithmetic") and of RTP's extended sequence numbers (RFC 3550, appendix
/// A.1). It cannot tell a wrap from a step back that the counter really took (a reboot): the
/// caller decides that with an independent clock, as ``DeviceClockFit`` does with gateway time.
public struct CounterUnwrapper: Sendable, Equatable {
    /// The number of distinct raw values: the counter counts `0 ..< modulus`.
    public let modulus: UInt64
    /// The last unwrapped value, or `nil` before the first.
    public private(set) var value: Int64?
    /// The highest unwrapped value so far: a wrap is reported only when it moves into a new
    /// lap, so a reordered value from before the wrap does not make a second one.
    private var highest: Int64 = 0

    /// Creates an unwrapper for a counter with `modulus` distinct values.
    ///
    /// - Precondition: `2 <= modulus <= 2^53`, so that every unwrapped value a device
    ///   could reach in practice converts to `Double` exactly.
    public init(modulus: UInt64) {
        precondition(modulus >= 2 && modulus <= 1 << 53, "counter modulus must be in 2...2^53")
        self.modulus = modulus
    }

    /// The value `raw` unwraps to after the last value, without recording it.
    ///
    /// Before the first value, `raw` itself.
    /// - Precondition: `raw < modulus`.
    public func unwrapped(_ raw: UInt64) -> Int64 {
        precondition(raw < modulus, "raw counter value out of range")
        guard let value else { return Int64(raw) }
        let modulus = Int64(modulus)
        var lastRaw = value % modulus
        if lastRaw < 0 { lastRaw += modulus }
        var step = Int64(raw) - lastRaw
        if step < 0 { step += modulus }
        // Steps of at least half the range are read as steps back (see the type's comment).
        if step >= modulus - modulus / 2 { step -= modulus }
        return value + step
    }

    /// Records `raw` as the next counter value.
    ///
    /// - Returns: The unwrapped value, and whether it entered a lap of the counter not
    ///   reached before (the raw counter wrapped).
    @discardableResult
    public mutating func advance(to raw: UInt64) -> (value: Int64, wrapped: Bool) {
        let next = unwrapped(raw)
        let first = value == nil
        value = next
        guard !first else {
            highest = next
            return (next, false)
        }
        let wrapped = lap(of: next) > lap(of: highest)
        highest = max(highest, next)
        return (next, wrapped)
    }

    /// Starts over at `raw`, forgetting the laps counted so far (the counter restarted, as
    /// it does when the firmware reboots).
    ///
    /// - Precondition: `raw < modulus`.
    public mutating func restart(at raw: UInt64) {
        precondition(raw < modulus, "raw counter value out of range")
        value = Int64(raw)
        highest = Int64(raw)
    }

    /// Which lap of the counter an unwrapped value is in (floor division, so that a value
    /// just before the first value's lap counts as the lap before).
    private func lap(of value: Int64) -> Int64 {
        let modulus = Int64(modulus)
        let quotient = value / modulus
        return value % modulus < 0 ? quotient - 1 : quotient
    }
}
