/// Oxygen desaturation events in a pulse-oximetry (SpO2) series and the oxygen desaturation
/// index (ODI): the detector of Jung, Hwang et al. (2018), "Real-Time Automatic Apneic Event
/// Detection Using Nocturnal Pulse Oximetry", IEEE Trans. Biomed. Eng. 65(3):706-712, as the
/// oximetry toolbox pobm 1.2.0 (Levy et al. 2021, `DesaturationsMeasures`, relative method)
/// runs it, so that its results are comparable: a 3 % drop ("ODI3"), events of 10 to 90 s.
///
/// The series is one value a second in whole percent (the method assumes 1 Hz and 1 %
/// quantization; ``OxygenDesaturationWindow`` resamples a stream to that). With the indices
/// of the series:
///
/// - **A**, the start: a sample above 25 % that is 1 % to `drop` below the one before;
/// - **B**, the nadir: following A while SpO2 does not rise, the first sample `drop` or more
///   below A (a rise before that abandons A: the search goes on from A + 1); B follows any
///   later, lower sample until C;
/// - **C**, the recovery: the first sample at least 10 s after A that is back within 1 % of
///   A, or `drop` or more above B. An event is A to C if C - A is at most `maximumLength`
///   (longer ones are dropped); the search goes on after C;
/// - **D**, the end: C if C is within 1 % of A, else the first sample from C on (while less
///   than `maximumLength` after A) within 1 % of A, else A + `maximumLength` (or the series'
///   last sample).
///
/// Events whose A comes at or before the previous event's D are one episode (pobm's "meta
/// desaturation" with a distance of 0), from the first A to the last D. The ODI is episodes per
/// hour of the series, as pobm's result counts them. pobm's guards are kept: the search stops
/// 10 s before the series ends and when B or C would run past it.
public enum OxygenDesaturation {
    public struct Event: Sendable, Equatable {
        /// Indices of A, B, C and D in the series.
        public var start: Int
        public var nadir: Int
        public var recovery: Int
        public var end: Int
    }

    /// An episode: one event, or events that overlap (each starts at or before the
    /// previous one's end). Indices in the series.
    public struct Episode: Sendable, Equatable {
        public var start: Int
        public var end: Int
        /// The lowest sample in `start ..< end` (the first, where it repeats).
        public var nadir: Int
        public var events: Int
    }

    /// The events of `spo2` (1 Hz, whole percent).
    public static func events(in spo2: [Double], drop: Double = 3, maximumLength: Int = 90) -> [Event] {
        let count = spo2.count
        var found: [Event] = []
        var a = 1
        search: while a < count {
            if a + 10 > count { break }
            let fall = spo2[a - 1] - spo2[a]
            guard spo2[a] > 25, fall >= 1, fall <= drop else {
                a += 1
                continue
            }
            var b = a + 1
            while b < count {
                if b == count - 1 { break search }
                guard spo2[b] <= spo2[b - 1] else {
                    a += 1  // a rise before the drop was reached
                    continue search
                }
                guard spo2[a] - spo2[b] >= drop else {
                    b += 1
                    continue
                }
                var c = b + 1
                if c >= count { break search }
                while !((spo2[a] - spo2[c] <= 1 || spo2[c] - spo2[b] >= drop) && c - a >= 10) {
                    c += 1
                    if c > count - 1 { break search }
                    if spo2[b] >= spo2[c - 1] { b = c - 1 }
                }
                if c - a <= maximumLength {
                    found.append(Event(start: a, nadir: b, recovery: c,
                                       end: end(of: a, recovery: c, in: spo2, maximumLength: maximumLength)))
                }
                a = c + 1
                continue search
            }
            a += 1
        }
        return found
    }

    /// D for an event from A = `start` recovered at C = `recovery`.
    static func end(of start: Int, recovery: Int, in spo2: [Double], maximumLength: Int) -> Int {
        let baseline = spo2[start] - 1
        if spo2[recovery] >= baseline { return recovery }
        var offset = recovery - start
        while offset < maximumLength {
            if start + offset < spo2.count, spo2[start + offset] >= baseline { return start + offset }
            offset += 1
        }
        return min(start + maximumLength, spo2.count - 1)
    }

    /// The events grouped into episodes.
    public static func episodes(of events: [Event], in spo2: [Double]) -> [Episode] {
        var episodes: [Episode] = []
        for event in events {
            if var last = episodes.last, event.start <= last.end {
                last.end = max(last.end, event.end)
                last.events += 1
                episodes[episodes.count - 1] = last
            } else {
                episodes.append(Episode(start: event.start, end: event.end, nadir: event.start, events: 1))
            }
        }
        for index in episodes.indices {
            let range = episodes[index].start..<max(episodes[index].end, episodes[index].start + 1)
            episodes[index].nadir = range.min { spo2[$0] < spo2[$1] } ?? range.lowerBound
        }
        return episodes
    }

    /// The oxygen desaturation index: `episodes` per hour of a series of `seconds` samples.
    public static func index(episodes: Int, seconds: Int) -> Double {
        seconds > 0 ? Double(episodes) / Double(seconds) * 3600 : 0
    }
}
