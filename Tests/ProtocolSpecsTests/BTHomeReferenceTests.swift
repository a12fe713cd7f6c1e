import BLEWire
import Foundation
import GaitwayTestSupport
import ProtocolSpecs
import Testing

/// Protocols/bthome-v2.yaml against bthome-ble, the BTHome parser Home Assistant uses
/// (PyPI `bthome-ble`, pinned in tools/requirements.txt), over the payloads in
/// tools/bthome-corpus.txt: every object id the spec decodes, several objects per payload,
/// repeated ids, negative and extreme values, and malformed or refused payloads.
///
/// tools/bthome_reference.py reports what `BTHomeBluetoothDeviceData` makes of each payload:
/// sensors (key, device class, native value, unit), binary sensors, button events, and
/// whether it refused the payload or stopped before its end. This test decodes the same
/// bytes with our spec and rebuilds bthome-ble's view of them from our values: our field
/// name becomes bthome-ble's device class and our unit its unit (explicit tables below),
/// and repeated quantities get bthome-ble's `_1`, `_2` postfixes. The two views must be
/// equal: same keys, numbers within bthome-ble's rounding (it rounds each value to the
/// decimals of its factor: 0.01 → 2, 0.35 → 1), same units, booleans and event types.
///
/// Deliberate differences (the choice is ours, and why):
/// - A truncated object or an unknown object id: bthome-ble keeps the objects before it
///   and drops the rest quietly (a debug log line); we raise an error at that byte. A
///   gateway that turns adverts into metrics should not publish half an advert as if it
///   were whole, and a device sending ids we do not know is worth an error in the capture
///   report. The test requires both decoders to agree on the objects before that byte and
///   requires ours to fail wherever bthome-ble says it stopped.
/// - Object ids bthome-ble knows and our spec does not decode (0x3C dimmer, 0x53 text,
///   0x54 raw, 0x64 light level, 0x65 settings revision, 0xF0-0xF2 device information;
///   corpus tag `@unsupported`): we stop with "unknown object id" where bthome-ble goes on.
/// - A payload with the MAC flag set and fewer than 6 MAC bytes (tag `@stricter`):
///   bthome-ble reports nothing, we raise "truncated".
/// - bthome-ble keys kg and lb (0x06/0x07), mm and m (0x40/0x41), L and mL (0x47/0x48)
///   alike (`mass`, `distance`, `volume`), so in one payload the later overwrites the
///   earlier; we keep both (`mass`, `mass_lb`). The rebuilt view does the same overwrite.
/// - An idle button (0x3A value 0, or a value with no name) fires no event in bthome-ble;
///   we show `none` or the number. Both still count for the `_n` postfixes.
/// - bthome-ble rounds 0x58 (0.35 °C steps) to one decimal (raw 11 = 3.85 °C, it says
///   3.8); we keep the exact product. The tolerance below allows for its rounding.
/// - The MAC, the trigger-based flag and the packet id's de-duplication role are not part of
///   bthome-ble's entities and are not compared (the packet id is, as a sensor).
@Suite struct BTHomeReferenceTests {
    /// bthome-ble against us on every corpus payload. Needs `.venv` (tools/bootstrap.sh).
    @Test(.enabled(if: BTHomeReference.available || BTHomeReference.required,
                   "no .venv with bthome-ble: run tools/bootstrap.sh (GAITWAY_REQUIRE_REFERENCES=1 makes this a failure)"))
    func decodesLikeBTHomeBLE() async throws {
        guard BTHomeReference.available else {
            Issue.record("GAITWAY_REQUIRE_REFERENCES=1 but \(BTHomeReference.python) is missing: run tools/bootstrap.sh")
            return
        }
        let spec = try BTHomeReference.spec()
        let corpus = try BTHomeReference.corpus()
        let output = try await BTHomeReference.runReference()
        let reports = try output.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
        try #require(reports.count == corpus.count, "bthome_reference.py answered \(reports.count) of \(corpus.count) payloads")

        for (payload, report) in zip(corpus, reports) {
            try #require(report["line"] as? Int == payload.line, "out of step at corpus line \(payload.line)")
            try compare(spec: spec, payload: payload, report: report)
        }
    }

    /// The corpus exercises every object id the spec decodes (checked with our decoder,
    /// so it holds without Python too).
    @Test func corpusCoversEveryObjectId() throws {
        let spec = try BTHomeReference.spec()
        let fieldObjects = BTHomeReference.objectIds(spec.program)
        let supported = Set(fieldObjects.values)
        var seen: Set<Int> = []
        for payload in try BTHomeReference.corpus() {
            let decoded = BTHomeReference.decode(spec, payload.bytes)
            for value in decoded.values { if let id = fieldObjects[value.field] { seen.insert(id) } }
        }
        let missing = supported.subtracting(seen).sorted().map { "0x" + String($0, radix: 16) }
        #expect(missing.isEmpty, "object ids with no payload in tools/bthome-corpus.txt: \(missing)")
        #expect(supported.count >= 86)  // 0x00-0x2F, 0x3A, 0x3D-0x52, 0x55-0x63
    }

    // MARK: - One payload

    func compare(spec: ProtocolSpec, payload: CorpusPayload, report: [String: Any]) throws {
        let context = "line \(payload.line) \(payload.text)"
        let decoded = BTHomeReference.decode(spec, payload.bytes)
        let status = report["status"] as? String
        let stoppedEarly = report["stopped_early"] as? Bool ?? false

        if status == "rejected" {
            // Refused as a whole (wrong version bits, encrypted without a key): ours must fail
            // on the device information byte, for the same reason.
            let error = try #require(decoded.error, "bthome-ble rejects it (\(report["reason"] ?? "?")), we decode it: \(context)")
            #expect(error.offset == 0, "\(context): \(error)")
            let reason = report["reason"] as? String
            let expectedText = reason == "encrypted" ? "encrypted" : "version"
            #expect(error.description.contains(expectedText), "\(context): \(error)")
            return
        }

        if stoppedEarly {
            #expect(decoded.error != nil, "bthome-ble stopped before the end (\(report["log"] ?? "")); we decoded it all: \(context)")
        }
        if payload.tags.contains("unsupported") {
            let error = try #require(decoded.error, "tagged @unsupported but we decode it: \(context)")
            #expect(error.description.contains("unknown object id"), "\(context): \(error)")
            #expect(!stoppedEarly, "tagged @unsupported but bthome-ble does not know the id either: \(context)")
        } else if payload.tags.contains("stricter") {
            #expect(decoded.error != nil, "tagged @stricter but we decode it: \(context)")
            #expect(status == "empty", "tagged @stricter but bthome-ble reports something: \(context)")
            return
        } else if let error = decoded.error, !stoppedEarly {
            Issue.record("we fail (\(error)) where bthome-ble decodes everything: \(context)")
        }

        let ours = try BTHomeReference.referenceView(of: decoded, spec: spec, context: context)
        let theirs = try BTHomeReference.referenceView(of: report, context: context)
        if payload.tags.contains("unsupported") {
            // We stop at the id we do not know; what we decoded before it must match.
            for (key, entity) in ours.entities {
                let match = theirs.entities[key]
                #expect(match.map { entity.matches($0) } == true,
                        "\(key): ours \(entity), bthome-ble \(match.map(String.init(describing:)) ?? "nothing"): \(context)")
            }
            return
        }
        #expect(Set(ours.entities.keys) == Set(theirs.entities.keys),
                "keys: ours \(ours.entities.keys.sorted()), bthome-ble \(theirs.entities.keys.sorted()): \(context)")
        for (key, entity) in ours.entities {
            guard let match = theirs.entities[key] else { continue }
            #expect(entity.matches(match), "\(key): ours \(entity), bthome-ble \(match): \(context)")
        }
    }
}

/// One corpus line.
struct CorpusPayload: Sendable {
    var line: Int
    var text: String
    var bytes: [UInt8]
    /// `@name` words in the line's comment.
    var tags: Set<String>
}

/// One entity as bthome-ble shows it.
struct ReferenceEntity: Equatable, CustomStringConvertible {
    enum Kind: String { case sensor, binary, event }
    var kind: Kind
    var number: Double?
    var bool: Bool?
    var eventType: String?
    var text: String?
    var unit: String?
    /// Largest difference bthome-ble's rounding explains (from our side's scale).
    var tolerance: Double = 0

    func matches(_ other: ReferenceEntity) -> Bool {
        guard kind == other.kind, unit == other.unit, bool == other.bool, eventType == other.eventType,
              text == other.text else { return false }
        switch (number, other.number) {
        case (nil, nil): return true
        case let (a?, b?):
            let slack = max(tolerance, other.tolerance) + 1e-9 * max(1, abs(a))
            return abs(a - b) <= slack
        default: return false
        }
    }

    var description: String {
        switch kind {
        case .sensor: "\(number.map { "\($0)" } ?? text ?? "nil") \(unit ?? "")"
        case .binary: "\(bool.map { "\($0)" } ?? "nil")"
        case .event: "event \(eventType ?? "nil")"
        }
    }
}

/// Sensors, binary sensors and events are separate namespaces in bthome-ble (a binary
/// `power` and a sensor `power` coexist); the key here is `kind/key`.
struct ReferenceView {
    var entities: [String: ReferenceEntity] = [:]
}

/// Values out of our decoder, in wire order, including those emitted before an error.
struct RecordedDecode {
    enum Value {
        case number(Double)
        case bool(Bool)
        case label(String, raw: Int64)
    }

    var values: [(field: Int32, value: Value)] = []
    var error: WireError?
}

/// Keeps every scalar the interpreter hands over; the interpreter reports each object as
/// it reads it, so after a throw this holds the objects before the failing one.
struct RecordingSink: PayloadSink {
    let labels: [PayloadLabel]
    var values: [(field: Int32, value: RecordedDecode.Value)] = []

    mutating func integer(_ value: Int64, field: PayloadFieldRef) { values.append((field.id, .number(Double(value)))) }
    mutating func number(_ value: Double, field: PayloadFieldRef) { values.append((field.id, .number(value))) }
    mutating func special(_ value: IEEE11073Special, field: PayloadFieldRef) {
        values.append((field.id, .number(value.doubleValue)))
    }
    mutating func bool(_ value: Bool, field: PayloadFieldRef) { values.append((field.id, .bool(value))) }
    mutating func label(_ label: Int, raw: Int64, field: PayloadFieldRef) {
        values.append((field.id, .label(labels[label].label, raw: raw)))
    }
    mutating func text(_ utf8: RawSpan, field: PayloadFieldRef) {}
    mutating func bytes(_ bytes: RawSpan, field: PayloadFieldRef) {}
    mutating func null(field: PayloadFieldRef) {}
    mutating func beginArray(field: PayloadFieldRef) {}
    mutating func endArray(field: PayloadFieldRef) {}
    mutating func beginObject(field: PayloadFieldRef) {}
    mutating func endObject(field: PayloadFieldRef) {}
}

enum BTHomeReference {
    static var python: String { Reference.python }
    static var available: Bool { Reference.executable(python) }
    static var required: Bool { Reference.required }
    static var corpusPath: String { Reference.path("tools/bthome-corpus.txt") }

    static func spec() throws -> ProtocolSpec {
        let catalog = try ProtocolCatalog.bundled()
        return try #require(catalog.spec(named: "bthome-v2"))
    }

    static func corpus() throws -> [CorpusPayload] {
        let text = try String(contentsOfFile: corpusPath, encoding: .utf8)
        var payloads: [CorpusPayload] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let parts = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
            let hex = parts[0].trimmingCharacters(in: .whitespaces)
            guard !hex.isEmpty else { continue }
            let comment = parts.count > 1 ? String(parts[1]) : ""
            let tags = Set(comment.split(separator: " ").filter { $0.hasPrefix("@") }.map { String($0.dropFirst()) })
            let bytes = try #require([UInt8](hex: hex), "corpus line \(index + 1) is not hex")
            payloads.append(CorpusPayload(line: index + 1, text: String(line), bytes: bytes, tags: tags))
        }
        return payloads
    }

    static func runReference() async throws -> String {
        try await Reference.run(python, ["tools/bthome_reference.py", corpusPath])
    }

    static func decode(_ spec: ProtocolSpec, _ bytes: [UInt8]) -> RecordedDecode {
        var sink = RecordingSink(labels: spec.program.labels)
        var result = RecordedDecode()
        do {
            try spec.program.decode(bytes.span.bytes, into: &sink)
        } catch {
            result.error = error
        }
        result.values = sink.values
        return result
    }

    /// Field index → the BTHome object id it decodes (fields outside the object list,
    /// such as `trigger_based` and `mac`, have none).
    static func objectIds(_ program: PayloadProgram) -> [Int32: Int] {
        var ids: [Int32: Int] = [:]
        for op in program.ops where op.field >= 0 && op.tag >= 0 { ids[op.field] = Int(op.tag) }
        return ids
    }

    static func scales(_ program: PayloadProgram) -> [Int32: PayloadScale] {
        var scales: [Int32: PayloadScale] = [:]
        for op in program.ops where op.field >= 0 && op.tag >= 0 { scales[op.field] = op.scale }
        return scales
    }

    /// Our field name → bthome-ble's device class (its entity key before any `_n`).
    /// Sensors first, then binary sensors, then events.
    static let deviceClasses: [String: String] = [
        "packet_id": "packet_id", "battery": "battery", "temperature": "temperature", "humidity": "humidity",
        "pressure": "pressure", "illuminance": "illuminance", "mass": "mass", "mass_lb": "mass",
        "dew_point": "dew_point", "count": "count", "energy": "energy", "power": "power", "voltage": "voltage",
        "pm2_5": "pm25", "pm10": "pm10", "co2": "carbon_dioxide", "tvoc": "volatile_organic_compounds",
        "moisture": "moisture", "rotation": "rotation", "distance_mm": "distance", "distance": "distance",
        "duration": "duration", "current": "current", "speed": "speed", "uv_index": "uv_index",
        "volume": "volume", "volume_ml": "volume", "volume_flow_rate": "volume_flow_rate", "gas": "gas",
        "water": "water", "timestamp": "timestamp", "acceleration": "acceleration", "gyroscope": "gyroscope",
        "volume_storage": "volume_storage", "conductivity": "conductivity", "direction": "direction",
        "precipitation": "precipitation", "channel": "channel", "rotational_speed": "rotational_speed",

        "generic_boolean": "generic", "power_on": "power", "opening": "opening", "battery_low": "battery",
        "battery_charging": "battery_charging", "carbon_monoxide": "carbon_monoxide", "cold": "cold",
        "connectivity": "connectivity", "door": "door", "garage_door": "garage_door", "gas_detected": "gas",
        "heat": "heat", "light": "light", "lock": "lock", "moisture_detected": "moisture", "motion": "motion",
        "moving": "moving", "occupancy": "occupancy", "plug": "plug", "presence": "presence",
        "problem": "problem", "running": "running", "safety": "safety", "smoke": "smoke", "sound": "sound",
        "tamper": "tamper", "vibration": "vibration", "window": "window",

        "button": "button",
    ]

    /// Our unit → bthome-ble's (sensor-state-data's `Units`). Same text except pressure:
    /// BTHome and we say hPa, sensor-state-data says mbar (the same unit).
    static let units: [String: String] = [
        "%": "%", "°C": "°C", "hPa": "mbar", "lx": "lx", "kg": "kg", "lb": "lb", "kWh": "kWh", "W": "W",
        "V": "V", "µg/m³": "µg/m³", "ppm": "ppm", "°": "°", "mm": "mm", "m": "m", "s": "s", "A": "A",
        "m/s": "m/s", "L": "L", "mL": "mL", "m³/h": "m³/h", "m³": "m³", "m/s²": "m/s²", "°/s": "°/s",
        "µS/cm": "µS/cm", "rpm": "rpm",
    ]

    /// bthome-ble's rounding: `round(raw × factor, d)` with d the decimals of the factor's
    /// exponent (`f"{factor:e}"`), so it may differ from the exact product by half a unit
    /// in the d-th decimal. That is still less than one raw step, so a wrong size, sign or
    /// factor cannot hide in it.
    static func tolerance(_ scale: PayloadScale) -> Double {
        let factor = scale.numerator / scale.denominator
        let decimals = -Int(log10(factor).rounded(.down))
        return decimals <= 0 ? 0 : 0.5 * pow(10, -Double(decimals))
    }

    /// Our values as bthome-ble would key them.
    static func referenceView(of decoded: RecordedDecode, spec: ProtocolSpec, context: String) throws -> ReferenceView {
        let program = spec.program
        let objects = objectIds(program), scales = scales(program)
        struct Pending {
            var group: String
            var deviceClass: String
            var entity: ReferenceEntity?
        }
        var pending: [Pending] = []
        for (field, value) in decoded.values where objects[field] != nil {
            let info = program.fields[Int(field)]
            let deviceClass = try #require(deviceClasses[info.name], "no bthome-ble device class for our \(info.name): \(context)")
            var entity: ReferenceEntity?
            switch value {
            case .number where info.name == "button":
                break  // a button value with no name: bthome-ble fires no event
            case let .number(number):
                var unit: String?
                if let ours = info.unit, deviceClass != "timestamp" {  // bthome-ble: a datetime, no unit
                    guard let mapped = units[ours] else {
                        Issue.record("no bthome-ble unit for our \(ours): \(context)")
                        continue
                    }
                    unit = mapped
                }
                entity = ReferenceEntity(kind: .sensor, number: number, unit: unit,
                                         tolerance: tolerance(scales[field] ?? .identity))
            case let .bool(flag):
                entity = ReferenceEntity(kind: .binary, bool: flag)
            case let .label(label, _):
                entity = label == "none" ? nil : ReferenceEntity(kind: .event, eventType: label)
            }
            let kind: ReferenceEntity.Kind = switch value {
            case .bool: .binary
            case .label: .event
            case .number: info.name == "button" ? .event : .sensor
            }
            // bthome-ble numbers repeats of one measurement format: device class and unit.
            pending.append(Pending(group: "\(kind)/\(deviceClass)/\(entity?.unit ?? "")", deviceClass: deviceClass,
                                   entity: entity))
        }
        var totals: [String: Int] = [:]
        for item in pending { totals[item.group, default: 0] += 1 }
        var seen: [String: Int] = [:]
        var view = ReferenceView()
        for item in pending {
            seen[item.group, default: 0] += 1
            guard let entity = item.entity else { continue }
            let postfix = totals[item.group, default: 0] > 1 ? "_\(seen[item.group, default: 0])" : ""
            view.entities["\(entity.kind)/\(item.deviceClass)\(postfix)"] = entity  // later overwrites, as in bthome-ble
        }
        return view
    }

    /// bthome-ble's report (tools/bthome_reference.py output) in the same shape.
    static func referenceView(of report: [String: Any], context: String) throws -> ReferenceView {
        var view = ReferenceView()
        for sensor in report["sensors"] as? [[String: Any]] ?? [] {
            let key = try #require(sensor["key"] as? String, "\(context)")
            // Text (0x53) and raw (0x54) objects come as strings; we decode neither.
            let number = (sensor["value"] as? NSNumber)?.doubleValue
            view.entities["sensor/\(key)"] = ReferenceEntity(kind: .sensor, number: number,
                                                             text: number == nil ? "\(sensor["value"] ?? "nil")" : nil,
                                                             unit: sensor["unit"] as? String)
        }
        for binary in report["binary_sensors"] as? [[String: Any]] ?? [] {
            let key = try #require(binary["key"] as? String, "\(context)")
            view.entities["binary/\(key)"] = ReferenceEntity(kind: .binary, bool: binary["value"] as? Bool)
        }
        for event in report["events"] as? [[String: Any]] ?? [] {
            let key = try #require(event["key"] as? String, "\(context)")
            view.entities["event/\(key)"] = ReferenceEntity(kind: .event, eventType: event["event_type"] as? String)
        }
        return view
    }
}
