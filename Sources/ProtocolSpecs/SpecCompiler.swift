import BLEWire

/// Turns the `fields:` tree of a spec into a flat ``PayloadProgram``, checking as it goes
/// that every name, type, condition and number makes sense.
struct SpecCompiler {
    var ops: [PayloadOp] = []
    var fields: [PayloadFieldInfo] = []
    var labels: [PayloadLabel] = []
    var extracts: [PayloadBitExtract] = []
    var tagTables: [[Int32]] = []
    var registerNames: [String] = []
    var registerWidths: [Int] = []
    var bigEndianDefault = false

    static let fieldKeys = [
        "name", "type", "bits", "hidden", "if", "absent", "from", "enum", "scale", "offset", "unit", "quantity",
        "count", "repeat", "endian", "fields", "objects", "reject", "const", "description", "boolean",
    ]

    var program: PayloadProgram {
        PayloadProgram(ops: ops, fields: fields, labels: labels, extracts: extracts, tagTables: tagTables,
                       registerNames: registerNames)
    }

    /// What a field's `type:` names.
    enum FieldType {
        case value(PayloadEncoding)
        case text
        case bytes
        case group
        case tagged
    }

    static func parseType(_ text: String) -> FieldType? {
        switch text {
        case "sfloat": return .value(.sfloat)
        case "float": return .value(.float)
        case "float32": return .value(.float32)
        case "float64": return .value(.float64)
        case "utf8": return .text
        case "bytes": return .bytes
        case "group": return .group
        case "tagged": return .tagged
        case "bool": return .value(.unsigned(bits: 8))
        default: break
        }
        guard let first = text.first, first == "u" || first == "s", let bits = Int(text.dropFirst()) else { return nil }
        if first == "u", (1...64).contains(bits) { return .value(.unsigned(bits: bits)) }
        if first == "s", (2...64).contains(bits) { return .value(.signed(bits: bits)) }
        return nil
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isLowercase || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isLowercase || ("0"..."9").contains($0))) || $0 == "_" }
    }

    // MARK: Fields

    mutating func compileFields(_ list: SpecNode, depth: Int) throws(SpecError) {
        guard depth <= PayloadProgram.maximumDepth else { throw list.error("groups nest deeper than \(PayloadProgram.maximumDepth) levels") }
        let items = try list.sequence("fields")
        var endsAt: SpecNode?
        for item in items {
            if let previous = endsAt {
                throw item.error("this field can never be read: the field at line \(previous.line) runs to the end of the payload")
            }
            let consumesRest = try compileField(item, depth: depth, tag: nil)
            if consumesRest { endsAt = item }
        }
    }

    /// Compiles one field (and its subtree); returns true when it runs to the end of the
    /// payload unconditionally.
    @discardableResult
    mutating func compileField(_ node: SpecNode, depth: Int, tag: (id: Int, slot: Int)?) throws(SpecError) -> Bool {
        try node.checkKeys(Self.fieldKeys, in: "a field")
        guard let nameNode = node["name"] else { throw node.error("a field needs a 'name'") }
        let name = try nameNode.string("name")
        guard Self.isIdentifier(name) else {
            throw nameNode.error("field name '\(name)' must be lowercase letters, digits and underscores (snake_case)")
        }
        let hidden = try node["hidden"]?.bool("hidden") ?? false

        var op = PayloadOp(.scalar(.unsigned(bits: 8)))
        op.bigEndian = bigEndianDefault
        if let endian = node["endian"] {
            switch try endian.string("endian") {
            case "little": op.bigEndian = false
            case "big": op.bigEndian = true
            case let other: throw endian.error("endian must be 'little' or 'big', not '\(other)'")
            }
        }
        if let tag {
            op.tag = Int16(tag.id)
            op.occurrenceSlot = Int16(tag.slot)
            if let condition = node.keyNode("if") { throw condition.error("objects of a tagged field cannot have conditions") }
        }
        if let condition = node["if"] { op.condition = try parseCondition(condition) }

        // Count / repeat.
        var count: PayloadCount?
        if let countNode = node["count"] {
            let value = try countNode.integer("count")
            guard (1...4096).contains(value) else { throw countNode.error("count must be between 1 and 4096") }
            count = .fixed(Int(value))
        }
        if let repeatNode = node["repeat"] {
            guard count == nil else { throw repeatNode.error("use either 'count' or 'repeat', not both") }
            guard try repeatNode.string("repeat") == "to_end" else {
                throw repeatNode.error("repeat must be 'to_end' (use 'count: N' for a fixed number)")
            }
            count = .toEnd
        }

        // Kind.
        var consumesRest = false
        let index = ops.count
        if let from = node["from"] {
            if let typeNode = node.keyNode("type") { throw typeNode.error("a field with 'from' reads a flag and has no 'type'") }
            let register = try registerIndex(from)
            let boolean = node["enum"] == nil && registerWidths[register] == 1
            op.kind = .derived(register: UInt8(register), boolean: boolean)
            if count != nil { throw node.error("a field with 'from' cannot repeat") }
        } else {
            guard let typeNode = node["type"] else { throw node.error("field '\(name)' needs a 'type' (or 'from' for a flag)") }
            let typeName = try typeNode.string("type")
            guard let type = Self.parseType(typeName) else {
                throw typeNode.error("unknown type '\(typeName)' (expected u8, u12, u16, u24, u32, s8, s16, s24, s32, uN/sN up to 64, sfloat, float, float32, float64, bool, utf8, bytes, group, tagged)")
            }
            switch type {
            case let .value(encoding):
                if typeName == "bool" { op.rendersBoolean = true }
                if let count {
                    if encoding.isPacked, count == .toEnd {
                        throw typeNode.error("packed \(typeName) values need a fixed 'count' (the payload end cannot tell how many fit)")
                    }
                    op.kind = .array(encoding, count)
                    consumesRest = count == .toEnd
                } else {
                    if encoding.isPacked {
                        throw typeNode.error("\(typeName) is not a whole number of bytes: give it a 'count' (packed array) or describe it with 'bits' of a byte-sized field")
                    }
                    if let constant = node["const"] {
                        op.kind = .constant(encoding, value: UInt64(bitPattern: try constant.integer("const")))
                    } else {
                        op.kind = .scalar(encoding)
                    }
                }
                if node["boolean"] != nil, try node["boolean"]!.bool("boolean") { op.rendersBoolean = true }
            case .text, .bytes:
                var byteCount: Int?
                switch count {
                case let .fixed(n)?: byteCount = n
                case .toEnd?, nil:
                    if count == nil, tag == nil {
                        // A string without a count runs to the end (GATT strings do).
                    }
                    byteCount = nil
                    consumesRest = true
                }
                if tag != nil, byteCount == nil {
                    throw typeNode.error("a \(typeName) object inside a tagged field needs a 'count'")
                }
                op.kind = if case .text = type { .text(count: byteCount) } else { .bytes(count: byteCount) }
            case .group:
                op.kind = .group(count)
                consumesRest = count == .toEnd
            case .tagged:
                if count != nil { throw typeNode.error("a tagged field always runs to the end; drop 'count'/'repeat'") }
                op.kind = .tagged(table: tagTables.count)
                tagTables.append([Int32](repeating: -1, count: 256))
                consumesRest = true
            }
        }
        if consumesRest, op.condition != nil {
            // Conditional to-end fields are fine (RR intervals): the end is still the end.
        }

        // Presentation.
        if let absent = node["absent"] {
            switch try absent.string("absent") {
            case "omit": op.absence = .omit
            case "null": op.absence = .null
            case "empty":
                let repeated: Bool = switch op.kind {
                case .array: true
                case .group(let c): c != nil
                default: false
                }
                guard repeated else { throw absent.error("'absent: empty' is only for repeated fields (count/repeat)") }
                op.absence = .empty
            case let other: throw absent.error("absent must be omit, null or empty, not '\(other)'")
            }
        }
        if let scale = node["scale"] ?? node["offset"] {
            switch op.kind {
            case .scalar, .array: break
            default: throw scale.error("scale/offset apply to numeric fields only")
            }
        }
        var scale = PayloadScale.identity
        if let scaleNode = node["scale"] {
            let value = try scaleNode.rational("scale")
            guard value.numerator != 0 else { throw scaleNode.error("scale must not be zero") }
            scale = PayloadScale(numerator: value.numerator, denominator: value.denominator)
        }
        if let offsetNode = node["offset"] {
            let value = try offsetNode.rational("offset")
            // (raw·n/d + p/q) = (raw·n·q + p·d) / (d·q)
            scale = PayloadScale(numerator: scale.numerator * value.denominator,
                                 denominator: scale.denominator * value.denominator,
                                 offsetNumerator: value.numerator * scale.denominator)
        }
        op.scale = scale
        if let enumNode = node["enum"] {
            switch op.kind {
            case .scalar(.unsigned), .scalar(.signed), .derived: break
            default: throw enumNode.error("enum applies to integer fields and flags only")
            }
            let start = labels.count
            for (key, value) in try enumNode.mapping("enum") {
                labels.append(PayloadLabel(value: try key.integer("enum value"), label: try value.string("enum label")))
            }
            op.labels = start..<labels.count
        }
        if !hidden {
            let quantity = try node["quantity"].map { (q: SpecNode) throws(SpecError) -> String in
                let text = try q.string("quantity")
                guard Self.isIdentifier(text) else { throw q.error("quantity '\(text)' must be snake_case, e.g. heart_rate") }
                return text
            }
            let unit = try node["unit"]?.string("unit")
            op.field = Int32(fields.count)
            fields.append(PayloadFieldInfo(name: name, quantity: quantity, unit: unit))
        }

        ops.append(op)

        // Bits of an integer field become registers.
        if let bitsNode = node["bits"] {
            guard case let .scalar(encoding) = op.kind, case .unsigned = encoding else {
                throw bitsNode.error("'bits' names bits of an unsigned integer field (u8, u16, u24, ...)")
            }
            let start = extracts.count
            for (key, value) in try bitsNode.mapping("bits") {
                let bitName = try key.string("bit name")
                guard Self.isIdentifier(bitName) else { throw key.error("bit name '\(bitName)' must be snake_case") }
                guard !registerNames.contains(bitName) else { throw key.error("flag '\(bitName)' is defined twice") }
                guard registerNames.count < PayloadProgram.registerCount else {
                    throw key.error("more than \(PayloadProgram.registerCount) flags in one spec")
                }
                let text = try value.string("bit position")
                let parts = text.split(separator: "-").map { String($0).trimmingCharacters(in: .whitespaces) }
                guard (1...2).contains(parts.count), let low = Int(parts[0]), let high = Int(parts.last!), low <= high,
                      low >= 0, high < encoding.bitWidth else {
                    throw value.error("bit position must be a bit number or a range 'low-high' within the field's \(encoding.bitWidth) bits, not '\(text)'")
                }
                extracts.append(PayloadBitExtract(register: UInt8(registerNames.count), shift: UInt8(low), width: UInt8(high - low + 1)))
                registerNames.append(bitName)
                registerWidths.append(high - low + 1)
            }
            ops[index].extracts = start..<extracts.count
        }

        // Children.
        switch op.kind {
        case .group:
            guard let body = node["fields"] else { throw node.error("a group needs 'fields'") }
            try compileFields(body, depth: depth + 1)
        case let .tagged(table):
            guard let objects = node["objects"] else { throw node.error("a tagged field needs 'objects' (id: field)") }
            var slots: [String: Int] = [:]
            for (key, value) in try objects.mapping("objects") {
                let id = try key.integer("object id")
                guard (0...255).contains(id) else { throw key.error("object id must be 0...255") }
                guard tagTables[table][Int(id)] < 0 else { throw key.error("object id \(id) is defined twice") }
                let objectName = try value["name"]?.string("name") ?? ""
                let slot = slots[objectName] ?? slots.count
                guard slot < PayloadProgram.occurrenceSlotCount else { throw key.error("too many distinct object names") }
                slots[objectName] = slot
                tagTables[table][Int(id)] = Int32(ops.count)
                let child = ops.count
                try compileField(value, depth: depth + 1, tag: (Int(id), slot))
                if case .group = ops[child].kind { throw value.error("objects of a tagged field must be single values") }
            }
        default:
            if let body = node.keyNode("fields") { throw body.error("only a group has 'fields'") }
            if let body = node.keyNode("objects") { throw body.error("only a tagged field has 'objects'") }
        }
        ops[index].length = Int32(ops.count - index)

        // Checks follow the field they inspect.
        if let rejects = node["reject"] {
            guard tag == nil else { throw rejects.error("objects of a tagged field cannot reject") }
            for reject in try rejects.sequence("reject") {
                try reject.checkKeys(["when", "error"], in: "a reject rule")
                guard let when = reject["when"] else { throw reject.error("a reject rule needs 'when'") }
                let failure: PayloadCheckFailure
                switch try reject["error"]?.string("error") ?? "invalid_value" {
                case "encrypted": failure = .encrypted
                case "unsupported_version": failure = .unsupportedVersion
                case "invalid_value": failure = .invalidValue
                case let other:
                    throw reject["error"]!.error("error must be encrypted, unsupported_version or invalid_value, not '\(other)'")
                }
                let text = try when.string("when")
                let check: PayloadOp.Kind
                if let range = text.range(of: "!=") ?? text.range(of: "==") {
                    let lhs = String(text[..<range.lowerBound]).trimmingCharacters(in: .whitespaces)
                    let rhs = String(text[range.upperBound...]).trimmingCharacters(in: .whitespaces)
                    guard let value = SpecNode.parseInteger(rhs) else { throw when.error("'\(rhs)' is not an integer") }
                    let register = try registerIndex(named: lhs, at: when)
                    check = .check(register: UInt8(register), value: UInt64(bitPattern: value),
                                   unlessEqual: text[range] == "!=", failure: failure)
                } else {
                    let register = try registerIndex(named: text.trimmingCharacters(in: .whitespaces), at: when)
                    check = .check(register: UInt8(register), value: 1, unlessEqual: false, failure: failure)
                }
                ops.append(PayloadOp(check))
            }
        }
        return consumesRest && op.condition == nil
    }

    // MARK: Flags

    func registerIndex(_ node: SpecNode) throws(SpecError) -> Int {
        try registerIndex(named: try node.string("flag"), at: node)
    }

    func registerIndex(named name: String, at node: SpecNode) throws(SpecError) -> Int {
        guard let index = registerNames.firstIndex(of: name) else {
            let known = registerNames.isEmpty ? "none defined so far" : "known: " + registerNames.joined(separator: ", ")
            throw node.error("unknown flag '\(name)' (\(known); flags are declared with 'bits' on an earlier field)")
        }
        return index
    }

    func parseCondition(_ node: SpecNode) throws(SpecError) -> PayloadCondition {
        var text = try node.string("if").trimmingCharacters(in: .whitespaces)
        var negated = false
        if text.hasPrefix("!") {
            negated = true
            text = String(text.dropFirst()).trimmingCharacters(in: .whitespaces)
        }
        return PayloadCondition(register: UInt8(try registerIndex(named: text, at: node)), negated: negated)
    }
}
