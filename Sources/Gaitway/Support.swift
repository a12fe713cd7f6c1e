import ArgumentParser
import Foundation
import ProtocolSpecs

/// Where payload specs come from: the bundled Protocols/ plus the user's folders.
struct ProtocolOptions: ParsableArguments {
    @Option(name: .customLong("protocols"), help: ArgumentHelp(
        "A folder of extra Protocols specs (*.yaml); may be repeated. GAITWAY_PROTOCOLS adds more (colon-separated).",
        valueName: "DIR"))
    var directories: [String] = []

    func loadCatalog() throws -> ProtocolCatalog {
        var folders = [Self.bundledDirectory]
        if let extra = ProcessInfo.processInfo.environment["GAITWAY_PROTOCOLS"] {
            folders += extra.split(separator: ":").map(String.init)
        }
        folders += directories
        do {
            return try ProtocolCatalog.load(directories: folders)
        } catch {
            throw CleanExit.failure("invalid Protocols specs:\n\(error)")
        }
    }

    /// The bundled specs: `GAITWAY_BUNDLED_PROTOCOLS`, else `share/gaitway/Protocols` next to
    /// an installed binary, else the source checkout this binary was built from.
    static var bundledDirectory: String {
        if let path = ProcessInfo.processInfo.environment["GAITWAY_BUNDLED_PROTOCOLS"] { return path }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let installed = executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/gaitway/Protocols").path
        if FileManager.default.fileExists(atPath: installed) { return installed }
        return ProtocolCatalog.repositoryProtocolsDirectory
    }
}

extension CleanExit {
    /// Exit with status 1 and a message on standard error, without a usage dump.
    static func failure(_ message: String) -> Error { CommandFailure(message: message) }
}

struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Buffered standard output: a capture can hold millions of values.
struct StandardOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func write(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { FileHandle.standardOutput.write(Data($0)) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Numbers from the command line, checked against their range where they are read, so that
/// no later conversion (`Int(_:)` of a Double, seconds to microseconds, a count times a
/// size) can trap. Options use them with `parsing: .unconditional`, so that `--opt -5`
/// reads -5 (and says why it is refused) instead of taking it for an option.
enum NumberArgument {
    /// A number outside what an option takes, or not a number at all.
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// A whole number in `range`.
    static func integer<Integer: FixedWidthInteger>(_ text: String, in range: ClosedRange<Integer>) throws(Invalid) -> Integer {
        guard let value = Integer(text) else {
            // Digits alone that do not fit the type are out of range, not malformed.
            let digits = text.drop { $0 == "-" || $0 == "+" }
            if !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) {
                throw Invalid(description: "\(text) is outside \(range.lowerBound)...\(range.upperBound)")
            }
            throw Invalid(description: "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        guard range.contains(value) else {
            throw Invalid(description: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A finite number in `range` (NaN and infinities are refused, `1e400` is infinite).
    static func real(_ text: String, in range: ClosedRange<Double>, unit: String = "") throws(Invalid) -> Double {
        guard let value = Double(text), !value.isNaN else {
            throw Invalid(description: "expected a number from \(format(range.lowerBound)) to \(format(range.upperBound))\(unit)")
        }
        guard range.contains(value) else {
            throw Invalid(description: "\(text) is outside \(format(range.lowerBound))...\(format(range.upperBound))\(unit)")
        }
        return value
    }

    /// A positive number of seconds up to `maximum`.
    static func seconds(_ text: String, atMost maximum: Double) throws(Invalid) -> Double {
        let allowed = "more than 0 and at most \(format(maximum)) s"
        guard let value = Double(text), !value.isNaN else { throw Invalid(description: "expected seconds, \(allowed)") }
        guard value > 0, value <= maximum else { throw Invalid(description: "\(text) s is outside the range: \(allowed)") }
        return value
    }

    /// Integral values without a fraction (86400, not 86400.0).
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// A file named on the command line or in a config file, checked before anything opens it,
/// so that a directory or a missing folder is named plainly instead of through the error
/// codes of Foundation or SQLite, and nothing is created when another argument is wrong.
enum FileArgument {
    /// What is wrong with `path` as a file to read (`mustExist`) or to create or append to;
    /// nil when nothing is.
    static func problem(_ path: String, option: String, mustExist: Bool) -> String? {
        guard !path.isEmpty else { return "\(option): the file name is empty" }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                let example = URL(fileURLWithPath: path).appendingPathComponent("gaitway" + Self.suffix(option)).path
                return "\(option) \(path) is a directory, not a file (give a file's path, e.g. \(example))"
            }
            if access(path, mustExist ? R_OK : R_OK | W_OK) != 0 {
                return "\(option) \(path): permission denied (the file is not \(mustExist ? "readable" : "readable and writable") by this user)"
            }
            return nil
        }
        if mustExist { return "\(option) \(path): no such file" }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
            return "\(option) \(path): the folder \(folder) does not exist"
        }
        if access(folder, W_OK | X_OK) != 0 {
            return "\(option) \(path): cannot create a file in \(folder) (permission denied)"
        }
        return nil
    }

    /// The usual suffix of the file an option names.
    static func suffix(_ option: String) -> String {
        switch option {
        case "--btsnoop": ".btsnoop"
        case "--config": ".yaml"
        case "--truth": "-truth.jsonl"
        default: ".db"
        }
    }
}
