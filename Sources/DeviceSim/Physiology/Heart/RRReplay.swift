/// Plays a recorded RR-interval series back as heartbeats: each beat follows the previous
/// one by the next interval. Recording time `offset` plays at simulation time 0 (the
/// recording starts `offset` seconds before it; beats up to 0 are skipped). At the end of the
/// series it starts again when `loops`, otherwise the replay is over (``isFinished``) and the
/// heart model takes over from the last beat (`PersonaBody`).
struct RRReplay: Sendable {
    let intervals: [Double]
    let loops: Bool
    /// Index of the interval that leads to the next beat.
    private(set) var next = 0
    /// Simulation time of the last beat played (the start of the recording before the first).
    private(set) var lastBeat: Double
    private(set) var isFinished = false

    init(intervals: [Double], loops: Bool = true, offset: Double = 0) {
        self.intervals = intervals
        self.loops = loops
        let total = intervals.reduce(0, +)
        // A looping series repeats every `total` seconds, so only the offset's remainder matters.
        let skip = loops && total > 0 ? offset.truncatingRemainder(dividingBy: total) : offset
        lastBeat = -max(skip, 0)
        isFinished = intervals.isEmpty || total <= 0
        beats(upTo: 0) { _ in }
    }

    /// Plays every beat up to `time` (inclusive), oldest first.
    mutating func beats(upTo time: Double, _ body: (HeartBeat) -> Void) {
        while !isFinished {
            if next == intervals.count {
                guard loops else {
                    isFinished = true
                    return
                }
                next = 0
            }
            let rr = intervals[next]
            guard lastBeat + rr <= time else { return }
            next += 1
            lastBeat += rr
            body(HeartBeat(time: lastBeat, rr: rr))
        }
    }
}
