/// Gait analysis of a whole insole recording, for `gaitway analyze insole`: the file's frames
/// through ``WearerGait`` as a stream, then ``InsoleGaitReport``.
public enum InsoleGaitAnalysis {
    /// Analyses a PhysioNet gaitpdb text file (``GaitpdbText``) with its cell layout
    /// (``InsoleCellLayout/gaitpdb(_:)``). Throws at the first malformed line, naming it.
    public static func gaitpdb(_ text: String, profile: WearerProfile = WearerProfile(),
                               configuration: FootStrideDetector.Configuration = .init(),
                               boutRule: GaitBoutRule = .init()) throws(GaitpdbTextError) -> InsoleGaitReport {
        var gait = WearerGait(left: .gaitpdb(.left), right: .gaitpdb(.right), profile: profile,
                              configuration: configuration, boutRule: boutRule, retainsStrides: true)
        var ignored = DiscardingSink(), alsoIgnored = DiscardingSink()
        var strides: [WearerStride] = []
        var samples = 0
        var first = 0.0, last = 0.0
        try GaitpdbText.forEachSample(in: text) { sample in
            if samples == 0 { first = sample.time }
            last = sample.time
            samples += 1
            gait.process(.left, time: sample.time, force: sample.leftTotal, cells: sample.left.span,
                         footRecords: &ignored, wearerRecords: &alsoIgnored)
            gait.process(.right, time: sample.time, force: sample.rightTotal, cells: sample.right.span,
                         footRecords: &ignored, wearerRecords: &alsoIgnored)
            while let stride = gait.nextStride() { strides.append(stride) }
        }
        gait.finish(footRecords: &ignored, wearerRecords: &alsoIgnored)
        while let stride = gait.nextStride() { strides.append(stride) }
        var bouts: [GaitBout] = []
        while let bout = gait.nextBout() { bouts.append(bout) }
        let interval = samples > 1 ? (last - first) / Double(samples - 1) : 0
        return InsoleGaitReport(layout: "gaitpdb", samples: samples, duration: last - first + interval,
                                strides: strides, bouts: bouts)
    }
}

/// A sink that keeps nothing (the report is built from the strides themselves).
struct DiscardingSink: MetricRecordSink {
    mutating func record(_ record: MetricRecord) {}
}
