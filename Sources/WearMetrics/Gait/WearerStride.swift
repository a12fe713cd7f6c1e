/// Walking (both feet down at some point of every stride) or running (a flight phase, both
/// feet off, and no double support).
public enum GaitMode: String, Sendable, Equatable, Encodable {
    case walking, running
}

/// A foot's stride seen together with the other foot on the same clock: the temporal
/// parameters that need both feet (``WearerGait``).
public struct WearerStride: Sendable, Equatable {
    public var stride: FootStride
    /// From the other foot's last IC to this stride's IC, s.
    public var stepTime: Double?
    /// Both feet on the ground within the stride, s.
    public var doubleSupportTime: Double?
    /// This foot alone on the ground, s.
    public var singleSupportTime: Double?
    /// Neither foot on the ground, s.
    public var flightTime: Double?
    /// Nil when the other foot's frames did not cover the stride (gap, one insole only).
    public var mode: GaitMode?

    public var foot: FootSide { stride.foot }
    /// Double support, % of stride time.
    public var doubleSupportPercent: Double? { doubleSupportTime.map { 100 * $0 / stride.strideTime } }

    /// The wearer-level records of this stride (``Metric/stepTime``, ``Metric/doubleSupport``,
    /// ``Metric/singleSupportTime``; for running ``Metric/flightTime``,
    /// ``Metric/groundContactTime``, ``Metric/dutyFactor``), at the stride's IC.
    public func records(into sink: inout some MetricRecordSink) {
        func put(_ metric: Metric, _ value: Double?) {
            if let value {
                sink.record(MetricRecord(metric, time: stride.initialContact, value: value, quality: stride.quality))
            }
        }
        put(.stepTime, stepTime)
        guard let mode else { return }
        put(.doubleSupport, doubleSupportPercent)
        put(.singleSupportTime, singleSupportTime)
        if mode == .running {
            put(.flightTime, flightTime)
            put(.groundContactTime, stride.stanceTime)
            put(.dutyFactor, stride.stancePercent)
        }
    }
}
