/// `gaitway analyze actigraphy`: sleep and wake of a night of 60 s activity-count epochs
/// (``SleepScoring``), and the night's summary.
///
/// The summary takes the whole file as the time in bed: sleep onset is the start of the first
/// epoch scored sleep, wake time the end of the last; total sleep time counts the sleep epochs;
/// WASO the wake epochs between onset and wake time, and awakenings the runs of them;
/// efficiency is total sleep time over the file's duration.
public enum ActigraphyAnalysis {
    public static let epochMicros: Int64 = 60_000_000

    public struct Epochs: Sendable, Equatable {
        /// The first epoch's start, µs since the Unix epoch.
        public var startMicros: Int64
        public var counts: [Double]

        public init(startMicros: Int64, counts: [Double]) {
            self.startMicros = startMicros
            self.counts = counts
        }
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// A CSV of `time,counts` rows (an optional header row naming `time` first; blank lines
    /// and lines starting with # skipped): `time` as `parseTime` reads it (µs), each 60 s after
    /// the one before, `counts` a finite number, 0 or more.
    public static func parse(_ text: String, time parseTime: (String) -> Int64?) throws(ParseError) -> Epochs {
        var start: Int64?, previous: Int64?
        var counts: [Double] = []
        var sawData = false
        for (index, rawLine) in text.fileLines.enumerated() {
            let line = rawLine.trimmingWhitespace()
            let number = index + 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingWhitespace()) }
            if !sawData, fields.first?.lowercased() == "time" { continue }  // the header
            sawData = true
            guard fields.count >= 2 else {
                throw ParseError(description: "line \(number): expected time,counts, found \"\(line.prefix(60))\"")
            }
            guard let time = parseTime(fields[0]) else {
                throw ParseError(description: "line \(number): \"\(fields[0].prefix(40))\" is not an ISO 8601 time")
            }
            guard let value = Double(fields[1]), value.isFinite, value >= 0 else {
                throw ParseError(description: "line \(number): counts \"\(fields[1].prefix(40))\" is not a number 0 or more")
            }
            if let previous, time - previous != epochMicros {
                let seconds = Double(time - previous) / 1_000_000
                throw ParseError(description: "line \(number): \(seconds) s after the epoch before; epochs must be 60 s apart")
            }
            if start == nil { start = time }
            previous = time
            counts.append(value)
        }
        guard let start else { throw ParseError(description: "no epochs (expected lines of time,counts)") }
        return Epochs(startMicros: start, counts: counts)
    }

    public struct Report: Sendable, Encodable, Equatable {
        public var algorithm: String
        public var rescored: Bool
        public var epochs: Int
        /// Per epoch: 1 sleep, 0 wake.
        public var sleep: [Int]
        public var total_sleep_min: Int
        public var sleep_onset: String?
        public var wake_time: String?
        public var waso_min: Int
        public var awakenings: Int
        public var efficiency_pct: Double

        enum CodingKeys: String, CodingKey {
            case algorithm, rescored, epochs, sleep, total_sleep_min, sleep_onset, wake_time, waso_min, awakenings,
                 efficiency_pct
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(algorithm, forKey: .algorithm)
            try container.encode(rescored, forKey: .rescored)
            try container.encode(epochs, forKey: .epochs)
            try container.encode(sleep, forKey: .sleep)
            try container.encode(total_sleep_min, forKey: .total_sleep_min)
            try container.encode(sleep_onset, forKey: .sleep_onset)  // null, not absent, without sleep
            try container.encode(wake_time, forKey: .wake_time)
            try container.encode(waso_min, forKey: .waso_min)
            try container.encode(awakenings, forKey: .awakenings)
            try container.encode(efficiency_pct, forKey: .efficiency_pct)
        }

        public var text: String {
            """
            \(epochs) epochs scored with \(algorithm)\(rescored ? " and Webster's rescoring" : "")
            sleep onset \(sleep_onset ?? "none"), wake time \(wake_time ?? "none")
            total sleep \(total_sleep_min) min, WASO \(waso_min) min in \(awakenings) awakenings, \
            efficiency \((efficiency_pct * 10).rounded() / 10) %
            """
        }
    }

    /// The scoring and summary of `epochs`; `format` writes a time (µs) as text.
    public static func report(_ epochs: Epochs, algorithm: SleepScoring.Algorithm, rescore: Bool,
                              format: (Int64) -> String) -> Report {
        let sleep = SleepScoring.score(epochs.counts, algorithm: algorithm, rescore: rescore)
        let summary = SleepSummary(sleep)
        return Report(
            algorithm: algorithm.rawValue, rescored: rescore, epochs: sleep.count, sleep: sleep.map { $0 ? 1 : 0 },
            total_sleep_min: summary.totalSleep,
            sleep_onset: summary.onset.map { format(epochs.startMicros + Int64($0) * epochMicros) },
            wake_time: summary.wake.map { format(epochs.startMicros + Int64($0) * epochMicros) },
            waso_min: summary.wakeAfterSleepOnset, awakenings: summary.awakenings,
            efficiency_pct: sleep.isEmpty ? 0 : Double(summary.totalSleep) / Double(sleep.count) * 100)
    }
}
