/// Why a gaitpdb file could not be read: the 1-based line and column (field) and what is wrong.
public struct GaitpdbParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    /// 1-based field number (1 is time, 2–9 left cells, 10–17 right cells, 18–19 totals);
    /// 0 when the line as a whole is wrong.
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        column > 0 ? "line \(line), column \(column): \(message)" : "line \(line): \(message)"
    }
}
