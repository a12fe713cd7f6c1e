import BLEWire

/// How `gaitway decode` prints decoded values.
public enum DecodedValueFormat: String, CaseIterable, Sendable {
    /// One JSON object per line:
    /// `{"time":"2026-11-21T10:00:00.123456Z","address":"F6:F7:F8:F9:FA:FB","source":"notification",
    /// "handle":16,"uuid":"2a37","format":"heart-rate-measurement","fields":{...}}`.
    case jsonl
    /// One row per measured quantity (an RR interval, a force cell), with a header row.
    case csv
    /// One line per value for people.
    case text

    /// The header line, for formats that have one.
    public var header: String? {
        self == .csv ? "time,address,source,handle,uuid,format,field,quantity,index,frame,value,unit,error" : nil
    }

    /// The lines for one value (CSV: one per sample; the others: exactly one).
    public func lines(for value: DecodedValue) -> [String] {
        switch self {
        case .jsonl: [Self.json(value)]
        case .csv: Self.csv(value)
        case .text: [Self.text(value)]
        }
    }

    // MARK: JSON lines

    static func json(_ value: DecodedValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        var first = true
        func key(_ name: String) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            JSONText.appendQuoted(name.utf8, to: &out)
            out.append(UInt8(ascii: ":"))
        }
        func string(_ name: String, _ text: String) {
            key(name)
            JSONText.appendQuoted(text.utf8, to: &out)
        }
        string("time", CaptureTime.iso8601(microseconds: value.timeMicros))
        if value.source == .capture || value.error != nil {
            key("frame")
            JSONText.appendInteger(Int64(value.frame), to: &out)
        }
        if let address = value.address { string("address", address.description) }
        string("source", value.source.rawValue)
        if let handle = value.handle {
            key("handle")
            JSONText.appendInteger(Int64(handle.rawValue), to: &out)
        }
        if let uuid = value.uuid { string("uuid", uuid.description) }
        if let company = value.companyID {
            key("company_id")
            JSONText.appendInteger(Int64(company), to: &out)
        }
        if let format = value.format { string("format", format) }
        if let fields = value.fieldsJSON {
            key("fields")
            out.append(contentsOf: fields.utf8)
        }
        if let raw = value.rawValue { string("value", raw.hexString) }
        if let error = value.error { string("error", error) }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: CSV (RFC 4180)

    static func csv(_ value: DecodedValue) -> [String] {
        let common = [
            CaptureTime.iso8601(microseconds: value.timeMicros), value.address?.description ?? "",
            value.source.rawValue, value.handle.map { String($0.rawValue) } ?? "",
            value.uuid?.description ?? value.companyID.map { "company:\($0)" } ?? "", value.format ?? "",
        ]
        guard !value.samples.isEmpty else {
            return [(common + ["", "", "", "", value.rawValue?.hexString ?? "", "", value.error ?? ""])
                .map(csvField).joined(separator: ",")]
        }
        return value.samples.map { sample in
            (common + [
                sample.field, sample.quantity, sample.index.map(String.init) ?? "",
                sample.frame.map(String.init) ?? "", Self.number(sample.value), sample.unit ?? "", "",
            ]).map(csvField).joined(separator: ",")
        }
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }

    static func number(_ value: Double) -> String {
        var out: [UInt8] = []
        JSONText.appendNumber(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Text

    static func text(_ value: DecodedValue) -> String {
        var parts = [String(CaptureTime.iso8601(microseconds: value.timeMicros).dropFirst(11).dropLast())]
        if value.source == .capture {
            return parts[0] + " frame \(value.frame): \(value.error ?? "")"
        }
        parts.append(value.address?.description ?? "??:??:??:??:??:??")
        parts.append(value.source.rawValue)
        if let handle = value.handle { parts.append("handle 0x" + String(handle.rawValue, radix: 16, uppercase: false)) }
        if let uuid = value.uuid { parts.append(uuid.description) }
        if let company = value.companyID { parts.append("company 0x" + String(company, radix: 16)) }
        if let format = value.format { parts.append(format) }
        if let fields = value.fieldsJSON { parts.append(fields) }
        if let raw = value.rawValue { parts.append("value " + raw.hexString) }
        if let error = value.error { parts.append("error: " + error) }
        return parts.joined(separator: " ")
    }
}
