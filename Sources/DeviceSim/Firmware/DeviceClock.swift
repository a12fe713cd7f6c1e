/// A device's own clock: a millisecond counter from its last boot that runs fast or slow by
/// `driftPPM` (a cheap 32.768 kHz crystal is ±20-50 ppm) and wraps at 2^32 ms (49.7 days),
/// as the `timestamp` fields of our vendor streams do.
struct DeviceClock {
    var driftPPM: Double
    /// Simulation time of the last boot.
    var bootTime: Double
    /// Counter value at boot (a clock jump fault adds to it).
    var offsetMillis: Double = 0

    /// Device seconds elapsed since boot at simulation time `time`.
    func deviceSeconds(at time: Double) -> Double {
        (time - bootTime) * (1 + driftPPM * 1e-6) + offsetMillis / 1000
    }

    /// The 32-bit millisecond counter at `time`.
    func millis(at time: Double) -> UInt32 {
        Self.counter(millis: deviceSeconds(at: time) * 1000)
    }

    /// The 32-bit counter reading `millis` (whole milliseconds are shown, wrapping at 2^32).
    /// A sampling tick's timestamp comes from its tick number this way, not from its
    /// simulation time: the round trip through ``simulationTime(atDeviceSeconds:)`` can land
    /// a hair before the tick and show the millisecond before it.
    static func counter(millis: Double) -> UInt32 {
        UInt32(truncatingIfNeeded: Int64(max(millis.rounded(.down), 0)))
    }

    /// The simulation time at which the device's clock reads `seconds` since boot.
    func simulationTime(atDeviceSeconds seconds: Double) -> Double {
        bootTime + (seconds - offsetMillis / 1000) / (1 + driftPPM * 1e-6)
    }
}
