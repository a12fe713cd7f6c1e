import ArgumentParser
import BLEWire
import Dissector
import Foundation
import GatewayPipeline
import GatewayStore

/// `gaitway query`: samples out of a gateway database, one line each.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Print stored samples from a gateway database as JSON lines or CSV.",
        discussion: """
            One line per sample, in time order:
              {"time": "2026-11-22T03:01:12.250Z", "address": "C1:4D:AE:E4:8F:BD", "quantity": "heart_rate", "value": 72, "unit": "bpm"}
            Each RR interval is its own rr_interval sample, in seconds. Array elements (the \
            force cells of an insole) carry "channel". Times are the gateway's clock (UTC); \
            samples from devices with a clock of their own are placed by the gateway's \
            per-device clock fit.

            --from and --to take ISO 8601 times (2026-11-22T03:00:00Z, 2026-11-22) or seconds \
            since the epoch; --from is inclusive, --to exclusive.
            Without a filter it lists the devices and quantities the database holds.

            Examples:
              gaitway query --db gaitway.db --quantity heart_rate
              gaitway query --db gaitway.db --device C1:4D:AE:E4:8F:BD --from 2026-11-22T08:00:00Z --format csv
            """
    )

    @Option(help: "Gateway database file.")
    var db: String = "gaitway.db"

    @Option(help: ArgumentHelp("Only this device.", valueName: "ADDR"))
    var device: String?

    @Option(help: ArgumentHelp("Only this quantity (heart_rate, rr_interval, plantar_force, ...).", valueName: "NAME"))
    var quantity: String?

    @Option(help: ArgumentHelp("From this time (inclusive).", valueName: "ISO8601"))
    var from: String?

    @Option(help: ArgumentHelp("Until this time (exclusive).", valueName: "ISO8601"))
    var to: String?

    @Option(help: "At most this many samples.")
    var limit: Int?

    @Option(help: "jsonl or csv.")
    var format: Format = .jsonl

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl, csv
    }

    func validate() throws {
        if let from, ISO8601Time.parse(from) == nil { throw ValidationError("--from: '\(from)' is not an ISO 8601 time") }
        if let to, ISO8601Time.parse(to) == nil { throw ValidationError("--to: '\(to)' is not an ISO 8601 time") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: db) else {
            throw CleanExit.failure("no database at \(db) (run `gaitway gateway --db \(db)` first)")
        }
        let store: GatewayStore
        do { store = try GatewayStore(path: db, options: .init(readOnly: true)) } catch {
            throw CleanExit.failure("\(error)")
        }
        defer { try? store.close() }
        let query = SampleQuery(address: device?.uppercased(), quantity: quantity, from: from.flatMap(ISO8601Time.parse),
                                to: to.flatMap(ISO8601Time.parse), limit: limit)
        var output = StandardOutput()
        if format == .csv { output.write("time,address,quantity,channel,value,unit") }
        var count = 0
        do {
            try store.forEachSample(query) { sample in
                count += 1
                let time = ISO8601Time.format(micros: sample.gatewayTimeMicros, fractionDigits: 3)
                let value = Self.number(sample.value)
                switch format {
                case .jsonl:
                    var line = "{\"time\": \"\(time)\", \"address\": \"\(sample.address)\", \"quantity\": \"\(sample.quantity)\""
                    if sample.channel >= 0 { line += ", \"channel\": \(sample.channel)" }
                    line += ", \"value\": \(value)"
                    if let unit = sample.unit { line += ", \"unit\": \(StatusDisplay.quoted(unit))" }
                    output.write(line + "}")
                case .csv:
                    output.write("\(time),\(sample.address),\(sample.quantity),\(sample.channel >= 0 ? String(sample.channel) : ""),\(value),\(sample.unit ?? "")")
                }
            }
        } catch {
            output.flush()
            throw CleanExit.failure("\(error)")
        }
        output.flush()
        if count == 0 {
            let quantities = (try? store.quantities().map(\.name).joined(separator: ", ")) ?? ""
            let devices = (try? store.devices().map(\.address).joined(separator: ", ")) ?? ""
            FileHandle.standardError.write(Data("no samples match; the database has devices [\(devices)] and quantities [\(quantities)]\n".utf8))
        }
    }

    /// A JSON number: integers without a fraction (72, not 72.0), others as Swift's
    /// shortest round-tripping form (BLEWire's, shared with `gaitway decode`).
    static func number(_ value: Double) -> String {
        var bytes: [UInt8] = []
        JSONText.appendNumber(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
