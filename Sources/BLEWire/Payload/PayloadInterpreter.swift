/// Mutable state of one decode: the register file for flag bits and the per-name
/// occurrence counters of tagged objects. Fixed-size, on the stack.
struct PayloadMachine {
    var registers = InlineArray<32, UInt64>(repeating: 0)
    var occurrences = InlineArray<128, UInt8>(repeating: 0)
    /// Absolute offset where the last value started (checks report it).
    var lastValueOffset = 0
    /// Field being decoded, for error reports.
    var currentField: Int32 = -1
}

extension PayloadProgram {
    /// Decodes `bytes` (one notification value, read response or service-data payload)
    /// into `sink`, in wire order, allocating nothing.
    ///
    /// - Parameter base: offset of `bytes` within the outer buffer, so that errors carry
    ///   offsets the user can find in a capture.
    /// - Throws: `WireError` with layer `.payload`: a truncated value or frame, an
    ///   unknown object id, invalid UTF-8, a failed check (e.g. encrypted BTHome), or
    ///   trailing bytes. The sink may have received part of the values by then.
    @inlinable
    public func decode<Sink: PayloadSink>(_ bytes: RawSpan, into sink: inout Sink, base: Int = 0) throws(WireError) {
        var failingField: Int32 = -1
        try decode(bytes, into: &sink, base: base, failingField: &failingField)
    }

    /// As ``decode(_:into:base:)``, and on failure sets `failingField` to the index (in
    /// ``fields``) of the field being read, or -1, so that messages can name it.
    public func decode<Sink: PayloadSink>(
        _ bytes: RawSpan, into sink: inout Sink, base: Int = 0, failingField: inout Int32
    ) throws(WireError) {
        var cursor = ByteCursor(bytes, layer: .payload, base: base)
        var machine = PayloadMachine()
        do {
            try run(0, ops.count, &cursor, &sink, &machine)
            try cursor.expectEnd()
        } catch {
            failingField = machine.currentField
            throw error
        }
    }

    // MARK: Op dispatch

    func run<Sink: PayloadSink>(
        _ start: Int, _ end: Int, _ cursor: inout ByteCursor, _ sink: inout Sink, _ machine: inout PayloadMachine
    ) throws(WireError) {
        var index = start
        while index < end {
            let op = ops[index]
            if let condition = op.condition, !holds(condition, machine) {
                absent(op, &sink)
            } else {
                try execute(index, occurrence: 0, &cursor, &sink, &machine)
            }
            index &+= Int(op.length)
        }
    }

    @inline(__always)
    func holds(_ condition: PayloadCondition, _ machine: PayloadMachine) -> Bool {
        (machine.registers[Int(condition.register)] != 0) != condition.negated
    }

    func absent<Sink: PayloadSink>(_ op: PayloadOp, _ sink: inout Sink) {
        guard op.visible else { return }
        let ref = PayloadFieldRef(id: op.field)
        switch op.absence {
        case .omit: break
        case .null: sink.null(field: ref)
        case .empty:
            sink.beginArray(field: ref)
            sink.endArray(field: ref)
        }
    }

    func execute<Sink: PayloadSink>(
        _ index: Int, occurrence: Int32, _ cursor: inout ByteCursor, _ sink: inout Sink, _ machine: inout PayloadMachine
    ) throws(WireError) {
        let op = ops[index]
        if op.visible { machine.currentField = op.field }
        let ref = PayloadFieldRef(id: op.field, index: -1, occurrence: occurrence)
        switch op.kind {
        case let .scalar(encoding):
            machine.lastValueOffset = cursor.absoluteOffset
            try scalar(op, encoding, ref, &cursor, &sink, &machine)

        case let .array(encoding, count):
            if op.visible { sink.beginArray(field: ref) }
            if encoding.isPacked {
                try packedArray(op, encoding, count, ref, &cursor, &sink)
            } else {
                var element: Int32 = 0
                var remainingCount: Int
                switch count {
                case let .fixed(n): remainingCount = n
                case .toEnd: remainingCount = Int.max
                }
                while remainingCount > 0 {
                    if case .toEnd = count, cursor.isAtEnd { break }
                    var elementRef = ref
                    elementRef.index = element
                    machine.lastValueOffset = cursor.absoluteOffset
                    try scalar(op, encoding, elementRef, &cursor, &sink, &machine)
                    element &+= 1
                    remainingCount &-= 1
                }
            }
            if op.visible { sink.endArray(field: ref) }

        case let .text(count):
            machine.lastValueOffset = cursor.absoluteOffset
            let start = cursor.absoluteOffset
            let span: RawSpan
            if let count { span = try cursor.readSpan(count, "text") } else { span = cursor.readRest() }
            if let bad = firstInvalidUTF8(span) {
                throw WireError(.payload, .invalidValue(field: "UTF-8 text", value: Int(span.byte(at: bad))), at: start &+ bad)
            }
            if op.visible { sink.text(span, field: ref) }

        case let .bytes(count):
            machine.lastValueOffset = cursor.absoluteOffset
            let span: RawSpan
            if let count { span = try cursor.readSpan(count, "bytes") } else { span = cursor.readRest() }
            if op.visible { sink.bytes(span, field: ref) }

        case let .derived(register, boolean):
            let raw = machine.registers[Int(register)]
            guard op.visible else { break }
            if boolean {
                sink.bool(raw != 0, field: ref)
            } else {
                emitInteger(op, Int64(bitPattern: raw), ref, &sink)
            }

        case let .group(count):
            let bodyStart = index &+ 1, bodyEnd = index &+ Int(op.length)
            guard let count else {
                if op.visible { sink.beginObject(field: ref) }
                try run(bodyStart, bodyEnd, &cursor, &sink, &machine)
                if op.visible { sink.endObject(field: ref) }
                break
            }
            if op.visible { sink.beginArray(field: ref) }
            var element: Int32 = 0
            while true {
                if case let .fixed(n) = count, element >= n { break }
                if case .toEnd = count, cursor.isAtEnd { break }
                // A frame whose size is known up front is checked whole, so a partial
                // trailing frame is reported where it starts, not somewhere inside.
                if let size = frameSize(bodyStart, bodyEnd, machine), size > cursor.remaining {
                    throw cursor.error(.truncated(field: "frame", needed: size, available: cursor.remaining))
                }
                var elementRef = ref
                elementRef.index = element
                if op.visible { sink.beginObject(field: elementRef) }
                try run(bodyStart, bodyEnd, &cursor, &sink, &machine)
                if op.visible { sink.endObject(field: elementRef) }
                element &+= 1
            }
            if op.visible { sink.endArray(field: ref) }

        case let .tagged(table):
            for slot in 0..<PayloadProgram.occurrenceSlotCount { machine.occurrences[slot] = 0 }
            while !cursor.isAtEnd {
                let idOffset = cursor.absoluteOffset
                let id = try cursor.readUInt8("object id")
                let target = tagTables[table][Int(id)]
                guard target >= 0 else {
                    throw WireError(.payload, .unknownType(field: "object id", value: Int(id)), at: idOffset)
                }
                let slot = Int(ops[Int(target)].occurrenceSlot)
                var seen: Int32 = 0
                if slot >= 0 {
                    seen = Int32(machine.occurrences[slot])
                    if machine.occurrences[slot] < 255 { machine.occurrences[slot] &+= 1 }
                }
                try execute(Int(target), occurrence: seen, &cursor, &sink, &machine)
            }

        case let .check(register, value, unlessEqual, failure):
            let actual = machine.registers[Int(register)]
            if (actual == value) != unlessEqual {
                throw WireError(.payload, .invalidValue(field: failure.field, value: Int(truncatingIfNeeded: actual)),
                                at: machine.lastValueOffset)
            }

        case let .constant(encoding, value):
            let start = cursor.absoluteOffset
            let raw = try readRaw(encoding, bigEndian: op.bigEndian, &cursor)
            if raw != value {
                throw WireError(.payload, .invalidValue(field: "constant", value: Int(truncatingIfNeeded: raw)), at: start)
            }
        }
    }

    /// Bytes one element of a group takes with the current registers, or nil when a
    /// member has a data-dependent size.
    func frameSize(_ start: Int, _ end: Int, _ machine: PayloadMachine) -> Int? {
        var size = 0
        var index = start
        while index < end {
            let op = ops[index]
            defer { index &+= Int(op.length) }
            if let condition = op.condition, !holds(condition, machine) { continue }
            switch op.kind {
            case let .scalar(encoding), let .constant(encoding, _):
                size &+= encoding.bitWidth / 8
            case let .array(encoding, .fixed(count)):
                size &+= (encoding.bitWidth &* count &+ 7) / 8
            case let .text(count?), let .bytes(count?):
                size &+= count
            case .derived, .check:
                break
            case .group(nil):
                guard let inner = frameSize(index &+ 1, index &+ Int(op.length), machine) else { return nil }
                size &+= inner
            case let .group(.fixed(count)?):
                guard let inner = frameSize(index &+ 1, index &+ Int(op.length), machine) else { return nil }
                size &+= inner &* count
            default:
                return nil
            }
        }
        return size
    }

    // MARK: Values

    @inline(__always)
    func readRaw(_ encoding: PayloadEncoding, bigEndian: Bool, _ cursor: inout ByteCursor) throws(WireError) -> UInt64 {
        let count = encoding.bitWidth / 8
        if !bigEndian {
            switch count {
            case 1: return UInt64(try cursor.readUInt8(name(encoding)))
            case 2: return UInt64(try cursor.readUInt16(name(encoding)))
            case 3: return UInt64(try cursor.readUInt24(name(encoding)))
            case 4: return UInt64(try cursor.readUInt32(name(encoding)))
            case 8: return try cursor.readUInt64(name(encoding))
            default: break
            }
        }
        try cursor.require(count, for: name(encoding))
        var raw: UInt64 = 0
        for position in 0..<count {
            let byte = UInt64(try cursor.readUInt8(name(encoding)))
            if bigEndian { raw = raw << 8 | byte } else { raw |= byte << UInt64(8 &* position) }
        }
        return raw
    }

    func name(_ encoding: PayloadEncoding) -> StaticString {
        switch encoding {
        case .unsigned, .signed: "integer field"
        case .sfloat: "SFLOAT field"
        case .float: "FLOAT field"
        case .float32, .float64: "float field"
        }
    }

    @inline(__always)
    func signExtend(_ raw: UInt64, bits: Int) -> Int64 {
        guard bits < 64 else { return Int64(bitPattern: raw) }
        let shift = UInt64(64 &- bits)
        return Int64(bitPattern: raw << shift) >> Int64(shift)
    }

    func scalar<Sink: PayloadSink>(
        _ op: PayloadOp, _ encoding: PayloadEncoding, _ ref: PayloadFieldRef,
        _ cursor: inout ByteCursor, _ sink: inout Sink, _ machine: inout PayloadMachine
    ) throws(WireError) {
        let raw = try readRaw(encoding, bigEndian: op.bigEndian, &cursor)
        for extract in extracts[op.extracts] {
            let mask: UInt64 = extract.width >= 64 ? ~0 : (1 << UInt64(extract.width)) &- 1
            machine.registers[Int(extract.register)] = (raw >> UInt64(extract.shift)) & mask
        }
        if let store = op.store { machine.registers[Int(store)] = raw }
        guard op.visible else { return }
        emit(op, encoding, raw, ref, &sink)
    }

    @inline(__always)
    func emit<Sink: PayloadSink>(
        _ op: PayloadOp, _ encoding: PayloadEncoding, _ raw: UInt64, _ ref: PayloadFieldRef, _ sink: inout Sink
    ) {
        switch encoding {
        case let .unsigned(bits):
            if bits == 64, raw > UInt64(Int64.max) {
                sink.number(op.scale.apply(Double(raw)), field: ref)
            } else {
                emitInteger(op, Int64(bitPattern: raw), ref, &sink)
            }
        case let .signed(bits):
            emitInteger(op, signExtend(raw, bits: bits), ref, &sink)
        case .sfloat:
            emitDecimal(op, IEEE11073SFloat(rawValue: UInt16(truncatingIfNeeded: raw)).value, ref, &sink)
        case .float:
            emitDecimal(op, IEEE11073Float(rawValue: UInt32(truncatingIfNeeded: raw)).value, ref, &sink)
        case .float32:
            sink.number(op.scale.apply(Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))), field: ref)
        case .float64:
            sink.number(op.scale.apply(Double(bitPattern: raw)), field: ref)
        }
    }

    @inline(__always)
    func emitDecimal<Sink: PayloadSink>(_ op: PayloadOp, _ value: IEEE11073Value, _ ref: PayloadFieldRef, _ sink: inout Sink) {
        switch value {
        case let .special(special): sink.special(special, field: ref)
        case .number: sink.number(op.scale.isIdentity ? value.doubleValue : op.scale.apply(value.doubleValue), field: ref)
        }
    }

    @inline(__always)
    func emitInteger<Sink: PayloadSink>(_ op: PayloadOp, _ value: Int64, _ ref: PayloadFieldRef, _ sink: inout Sink) {
        if op.rendersBoolean {
            sink.bool(value != 0, field: ref)
            return
        }
        if !op.labels.isEmpty {
            for labelIndex in op.labels where labels[labelIndex].value == value {
                sink.label(labelIndex, raw: value, field: ref)
                return
            }
        }
        if op.scale.isIdentity {
            sink.integer(value, field: ref)
        } else {
            sink.number(op.scale.apply(Double(value)), field: ref)
        }
    }

    /// Values of `bits` bits packed least-significant bit first: two 12-bit values
    /// `a`, `b` occupy three bytes as `a[7:0]`, `b[3:0]a[11:8]`, `b[11:4]`.
    func packedArray<Sink: PayloadSink>(
        _ op: PayloadOp, _ encoding: PayloadEncoding, _ count: PayloadCount, _ ref: PayloadFieldRef,
        _ cursor: inout ByteCursor, _ sink: inout Sink
    ) throws(WireError) {
        guard case let .fixed(elements) = count else { return }
        let bits = encoding.bitWidth
        let byteCount = (bits &* elements &+ 7) / 8
        try cursor.require(byteCount, for: "packed array")
        var accumulator: UInt64 = 0
        var available = 0
        let mask: UInt64 = (1 << UInt64(bits)) &- 1
        for element in 0..<elements {
            while available < bits {
                accumulator |= UInt64(try cursor.readUInt8("packed array")) << UInt64(available)
                available &+= 8
            }
            let raw = accumulator & mask
            accumulator >>= UInt64(bits)
            available &-= bits
            guard op.visible else { continue }
            var elementRef = ref
            elementRef.index = Int32(element)
            emit(op, encoding, raw, elementRef, &sink)
        }
    }
}

/// Offset of the first byte that breaks UTF-8 (RFC 3629 §4: no overlongs, no
/// surrogates, nothing above U+10FFFF), or nil when the text is valid.
func firstInvalidUTF8(_ span: RawSpan) -> Int? {
    var index = 0
    let count = span.byteCount
    while index < count {
        let lead = span.byte(at: index)
        if lead < 0x80 { index &+= 1; continue }
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return index
        }
        guard index &+ length <= count else { return index }
        let second = span.byte(at: index &+ 1)
        guard second >= low, second <= high else { return index }
        for next in 2..<max(2, length) {
            let byte = span.byte(at: index &+ next)
            guard byte & 0xC0 == 0x80 else { return index }
        }
        index &+= length
    }
    return nil
}
