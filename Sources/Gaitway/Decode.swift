import ArgumentParser
import BLEWire
import Dissector
import Foundation
import ProtocolSpecs

/// `gaitway decode CAPTURE`: decode a btsnoop capture with the Protocols specs.
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode a btsnoop capture: notifications, indications, reads and advertisements.",
        discussion: """
            Reads btsnoop captures (datalink 1001, 1002 or 2001: what btmon, Android, Bumble and \
            gaitway write). Like tshark, it follows each connection and the GATT discovery in the \
            capture to learn which characteristic each ATT handle holds, then decodes values with \
            the Protocols/ spec for that characteristic (or for the advertisement's service data \
            or manufacturer data). Values without a spec are printed as hex.

            A malformed packet prints a line with its "frame" number and an "error" (what, and \
            at which byte offset of that frame's HCI packet, or of the value for a payload that \
            does not fit its spec) and decoding goes on. A file that is not a btsnoop \
            capture exits with status 1.

            Examples:
              gaitway decode capture.btsnoop
              gaitway decode capture.btsnoop --format csv > values.csv
              gaitway decode mid-connection.btsnoop --map 16=2a37 --map 0x13=2a19
            """
    )

    @Argument(help: "The btsnoop capture to decode.")
    var capture: String

    @Option(help: "Output: jsonl (one JSON object per value), csv (one row per measured quantity) or text.")
    var format: DecodedValueFormat = .jsonl

    @Option(name: .customLong("map"), help: ArgumentHelp(
        "Treat ATT handle HANDLE as characteristic UUID (for captures that start after discovery).",
        valueName: "HANDLE=UUID"))
    var mappings: [HandleMapping] = []

    @OptionGroup var protocols: ProtocolOptions

    func run() throws {
        let catalog = try protocols.loadCatalog()
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: capture), options: .alwaysMapped))
        } catch {
            throw CleanExit.failure("cannot read \(capture): \(error.localizedDescription)")
        }
        var overrides: [AttributeHandle: BluetoothUUID] = [:]
        for mapping in mappings { overrides[mapping.handle] = mapping.uuid }

        var output = StandardOutput()
        if let header = format.header { output.write(header) }
        var dissector = CaptureDissector(catalog: catalog, handleOverrides: overrides)
        do {
            try dissector.dissect(file: bytes.span.bytes) { value in
                for line in format.lines(for: value) { output.write(line) }
            }
        } catch {
            output.flush()
            throw CleanExit.failure("\(capture) is not a btsnoop capture: \(error)")
        }
        output.flush()
    }
}

extension DecodedValueFormat: ExpressibleByArgument {}

/// `HANDLE=UUID`, the handle in decimal or 0x-hex.
struct HandleMapping: ExpressibleByArgument {
    var handle: AttributeHandle
    var uuid: BluetoothUUID

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let uuid = BluetoothUUID(parts[1]) else { return nil }
        let text = parts[0].lowercased()
        guard let handle = text.hasPrefix("0x") ? UInt16(text.dropFirst(2), radix: 16) : UInt16(text) else {
            return nil
        }
        self.handle = AttributeHandle(handle)
        self.uuid = uuid
    }
}
