/// One arrival in a clock segment's own coordinates, as the fit's parts see it.
///
/// `x` is device seconds since the segment's first observation (its anchor) and `y` is
/// gateway seconds since the anchor minus `x`: how far gateway time has moved from device
/// time. The true relation is the line `y = b + σ·x` (σ: the rate of gateway time against
/// device time, minus one); each arrival lies above it by its transit delay, never below.
struct OffsetSample: Sendable, Equatable {
    var x: Double
    var y: Double

    /// How far the sample lies above the line through the origin with slope `slope`.
    func height(above slope: Double) -> Double { y - slope * x }
}
