import Hummingbird

/// The query string of a reader request, read with the errors a client can act on: every bad
/// parameter is a 400 that names it, never a silent default.
struct QueryParameters {
    let parameters: Parameters

    init(_ request: Request) { parameters = request.uri.queryParameters }

    /// A parameter given once; empty counts as absent.
    func string(_ name: String) throws -> String? {
        let values = parameters.getAll(name)
        guard values.count <= 1 else { throw HTTPError(.badRequest, message: "give \(name) at most once") }
        guard let value = values.first, !value.isEmpty else { return nil }
        return value
    }

    /// An RFC 3339 date-time or a date, as µs since the Unix epoch.
    func time(_ name: String) throws -> Int64? {
        guard let text = try string(name) else { return nil }
        guard let micros = RFC3339.parse(text) else {
            throw HTTPError(.badRequest, message: "\(name) must be an RFC 3339 date-time or a date (YYYY-MM-DD)")
        }
        return micros
    }

    func integer(_ name: String, in range: ClosedRange<Int>, default value: Int) throws -> Int {
        guard let text = try string(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw HTTPError(.badRequest, message: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    func cursor(_ name: String = "cursor") throws -> PageCursor? {
        guard let text = try string(name) else { return nil }
        guard let cursor = PageCursor(token: text) else {
            throw HTTPError(.badRequest, message: "\(name) is not a cursor this collector returned")
        }
        return cursor
    }

    /// `from` and `to`, checked to be in order.
    func timeRange() throws -> (from: Int64?, to: Int64?) {
        let from = try time("from"), to = try time("to")
        if let from, let to, to < from { throw HTTPError(.badRequest, message: "to is before from") }
        return (from, to)
    }
}
