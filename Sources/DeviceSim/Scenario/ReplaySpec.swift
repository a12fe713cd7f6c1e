import Foundation
import ProtocolSpecs

/// Recorded data that a person's device plays back instead of a model.
public struct ReplaySpec: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A PhysioNet gaitpdb walk (tab-separated: time, L1…L8, R1…R8, total left, total right;
        /// newtons at 100 Hz) played on the person's 8-cell insoles.
        case gaitpdb
        /// RR intervals in seconds, one per line, driving the wristband's beats.
        case rrIntervals
        /// A PPG waveform from a CSV file with a header row: the `column` values, timed by a
        /// `time` column (seconds) or, without one, by `sampleRate`.
        case ppg(column: String, sampleRate: Double?)
    }

    public var kind: Kind
    /// The file found (absolute, or as the search built it).
    public var path: String
    /// The path as written in the scenario.
    public var declaredPath: String
    /// Start again from the beginning when the recording ends (otherwise the model takes over).
    public var loop: Bool
    /// Seconds into the recording that scenario time 0 plays.
    public var offset: Double

    public init(kind: Kind, path: String, declaredPath: String, loop: Bool = true, offset: Double = 0) {
        self.kind = kind
        self.path = path
        self.declaredPath = declaredPath
        self.loop = loop
        self.offset = offset
    }

    /// Reads an RR-interval file: one interval in seconds per line (`0.812`); blank lines and
    /// text after `#` are ignored. Each interval must be within 0.2…3 s.
    public static func readRRIntervals(path: String) throws(SpecError) -> [Double] {
        let text = try readText(path)
        var intervals: [Double] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let trimmed = content.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let column = (content.firstIndex(where: { !$0.isWhitespace }).map { content.distance(from: content.startIndex, to: $0) } ?? 0) + 1
            guard let value = Double(trimmed), value.isFinite else {
                throw SpecError(file: path, line: index + 1, column: column, message: "'\(trimmed)' is not an RR interval in seconds")
            }
            guard (0.2...3.0).contains(value) else {
                throw SpecError(file: path, line: index + 1, column: column,
                                message: "RR interval \(trimmed) s is outside 0.2...3.0")
            }
            intervals.append(value)
        }
        guard !intervals.isEmpty else { throw SpecError(file: path, line: 0, column: 0, message: "no RR intervals in the file") }
        return intervals
    }

    /// Reads a PPG CSV file: a header row naming the columns, then numbers separated by commas.
    /// Returns sample times (from the `time` column, or `index / sampleRate`) and the `column` values.
    public static func readPPG(path: String, column: String, sampleRate: Double?) throws(SpecError)
        -> (times: [Double], values: [Double])
    {
        let text = try readText(path)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let header = lines.first, !header.isEmpty else {
            throw SpecError(file: path, line: 1, column: 1, message: "a PPG CSV file starts with a header row (e.g. time,ppg)")
        }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let valueIndex = names.firstIndex(of: column) else {
            throw SpecError(file: path, line: 1, column: 1,
                            message: "no column '\(column)' in the header (columns: \(names.joined(separator: ", ")))")
        }
        let timeIndex = names.firstIndex(of: "time")
        guard timeIndex != nil || sampleRate != nil else {
            throw SpecError(file: path, line: 1, column: 1,
                            message: "no 'time' column: give the scenario's replay a 'sample_rate'")
        }
        var times: [Double] = [], values: [Double] = []
        for (index, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == names.count else {
                throw SpecError(file: path, line: index + 1, column: 1,
                                message: "\(cells.count) columns, the header has \(names.count)")
            }
            guard let value = Double(cells[valueIndex]), value.isFinite else {
                throw SpecError(file: path, line: index + 1, column: 1, message: "'\(cells[valueIndex])' is not a number")
            }
            if let timeIndex {
                guard let time = Double(cells[timeIndex]), time.isFinite, time >= (times.last ?? -.infinity) else {
                    throw SpecError(file: path, line: index + 1, column: 1,
                                    message: "time '\(cells[timeIndex])' is not a number at or after the previous one")
                }
                times.append(time)
            } else if let sampleRate {
                times.append(Double(values.count) / sampleRate)
            }
            values.append(value)
        }
        guard !values.isEmpty else { throw SpecError(file: path, line: 0, column: 0, message: "no PPG samples in the file") }
        return (times, values)
    }

    /// Checks that `path` looks like a gaitpdb walk: its first line has 19 numeric columns.
    /// (The gait model's `GaitpdbRecording` parses the whole file when the run starts.)
    static func checkGaitpdb(path: String) throws(SpecError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SpecError(file: path, line: 0, column: 0, message: "cannot read the file")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4096)) ?? Data()
        let firstLine = String(decoding: head.prefix(while: { $0 != 0x0A && $0 != 0x0D }), as: UTF8.self)
        let columns = firstLine.split(whereSeparator: { $0 == "\t" || $0 == " " })
        guard columns.count == 19, columns.allSatisfy({ Double($0) != nil }) else {
            throw SpecError(file: path, line: 1, column: 1,
                            message: "not a gaitpdb file: the first line has \(columns.count) columns, expected 19 numbers (time, L1...L8, R1...R8, total left, total right)")
        }
    }

    static func readText(_ path: String) throws(SpecError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SpecError(file: path, line: 0, column: 0, message: "cannot read: \(error.localizedDescription)")
        }
    }
}
