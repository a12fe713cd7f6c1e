import Foundation
import Dissector
import GatewayStore

extension QueryCommand {
    /// `--metric NAME`: the matching metric records, one JSON line or CSV row each; when none
    /// match, standard error says which metrics and wearers the database holds.
    static func printMetricRecords(
        _ query: MetricRecordQuery, from store: GatewayStore, format: Format, to output: inout StandardOutput
    ) throws(GatewayStoreError) {
        let records = try store.metricRecords(query)
        if format == .csv { output.write("time,end,address,wearer,metric,value,unit,quality") }
        for record in records {
            let time = ISO8601Time.format(micros: record.timeMicros, fractionDigits: 3)
            let end = record.endMicros.map { ISO8601Time.format(micros: $0, fractionDigits: 3) }
            let value = number(record.value)
            switch format {
            case .jsonl:
                var line = "{\"time\": \"\(time)\", \"end\": " + (end.map { "\"\($0)\"" } ?? "null")
                switch record.subject {
                case .device(let address): line += ", \"address\": \"\(address)\""
                case .wearer(let name): line += ", \"wearer\": \(string(name))"
                }
                line += ", \"metric\": \(string(record.metric)), \"value\": \(value), \"unit\": \(string(record.unit))"
                if let quality = record.quality { line += ", \"quality\": \(number(quality))" }
                output.write(line + "}")
            case .csv:
                var address = "", wearer = ""
                switch record.subject {
                case .device(let value): address = value
                case .wearer(let name): wearer = csvField(name)
                }
                output.write("\(time),\(end ?? ""),\(address),\(wearer),\(record.metric),\(value),\(record.unit),"
                    + (record.quality.map(number) ?? ""))
            }
        }
        if records.isEmpty {
            let metrics = (try? store.metrics().map(\.name).joined(separator: ", ")) ?? ""
            let wearers = (try? store.wearers().joined(separator: ", ")) ?? ""
            FileHandle.standardError.write(Data(
                "no metric records match; the database has metrics [\(metrics)] and wearers [\(wearers)]\n".utf8))
        }
    }

    /// The day summary's fields: the metric each comes from, and its key in the output.
    static let dailyFields: [(metric: String, key: String)] = [
        ("steps_day", "steps"), ("active_minutes", "active_minutes"), ("energy_expenditure_day", "energy_expenditure_kj"),
        ("trimp_day", "trimp"), ("resting_heart_rate", "resting_heart_rate"), ("sleep_time_day", "sleep_time_min"),
        ("rmssd_night", "rmssd_night_ms"), ("spo2_min_day", "spo2_min"), ("odi_day", "odi"),
        ("skin_temperature_day", "skin_temperature"),
    ]

    /// `--daily`: per day (the gateway's local days), the day records of one subject side by side.
    static func printDailySummary(
        address: String?, wearer: String?, from: Int64?, to: Int64?, limit: Int?, in store: GatewayStore,
        format: Format, to output: inout StandardOutput
    ) throws(GatewayStoreError) {
        let dayMicros: Int64 = 86_400_000_000
        var days: [Int64: [String: Double]] = [:]
        for field in dailyFields {
            let query = MetricRecordQuery(metric: field.metric, address: address, wearer: wearer, from: from, to: to)
            for record in try store.metricRecords(query) {
                // A local day (the gateway's time-zone) is labelled by the UTC date of its middle:
                // its own date for zones within 12 hours of UTC.
                let middle = record.endMicros.map { record.timeMicros / 2 + $0 / 2 } ?? record.timeMicros
                let day = middle >= 0 ? middle / dayMicros : (middle - dayMicros + 1) / dayMicros
                days[day, default: [:]][field.key] = record.value
            }
        }
        let subject = wearer.map { ("wearer", string($0)) } ?? ("address", "\"\(address ?? "")\"")
        if format == .csv { output.write((["day", "address", "wearer"] + dailyFields.map(\.key)).joined(separator: ",")) }
        for day in days.keys.sorted().prefix(limit ?? Int.max) {
            let date = String(ISO8601Time.format(micros: day * dayMicros, fractionDigits: 0).prefix(10))
            let values = days[day] ?? [:]
            switch format {
            case .jsonl:
                var line = "{\"day\": \"\(date)\", \"\(subject.0)\": \(subject.1)"
                for field in dailyFields { line += ", \"\(field.key)\": " + (values[field.key].map(number) ?? "null") }
                output.write(line + "}")
            case .csv:
                let fields = [date, address ?? "", wearer.map(csvField) ?? ""] + dailyFields.map { values[$0.key].map(number) ?? "" }
                output.write(fields.joined(separator: ","))
            }
        }
        if days.isEmpty {
            let wearers = (try? store.wearers().joined(separator: ", ")) ?? ""
            FileHandle.standardError.write(Data(
                "no day records for \(wearer.map { "wearer \($0)" } ?? "device \(address ?? "")"); the database has wearers [\(wearers)]\n".utf8))
        }
    }

    /// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
