/// The storage of a ``PayloadProgram``: its arrays as given, and the form the interpreter
/// runs: the same ops, flattened once (when the program is built) into fixed-size records
/// of plain integers and doubles, stored with the label values, bit extracts and tag tables
/// in memory that never moves or changes.
///
/// Why not run `PayloadOp` itself: an op is an enum of enums (`kind`, `encoding`, `count`)
/// and optionals, so every step of the loop switched over several payload-carrying enums
/// and copied the whole op; the arrays behind the program were retained and released per
/// access. Here every decision that depends only on the program (how many bytes to load,
/// how to sign-extend, whether a scale applies, whether a division by the scale's
/// denominator can be a multiplication, how big a frame is) is taken once, and the loop
/// reads a few fields through a pointer, with no reference counting.
///
/// Memory safety rests on ``validate()``: it runs when the code is built, and checks every
/// index the interpreter later follows without a bounds check (op subtrees, label and
/// extract ranges, tag tables and their targets, registers, occurrence slots). A program
/// that fails it cannot be decoded with (decoding traps, naming the reason), as an
/// out-of-range index in it always did; the ProtocolSpecs loader only builds valid ones.
@usableFromInline
final class PayloadCode: @unchecked Sendable {
    // @unchecked: everything is written in `init` and only read afterwards.
    @usableFromInline let instructions: UnsafeMutablePointer<PayloadInstruction>
    @usableFromInline let count: Int
    /// `PayloadProgram.labels[i].value`: what an enum field is compared with.
    @usableFromInline let labelValues: UnsafeMutablePointer<Int64>
    @usableFromInline let extractMasks: UnsafeMutablePointer<PayloadExtractMask>
    /// Every tag table, 256 entries each, back to back; `PayloadInstruction.table` is the start.
    @usableFromInline let tags: UnsafeMutablePointer<Int32>
    /// Why the program cannot run, or nil.
    @usableFromInline let invalidReason: StaticString?
    let labelCount: Int, extractCount: Int, tagCount: Int

    // The program as given, for everything but the decode loop (sinks, the encoder).
    let ops: [PayloadOp]
    let fields: [PayloadFieldInfo]
    let labels: [PayloadLabel]
    let extracts: [PayloadBitExtract]
    let tagTables: [[Int32]]
    let registerNames: [String]

    init(
        ops: [PayloadOp], fields: [PayloadFieldInfo], labels: [PayloadLabel], extracts programExtracts: [PayloadBitExtract],
        tagTables: [[Int32]], registerNames: [String]
    ) {
        self.ops = ops
        self.fields = fields
        self.labels = labels
        self.extracts = programExtracts
        self.tagTables = tagTables
        self.registerNames = registerNames
        count = ops.count
        labelCount = labels.count
        extractCount = programExtracts.count
        tagCount = tagTables.count &* 256
        instructions = .allocate(capacity: Swift.max(count, 1))
        labelValues = .allocate(capacity: Swift.max(labelCount, 1))
        extractMasks = .allocate(capacity: Swift.max(extractCount, 1))
        tags = .allocate(capacity: Swift.max(tagCount, 1))
        for (index, op) in ops.enumerated() {
            (instructions + index).initialize(to: PayloadInstruction(op))
        }
        for (index, label) in labels.enumerated() {
            (labelValues + index).initialize(to: label.value)
        }
        for (index, extract) in programExtracts.enumerated() {
            (extractMasks + index).initialize(to: PayloadExtractMask(extract))
        }
        var tableValid = true
        for (table, entries) in tagTables.enumerated() {
            if entries.count != 256 { tableValid = false }
            for id in 0..<256 {
                (tags + (table &* 256 &+ id)).initialize(to: id < entries.count ? entries[id] : -1)
            }
        }
        invalidReason = tableValid
            ? Self.validate(ops: ops, labelCount: labels.count, extracts: programExtracts, tagTables: tagTables)
            : "a tag table does not have 256 entries"
        if invalidReason == nil { Self.computeFrameSizes(instructions, count) }
    }

    deinit {
        instructions.deinitialize(count: count).deallocate()
        labelValues.deinitialize(count: labelCount).deallocate()
        extractMasks.deinitialize(count: extractCount).deallocate()
        tags.deinitialize(count: tagCount).deallocate()
    }

    /// Checks every index the interpreter follows unchecked; nil when the program is sound.
    static func validate(
        ops: [PayloadOp], labelCount: Int, extracts: [PayloadBitExtract], tagTables: [[Int32]]
    ) -> StaticString? {
        let registers = PayloadProgram.registerCount
        func subtree(_ start: Int, _ end: Int) -> StaticString? {
            var index = start
            while index < end {
                let op = ops[index]
                guard op.length >= 1, Int(op.length) <= end &- index else { return "an op's length runs past its parent" }
                if let condition = op.condition, Int(condition.register) >= registers { return "a condition names no register" }
                if let store = op.store, Int(store) >= registers { return "a store names no register" }
                guard op.labels.lowerBound >= 0, op.labels.upperBound <= labelCount else { return "labels out of range" }
                guard op.extracts.lowerBound >= 0, op.extracts.upperBound <= extracts.count else { return "extracts out of range" }
                guard op.occurrenceSlot < PayloadProgram.occurrenceSlotCount else { return "occurrence slot out of range" }
                switch op.kind {
                case let .scalar(encoding), let .constant(encoding, _):
                    guard (0...64).contains(encoding.bitWidth) else { return "an integer wider than 64 bits" }
                case let .array(encoding, count):
                    guard (0...64).contains(encoding.bitWidth) else { return "an integer wider than 64 bits" }
                    if case let .fixed(n) = count, n < 0 { return "a negative count" }
                case let .group(.fixed(n)?) where n < 0, let .text(n?) where n < 0, let .bytes(n?) where n < 0:
                    return "a negative count"
                case let .derived(register, _), let .check(register, _, _, _):
                    if Int(register) >= registers { return "a derived field or check names no register" }
                case let .tagged(table):
                    guard table >= 0, table < tagTables.count else { return "a tagged field names no tag table" }
                    // Targets inside the tagged op's own subtree keep the recursion as deep as
                    // the program, whatever the input.
                    for target in tagTables[table] where target >= 0 {
                        guard target > index, Int(target) < index &+ Int(op.length) else {
                            return "a tag table points outside its tagged field"
                        }
                    }
                case .group, .text, .bytes:
                    break
                }
                if op.length > 1, let problem = subtree(index &+ 1, index &+ Int(op.length)) { return problem }
                index &+= Int(op.length)
            }
            return nil
        }
        for extract in extracts where Int(extract.register) >= registers {
            return "a bit extract names no register"
        }
        return subtree(0, ops.count)
    }

    /// Fills `frameBytes` of groups whose frame size never depends on registers or data,
    /// and `bodyWritesRegisters`, so that repeated groups work out a frame's size once.
    static func computeFrameSizes(_ instructions: UnsafeMutablePointer<PayloadInstruction>, _ count: Int) {
        for index in 0..<count where instructions[index].opcode == .group {
            let end = index &+ Int(instructions[index].length)
            var writes = false
            var conditional = false
            for inner in (index &+ 1)..<end {
                let op = instructions[inner]
                if op.store != PayloadInstruction.none || op.extractsEnd > op.extractsStart { writes = true }
                if op.conditionRegister != PayloadInstruction.none { conditional = true }
            }
            instructions[index].bodyWritesRegisters = writes
            if !conditional {
                instructions[index].frameBytes = Int32(clamping: PayloadCodeView(instructions: instructions)
                    .frameSize(index &+ 1, end, PayloadMachine()) ?? -2)
            }
        }
    }
}

/// The unowned pointers of a ``PayloadCode``, passed down the interpreter's recursion: a
/// trivial value, so passing it costs no reference counting. Valid while the code lives.
@usableFromInline
struct PayloadCodeView {
    @usableFromInline let instructions: UnsafeMutablePointer<PayloadInstruction>
    @usableFromInline var labelValues: UnsafeMutablePointer<Int64>
    @usableFromInline var extracts: UnsafeMutablePointer<PayloadExtractMask>
    @usableFromInline var tags: UnsafeMutablePointer<Int32>

    @inlinable
    init(_ code: PayloadCode) {
        instructions = code.instructions
        labelValues = code.labelValues
        extracts = code.extractMasks
        tags = code.tags
    }

    /// For `computeFrameSizes` only (uses no labels, extracts or tags).
    init(instructions: UnsafeMutablePointer<PayloadInstruction>) {
        self.instructions = instructions
        labelValues = UnsafeMutablePointer(bitPattern: 8)!
        extracts = UnsafeMutablePointer(bitPattern: 8)!
        tags = UnsafeMutablePointer(bitPattern: 8)!
    }
}

/// A ``PayloadBitExtract`` with its shift and mask worked out.
@usableFromInline
struct PayloadExtractMask {
    @usableFromInline var register: Int
    @usableFromInline var shift: UInt64
    @usableFromInline var mask: UInt64

    init(_ extract: PayloadBitExtract) {
        register = Int(extract.register)
        shift = UInt64(extract.shift)
        mask = extract.width >= 64 ? ~0 : (1 << UInt64(extract.width)) &- 1
    }
}

/// What an instruction does: `PayloadOp.Kind` without its payloads.
@usableFromInline
enum PayloadOpcode: UInt8 {
    case scalar, array, packedArray, text, bytes, derived, group, tagged, check, constant
}

/// How the bytes of a value become the raw `UInt64`.
@usableFromInline
enum PayloadLoad: UInt8 {
    case u8, u16, u24, u32, u64
    /// Any other byte count, or big-endian: byte by byte.
    case bytes
}

/// How a raw value becomes what the sink is given: `PayloadEncoding` without its width.
@usableFromInline
enum PayloadValueKind: UInt8 {
    case unsigned
    /// 64-bit unsigned: values above `Int64.max` go to the sink as numbers.
    case unsigned64
    case signed
    case sfloat, float, float32, float64
}

/// How an integer is shown.
@usableFromInline
enum PayloadRendering: UInt8 {
    case integer
    /// Through the op's scale, as a number.
    case scaled
    case boolean
    /// Looked up in the labels, else as `integer` or `scaled` (per `scaled`).
    case labeled
}

/// One ``PayloadOp``, flattened: plain fields only, decisions taken ahead of time.
@usableFromInline
struct PayloadInstruction {
    /// "No register" in the register fields.
    @inlinable static var none: UInt8 { 0xFF }

    @usableFromInline var opcode: PayloadOpcode
    @usableFromInline var load: PayloadLoad
    @usableFromInline var valueKind: PayloadValueKind
    @usableFromInline var rendering: PayloadRendering
    /// Bytes one value takes (`bitWidth / 8`), as `readRaw` always read.
    @usableFromInline var byteCount: UInt8
    @usableFromInline var bits: UInt8
    @usableFromInline var bigEndian: Bool
    @usableFromInline var visible: Bool
    @usableFromInline var conditionRegister: UInt8
    @usableFromInline var conditionNegated: Bool
    @usableFromInline var absence: PayloadAbsence
    @usableFromInline var store: UInt8
    /// derived: the register; check: the register.
    @usableFromInline var register: UInt8
    /// derived: shown as a boolean; check: fails unless equal.
    @usableFromInline var flag: Bool
    @usableFromInline var checkFailure: PayloadCheckFailure
    /// The scale is (1, 1, 0): integers go out as integers, decimals unscaled.
    @usableFromInline var identityScale: Bool
    /// A group's body cannot change a register (no stores, no bit extracts).
    @usableFromInline var bodyWritesRegisters: Bool
    @usableFromInline var occurrenceSlot: Int16
    @usableFromInline var field: Int32
    @usableFromInline var length: Int32
    /// array, group: the fixed count, or -1 for "to the end" (group: -2 for a plain object).
    /// text, bytes: the byte count, or -1 for the rest.
    @usableFromInline var count: Int
    @usableFromInline var labelsStart: Int32, labelsEnd: Int32
    @usableFromInline var extractsStart: Int32, extractsEnd: Int32
    /// tagged: start of its table in `PayloadCode.tags`.
    @usableFromInline var table: Int32
    /// Leaf ops: bytes taken within a frame (what `frameSize` adds), -1 when data-dependent.
    /// Groups: the body's size when no condition inside can change it, -2 when it is
    /// data-dependent regardless, -1 when it must be worked out with the registers.
    @usableFromInline var frameBytes: Int32
    /// check, constant: the value compared with.
    @usableFromInline var constant: UInt64
    @usableFromInline var numerator: Double
    @usableFromInline var offsetNumerator: Double
    @usableFromInline var denominator: Double
    /// `1 / denominator` when that is exact (a power of two), so that multiplying by it gives
    /// the very same `Double` as dividing; 0 otherwise.
    @usableFromInline var reciprocal: Double

    init(_ op: PayloadOp) {
        opcode = .scalar
        load = .bytes
        valueKind = .unsigned
        bits = 0
        byteCount = 0
        count = 0
        table = 0
        register = 0
        flag = false
        checkFailure = .invalidValue
        constant = 0
        frameBytes = -1
        bodyWritesRegisters = true
        bigEndian = op.bigEndian
        visible = op.visible
        conditionRegister = op.condition?.register ?? Self.none
        conditionNegated = op.condition?.negated ?? false
        absence = op.absence
        store = op.store ?? Self.none
        occurrenceSlot = op.occurrenceSlot
        field = op.field
        length = op.length
        labelsStart = Int32(clamping: op.labels.lowerBound)
        labelsEnd = Int32(clamping: op.labels.upperBound)
        extractsStart = Int32(clamping: op.extracts.lowerBound)
        extractsEnd = Int32(clamping: op.extracts.upperBound)
        numerator = op.scale.numerator
        offsetNumerator = op.scale.offsetNumerator
        denominator = op.scale.denominator
        reciprocal = Self.exactReciprocal(op.scale.denominator)
        identityScale = op.scale.isIdentity
        rendering = op.rendersBoolean ? .boolean : !op.labels.isEmpty ? .labeled : op.scale.isIdentity ? .integer : .scaled

        switch op.kind {
        case let .scalar(encoding):
            setEncoding(encoding)
            frameBytes = Int32(clamping: encoding.bitWidth / 8)
        case let .constant(encoding, value):
            opcode = .constant
            setEncoding(encoding)
            constant = value
            frameBytes = Int32(clamping: encoding.bitWidth / 8)
        case let .array(encoding, elements):
            opcode = encoding.isPacked ? .packedArray : .array
            setEncoding(encoding)
            switch elements {
            case let .fixed(n):
                count = n
                frameBytes = Int32(clamping: (encoding.bitWidth &* n &+ 7) / 8)
            case .toEnd:
                count = -1
            }
        case let .text(bytes):
            opcode = .text
            count = bytes ?? -1
            if let bytes { frameBytes = Int32(clamping: bytes) }
        case let .bytes(bytes):
            opcode = .bytes
            count = bytes ?? -1
            if let bytes { frameBytes = Int32(clamping: bytes) }
        case let .derived(register, boolean):
            opcode = .derived
            self.register = register
            flag = boolean
            frameBytes = 0
        case let .group(elements):
            opcode = .group
            switch elements {
            case nil: count = -2
            case let .fixed(n)?: count = n
            case .toEnd?: count = -1
            }
        case let .tagged(table):
            opcode = .tagged
            self.table = Int32(clamping: table &* 256)
        case let .check(register, value, unlessEqual, failure):
            opcode = .check
            self.register = register
            constant = value
            flag = unlessEqual
            checkFailure = failure
            frameBytes = 0
        }
    }

    private mutating func setEncoding(_ encoding: PayloadEncoding) {
        let width = encoding.bitWidth
        bits = UInt8(clamping: width)
        byteCount = UInt8(clamping: width / 8)
        if !bigEndian {
            switch width / 8 {
            case 1: load = .u8
            case 2: load = .u16
            case 3: load = .u24
            case 4: load = .u32
            case 8: load = .u64
            default: load = .bytes
            }
        }
        switch encoding {
        case let .unsigned(bits): valueKind = bits == 64 ? .unsigned64 : .unsigned
        case .signed: valueKind = .signed
        case .sfloat: valueKind = .sfloat
        case .float: valueKind = .float
        case .float32: valueKind = .float32
        case .float64: valueKind = .float64
        }
    }

    /// `1 / d` when `d` is ± a power of two whose reciprocal is a normal double: then
    /// `x * (1 / d)` and `x / d` are both the correctly rounded `x / d`, bit for bit.
    static func exactReciprocal(_ denominator: Double) -> Double {
        guard denominator.isNormal, denominator.significandBitPattern == 0 else { return 0 }
        let reciprocal = 1 / denominator
        guard reciprocal.isNormal, reciprocal.significandBitPattern == 0, reciprocal * denominator == 1 else { return 0 }
        return reciprocal
    }
}
