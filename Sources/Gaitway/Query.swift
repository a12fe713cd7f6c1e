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
        abstract: "Print stored samples or metric records from a gateway database as JSON lines or CSV.",
        discussion: """
            One line per sample on standard output, in order of gateway time (then device \
            address, quantity, channel, and order of arrival); one, shown over two lines:
              {"time": "2026-11-22T03:01:12.250Z", "address": "C1:4D:AE:E4:8F:BD",
               "quantity": "heart_rate", "value": 72, "unit": "bpm"}
            or, with --format csv, under the header time,address,quantity,channel,value,unit. \
            Times are the gateway's clock in UTC, printed to the millisecond (truncated); \
            samples from devices with a clock of their own are placed by the gateway's \
            per-device clock fit. Each RR interval is its own rr_interval sample, in seconds. \
            Elements of an array (the force cells of an insole) carry "channel" (0, 1, ...); \
            other samples have none (an empty CSV field). "unit" is left out where the spec \
            gives none. Values are JSON numbers: whole values without a fraction (72), others \
            in the shortest form that reads back the same.

            Without filters every stored sample is printed. --device (an address, in any \
            letter case, : or - between the octets) and --quantity (a name as --list shows \
            it) select exactly; --from is inclusive, --to exclusive; --limit stops after that \
            many lines. When nothing matches, standard error lists the devices and quantities \
            the database holds, and the exit status is still 0. --list prints those instead \
            of samples, one JSON line per device ("device", "name", "first_seen", \
            "last_seen", "samples"), per quantity ("quantity", "unit"), per metric ("metric", \
            "unit", "records") and per wearer ("wearer").

            --metric NAME prints metric records instead of samples (what the gateway computed: \
            stride_time, cadence, rmssd, ...; --list shows the stored ones), one line each in \
            order of time:
              {"time": "2026-11-22T03:01:12.250Z", "end": null, "address": "C1:4D:AE:E4:8F:BD",
               "metric": "stride_time", "value": 1.08, "unit": "s", "quality": 0.95}
            "time" is the event (a stride's initial contact) or the start of the window the \
            record summarises, "end" that window's end (null for an event); a record of a \
            wearer (both feet, or several devices) has "wearer" in place of "address"; \
            "quality" (0 to 1) is left out where the metric has none. With --format csv: \
            time,end,address,wearer,metric,value,unit,quality. --device, --wearer, --from, --to \
            and --limit filter as for samples (--from/--to on "time").

            --from and --to take times from 0000-01-01 to 9999-12-31 (UTC) as:
              2026-11-22T03:00:00Z    date and time; T, t or a space between them; seconds
                                      optional (2026-11-22T03:00Z); a fraction after . or ,
                                      to the microsecond (further digits dropped)
              2026-11-22T04:00+01:00  an offset from UTC (+hh:mm, +hhmm, +hh); none: UTC
              2026-11-22              a date: midnight UTC
              1795305600, -5, 1.7e9   seconds since 1970-01-01T00:00:00Z (--from -5 works)
            Impossible dates and times (February 30, hour 24, minute 60) are refused, and \
            so are leap seconds (23:59:60): the gateway's clock is POSIX time, which has none.

            --daily prints the day summary of one wearer (--wearer) or device (--device), one \
            line per day that has any of it (the gateway's days: UTC, or its --time-zone's), \
            from the records the gateway keeps per day:
              {"day": "2025-03-02", "wearer": "ada", "steps": 8412, "active_minutes": 41,
               "energy_expenditure_kj": 9650, "trimp": 62.5, "resting_heart_rate": 54,
               "sleep_time_min": 431, "rmssd_night_ms": 48.2, "spo2_min": 91, "odi": 1.2,
               "skin_temperature": 33.4}
            (steps_day, active_minutes, energy_expenditure_day, trimp_day, resting_heart_rate, \
            sleep_time_day: the night that ended that day, rmssd_night, spo2_min_day, odi_day, \
            skin_temperature_day); a value the day lacks is null. A wristband's summary is under \
            the wearer the configuration names for it, else under the band's address. With \
            --format csv: day,address,wearer and the same fields. --from and --to select days by \
            their midnight.

            Examples:
              gaitway query --db gaitway.db --list
              gaitway query --db gaitway.db --quantity heart_rate
              gaitway query --device C1:4D:AE:E4:8F:BD --from 2026-11-22T08:00Z --format csv
              gaitway query --metric cadence --wearer ada
              gaitway query --daily --wearer ada
            """
    )

    @Option(help: "Gateway database file.")
    var db: String = "gaitway.db"

    @Flag(help: "List the devices and quantities the database holds (JSON lines), instead of samples.")
    var list = false

    @Option(help: ArgumentHelp("Only this device.", valueName: "ADDR"))
    var device: String?

    @Option(help: ArgumentHelp("Only this quantity (heart_rate, rr_interval, plantar_force, ...).", valueName: "NAME"))
    var quantity: String?

    @Option(help: ArgumentHelp("Metric records of this metric (stride_time, cadence, rmssd, ...) instead of samples.",
                               valueName: "NAME"))
    var metric: String?

    @Option(help: ArgumentHelp("With --metric or --daily: only records of this wearer.", valueName: "NAME"))
    var wearer: String?

    @Flag(help: "The day summary of --wearer or --device, one line per UTC day, instead of samples.")
    var daily = false

    @Option(parsing: .unconditional, help: ArgumentHelp("From this time (inclusive).", valueName: "TIME"),
            transform: Self.time)
    var from: Int64?

    @Option(parsing: .unconditional, help: ArgumentHelp("Until this time (exclusive).", valueName: "TIME"),
            transform: Self.time)
    var to: Int64?

    @Option(parsing: .unconditional, help: ArgumentHelp("At most this many samples (1 or more).", valueName: "N"),
            transform: { text throws(NumberArgument.Invalid) in try NumberArgument.integer(text, in: 1...Int.max) })
    var limit: Int?

    @Option(help: "jsonl or csv.")
    var format: Format = .jsonl

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl, csv
    }

    /// `--from` / `--to`: ISO 8601 or seconds since the epoch, as microseconds.
    static func time(_ text: String) throws(ISO8601Time.ParseError) -> Int64 {
        try ISO8601Time.micros(parsing: text)
    }

    func validate() throws {
        if let device, BDAddress(device) == nil {
            throw ValidationError("--device '\(device)' is not a Bluetooth address (AA:BB:CC:DD:EE:FF; --list shows those stored)")
        }
        if let from, let to, from >= to {
            throw ValidationError("--from \(ISO8601Time.format(micros: from, fractionDigits: 6)) is not before --to "
                + "\(ISO8601Time.format(micros: to, fractionDigits: 6)): no time is in that range")
        }
        if daily {
            if metric != nil || quantity != nil || list {
                throw ValidationError("--daily prints the day summary; it takes no --metric, --quantity or --list")
            }
            if (wearer == nil) == (device == nil) {
                throw ValidationError("--daily needs one subject: --wearer NAME or --device ADDR (--list shows those stored)")
            }
        } else if wearer != nil && metric == nil {
            throw ValidationError("--wearer selects metric records: give --metric NAME too (--list shows the metrics stored)")
        }
        if metric != nil && quantity != nil {
            throw ValidationError("--metric prints metric records and --quantity samples: give one of them")
        }
        if list {
            var given: [String] = []
            if metric != nil { given.append("--metric") }
            if wearer != nil { given.append("--wearer") }
            if device != nil { given.append("--device") }
            if quantity != nil { given.append("--quantity") }
            if from != nil { given.append("--from") }
            if to != nil { given.append("--to") }
            if limit != nil { given.append("--limit") }
            if format != .jsonl { given.append("--format \(format.rawValue)") }
            if !given.isEmpty {
                throw ValidationError("--list lists the whole database as JSON lines; it takes no \(given.joined(separator: ", "))")
            }
        }
    }

    func run() throws {
        if let problem = FileArgument.problem(db, option: "--db", mustExist: true) {
            throw CleanExit.failure(problem + (FileManager.default.fileExists(atPath: db)
                ? "" : " (run `gaitway gateway --db \(db)` first)"))
        }
        let store: GatewayStore
        do { store = try GatewayStore(path: db, options: .init(readOnly: true)) } catch .notADatabase(let path) {
            throw CleanExit.failure("\(path) is not a gateway database (not an SQLite file)")
        } catch {
            throw CleanExit.failure("\(error)")
        }
        defer { try? store.close() }
        var output = StandardOutput()
        defer { output.flush() }
        if list {
            do { try Self.list(store, to: &output) } catch { throw CleanExit.failure("\(error)") }
            return
        }
        // Stored as BDAddress prints them: upper case, colons.
        let address = device.flatMap(BDAddress.init).map(\.description)
        if daily {
            do {
                try Self.printDailySummary(address: address, wearer: wearer, from: from, to: to, limit: limit, in: store,
                                           format: format, to: &output)
            } catch {
                throw CleanExit.failure("\(error)")
            }
            return
        }
        if let metric {
            let query = MetricRecordQuery(metric: metric, address: address, wearer: wearer, from: from, to: to, limit: limit)
            do { try Self.printMetricRecords(query, from: store, format: format, to: &output) } catch {
                throw CleanExit.failure("\(error)")
            }
            return
        }
        let query = SampleQuery(address: address, quantity: quantity, from: from, to: to, limit: limit)
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
                    if let unit = sample.unit { line += ", \"unit\": \(Self.string(unit))" }
                    output.write(line + "}")
                case .csv:
                    output.write("\(time),\(sample.address),\(sample.quantity),\(sample.channel >= 0 ? String(sample.channel) : ""),\(value),\(sample.unit ?? "")")
                }
            }
        } catch {
            throw CleanExit.failure("\(error)")
        }
        if count == 0 {
            let quantities = (try? store.quantities().map(\.name).joined(separator: ", ")) ?? ""
            let devices = (try? store.devices().map(\.address).joined(separator: ", ")) ?? ""
            FileHandle.standardError.write(Data("no samples match; the database has devices [\(devices)] and quantities [\(quantities)]\n".utf8))
        }
    }

    /// `--list`: one JSON line per device, then one per quantity.
    static func list(_ store: GatewayStore, to output: inout StandardOutput) throws(GatewayStoreError) {
        for device in try store.devices(includingSampleCounts: true) {
            var line = "{\"device\": \"\(device.address)\", \"name\": \(device.name.map(string) ?? "null")"
            for (key, micros) in [("first_seen", device.firstSeenMicros), ("last_seen", device.lastSeenMicros)] {
                line += ", \"\(key)\": " + (micros.map { "\"\(ISO8601Time.format(micros: $0, fractionDigits: 3))\"" } ?? "null")
            }
            output.write(line + ", \"samples\": \(device.sampleCount ?? 0)}")
        }
        for quantity in try store.quantities() {
            output.write("{\"quantity\": \(string(quantity.name)), \"unit\": \(quantity.unit.map(string) ?? "null")}")
        }
        for metric in try store.metrics() {
            output.write("{\"metric\": \(string(metric.name)), \"unit\": \(string(metric.unit)), \"records\": \(metric.recordCount)}")
        }
        for wearer in try store.wearers() {
            output.write("{\"wearer\": \(string(wearer))}")
        }
    }

    /// A JSON number: integers without a fraction (72, not 72.0), others as Swift's
    /// shortest round-tripping form (BLEWire's, shared with `gaitway decode`).
    static func number(_ value: Double) -> String {
        var bytes: [UInt8] = []
        JSONText.appendNumber(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A JSON string.
    static func string(_ text: String) -> String { String(decoding: JSONText.quoted(text), as: UTF8.self) }
}
