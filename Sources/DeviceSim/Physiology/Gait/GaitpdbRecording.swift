/// A PhysioNet gaitpdb walk ("Gait in Parkinson's Disease", Hausdorff et al.): 100 Hz vertical
/// ground reaction force from 8 cells under each foot, in N.
///
/// Format (`../shared/data/gaitpdb/format.txt`): one line per sample, tab-separated, CRLF
/// (LF accepted), 19 columns:
///
///     time  L1 … L8  R1 … R8  total-left  total-right
///     s     N  (cells at the gaitpdb positions, = gaitway-insole's 8-cell layout, cell i = Li+1)
///
/// The parser reads bytes in place (no per-line strings) and converts decimals exactly for up
/// to 15 significant digits; an error names the line and the column.
public struct GaitpdbRecording: Sendable {
    public static let columns = 19
    public static let cellsPerFoot = 8
    /// Sample times, s.
    public private(set) var times: [Double]
    /// Cell forces, 8 per sample per foot, sample-major (`left[8 * i + cell]`).
    public private(set) var left: [Double]
    public private(set) var right: [Double]
    /// The file's total-force columns (18 and 19).
    public private(set) var totalLeft: [Double]
    public private(set) var totalRight: [Double]

    public var count: Int { times.count }
    /// Sample interval (s), from the first and last times.
    public var interval: Double { count > 1 ? (times[count - 1] - times[0]) / Double(count - 1) : 0.01 }
    public var duration: Double { Double(count) * interval }

    /// Parses a whole file's bytes.
    public init(parsing bytes: [UInt8]) throws(GaitpdbParseError) {
        times = []
        left = []
        right = []
        totalLeft = []
        totalRight = []
        let estimate = bytes.count / 120
        times.reserveCapacity(estimate)
        left.reserveCapacity(estimate * 8)
        right.reserveCapacity(estimate * 8)
        totalLeft.reserveCapacity(estimate)
        totalRight.reserveCapacity(estimate)
        var row = InlineArray<19, Double>(repeating: 0)
        var line = 1
        var position = 0
        let end = bytes.count
        while position < end {
            var lineEnd = position
            while lineEnd < end, bytes[lineEnd] != 0x0A { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > position, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            if contentEnd > position {
                var column = 0
                var fieldStart = position
                while true {
                    var fieldEnd = fieldStart
                    while fieldEnd < contentEnd, bytes[fieldEnd] != 0x09 { fieldEnd += 1 }
                    if column == Self.columns {
                        throw GaitpdbParseError(line: line, column: column + 1, message: "more than 19 columns")
                    }
                    guard let value = Self.number(bytes, fieldStart, fieldEnd) else {
                        let text = String(decoding: bytes[fieldStart..<min(fieldEnd, fieldStart + 24)], as: UTF8.self)
                        throw GaitpdbParseError(line: line, column: column + 1,
                                                message: fieldStart == fieldEnd ? "empty field" : "not a number: \"\(text)\"")
                    }
                    row[column] = value
                    column += 1
                    if fieldEnd >= contentEnd { break }
                    fieldStart = fieldEnd + 1
                }
                if column < Self.columns {
                    throw GaitpdbParseError(line: line, column: column, message: "\(column) columns, expected 19")
                }
                if row[0] < 0 || (!times.isEmpty && row[0] <= times[times.count - 1]) {
                    throw GaitpdbParseError(line: line, column: 1, message: "time does not increase")
                }
                for cell in 1..<Self.columns where row[cell] < 0 {
                    throw GaitpdbParseError(line: line, column: cell + 1, message: "negative force")
                }
                times.append(row[0])
                for cell in 0..<8 { left.append(row[1 + cell]) }
                for cell in 0..<8 { right.append(row[9 + cell]) }
                totalLeft.append(row[17])
                totalRight.append(row[18])
            }
            position = lineEnd + 1
            line += 1
        }
        if times.isEmpty { throw GaitpdbParseError(line: line, column: 0, message: "no samples") }
    }

    /// Cell `cell` (0–7) of `foot` in sample `index`.
    public func force(_ foot: Foot, sample index: Int, cell: Int) -> Double {
        foot == .left ? left[8 * index + cell] : right[8 * index + cell]
    }

    /// The 8 cells of `foot` in sample `index`.
    public func forces(_ foot: Foot, sample index: Int) -> InsoleForces {
        var forces = InsoleForces(count: 8)
        let base = 8 * index
        if foot == .left {
            for cell in 0..<8 { forces[cell] = left[base + cell] }
        } else {
            for cell in 0..<8 { forces[cell] = right[base + cell] }
        }
        return forces
    }

    /// Sum of the 8 cells of `foot` in sample `index`.
    public func total(_ foot: Foot, sample index: Int) -> Double {
        var sum = 0.0
        let base = 8 * index
        for cell in 0..<8 { sum += foot == .left ? left[base + cell] : right[base + cell] }
        return sum
    }

    /// Heel strikes and toe-offs found by thresholding each foot's total force (with
    /// hysteresis: on above `threshold`, off below 0.8 × `threshold`), in time order.
    public func events(threshold: Double) -> [GaitEvent] {
        var events: [GaitEvent] = []
        for foot in Foot.allCases {
            var on = total(foot, sample: 0) > threshold
            for index in 1..<count {
                let force = total(foot, sample: index)
                if !on, force > threshold {
                    on = true
                    events.append(GaitEvent(kind: .heelStrike, foot: foot, time: times[index]))
                } else if on, force < 0.8 * threshold {
                    on = false
                    events.append(GaitEvent(kind: .toeOff, foot: foot, time: times[index]))
                }
            }
        }
        return events.sorted { $0.time < $1.time }
    }

    // MARK: Numbers

    private static let powersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
                                                1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    /// `[-]digits[.digits]`; nil for anything else. Exact (one rounding) while the digits fit
    /// in 2⁵³ and there are at most 22 after the point.
    static func number(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Double? {
        var index = start
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var decimals = 0
        var afterPoint = false
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                if afterPoint { return nil }
                afterPoint = true
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                guard digits < 18 else { return nil }
                mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
                if mantissa > 0 || afterPoint { digits += mantissa > 0 ? 1 : 0 }
                if afterPoint { decimals += 1 }
            } else {
                return nil
            }
            index += 1
        }
        guard index > start + (negative ? 1 : 0), decimals <= 22 else { return nil }
        if !afterPoint, digits == 0, mantissa == 0, end - start - (negative ? 1 : 0) == 0 { return nil }
        let value = Double(mantissa) / powersOfTen[decimals]
        return negative ? -value : value
    }
}
