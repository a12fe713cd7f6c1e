extension Metric {
    // Wrist actigraphy (ActivityCounts, SleepWakeStream), per 60 s epoch.
    /// ActiLife's vector magnitude of the epoch's ActiGraph counts (Neishabouri et al. 2022).
    public static let activityCounts = Metric("activity_counts", unit: "{count}")
    /// Cole-Kripke's sleep (1) or wake (0) of the epoch, scored on its counts.
    public static let sleepWake = Metric("sleep_wake", unit: "1")

    public static let actigraphy: [Metric] = [.activityCounts, .sleepWake]
}

/// ``SleepScoring/coleKripke(_:)`` on a live series of 60 s epochs: an epoch's score needs the
/// 4 before it and the 2 after, so each is recorded two epochs late (time = its start, end =
/// + 60 s). A break in the series (``finish(into:)``, then epochs that start later) scores the
/// epochs waiting with zero activity after them, and the next run starts with zero activity
/// before it, as the batch scoring treats a series' ends: the live scores of one unbroken run
/// are the batch scores of that run. Constant memory.
public struct SleepWakeStream: Sendable {
    /// The last 7 epochs' scaled counts (Cole-Kripke's A, counts / 100 at most 300), oldest first.
    private var window = InlineArray<7, Double>(repeating: 0)
    /// Epochs in the window that are real (not the zero padding before a run's start).
    private var filled = 0
    /// The start of the latest epoch, s.
    private var latest: Double?

    public init() {}

    /// The counts of the epoch starting at `start` (s): records the epoch 2 before it. An epoch
    /// that does not follow the last one by 60 s breaks the series first.
    public mutating func add(_ counts: Double, epochStart start: Double, into sink: inout some MetricRecordSink) {
        guard counts.isFinite, start.isFinite else { return }
        if let latest, start - latest != 60 { finish(into: &sink) }
        push(min(max(counts, 0) / 100, 300))
        filled = min(filled + 1, 7)
        latest = start
        // The epoch at index 4 (two before the latest) has its 4 before and 2 after.
        if filled >= 3 { score(at: 4, start: start - 120, into: &sink) }
    }

    /// Scores the two epochs still waiting, with zero activity after them (the end of a series).
    public mutating func finish(into sink: inout some MetricRecordSink) {
        guard let latest else { return }
        // Real epochs sit at indices 7 − filled ... 6; those at 5 and 6 wait. Each shift (a zero
        // after them) brings the next to index 4.
        for (position, start) in [(5, latest - 60), (6, latest)] {
            push(0)
            if position >= 7 - filled { score(at: 4, start: start, into: &sink) }
        }
        window = InlineArray(repeating: 0)
        filled = 0
        self.latest = nil
    }

    /// `value` becomes the latest of the window, the oldest drops out.
    private mutating func push(_ value: Double) {
        for index in 0..<6 { window[index] = window[index + 1] }
        window[6] = value
    }

    private func score(at index: Int, start: Double, into sink: inout some MetricRecordSink) {
        var sum = 0.0
        for (offset, weight) in SleepScoring.coleKripkeWeights { sum += weight * window[index + offset] }
        sink.record(MetricRecord(.sleepWake, time: start, end: start + 60, value: 0.001 * sum < 1 ? 1 : 0))
    }
}
