/// Why a gaitpdb text file could not be read: the 1-based line, the 1-based column (field)
/// where it applies, and what is wrong.
public struct GaitpdbTextError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// A line without the 19 fields (time, L1…L8, R1…R8, left total, right total).
        case columnCount(found: Int)
        case notANumber(String)
        /// A force below zero or not finite.
        case badForce(Double)
        /// A time not after the line before's.
        case timeNotIncreasing(Double)
        /// No data lines at all.
        case empty
    }

    public var line: Int
    public var column: Int?
    public var reason: Reason

    public init(line: Int, column: Int? = nil, _ reason: Reason) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        let place = column.map { "line \(line), column \($0)" } ?? "line \(line)"
        return switch reason {
        case .columnCount(let found): "\(place): \(found) columns, expected 19"
        case .notANumber(let text): "\(place): not a number: \"\(text)\""
        case .badForce(let value): "\(place): force \(value) N is not a force"
        case .timeNotIncreasing(let time): "\(place): time \(time) s does not increase"
        case .empty: "\(place): no samples"
        }
    }
}

/// PhysioNet gaitpdb's text format ("Gait in Parkinson's Disease", ../shared/data/gaitpdb/
/// format.txt): one sample per line, 100 Hz, whitespace-separated (tabs in the files, CRLF or LF
/// line ends), 19 columns: time (s), the 8 cells under the left foot (N, sensors L1…L8), the
/// 8 under the right (R1…R8), the left total and the right total (N).
public enum GaitpdbText {
    public static let columns = 19
    public static let cellsPerFoot = 8

    /// One line's values.
    public struct Sample: Sendable {
        public var time: Double
        public var left: InlineArray<8, Double>
        public var right: InlineArray<8, Double>
        public var leftTotal: Double
        public var rightTotal: Double
    }

    static func isSeparator(_ byte: UInt8) -> Bool { byte == 0x09 || byte == 0x20 || byte == 0x0D }

    /// Calls `body` with every sample of `text`, in order; throws at the first bad line.
    public static func forEachSample(in text: String, _ body: (borrowing Sample) -> Void) throws(GaitpdbTextError) {
        var lineNumber = 0
        var lastTime = -Double.infinity
        var samples = 0
        var sample = Sample(time: 0, left: .init(repeating: 0), right: .init(repeating: 0), leftTotal: 0, rightTotal: 0)
        // Bytes, not Characters: "\r\n" is one Character, and grapheme breaking is slow.
        for line in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var column = 0
            for field in line.split(whereSeparator: Self.isSeparator) {
                column += 1
                guard column <= columns else { break }
                guard let value = Double(Substring(field)), value.isFinite else {
                    throw GaitpdbTextError(line: lineNumber, column: column, .notANumber(String(Substring(field.prefix(24)))))
                }
                switch column {
                case 1:
                    guard value > lastTime else {
                        throw GaitpdbTextError(line: lineNumber, column: 1, .timeNotIncreasing(value))
                    }
                    sample.time = value
                default:
                    guard value >= 0 else { throw GaitpdbTextError(line: lineNumber, column: column, .badForce(value)) }
                    if column <= 9 {
                        sample.left[column - 2] = value
                    } else if column <= 17 {
                        sample.right[column - 10] = value
                    } else if column == 18 {
                        sample.leftTotal = value
                    } else {
                        sample.rightTotal = value
                    }
                }
            }
            if column == 0 { continue }  // a blank line (the file's end)
            guard column == columns else {
                let found = line.split(whereSeparator: Self.isSeparator).count
                throw GaitpdbTextError(line: lineNumber, .columnCount(found: found))
            }
            lastTime = sample.time
            samples += 1
            body(sample)
        }
        if samples == 0 { throw GaitpdbTextError(line: max(lineNumber, 1), .empty) }
    }
}
