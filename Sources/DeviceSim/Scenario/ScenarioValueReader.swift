import Foundation
import ProtocolSpecs

/// A mapping's entries by key, after checking that every key is known.
struct ScenarioFields {
    let node: SpecNode
    private(set) var entries: [(name: String, key: SpecNode, value: SpecNode)] = []

    init(node: SpecNode) { self.node = node }

    subscript(name: String) -> SpecNode? { entries.first { $0.name == name }?.value }
    func key(_ name: String) -> SpecNode? { entries.first { $0.name == name }?.key }
    func has(_ name: String) -> Bool { entries.contains { $0.name == name } }

    mutating func append(_ name: String, _ key: SpecNode, _ value: SpecNode) { entries.append((name, key, value)) }
}

/// Reads scalar values out of scenario nodes, recording every error instead of stopping at the
/// first, so one run of the loader lists all mistakes of a file.
struct ScenarioValueReader {
    var errors: [SpecError] = []

    mutating func report(_ error: SpecError) { errors.append(error) }

    mutating func attempt<T>(_ body: () throws(SpecError) -> T) -> T? {
        do { return try body() } catch {
            errors.append(error)
            return nil
        }
    }

    /// The entries of a mapping; every unknown or repeated key is reported (with a suggestion
    /// when one valid key is close), and the known ones are returned.
    mutating func fields(_ node: SpecNode, _ allowed: [String], in what: String) -> ScenarioFields? {
        guard node.isMapping, let pairs = attempt({ () throws(SpecError) in try node.mapping(what) }) else {
            report(node.error("\(what) must be a mapping (key: value)"))
            return nil
        }
        var fields = ScenarioFields(node: node)
        for (key, value) in pairs {
            guard let name = attempt({ () throws(SpecError) in try key.string("a key") }) else { continue }
            if !allowed.contains(name) {
                let hint = ScenarioValueReader.suggestion(for: name, in: allowed).map { "did you mean '\($0)'? " } ?? ""
                report(key.error("unknown key '\(name)' in \(what) (\(hint)expected one of: \(allowed.joined(separator: ", ")))"))
            } else if fields.has(name) {
                report(key.error("'\(name)' appears twice in \(what)"))
            } else {
                fields.append(name, key, value)
            }
        }
        return fields
    }

    mutating func sequence(_ node: SpecNode, _ what: String) -> [SpecNode]? {
        guard node.isSequence else {
            report(node.error("\(what) must be a list"))
            return nil
        }
        return attempt { () throws(SpecError) in try node.sequence(what) }
    }

    mutating func text(_ node: SpecNode, _ what: String) -> String? {
        guard node.isScalar else {
            report(node.error("\(what) must be a single value, not a list or mapping"))
            return nil
        }
        return attempt { () throws(SpecError) in try node.string(what) }
    }

    mutating func choice(_ node: SpecNode, _ what: String, _ options: [String]) -> String? {
        guard let value = text(node, what) else { return nil }
        guard options.contains(value) else {
            report(node.error("\(what) '\(value)' is not one of: \(options.joined(separator: ", "))"))
            return nil
        }
        return value
    }

    mutating func bool(_ node: SpecNode, _ what: String) -> Bool? {
        guard let value = text(node, what) else { return nil }
        switch value.lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default:
            report(node.error("\(what) must be true or false, not '\(value)'"))
            return nil
        }
    }

    mutating func integer(_ node: SpecNode, _ what: String, _ range: ClosedRange<Int>, unit: String = "") -> Int? {
        guard let value = text(node, what) else { return nil }
        guard let number = Int(value) else {
            report(node.error("\(what) must be a whole number, not '\(value)'"))
            return nil
        }
        guard range.contains(number) else {
            report(node.error("\(what) \(number)\(unit.isEmpty ? "" : " \(unit)") is outside \(range.lowerBound)...\(range.upperBound)"))
            return nil
        }
        return number
    }

    /// A number in `range`; `parse` turns the text into the value (plain numbers by default,
    /// or durations and rates with units).
    mutating func number(_ node: SpecNode, _ what: String, _ range: ClosedRange<Double>, unit: String = "",
                         parse: (String) -> Double? = ScenarioValueReader.plainNumber, expected: String = "a number") -> Double? {
        guard let value = text(node, what) else { return nil }
        guard let number = parse(value.trimmingCharacters(in: .whitespaces)), number.isFinite else {
            report(node.error("\(what) must be \(expected), not '\(value)'"))
            return nil
        }
        guard range.contains(number) else {
            report(node.error("\(what) \(ScenarioValueReader.format(number))\(unit.isEmpty ? "" : " \(unit)") is outside \(ScenarioValueReader.format(range.lowerBound))...\(ScenarioValueReader.format(range.upperBound))"))
            return nil
        }
        return number
    }

    /// A duration: seconds, or text with units (`90s`, `5min`, `1h30m`, `250ms`).
    mutating func time(_ node: SpecNode, _ what: String, _ range: ClosedRange<Double>) -> Double? {
        number(node, what, range, unit: "s", parse: ScenarioValueReader.duration,
               expected: "a duration (seconds, or with units: 90s, 5min, 1h30m, 250ms)")
    }

    /// A fixed number, `{mean: M, sd: S}` (normal, clamped to `range`) or `{min: A, max: B}` (uniform).
    mutating func varied(_ node: SpecNode, _ what: String, _ range: ClosedRange<Double>, unit: String = "",
                         parse: @escaping (String) -> Double? = ScenarioValueReader.plainNumber,
                         expected: String = "a number") -> Varied? {
        guard node.isMapping else {
            return number(node, what, range, unit: unit, parse: parse, expected: expected).map { Varied(form: .fixed($0), range: range) }
        }
        guard let fields = fields(node, ["mean", "sd", "min", "max"], in: "the variation of \(what)") else { return nil }
        if let meanNode = fields["mean"] {
            guard let sdNode = fields["sd"] else {
                report(node.error("a variation with 'mean' needs 'sd' (standard deviation)"))
                return nil
            }
            if fields.has("min") || fields.has("max") {
                report(node.error("a variation is either {mean, sd} or {min, max}, not both"))
                return nil
            }
            let mean = number(meanNode, what, range, unit: unit, parse: parse, expected: expected)
            let width = range.upperBound - range.lowerBound
            let sd = number(sdNode, "sd of \(what)", 0...(width.isFinite ? width : .greatestFiniteMagnitude), unit: unit,
                            parse: parse, expected: expected)
            guard let mean, let sd else { return nil }
            return Varied(form: .normal(mean: mean, sd: sd), range: range)
        }
        guard let minNode = fields["min"], let maxNode = fields["max"] else {
            report(node.error("a variation of \(what) is {mean: M, sd: S} or {min: A, max: B}"))
            return nil
        }
        let low = number(minNode, what, range, unit: unit, parse: parse, expected: expected)
        let high = number(maxNode, what, range, unit: unit, parse: parse, expected: expected)
        guard let low, let high else { return nil }
        guard low <= high else {
            report(maxNode.error("max of \(what) (\(ScenarioValueReader.format(high))) is below its min (\(ScenarioValueReader.format(low)))"))
            return nil
        }
        return Varied(form: .uniform(min: low, max: high), range: range)
    }

    // MARK: - Text forms

    static func plainNumber(_ text: String) -> Double? {
        guard let first = text.first, first.isNumber || first == "-" || first == "+" || first == "." else { return nil }
        return Double(text)
    }

    /// `90`, `90s`, `1.5min`, `5m`, `2h`, `1h30m`, `250ms`, `1d`.
    static func duration(_ text: String) -> Double? {
        if let plain = plainNumber(text) { return plain }
        var total = 0.0
        var rest = Substring(text.lowercased().replacingOccurrences(of: " ", with: ""))
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s", "sec": scale = 1
            case "m", "min": scale = 60
            case "h": scale = 3600
            case "d": scale = 86400
            default: return nil
            }
            total += value * scale
        }
        return total
    }

    /// Events per second from `6/h`, `0.5/min`, `2/s`, or a plain number (per minute).
    static func ratePerSecond(_ text: String) -> Double? {
        let parts = text.replacingOccurrences(of: " ", with: "").split(separator: "/")
        guard let count = parts.first.flatMap({ plainNumber(String($0)) }) else { return nil }
        if parts.count == 1 { return count / 60 }
        guard parts.count == 2 else { return nil }
        switch parts[1] {
        case "s", "sec": return count
        case "min", "m": return count / 60
        case "h": return count / 3600
        case "d": return count / 86400
        default: return nil
        }
    }

    /// `400`, `0.02`, `1e-05`: integers without a fraction, others in Swift's shortest form.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// The one allowed key within edit distance 2 of `name`, if any.
    static func suggestion(for name: String, in allowed: [String]) -> String? {
        let scored = allowed.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= 2 }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
