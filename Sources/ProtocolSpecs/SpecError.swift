/// A problem in a YAML file (a `Protocols/*.yaml` spec, or a `Simulators/*.yaml` scenario),
/// located as editors and compilers do:
/// `heart-rate-measurement.yaml:14:9: unknown key 'iff' (expected one of: ...)`.
public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file as given to the loader (path or name).
    public var file: String
    /// 1-based line, or 0 when the problem concerns the file as a whole.
    public var line: Int
    /// 1-based column, or 0.
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}

/// Every problem found while loading a set of spec files (the loader keeps going after
/// the first bad file so that one run shows them all).
public struct SpecLoadErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [SpecError]

    public init(_ errors: [SpecError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
