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

    /// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
