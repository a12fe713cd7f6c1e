import BLEWire
import Dissector
import Foundation
import ProtocolSpecs
import Testing

/// Shared helpers for tests that compare `gaitway decode` with tools nobody here wrote.
enum Reference {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // ReferenceSupport.swift, DissectorTests, Tests
        return url
    }()

    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    }

    static let catalog: ProtocolCatalog = {
        do { return try ProtocolCatalog.bundled() } catch { fatalError("bundled Protocols specs do not load: \(error)") }
    }()

    /// `make test` sets GAITWAY_REQUIRE_REFERENCES=1: then a missing tshark or Bumble is a
    /// failure, not a quiet skip.
    static var required: Bool { ProcessInfo.processInfo.environment["GAITWAY_REQUIRE_REFERENCES"] == "1" }

    static func executable(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    static var python: String { repository.appendingPathComponent(".venv/bin/python").path }

    static var tshark: String? {
        ["/usr/bin/tshark", "/usr/local/bin/tshark"].first(where: executable)
    }

    /// Runs a program, returning its standard output; throws with its standard error on failure.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], timeout: TimeInterval = 120) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = repository
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProcessFailure(command: ([program] + arguments).joined(separator: " "),
                                 status: process.terminationStatus,
                                 stderr: String(decoding: errorData, as: UTF8.self))
        }
        return String(decoding: outputData, as: UTF8.self)
    }

    struct ProcessFailure: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var stderr: String
        var description: String { "\(command) exited \(status): \(stderr)" }
    }

    /// Every value `gaitway decode` finds in a capture.
    static func decode(_ file: URL, overrides: [UInt16: BluetoothUUID] = [:]) throws -> [DecodedValue] {
        let bytes = Array(try Data(contentsOf: file))
        var dissector = CaptureDissector(catalog: catalog, handleOverrides: overrides)
        var values: [DecodedValue] = []
        try dissector.dissect(file: bytes.span.bytes) { values.append($0) }
        return values
    }

    /// Parses JSON lines into objects.
    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// JSON object text -> a value that compares structurally (numbers by value).
    static func object(_ json: String) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary)
    }
}
