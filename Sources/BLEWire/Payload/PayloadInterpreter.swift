/// Mutable state of one decode: the register file for flag bits and the per-name
/// occurrence counters of tagged objects. Fixed-size, on the stack.
@usableFromInline
struct PayloadMachine {
    @usableFromInline var registers: InlineArray<32, UInt64>
    @usableFromInline var occurrences: InlineArray<128, UInt8>
    /// Absolute offset where the last value started (checks report it).
    @usableFromInline var lastValueOffset: Int
    /// Field being decoded, for error reports.
    @usableFromInline var currentField: Int32

    @inlinable
    init() {
        registers = InlineArray(repeating: 0)
        occurrences = InlineArray(repeating: 0)
        lastValueOffset = 0
        currentField = -1
    }
}

// Everything on the decode path is `@inlinable`, so that it is specialized for the
// caller's sink in the caller's module: each value reaches the sink as a direct (usually
// inlined) call, not through a witness table. The work per value is then a bounds check,
// a load, and the sink's own; see Benchmarks/README.md for what that costs.

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
    @inlinable
    public func decode<Sink: PayloadSink>(
        _ bytes: RawSpan, into sink: inout Sink, base: Int = 0, failingField: inout Int32
    ) throws(WireError) {
        let code = self.code
        if let reason = code.invalidReason { PayloadCode.malformed(reason) }
        // The view's pointers are only valid while `code` lives.
        defer { withExtendedLifetime(code) {} }
        let view = PayloadCodeView(code)
        var cursor = ByteCursor(bytes, layer: .payload, base: base)
        var machine = PayloadMachine()
        do {
            try view.run(0, code.count, &cursor, &sink, &machine)
            try cursor.expectEnd()
        } catch {
            failingField = machine.currentField
            throw error
        }
    }
}

extension PayloadCode {
    @usableFromInline
    static func malformed(_ reason: StaticString) -> Never {
        preconditionFailure("PayloadProgram cannot be decoded with: \(reason)")
    }
}

extension PayloadCodeView {
    // MARK: Op dispatch

    @inlinable
    func run<Sink: PayloadSink>(
        _ start: Int, _ end: Int, _ cursor: inout ByteCursor, _ sink: inout Sink, _ machine: inout PayloadMachine
    ) throws(WireError) {
        var index = start
        while index < end {
            let op = instructions + index
            let condition = op.pointee.conditionRegister
            if condition != PayloadInstruction.none,
               (machine.registers[Int(condition)] != 0) == op.pointee.conditionNegated {
                absent(op, &sink)
            } else if op.pointee.opcode == .scalar {
                // The common op, without the trip through `execute`.
                if op.pointee.visible { machine.currentField = op.pointee.field }
                machine.lastValueOffset = cursor.absoluteOffset
                try scalar(op, PayloadFieldRef(id: op.pointee.field), &cursor, &sink, &machine)
            } else {
                try execute(index, occurrence: 0, &cursor, &sink, &machine)
            }
            index &+= Int(op.pointee.length)
        }
    }

    @inlinable
    func absent<Sink: PayloadSink>(_ op: UnsafeMutablePointer<PayloadInstruction>, _ sink: inout Sink) {
        guard op.pointee.visible else { return }
        let ref = PayloadFieldRef(id: op.pointee.field)
        switch op.pointee.absence {
        case .omit: break
        case .null: sink.null(field: ref)
        case .empty:
            sink.beginArray(field: ref)
            sink.endArray(field: ref)
        }
    }

    @inlinable
    func execute<Sink: PayloadSink>(
        _ index: Int, occurrence: Int32, _ cursor: inout ByteCursor, _ sink: inout Sink, _ machine: inout PayloadMachine
    ) throws(WireError) {
        let op = instructions + index
        let visible = op.pointee.visible
        if visible { machine.currentField = op.pointee.field }
        let ref = PayloadFieldRef(id: op.pointee.field, index: -1, occurrence: occurrence)
        switch op.pointee.opcode {
        case .scalar:
            machine.lastValueOffset = cursor.absoluteOffset
            try scalar(op, ref, &cursor, &sink, &machine)

        case .array:
            if visible { sink.beginArray(field: ref) }
            var elementRef = ref
            elementRef.index = 0
            if op.pointee.count < 0 {
                while !cursor.isAtEnd {
                    machine.lastValueOffset = cursor.absoluteOffset
                    try scalar(op, elementRef, &cursor, &sink, &machine)
                    elementRef.index &+= 1
                }
            } else {
                var remaining = op.pointee.count
                while remaining > 0 {
                    machine.lastValueOffset = cursor.absoluteOffset
                    try scalar(op, elementRef, &cursor, &sink, &machine)
                    elementRef.index &+= 1
                    remaining &-= 1
                }
            }
            if visible { sink.endArray(field: ref) }

        case .packedArray:
            if visible { sink.beginArray(field: ref) }
            try packedArray(op, ref, &cursor, &sink)
            if visible { sink.endArray(field: ref) }

        case .group:
            try group(index, ref, &cursor, &sink, &machine)

        case .text, .bytes:
            try textOrBytes(op, ref, &cursor, &sink, &machine)

        case .derived:
            let raw = machine.registers[Int(op.pointee.register)]
            guard visible else { break }
            if op.pointee.flag {
                sink.bool(raw != 0, field: ref)
            } else {
                emitInteger(op, Int64(bitPattern: raw), ref, &sink)
            }

        case .tagged:
            try tagged(op, &cursor, &sink, &machine)

        case .check:
            let actual = machine.registers[Int(op.pointee.register)]
            if (actual == op.pointee.constant) != op.pointee.flag {
                throw WireError(.payload, .invalidValue(field: op.pointee.checkFailure.field,
                                                        value: Int(truncatingIfNeeded: actual)),
                                at: machine.lastValueOffset)
            }

        case .constant:
            let start = cursor.absoluteOffset
            let raw = try read(op, &cursor)
            if raw != op.pointee.constant {
                throw WireError(.payload, .invalidValue(field: "constant", value: Int(truncatingIfNeeded: raw)), at: start)
            }
        }
    }

    /// A group: one object, or an array of objects (`count` of them, or to the end).
    @inlinable
    func group<Sink: PayloadSink>(
        _ index: Int, _ ref: PayloadFieldRef, _ cursor: inout ByteCursor, _ sink: inout Sink,
        _ machine: inout PayloadMachine
    ) throws(WireError) {
        let op = instructions + index
        let visible = op.pointee.visible
        let bodyStart = index &+ 1, bodyEnd = index &+ Int(op.pointee.length)
        let count = op.pointee.count
        if count == -2 {
            if visible { sink.beginObject(field: ref) }
            try run(bodyStart, bodyEnd, &cursor, &sink, &machine)
            if visible { sink.endObject(field: ref) }
            return
        }
        if visible { sink.beginArray(field: ref) }
        // A frame whose size is known up front is checked whole, so a partial trailing
        // frame is reported where it starts, not somewhere inside. Its size is fixed by the
        // program, or by registers the body cannot change (worked out once), or must be
        // worked out per frame.
        var frameBytes = Int(op.pointee.frameBytes)
        let perFrame = frameBytes == -1 && op.pointee.bodyWritesRegisters
        if frameBytes == -1, !perFrame { frameBytes = frameSize(bodyStart, bodyEnd, machine) ?? -2 }
        var elementRef = ref
        elementRef.index = 0
        while true {
            if count >= 0 {
                if Int(elementRef.index) >= count { break }
            } else if cursor.isAtEnd {
                break
            }
            if perFrame { frameBytes = frameSize(bodyStart, bodyEnd, machine) ?? -2 }
            if frameBytes >= 0, frameBytes > cursor.remaining {
                throw cursor.error(.truncated(field: "frame", needed: frameBytes, available: cursor.remaining))
            }
            if visible { sink.beginObject(field: elementRef) }
            try run(bodyStart, bodyEnd, &cursor, &sink, &machine)
            if visible { sink.endObject(field: elementRef) }
            elementRef.index &+= 1
        }
        if visible { sink.endArray(field: ref) }
    }

    /// Bytes one element of a group takes with the current registers, or nil when a
    /// member has a data-dependent size.
    @inlinable
    func frameSize(_ start: Int, _ end: Int, _ machine: borrowing PayloadMachine) -> Int? {
        var size = 0
        var index = start
        while index < end {
            let op = instructions + index
            let next = index &+ Int(op.pointee.length)
            defer { index = next }
            let condition = op.pointee.conditionRegister
            if condition != PayloadInstruction.none,
               (machine.registers[Int(condition)] != 0) == op.pointee.conditionNegated {
                continue
            }
            if op.pointee.opcode == .group {
                let count = op.pointee.count
                guard count != -1, let inner = frameSize(index &+ 1, next, machine) else { return nil }
                size &+= count == -2 ? inner : inner &* count
            } else {
                let bytes = Int(op.pointee.frameBytes)
                guard bytes >= 0 else { return nil }
                size &+= bytes
            }
        }
        return size
    }

    @inlinable
    func textOrBytes<Sink: PayloadSink>(
        _ op: UnsafeMutablePointer<PayloadInstruction>, _ ref: PayloadFieldRef, _ cursor: inout ByteCursor,
        _ sink: inout Sink, _ machine: inout PayloadMachine
    ) throws(WireError) {
        let start = cursor.absoluteOffset
        machine.lastValueOffset = start
        let count = op.pointee.count
        let isText = op.pointee.opcode == .text
        let span: RawSpan
        if count >= 0 {
            span = try cursor.readSpan(count, isText ? "text" : "bytes")
        } else {
            span = cursor.readRest()
        }
        if isText {
            if let bad = firstInvalidUTF8(span) {
                throw WireError(.payload, .invalidValue(field: "UTF-8 text", value: Int(span.byte(at: bad))), at: start &+ bad)
            }
            if op.pointee.visible { sink.text(span, field: ref) }
        } else {
            if op.pointee.visible { sink.bytes(span, field: ref) }
        }
    }

    /// Object-id bytes, each selecting one of the tagged op's children, to the end.
    @inlinable
    func tagged<Sink: PayloadSink>(
        _ op: UnsafeMutablePointer<PayloadInstruction>, _ cursor: inout ByteCursor, _ sink: inout Sink,
        _ machine: inout PayloadMachine
    ) throws(WireError) {
        machine.occurrences = InlineArray(repeating: 0)
        let table = tags + Int(op.pointee.table)
        while !cursor.isAtEnd {
            let idOffset = cursor.absoluteOffset
            let id = try cursor.readUInt8("object id")
            let target = table[Int(id)]
            guard target >= 0 else {
                throw WireError(.payload, .unknownType(field: "object id", value: Int(id)), at: idOffset)
            }
            let slot = Int(instructions[Int(target)].occurrenceSlot)
            var seen: Int32 = 0
            if slot >= 0 {
                seen = Int32(machine.occurrences[slot])
                if machine.occurrences[slot] < 255 { machine.occurrences[slot] &+= 1 }
            }
            try execute(Int(target), occurrence: seen, &cursor, &sink, &machine)
        }
    }

    // MARK: Values

    /// The raw bits of one value: `byteCount` bytes, little-endian unless `bigEndian`.
    @inlinable @inline(__always)
    func read(_ op: UnsafeMutablePointer<PayloadInstruction>, _ cursor: inout ByteCursor) throws(WireError) -> UInt64 {
        let count = Int(op.pointee.byteCount)
        let position = cursor.position
        guard count <= cursor.bytes.byteCount &- position else {
            throw PayloadCodeView.truncated(op.pointee.valueKind, needed: count, cursor.remaining, at: cursor.absoluteOffset)
        }
        let raw: UInt64
        switch op.pointee.load {
        case .u8:
            raw = UInt64(cursor.bytes.unsafeLoad(fromUncheckedByteOffset: position, as: UInt8.self))
        case .u16:
            raw = UInt64(UInt16(littleEndian: cursor.bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: position, as: UInt16.self)))
        case .u24:
            let low = UInt16(littleEndian: cursor.bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: position, as: UInt16.self))
            let high = cursor.bytes.unsafeLoad(fromUncheckedByteOffset: position &+ 2, as: UInt8.self)
            raw = UInt64(low) | UInt64(high) << 16
        case .u32:
            raw = UInt64(UInt32(littleEndian: cursor.bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: position, as: UInt32.self)))
        case .u64:
            raw = UInt64(littleEndian: cursor.bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: position, as: UInt64.self))
        case .bytes:
            var value: UInt64 = 0
            let bigEndian = op.pointee.bigEndian
            for offset in 0..<count {
                let byte = UInt64(cursor.bytes.unsafeLoad(fromUncheckedByteOffset: position &+ offset, as: UInt8.self))
                if bigEndian { value = value << 8 | byte } else { value |= byte << UInt64(8 &* offset) }
            }
            raw = value
        }
        cursor.position = position &+ count
        return raw
    }

    /// The error every value read reports when the bytes run out (what
    /// `ByteCursor.require` says, with the encoding's name).
    @usableFromInline @inline(never)
    static func truncated(_ kind: PayloadValueKind, needed: Int, _ available: Int, at offset: Int) -> WireError {
        let name: StaticString
        switch kind {
        case .unsigned, .unsigned64, .signed: name = "integer field"
        case .sfloat: name = "SFLOAT field"
        case .float: name = "FLOAT field"
        case .float32, .float64: name = "float field"
        }
        return WireError(.payload, .truncated(field: name, needed: needed, available: available), at: offset)
    }

    @inlinable @inline(__always)
    func scalar<Sink: PayloadSink>(
        _ op: UnsafeMutablePointer<PayloadInstruction>, _ ref: PayloadFieldRef,
        _ cursor: inout ByteCursor, _ sink: inout Sink, _ machine: inout PayloadMachine
    ) throws(WireError) {
        let raw = try read(op, &cursor)
        var extract = Int(op.pointee.extractsStart)
        let extractsEnd = Int(op.pointee.extractsEnd)
        while extract < extractsEnd {
            let bits = extracts[extract]
            machine.registers[bits.register] = (raw >> bits.shift) & bits.mask
            extract &+= 1
        }
        let store = op.pointee.store
        if store != PayloadInstruction.none { machine.registers[Int(store)] = raw }
        guard op.pointee.visible else { return }
        emit(op, raw, ref, &sink)
    }

    @inlinable @inline(__always)
    func emit<Sink: PayloadSink>(
        _ op: UnsafeMutablePointer<PayloadInstruction>, _ raw: UInt64, _ ref: PayloadFieldRef, _ sink: inout Sink
    ) {
        switch op.pointee.valueKind {
        case .unsigned:
            emitInteger(op, Int64(bitPattern: raw), ref, &sink)
        case .unsigned64:
            if raw > UInt64(Int64.max) {
                sink.number(apply(op, Double(raw)), field: ref)
            } else {
                emitInteger(op, Int64(bitPattern: raw), ref, &sink)
            }
        case .signed:
            emitInteger(op, signExtend(raw, bits: Int(op.pointee.bits)), ref, &sink)
        case .sfloat:
            emitDecimal(op, IEEE11073SFloat(rawValue: UInt16(truncatingIfNeeded: raw)).value, ref, &sink)
        case .float:
            emitDecimal(op, IEEE11073Float(rawValue: UInt32(truncatingIfNeeded: raw)).value, ref, &sink)
        case .float32:
            sink.number(apply(op, Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))), field: ref)
        case .float64:
            sink.number(apply(op, Double(bitPattern: raw)), field: ref)
        }
    }

    /// `PayloadScale.apply`, with the division replaced by the same multiplication when
    /// the denominator is a power of two (then both give the same `Double`).
    @inlinable @inline(__always)
    func apply(_ op: UnsafeMutablePointer<PayloadInstruction>, _ raw: Double) -> Double {
        let scaled = raw * op.pointee.numerator + op.pointee.offsetNumerator
        let reciprocal = op.pointee.reciprocal
        return reciprocal != 0 ? scaled * reciprocal : scaled / op.pointee.denominator
    }

    @inlinable @inline(__always)
    func signExtend(_ raw: UInt64, bits: Int) -> Int64 {
        guard bits < 64 else { return Int64(bitPattern: raw) }
        let shift = UInt64(64 &- bits)
        return Int64(bitPattern: raw << shift) >> Int64(shift)
    }

    @inlinable
    func emitDecimal<Sink: PayloadSink>(
        _ op: UnsafeMutablePointer<PayloadInstruction>, _ value: IEEE11073Value, _ ref: PayloadFieldRef, _ sink: inout Sink
    ) {
        switch value {
        case let .special(special): sink.special(special, field: ref)
        case .number: sink.number(op.pointee.identityScale ? value.doubleValue : apply(op, value.doubleValue), field: ref)
        }
    }

    @inlinable @inline(__always)
    func emitInteger<Sink: PayloadSink>(
        _ op: UnsafeMutablePointer<PayloadInstruction>, _ value: Int64, _ ref: PayloadFieldRef, _ sink: inout Sink
    ) {
        switch op.pointee.rendering {
        case .integer:
            sink.integer(value, field: ref)
        case .scaled:
            sink.number(apply(op, Double(value)), field: ref)
        case .boolean:
            sink.bool(value != 0, field: ref)
        case .labeled:
            var label = Int(op.pointee.labelsStart)
            let end = Int(op.pointee.labelsEnd)
            while label < end {
                if labelValues[label] == value {
                    sink.label(label, raw: value, field: ref)
                    return
                }
                label &+= 1
            }
            if op.pointee.identityScale {
                sink.integer(value, field: ref)
            } else {
                sink.number(apply(op, Double(value)), field: ref)
            }
        }
    }

    /// Values of `bits` bits packed least-significant bit first: two 12-bit values
    /// `a`, `b` occupy three bytes as `a[7:0]`, `b[3:0]a[11:8]`, `b[11:4]`.
    @inlinable
    func packedArray<Sink: PayloadSink>(
        _ op: UnsafeMutablePointer<PayloadInstruction>, _ ref: PayloadFieldRef, _ cursor: inout ByteCursor,
        _ sink: inout Sink
    ) throws(WireError) {
        let elements = op.pointee.count
        guard elements >= 0 else { return } // "to the end" is not defined for packed values
        let bits = Int(op.pointee.bits)
        let byteCount = (bits &* elements &+ 7) / 8
        try cursor.require(byteCount, for: "packed array")
        let start = cursor.position
        cursor.position = start &+ byteCount
        guard op.pointee.visible else { return }
        let mask: UInt64 = (1 << UInt64(bits)) &- 1
        // Packed widths are never whole bytes, so never 64-bit or floating point: `emit`
        // comes down to sign extension and `emitInteger`.
        let signed = op.pointee.valueKind == .signed
        let end = cursor.bytes.byteCount
        var elementRef = ref
        if bits <= 56 {
            // Each value lies within the 8 bytes from the byte it starts in: one load, one
            // shift (the tail of the payload is gathered byte by byte).
            var bitOffset = 0
            for element in 0..<elements {
                let byte = start &+ bitOffset &>> 3
                var word: UInt64
                if byte &+ 8 <= end {
                    word = UInt64(littleEndian: cursor.bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: byte, as: UInt64.self))
                } else {
                    word = 0
                    for offset in 0..<(end &- byte) {
                        word |= UInt64(cursor.bytes.unsafeLoad(fromUncheckedByteOffset: byte &+ offset, as: UInt8.self)) &<< UInt64(8 &* offset)
                    }
                }
                let raw = (word &>> UInt64(bitOffset & 7)) & mask
                elementRef.index = Int32(truncatingIfNeeded: element)
                emitInteger(op, signed ? signExtend(raw, bits: bits) : Int64(bitPattern: raw), elementRef, &sink)
                bitOffset &+= bits
            }
        } else {
            var accumulator: UInt64 = 0
            var available = 0
            var position = start
            for element in 0..<elements {
                while available < bits {
                    accumulator |= UInt64(cursor.bytes.unsafeLoad(fromUncheckedByteOffset: position, as: UInt8.self)) << UInt64(available)
                    position &+= 1
                    available &+= 8
                }
                let raw = accumulator & mask
                accumulator >>= UInt64(bits)
                available &-= bits
                elementRef.index = Int32(truncatingIfNeeded: element)
                emitInteger(op, signed ? signExtend(raw, bits: bits) : Int64(bitPattern: raw), elementRef, &sink)
            }
        }
    }
}

/// Offset of the first byte that breaks UTF-8 (RFC 3629 §4: no overlongs, no
/// surrogates, nothing above U+10FFFF), or nil when the text is valid.
@usableFromInline
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
