import BLEWire
import Yams

/// A YAML node with the file it came from, so every accessor can throw a ``SpecError``
/// that points at the offending line and column.
///
/// Public so that other YAML formats (the simulator's scenarios) report errors the same way
/// without depending on Yams themselves.
public struct SpecNode {
    let node: Node
    /// The file as given to the loader, for error messages.
    public let file: String

    /// 1-based line of the node, or 0 when unknown.
    public var line: Int { node.mark?.line ?? 0 }
    /// 1-based column of the node, or 0 when unknown.
    public var column: Int { node.mark?.column ?? 0 }

    /// The root node of a YAML document; `file` names it in errors. An empty document is an error.
    public static func parse(yaml: String, file: String) throws(SpecError) -> SpecNode {
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw SpecError(file: file, line: 0, column: 0, message: "the file is empty")
            }
            return SpecNode(node: node, file: file)
        } catch let error as SpecError {
            throw error
        } catch let error as YamlError {
            throw SpecLoader.yamlError(error, file: file)
        } catch {
            throw SpecError(file: file, line: 0, column: 0, message: "not valid YAML: \(error)")
        }
    }

    public var isMapping: Bool { node.mapping != nil }
    public var isSequence: Bool { node.sequence != nil }

    public func error(_ message: String) -> SpecError {
        SpecError(file: file, line: line, column: column, message: message)
    }

    public var isScalar: Bool { node.scalar != nil }

    public func string(_ what: String) throws(SpecError) -> String {
        guard let scalar = node.scalar else { throw error("\(what) must be a single value, not a list or mapping") }
        return scalar.string
    }

    public func mapping(_ what: String) throws(SpecError) -> [(key: SpecNode, value: SpecNode)] {
        guard let mapping = node.mapping else { throw error("\(what) must be a mapping (key: value)") }
        return mapping.map { (SpecNode(node: $0.key, file: file), SpecNode(node: $0.value, file: file)) }
    }

    public func sequence(_ what: String) throws(SpecError) -> [SpecNode] {
        guard let sequence = node.sequence else { throw error("\(what) must be a list") }
        return sequence.map { SpecNode(node: $0, file: file) }
    }

    /// A list, or a single scalar taken as a list of one.
    public func list(_ what: String) throws(SpecError) -> [SpecNode] {
        if node.scalar != nil { return [self] }
        return try sequence(what)
    }

    /// `12`, `0x2A`, `-3`, `0b101`.
    public func integer(_ what: String) throws(SpecError) -> Int64 {
        let text = try string(what).trimmingCharacters(in: .whitespaces)
        guard let value = SpecNode.parseInteger(text) else { throw error("\(what) must be an integer, not '\(text)'") }
        return value
    }

    static func parseInteger(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if body.hasPrefix("-") { negative = true; body.removeFirst() } else if body.hasPrefix("+") { body.removeFirst() }
        body = Substring(body.replacingOccurrences(of: "_", with: ""))
        let value: Int64?
        if body.lowercased().hasPrefix("0x") {
            value = Int64(body.dropFirst(2), radix: 16)
        } else if body.lowercased().hasPrefix("0b") {
            value = Int64(body.dropFirst(2), radix: 2)
        } else if !body.isEmpty, body.allSatisfy(\.isNumber) {
            value = Int64(body)
        } else {
            value = nil
        }
        return value.map { negative ? -$0 : $0 }
    }

    public func bool(_ what: String) throws(SpecError) -> Bool {
        switch try string(what).lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        case let other: throw error("\(what) must be true or false, not '\(other)'")
        }
    }

    /// An exact rational from `0.01`, `1/1024`, `156.9064/32768`, `-40`, `1e-3`.
    func rational(_ what: String) throws(SpecError) -> (numerator: Double, denominator: Double) {
        let text = try string(what).trimmingCharacters(in: .whitespaces)
        guard let value = SpecNode.parseRational(text) else {
            throw error("\(what) must be a number such as 0.01 or a fraction such as 1/1024, not '\(text)'")
        }
        return value
    }

    static func parseRational(_ text: String) -> (numerator: Double, denominator: Double)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        guard let top = parseDecimal(String(parts[0]).trimmingCharacters(in: .whitespaces)) else { return nil }
        var result = top
        if parts.count == 2 {
            guard let bottom = parseDecimal(String(parts[1]).trimmingCharacters(in: .whitespaces)), bottom.numerator != 0 else {
                return nil
            }
            result = (top.numerator * bottom.denominator, top.denominator * bottom.numerator)
            if result.denominator < 0 { result = (-result.numerator, -result.denominator) }
        }
        return result
    }

    /// A decimal as numerator / power of ten, exactly (`0.01` → 1/100).
    static func parseDecimal(_ text: String) -> (numerator: Double, denominator: Double)? {
        var mantissa = text.lowercased()
        var exponent = 0
        if let e = mantissa.firstIndex(of: "e") {
            guard let value = Int(mantissa[mantissa.index(after: e)...]) else { return nil }
            exponent = value
            mantissa = String(mantissa[..<e])
        }
        var negative = false
        if mantissa.hasPrefix("-") { negative = true; mantissa.removeFirst() } else if mantissa.hasPrefix("+") { mantissa.removeFirst() }
        let pieces = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, !mantissa.isEmpty else { return nil }
        let whole = pieces[0], fraction = pieces.count == 2 ? pieces[1] : ""
        let digits = whole + fraction
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count <= 15 else { return nil }
        guard var numerator = Double(String(digits)) else { return nil }
        exponent -= fraction.count
        var denominator = 1.0
        if exponent < 0 {
            for _ in 0 ..< -exponent { denominator *= 10 }
        } else {
            for _ in 0..<exponent { numerator *= 10 }
        }
        return (negative ? -numerator : numerator, denominator)
    }

    /// A value of a test vector's expected fields, typed by YAML's plain-scalar rules
    /// (quoted scalars are always text).
    func payloadValue() throws(SpecError) -> PayloadValue {
        if let scalar = node.scalar {
            let text = scalar.string
            guard scalar.style == .plain else { return .text(text) }
            switch text {
            case "null", "~", "": return .null
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: break
            }
            // IEEE 11073 specials are written by name (NaN, NRes, +INF, -INF, RFU).
            if IEEE11073Special.allCases.contains(where: { $0.description == text }) { return .text(text) }
            if let integer = SpecNode.parseInteger(text) { return .integer(integer) }
            if let double = Double(text) { return .number(double) }
            return .text(text)
        }
        if node.sequence != nil {
            var elements: [PayloadValue] = []
            for element in try sequence("value") { elements.append(try element.payloadValue()) }
            return .array(elements)
        }
        var object = PayloadObject()
        for (key, value) in try mapping("value") {
            object.members.append(.init(key: try key.string("key"), value: try value.payloadValue()))
        }
        return .object(object)
    }

    /// Rejects keys outside `allowed`, naming the first unknown one.
    public func checkKeys(_ allowed: [String], in what: String) throws(SpecError) {
        for (key, _) in try mapping(what) {
            let name = try key.string("key")
            if !allowed.contains(name) {
                throw key.error("unknown key '\(name)' in \(what) (expected one of: \(allowed.joined(separator: ", ")))")
            }
        }
    }

    public subscript(key: String) -> SpecNode? {
        guard let mapping = node.mapping else { return nil }
        for (k, v) in mapping where k.scalar?.string == key { return SpecNode(node: v, file: file) }
        return nil
    }

    /// The key node itself (for errors about a key).
    public func keyNode(_ key: String) -> SpecNode? {
        guard let mapping = node.mapping else { return nil }
        for (k, _) in mapping where k.scalar?.string == key { return SpecNode(node: k, file: file) }
        return nil
    }
}

import Foundation
