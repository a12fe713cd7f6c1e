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
