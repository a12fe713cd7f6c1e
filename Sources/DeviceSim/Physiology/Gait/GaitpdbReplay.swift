/// Plays a ``GaitpdbRecording`` back as an 8-cell insole pair: the recorded cell forces at the
/// recording's 100 Hz, held until the next sample (a device sampling at other times sees the
/// latest recorded sample), looping at the end when asked to.
public struct GaitpdbReplay: Sendable {
    public let recording: GaitpdbRecording
    public let loops: Bool
    /// Where the recording's first sample falls on the simulation clock.
    public let start: Double

    public init(_ recording: GaitpdbRecording, start: Double = 0, loops: Bool = true) {
        self.recording = recording
        self.start = start
        self.loops = loops
    }

    /// The sample index in force at `time`, or nil before the start or after the end (not looping).
    public func sampleIndex(at time: Double) -> Int? {
        let elapsed = time - start
        guard elapsed >= 0 else { return nil }
        // Half a microsecond of slack, so a device ticking at exactly 10 ms lands on sample i.
        var index = Int((elapsed / recording.interval + 5e-5).rounded(.down))
        if index >= recording.count {
            guard loops else { return nil }
            index %= recording.count
        }
        return index
    }

    /// The recorded cells of `foot` at `time` (all zero outside the recording).
    public func forces(_ foot: Foot, at time: Double) -> InsoleForces {
        guard let index = sampleIndex(at: time) else { return InsoleForces(count: 8) }
        return recording.forces(foot, sample: index)
    }
}
