import BLEWire
import WearMetrics

/// What the live table shows of one wearer: the gait of their latest strides (the metric
/// stage's strides, per foot) and the heart of their wristband (its latest heart rate and SpO2
/// samples, its latest 5-minute RMSSD). Plain values, for a ``GatewaySnapshot``.
public struct WearerStatus: Sendable, Equatable {
    public var name: String
    /// The latest stride of each foot: its stride time (s), stance share (%) and when it
    /// ended (gateway seconds).
    public var lastStride: [FootSide: LatestStride] = [:]
    public var heartRate: LatestValue?
    public var spo2: LatestValue?
    public var rmssd: LatestValue?

    public init(name: String) { self.name = name }

    /// The newest stride time of either foot.
    public var strideTime: Double? { newest?.strideTime }

    /// Steps per minute from the latest stride of each foot: two steps a stride, so
    /// 120 / the mean stride time (one foot's alone when the other has none).
    public var cadence: Double? {
        let times = lastStride.values.map(\.strideTime)
        guard !times.isEmpty else { return nil }
        return 120 / (times.reduce(0, +) / Double(times.count))
    }

    /// Mean stance share of the feet's latest strides, %.
    public var stancePercent: Double? {
        let shares = lastStride.values.map(\.stancePercent)
        return shares.isEmpty ? nil : shares.reduce(0, +) / Double(shares.count)
    }

    /// Stride time symmetry index of the latest left and right strides, % (as the bout
    /// records: 100 (L - R) / ((L + R) / 2); 0 is symmetric).
    public var strideTimeSymmetry: Double? {
        StrideMoments.symmetryIndex(left: lastStride[.left]?.strideTime, right: lastStride[.right]?.strideTime)
    }

    /// When the latest stride ended.
    public var gaitTime: Double? { newest?.end }

    private var newest: LatestStride? {
        lastStride.values.max { $0.end < $1.end }
    }
}

/// One foot's latest stride, as the live table shows it.
public struct LatestStride: Sendable, Equatable {
    public var strideTime: Double
    public var stancePercent: Double
    /// When it ended (its next initial contact), gateway seconds.
    public var end: Double

    public init(strideTime: Double, stancePercent: Double, end: Double) {
        self.strideTime = strideTime
        self.stancePercent = stancePercent
        self.end = end
    }
}
