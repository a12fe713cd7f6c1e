import Foundation
import Hummingbird
import UploadFormat

/// `GET /v1/fhir/Observation?code=&subject=&date=&_count=`: a FHIR R4 `Bundle` of type
/// `searchset` (https://hl7.org/fhir/R4/bundle.html, https://hl7.org/fhir/R4/search.html).
///
/// - Metric records become one Observation each: `valueQuantity` in UCUM, `effectiveDateTime`
///   for an instant or `effectivePeriod` for a window.
/// - Samples, a high-rate series, become one Observation per device, quantity, channel and
///   minute: `valueSampledData` (https://hl7.org/fhir/R4/datatypes.html#SampledData) with the
///   values in time order and `period` the mean interval between them in ms (BLE samples
///   arrive with jitter; `effectivePeriod` gives the exact first and last sample times). A
///   minute holding a single sample is a `valueQuantity`.
///
/// Search parameters: `code` (token, comma-separated for OR: `http://loinc.org|8867-4`,
/// `8867-4`, `urn:gaitway:fhir:metric|rmssd`), `subject` (`Device/<address>` with `-` or `:`
/// between bytes, or `Patient/<wearer>`), `date` (repeatable, with the prefixes eq, ge, gt, le,
/// lt on a date or an RFC 3339 date-time), `_count` (1...1000, default 100). Observations are
/// in time order, the first `_count` of them.
struct FHIRRoutes: Sendable {
    let storage: any CollectorStorage

    static let maximumCount = 1000
    /// Most samples one search reads to build its SampledData.
    static let sampleBudget = 100_000
    static let windowMicros: Int64 = 60 * RFC3339.microsPerSecond

    func register(on group: RouterGroup<CollectorRequestContext>) {
        group.get("Observation") { request, context in try await observations(request, context: context) }
    }

    enum Subject: Equatable {
        case device(String)
        case wearer(String)
    }

    struct Search {
        var names: Set<String>?
        var subject: Subject?
        var from: Int64?
        var to: Int64?
        var count: Int
    }

    static func parse(_ request: Request) throws -> Search {
        let parameters = QueryParameters(request)
        var search = Search(count: try parameters.integer("_count", in: 1...maximumCount, default: 100))
        if let codes = try parameters.string("code") {
            search.names = codes.split(separator: ",").reduce(into: Set<String>()) { names, token in
                names.formUnion(ObservationCodes.names(matching: String(token)))
            }
        }
        if let subject = try parameters.string("subject") {
            if subject.hasPrefix("Device/"), subject.count > 7 {
                search.subject = .device(String(subject.dropFirst(7)).replacingOccurrences(of: "-", with: ":"))
            } else if subject.hasPrefix("Patient/"), subject.count > 8 {
                search.subject = .wearer(String(subject.dropFirst(8)))
            } else {
                throw HTTPError(.badRequest, message: "subject must be Device/<address> or Patient/<wearer>")
            }
        }
        for value in parameters.parameters.getAll("date") {
            let prefixes = ["eq", "ge", "gt", "le", "lt"]
            let prefix = prefixes.first(where: { value.hasPrefix($0) }) ?? "eq"
            let text = prefixes.contains(where: { value.hasPrefix($0) }) ? String(value.dropFirst(2)) : value
            guard let start = RFC3339.parse(text) else {
                throw HTTPError(.badRequest, message: "date must be [eq|ge|gt|le|lt] followed by a date or an RFC 3339 date-time")
            }
            // A date covers its whole day, a date-time its microsecond (FHIR search, 3.1.1.4.2).
            let end = start + (text.count == 10 ? RFC3339.microsPerDay : 1)
            switch prefix {
            case "ge": search.from = max(search.from ?? .min, start)
            case "gt": search.from = max(search.from ?? .min, end)
            case "lt": search.to = min(search.to ?? .max, start)
            case "le": search.to = min(search.to ?? .max, end)
            default:
                search.from = max(search.from ?? .min, start)
                search.to = min(search.to ?? .max, end)
            }
        }
        return search
    }

    func observations(_ request: Request, context: CollectorRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let search = try Self.parse(request)
        var entries: [(time: Int64, resource: JSONValue)] = []
        if search.names?.isEmpty != true {
            entries += try await metricObservations(search, tenant: caller.tenant)
            if case .wearer = search.subject {} else {
                entries += try await sampleObservations(search, tenant: caller.tenant)
            }
        }
        entries.sort { $0.time < $1.time }
        let page = entries.prefix(search.count)
        let bundle = JSONValue.object([
            ("resourceType", .string("Bundle")),
            ("type", .string("searchset")),
            ("total", .integer(page.count)),
            ("link", .array([.object([("relation", .string("self")), ("url", .string(request.uri.description))])])),
            ("entry", .array(page.map { entry in
                .object([("resource", entry.resource), ("search", .object([("mode", .string("match"))]))])
            })),
        ])
        var buffer = ByteBuffer()
        buffer.writeBytes(try JSONEncoder().encode(bundle))
        return Response(status: .ok, headers: [.contentType: "application/fhir+json"], body: .init(byteBuffer: buffer))
    }

    // MARK: Metric records

    private func metricObservations(_ search: Search, tenant: String) async throws -> [(Int64, JSONValue)] {
        var query = MetricQuery(fromMicros: search.from, toMicros: search.to, limit: search.count)
        switch search.subject {
        case .device(let address)?: (query.subjectKind, query.subject) = (.device, address)
        case .wearer(let wearer)?: (query.subjectKind, query.subject) = (.wearer, wearer)
        case nil: break
        }
        var records: [StoredMetricRecord] = []
        if let names = search.names {
            for name in names.sorted() {
                query.metric = name
                records += try await storage.metricRecords(query, tenant: tenant)
            }
        } else {
            records = try await storage.metricRecords(query, tenant: tenant)
        }
        return records.map { record in
            var members = Self.header(code: ObservationCodes.code(for: record.metric, isMetric: true),
                                      subject: record.subjectKind == .device ? .device(record.subject) : .wearer(record.subject))
            if let end = record.endMicros {
                members.append(("effectivePeriod", .object([("start", .string(RFC3339.format(micros: record.timeMicros))),
                                                            ("end", .string(RFC3339.format(micros: end)))])))
            } else {
                members.append(("effectiveDateTime", .string(RFC3339.format(micros: record.timeMicros))))
            }
            members.append(("valueQuantity", Self.quantity(record.value, unit: record.unit)))
            return (record.timeMicros, .object(members))
        }
    }

    // MARK: Samples

    private struct SeriesKey: Hashable {
        var address: String
        var quantity: String
        var channel: Int32
        var unit: String?
        var window: Int64
    }

    private func sampleObservations(_ search: Search, tenant: String) async throws -> [(Int64, JSONValue)] {
        var device: String?
        if case .device(let address)? = search.subject { device = address }
        let quantities: [String?] = search.names.map { $0.sorted().map(Optional.some) } ?? [nil]
        var series: [SeriesKey: [StoredSample]] = [:]
        for quantity in quantities {
            let query = SampleQuery(device: device, quantity: quantity, fromMicros: search.from, toMicros: search.to,
                                    limit: Self.sampleBudget)
            for sample in try await storage.samples(query, tenant: tenant).rows {
                let window = sample.timeMicros - ((sample.timeMicros % Self.windowMicros) + Self.windowMicros) % Self.windowMicros
                series[SeriesKey(address: sample.address, quantity: sample.quantity, channel: sample.channel,
                                 unit: sample.unit, window: window), default: []].append(sample)
            }
        }
        return series.map { key, samples in
            var code = ObservationCodes.code(for: key.quantity, isMetric: false)
            if key.channel >= 0 { code.display += " (channel \(key.channel))" }
            var members = Self.header(code: code, subject: .device(key.address))
            let first = samples[0].timeMicros, last = samples[samples.count - 1].timeMicros
            if samples.count == 1 {
                members.append(("effectiveDateTime", .string(RFC3339.format(micros: first))))
                members.append(("valueQuantity", Self.quantity(samples[0].value, unit: key.unit)))
            } else {
                members.append(("effectivePeriod", .object([("start", .string(RFC3339.format(micros: first))),
                                                            ("end", .string(RFC3339.format(micros: last)))])))
                let periodMillis = Double(last - first) / Double(samples.count - 1) / 1000
                members.append(("valueSampledData", .object([
                    ("origin", Self.quantity(0, unit: key.unit)),
                    ("period", .number(periodMillis)),
                    ("dimensions", .integer(1)),
                    ("data", .string(samples.map { Self.decimal($0.value) }.joined(separator: " "))),
                ])))
            }
            if key.channel >= 0 {
                members.append(("note", .array([.object([("text", .string("channel \(key.channel) of \(key.quantity)"))])])))
            }
            return (first, .object(members))
        }
    }

    // MARK: Elements

    private static func header(code: ObservationCodes.Code, subject: Subject) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [("resourceType", .string("Observation")), ("status", .string("final"))]
        if let category = code.category {
            members.append(("category", .array([.object([("coding", .array([.object([
                ("system", .string(ObservationCodes.categorySystem)), ("code", .string(category)),
            ])]))])])))
        }
        members.append(("code", .object([
            ("coding", .array([.object([("system", .string(code.system)), ("code", .string(code.code)),
                                        ("display", .string(code.display))])])),
            ("text", .string(code.display)),
        ])))
        switch subject {
        case .device(let address):
            members.append(("subject", .object([
                ("reference", .string("Device/" + address.replacingOccurrences(of: ":", with: "-"))),
                ("type", .string("Device")),
                ("identifier", .object([("system", .string("urn:gaitway:device-address")), ("value", .string(address))])),
            ])))
        case .wearer(let wearer):
            members.append(("subject", .object([
                ("type", .string("Patient")),
                ("identifier", .object([("system", .string("urn:gaitway:wearer")), ("value", .string(wearer))])),
                ("display", .string(wearer)),
            ])))
        }
        return members
    }

    private static func quantity(_ value: Double, unit: String?) -> JSONValue {
        var members: [(String, JSONValue)] = [("value", .number(value))]
        if let unit {
            members.append(("unit", .string(unit)))
            if let code = ObservationCodes.ucum(unit) {
                members.append(("system", .string(ObservationCodes.ucum)))
                members.append(("code", .string(code)))
            }
        }
        return .object(members)
    }

    /// A SampledData value: a FHIR decimal, without exponent.
    private static func decimal(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.6f", value).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }
}
