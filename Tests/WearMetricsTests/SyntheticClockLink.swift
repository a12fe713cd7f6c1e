import Foundation
import GaitwayTestSupport

/// A device clock as DeviceSim's `DeviceClock` models it: a counter of whole ticks since
/// boot (plus any jump), running `1 + driftPPM·10⁻⁶` device seconds per true second,
/// wrapping at `modulus`. True time is gateway time (the gateway clock is the reference).
struct SyntheticDeviceClock {
    var driftPPM: Double
    /// True (gateway) time of the last boot.
    var bootTime: Double
    /// Device seconds the counter read at boot (a jump adds to it).
    var secondsAtBoot = 0.0
    var modulus: UInt64 = 1 << 32
    var unitSeconds = 0.001

    func deviceSeconds(at time: Double) -> Double {
        secondsAtBoot + (time - bootTime) * (1 + driftPPM * 1e-6)
    }

    /// The raw counter at `time`: whole ticks, truncated as firmware does.
    func counter(at time: Double) -> UInt64 {
        let ticks = (deviceSeconds(at: time) / unitSeconds).rounded(.down)
        return UInt64(ticks) % modulus
    }
}

/// Arrival delays of a BLE link: exponential (waiting for the connection event, mean
/// `meanDelay`), plus a retransmission outlier of `outlierDelay` with probability
/// `outlierProbability`.
struct SyntheticLink {
    var random: SeededGenerator
    var meanDelay = 0.020
    var outlierProbability = 0.01
    var outlierDelay = 0.300

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func delay() -> Double {
        let uniform = Double.random(in: 0 ..< 1, using: &random)
        var delay = -meanDelay * log1p(-uniform)
        if Double.random(in: 0 ..< 1, using: &random) < outlierProbability { delay += outlierDelay }
        return delay
    }
}

/// A realistic gateway clock reading (2026-09), so the fit is tested at the magnitude of
/// Unix time in seconds, where a `Double` resolves 0.24 µs.
let gatewayEpoch = 1_790_000_000.0
