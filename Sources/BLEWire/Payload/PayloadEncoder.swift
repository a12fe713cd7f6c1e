/// Why a value tree could not be encoded with a program.
public struct PayloadEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Encodes field values into payload bytes with the same program the decoder runs, so
/// the simulator and the gateway cannot disagree on a format.
///
/// Flag bits are worked out from the values: a field with `if: rr_present` sets that bit
/// when it has a value; a derived field (`sensor_contact`) sets the bits it is read from;
/// of alternatives with the same name (`heart_rate` as u8 when `!hr_16bit`, u16
/// otherwise) the first whose condition is still open and whose range fits the value is
/// chosen. `hints` override that: a register (flag bit) name maps to the value it must
/// take (`hr_16bit: 1` sends a small rate as 16 bits); for tagged objects (BTHome), an
/// object name maps to the object id to use (`temperature: 0x45`).
public struct PayloadEncoder {
    public let program: PayloadProgram
    public var hints: [String: Int]

    public init(program: PayloadProgram, hints: [String: Int] = [:]) {
        self.program = program
        self.hints = hints
    }

    /// The payload bytes for `fields`.
    public func encode(_ fields: PayloadObject) throws(PayloadEncodingError) -> [UInt8] {
        var registers = [UInt64?](repeating: nil, count: PayloadProgram.registerCount)
        for (name, value) in hints {
            if let register = program.registerNames.firstIndex(of: name) {
                registers[register] = UInt64(truncatingIfNeeded: value)
            }
        }
        try resolve(0, program.ops.count, fields, &registers)
        var out: [UInt8] = []
        let settled = registers.map { $0 ?? 0 }
        try write(0, program.ops.count, fields, settled, &out)
        return out
    }

    // MARK: Phase 1: flag registers from the values present

    func name(_ op: PayloadOp) -> String { program.fields[Int(op.field)].name }

    func fix(_ register: UInt8, _ value: UInt64, _ registers: inout [UInt64?], because field: String) throws(PayloadEncodingError) {
        let index = Int(register)
        if let existing = registers[index], existing != value {
            throw PayloadEncodingError("\(field) needs \(program.registerNames[index]) = \(value), but it is already \(existing)")
        }
        registers[index] = value
    }

    func allows(_ condition: PayloadCondition, _ registers: [UInt64?]) -> Bool {
        guard let value = registers[Int(condition.register)] else { return true }
        return (value != 0) != condition.negated
    }

    func isPresent(_ op: PayloadOp, _ value: PayloadValue?) -> Bool {
        guard let value, !value.isNull else { return false }
        if op.absence == .empty, case let .array(elements) = value, elements.isEmpty { return false }
        return true
    }

    func resolve(_ start: Int, _ end: Int, _ object: PayloadObject, _ registers: inout [UInt64?]) throws(PayloadEncodingError) {
        var consumed = Set<String>()
        var index = start
        while index < end {
            let op = program.ops[index]
            defer { index += Int(op.length) }
            if case let .check(register, value, unlessEqual, _) = op.kind {
                if registers[Int(register)] == nil {
                    registers[Int(register)] = unlessEqual ? value : (value == 0 ? 1 : 0)
                }
                continue
            }
            if case .tagged = op.kind { continue }
            guard op.visible else { continue }
            let fieldName = name(op)
            let value = consumed.contains(fieldName) ? nil : object[fieldName]
            let present = isPresent(op, value)
            if let condition = op.condition {
                if present, allows(condition, registers), let value, fits(op, value) {
                    try fix(condition.register, condition.negated ? 0 : 1, &registers, because: fieldName)
                } else {
                    if present, let fixed = registers[Int(condition.register)], (fixed != 0) != condition.negated,
                       !hasLaterAlternative(after: index, end: end, named: fieldName) {
                        throw PayloadEncodingError("\(fieldName): value \(value!) does not fit the encoding the flags select")
                    }
                    if registers[Int(condition.register)] == nil {
                        registers[Int(condition.register)] = condition.negated ? 1 : 0
                    }
                    continue
                }
            } else if !present {
                if case .derived = op.kind { continue }
                if op.absence == .null, value?.isNull ?? true { continue }
                if op.absence == .empty { continue }
                throw PayloadEncodingError("missing field \(fieldName)")
            } else if let value, !fits(op, value) {
                throw PayloadEncodingError("\(fieldName): value \(value) does not fit its encoding")
            }
            consumed.insert(fieldName)
            guard let value else { continue }
            switch op.kind {
            case let .derived(register, _):
                try fix(register, try derivedRaw(op, value), &registers, because: fieldName)
            case let .group(count):
                if count == nil {
                    guard case let .object(inner) = value else { throw PayloadEncodingError("\(fieldName) must be an object") }
                    try resolve(index + 1, index + Int(op.length), inner, &registers)
                } else {
                    guard case let .array(elements) = value else { throw PayloadEncodingError("\(fieldName) must be an array") }
                    for element in elements {
                        guard case let .object(inner) = element else {
                            throw PayloadEncodingError("\(fieldName) elements must be objects")
                        }
                        try resolve(index + 1, index + Int(op.length), inner, &registers)
                    }
                }
            default: break
            }
        }
    }

    func hasLaterAlternative(after index: Int, end: Int, named fieldName: String) -> Bool {
        var next = index + Int(program.ops[index].length)
        while next < end {
            let op = program.ops[next]
            if op.visible, name(op) == fieldName { return true }
            next += Int(op.length)
        }
        return false
    }

    func derivedRaw(_ op: PayloadOp, _ value: PayloadValue) throws(PayloadEncodingError) -> UInt64 {
        switch value {
        case let .bool(flag): return flag ? 1 : 0
        case let .integer(raw): return UInt64(bitPattern: raw)
        case let .text(label):
            if let match = program.labels[op.labels].first(where: { $0.label == label }) {
                return UInt64(bitPattern: match.value)
            }
            throw PayloadEncodingError("\(name(op)): unknown label \(label)")
        default:
            throw PayloadEncodingError("\(name(op)): cannot encode \(value)")
        }
    }

    // MARK: Fitting values to encodings

    func fits(_ op: PayloadOp, _ value: PayloadValue) -> Bool {
        switch op.kind {
        case let .scalar(encoding):
            return (try? raw(op, encoding, value)) != nil
        case let .array(encoding, count):
            guard case let .array(elements) = value else { return false }
            if case let .fixed(n) = count, elements.count != n { return false }
            return elements.allSatisfy { (try? raw(op, encoding, $0)) != nil }
        case let .text(count):
            guard case let .text(text) = value else { return false }
            return count == nil || text.utf8.count == count
        case let .bytes(count):
            guard let bytes = bytesValue(value) else { return false }
            return count == nil || bytes.count == count
        case .derived:
            return (try? derivedRaw(op, value)) != nil
        case .group(nil):
            if case .object = value { return true }
            return false
        case .group:
            if case let .array(elements) = value, !elements.isEmpty || op.absence != .empty { return true }
            return false
        default:
            return true
        }
    }

    func bytesValue(_ value: PayloadValue) -> [UInt8]? {
        switch value {
        case let .bytes(bytes): bytes
        case let .text(hex): [UInt8](hex: hex)
        default: nil
        }
    }

    /// The wire bits of one value, range-checked.
    func raw(_ op: PayloadOp, _ encoding: PayloadEncoding, _ value: PayloadValue) throws(PayloadEncodingError) -> UInt64 {
        let fieldName = name(op)
        switch encoding {
        case let .unsigned(bits), let .signed(bits):
            var number: Double
            switch value {
            case let .integer(integer) where op.scale.isIdentity:
                return try checkRange(integer, encoding: encoding, bits: bits, fieldName)
            case let .text(label):
                guard let match = program.labels[op.labels].first(where: { $0.label == label }) else {
                    throw PayloadEncodingError("\(fieldName): unknown label \(label)")
                }
                return try checkRange(match.value, encoding: encoding, bits: bits, fieldName)
            case let .bool(flag):
                number = flag ? 1 : 0
            default:
                guard let double = value.doubleValue, double.isFinite else {
                    throw PayloadEncodingError("\(fieldName): \(value) is not a number")
                }
                number = double
            }
            let rawNumber = op.scale.invert(number)
            guard rawNumber.isFinite, abs(rawNumber) < 9.2e18 else {
                throw PayloadEncodingError("\(fieldName): \(number) is out of range")
            }
            // Round to the nearest step, so a quantised value is off by at most half a step
            // (truncation would make it a whole step, and always towards zero).
            return try checkRange(Int64(rawNumber.rounded()), encoding: encoding, bits: bits, fieldName)
        case .sfloat:
            if let special = specialValue(value) { return UInt64(IEEE11073SFloat(special: special).rawValue) }
            guard let number = value.doubleValue, let encoded = IEEE11073SFloat(unscaled(op, number)) else {
                throw PayloadEncodingError("\(fieldName): \(value) does not fit an SFLOAT")
            }
            return UInt64(encoded.rawValue)
        case .float:
            if let special = specialValue(value) { return UInt64(IEEE11073Float(special: special).rawValue) }
            guard let number = value.doubleValue, let encoded = IEEE11073Float(unscaled(op, number)) else {
                throw PayloadEncodingError("\(fieldName): \(value) does not fit a FLOAT")
            }
            return UInt64(encoded.rawValue)
        case .float32:
            guard let number = value.doubleValue else { throw PayloadEncodingError("\(fieldName): \(value) is not a number") }
            return UInt64(Float(unscaled(op, number)).bitPattern)
        case .float64:
            guard let number = value.doubleValue else { throw PayloadEncodingError("\(fieldName): \(value) is not a number") }
            return unscaled(op, number).bitPattern
        }
    }

    /// A special given as itself or by name (`"NaN"`, `"NRes"`, `"+INF"`, `"-INF"`, `"RFU"`).
    func specialValue(_ value: PayloadValue) -> IEEE11073Special? {
        switch value {
        case let .special(special): special
        case let .text(name): IEEE11073Special.allCases.first { $0.description == name }
        default: nil
        }
    }

    func unscaled(_ op: PayloadOp, _ value: Double) -> Double {
        op.scale.isIdentity ? value : (value * op.scale.denominator - op.scale.offsetNumerator) / op.scale.numerator
    }

    func checkRange(_ value: Int64, encoding: PayloadEncoding, bits: Int, _ fieldName: String) throws(PayloadEncodingError) -> UInt64 {
        if case .signed = encoding {
            let limit = bits >= 64 ? Int64.max : (Int64(1) << (bits - 1)) - 1
            let lower = bits >= 64 ? Int64.min : -(Int64(1) << (bits - 1))
            guard value >= lower, value <= limit else {
                throw PayloadEncodingError("\(fieldName): \(value) does not fit s\(bits)")
            }
            let mask: UInt64 = bits >= 64 ? ~0 : (1 << UInt64(bits)) - 1
            return UInt64(bitPattern: value) & mask
        }
        guard value >= 0, bits >= 64 || value < Int64(1) << bits else {
            throw PayloadEncodingError("\(fieldName): \(value) does not fit u\(bits)")
        }
        return UInt64(value)
    }

    // MARK: Phase 2: bytes

    func holds(_ condition: PayloadCondition, _ registers: [UInt64]) -> Bool {
        (registers[Int(condition.register)] != 0) != condition.negated
    }

    func writeRaw(_ raw: UInt64, bytes count: Int, bigEndian: Bool, _ out: inout [UInt8]) {
        for position in 0..<count {
            let shift = bigEndian ? (count - 1 - position) * 8 : position * 8
            out.append(UInt8(truncatingIfNeeded: raw >> UInt64(shift)))
        }
    }

    func write(_ start: Int, _ end: Int, _ object: PayloadObject, _ registers: [UInt64], _ out: inout [UInt8]) throws(PayloadEncodingError) {
        var consumed = Set<String>()
        var index = start
        while index < end {
            let op = program.ops[index]
            defer { index += Int(op.length) }
            if let condition = op.condition, !holds(condition, registers) { continue }
            let value: PayloadValue? = op.visible && !consumed.contains(name(op)) ? object[name(op)] : nil
            if op.visible { consumed.insert(name(op)) }
            try writeOp(index, op, value, object, &consumed, registers, &out)
        }
    }

    func writeOp(
        _ index: Int, _ op: PayloadOp, _ value: PayloadValue?, _ object: PayloadObject,
        _ consumed: inout Set<String>, _ registers: [UInt64], _ out: inout [UInt8]
    ) throws(PayloadEncodingError) {
        let fieldName = op.visible ? name(op) : "?"
        switch op.kind {
        case let .scalar(encoding):
            var raw: UInt64 = 0
            if let value, !value.isNull {
                raw = try self.raw(op, encoding, value)
            } else {
                // A hidden flags byte: assemble it from the registers its bits feed.
                if let store = op.store { raw = registers[Int(store)] }
                for extract in program.extracts[op.extracts] {
                    let mask: UInt64 = extract.width >= 64 ? ~0 : (1 << UInt64(extract.width)) - 1
                    raw |= (registers[Int(extract.register)] & mask) << UInt64(extract.shift)
                }
                if op.visible, op.extracts.isEmpty, op.store == nil {
                    throw PayloadEncodingError("missing field \(fieldName)")
                }
            }
            writeRaw(raw, bytes: encoding.bitWidth / 8, bigEndian: op.bigEndian, &out)
        case let .array(encoding, count):
            guard case let .array(elements)? = value else {
                if op.absence == .empty || !op.visible { return }
                throw PayloadEncodingError("\(fieldName) must be an array")
            }
            if case let .fixed(n) = count, elements.count != n {
                throw PayloadEncodingError("\(fieldName) needs \(n) values, got \(elements.count)")
            }
            if encoding.isPacked {
                var accumulator: UInt64 = 0
                var filled = 0
                for element in elements {
                    accumulator |= try raw(op, encoding, element) << UInt64(filled)
                    filled += encoding.bitWidth
                    while filled >= 8 {
                        out.append(UInt8(truncatingIfNeeded: accumulator))
                        accumulator >>= 8
                        filled -= 8
                    }
                }
                if filled > 0 { out.append(UInt8(truncatingIfNeeded: accumulator)) }
            } else {
                for element in elements {
                    writeRaw(try raw(op, encoding, element), bytes: encoding.bitWidth / 8, bigEndian: op.bigEndian, &out)
                }
            }
        case let .text(count):
            guard case let .text(text)? = value else { throw PayloadEncodingError("\(fieldName) must be text") }
            if let count, text.utf8.count != count { throw PayloadEncodingError("\(fieldName) must be \(count) bytes") }
            out.append(contentsOf: text.utf8)
        case let .bytes(count):
            guard let value, let bytes = bytesValue(value) else { throw PayloadEncodingError("\(fieldName) must be hex bytes") }
            if let count, bytes.count != count { throw PayloadEncodingError("\(fieldName) must be \(count) bytes") }
            out.append(contentsOf: bytes)
        case .derived, .check:
            break
        case let .constant(encoding, constant):
            writeRaw(constant, bytes: encoding.bitWidth / 8, bigEndian: op.bigEndian, &out)
        case let .group(count):
            let bodyStart = index + 1, bodyEnd = index + Int(op.length)
            if count == nil {
                guard case let .object(inner)? = value else { throw PayloadEncodingError("\(fieldName) must be an object") }
                try write(bodyStart, bodyEnd, inner, registers, &out)
            } else {
                guard case let .array(elements)? = value else {
                    if op.absence == .empty { return }
                    throw PayloadEncodingError("\(fieldName) must be an array of objects")
                }
                if case let .fixed(n) = count, elements.count != n {
                    throw PayloadEncodingError("\(fieldName) needs \(n) elements, got \(elements.count)")
                }
                for element in elements {
                    guard case let .object(inner) = element else { throw PayloadEncodingError("\(fieldName) elements must be objects") }
                    try write(bodyStart, bodyEnd, inner, registers, &out)
                }
            }
        case let .tagged(table):
            try writeTagged(table, object, &consumed, registers, &out)
        }
    }

    /// Every member not taken by a fixed field becomes one tagged object, in order.
    func writeTagged(_ table: Int, _ object: PayloadObject, _ consumed: inout Set<String>, _ registers: [UInt64], _ out: inout [UInt8]) throws(PayloadEncodingError) {
        let ids = program.tagTables[table]
        var candidates: [String: [(id: Int, op: Int)]] = [:]
        for (id, target) in ids.enumerated() where target >= 0 {
            candidates[name(program.ops[Int(target)]), default: []].append((id, Int(target)))
        }
        for member in object.members where !consumed.contains(member.key) {
            var key = member.key
            if candidates[key] == nil, let underscore = key.lastIndex(of: "_"),
               let number = Int(key[key.index(after: underscore)...]), number >= 2 {
                key = String(key[..<underscore])
            }
            guard let options = candidates[key] else {
                throw PayloadEncodingError("unknown field \(member.key)")
            }
            var chosen = options.first { fits(program.ops[$0.op], member.value) }
            if let preferred = hints[key] { chosen = options.first { $0.id == preferred } ?? chosen }
            guard let chosen else { throw PayloadEncodingError("\(member.key): value \(member.value) fits no object id") }
            out.append(UInt8(chosen.id))
            var inner = Set<String>()
            try writeOp(chosen.op, program.ops[chosen.op], member.value, object, &inner, registers, &out)
        }
    }
}
