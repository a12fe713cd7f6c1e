/// One stride of one foot: initial contact (IC), toe-off (TO) and the next IC, with what the
/// insole measured during its stance. Produced by ``FootStrideDetector``.
public struct FootStride: Sendable, Equatable {
    public var foot: FootSide
    /// s, on the clock the detector was fed.
    public var initialContact: Double
    public var toeOff: Double
    /// The next IC of the same foot: the end of this stride.
    public var nextContact: Double
    /// Largest total force of the stance, N.
    public var peakForce: Double
    /// Force-time integral of the stance, N·s.
    public var impulse: Double
    /// 20–80 % average loading rate, N/s (nil when the force did not rise through both levels).
    public var loadingRate: Double?
    /// CoP at contact, % of foot length from the heel (nil without cells and a layout).
    public var strikeIndex: Double?
    /// CoP path length over the stance, % of foot length.
    public var copPathLength: Double?
    /// CoP forward displacement over the stance, % of foot length.
    public var copProgression: Double?
    /// Frames received over frames expected in the stride (1: none lost).
    public var quality: Double

    public var strideTime: Double { nextContact - initialContact }
    public var stanceTime: Double { toeOff - initialContact }
    public var swingTime: Double { nextContact - toeOff }
    /// Stance share, %.
    public var stancePercent: Double { 100 * stanceTime / strideTime }
    public var strikePattern: FootStrikePattern? { strikeIndex.map(FootStrikePattern.init(strikeIndex:)) }

    /// The per-foot records of this stride (``Metric/strideTime`` … ``Metric/copProgression``),
    /// each at `time` = the stride's IC and with the stride's ``quality``.
    public func records(into sink: inout some MetricRecordSink) {
        func put(_ metric: Metric, _ value: Double?) {
            if let value { sink.record(MetricRecord(metric, time: initialContact, value: value, quality: quality)) }
        }
        put(.strideTime, strideTime)
        put(.stanceTime, stanceTime)
        put(.swingTime, swingTime)
        put(.stancePercent, stancePercent)
        put(.peakForce, peakForce)
        put(.impulse, impulse)
        put(.loadingRate, loadingRate)
        put(.strikeIndex, strikeIndex)
        put(.strikePattern, strikePattern.map { Double($0.rawValue) })
        put(.copPathLength, copPathLength)
        put(.copProgression, copProgression)
    }
}
