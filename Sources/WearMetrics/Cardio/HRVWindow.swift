/// Heart rate variability of a live stream of RR intervals, over consecutive windows of
/// ``duration`` seconds (5 minutes: the Task Force's standard short-term recording), aligned to
/// multiples of the duration on the clock the stream is fed (so that two devices' windows, and a
/// replay's, line up).
///
/// At each window's end its intervals are corrected for artefacts (``RRArtifacts``, Lipponen &
/// Tarvainen 2019) and their time-domain, Poincaré and frequency-domain indices recorded
/// (``Metric/cardio``; time = window start, end = window end). Quality = the share of the
/// window covered by intervals (a band that lost its link for a minute covers 80 %) times the
/// share of intervals that were not artefacts. A window less than ``minimumCoverage`` covered
/// gives no records.
///
/// Intervals are kept in a buffer of fixed capacity (enough for 300 bpm over the window), so
/// adding one allocates nothing; the indices at a window's end allocate their work arrays once.
public struct HRVWindow: Sendable {
    public let duration: Double
    public let minimumCoverage: Double
    private var intervals: [Double]
    private let capacity: Int
    private var windowStart: Double?
    private var covered = 0.0

    public init(duration: Double = 300, minimumCoverage: Double = 0.6) {
        self.duration = duration
        self.minimumCoverage = minimumCoverage
        capacity = Int(duration * 5) + 16
        intervals = []
        intervals.reserveCapacity(capacity)
    }

    /// One interval (ms) that ended at `time` (s).
    public mutating func add(_ interval: Double, endingAt time: Double, into sink: inout some MetricRecordSink) {
        guard interval.isFinite, interval > 0, time.isFinite else { return }
        let start = (time / duration).rounded(.down) * duration
        if let current = windowStart, start != current {
            if start > current { close(into: &sink) } else { reset() }  // a step back: start over
        }
        if windowStart == nil { windowStart = start }
        guard intervals.count < capacity else { return }
        intervals.append(interval)
        covered += interval / 1000
    }

    /// Records the window in progress if it is covered enough (the end of a stream).
    public mutating func finish(into sink: inout some MetricRecordSink) { close(into: &sink) }

    private mutating func close(into sink: inout some MetricRecordSink) {
        defer { reset() }
        guard let start = windowStart else { return }
        let coverage = min(covered / duration, 1)
        guard coverage >= minimumCoverage else { return }
        let artifacts = RRArtifacts.detect(intervals)
        let corrected = RRArtifacts.correct(intervals, artifacts)
        guard let time = HRVTimeDomain(intervals: corrected) else { return }
        let quality = coverage * (1 - Double(artifacts.count) / Double(intervals.count))
        let end = start + duration
        func record(_ metric: Metric, _ value: Double) {
            sink.record(MetricRecord(metric, time: start, end: end, value: value, quality: quality))
        }
        record(.meanNN, time.meanNN)
        record(.sdnn, time.sdnn)
        record(.rmssd, time.rmssd)
        record(.pnn50, time.pnn50)
        record(.sd1, time.sd1)
        record(.sd2, time.sd2)
        record(.meanHeartRate, time.meanHeartRate)
        record(.rrArtifacts, Double(artifacts.count))
        if let frequency = HRVFrequencyDomain(intervals: corrected) {
            record(.lf, frequency.lf)
            record(.hf, frequency.hf)
            if frequency.hf > 0 { record(.lfHF, frequency.lfHF) }
        }
    }

    private mutating func reset() {
        intervals.removeAll(keepingCapacity: true)
        covered = 0
        windowStart = nil
    }
}
