/// A ``PayloadEncoder`` run once and recorded: the bytes of every notification of one
/// shape, with the numbers left as holes, so that a firmware model can encode a stream at
/// its sample rate without building a value tree per notification.
///
/// It is prepared from the spec's program, the hints and a *template*: a value tree of the
/// shape to be sent (which optional fields are there, how many elements a fixed array
/// has). Preparing runs the generic encoder's flag resolution on the template and walks
/// the program as ``PayloadEncoder`` writes it; what cannot change from one notification
/// to the next (flag bytes, enum labels, text, constants) becomes constant bytes, and
/// every number in the template (`.integer` or `.number`) becomes a hole. ``encode(_:counts:into:)``
/// then takes the numbers as a flat array of Doubles in ``layout`` order and writes the
/// same bytes ``PayloadEncoder`` would write for the corresponding tree: same scaling,
/// same rounding, same range checks. No strings, no dictionaries, and no allocation once
/// `out` has grown to size.
///
/// The spec stays the single source of truth: the layout comes from the program, and a
/// caller checks ``layout`` once against the order it fills values in (falling back to
/// ``PayloadEncoder`` when the spec changed under it).
///
/// What is fixed by the template, and so differs from ``PayloadEncoder`` when the values
/// would call for something else: the flags. A value that does not fit the alternative the
/// template chose (a heart rate of 300 when the template's 75 chose `u8`) is an error here,
/// where the generic encoder would switch to the `u16` alternative; and a repeated field
/// that sets a flag by being non-empty (`rr_intervals` and `rr_present`) keeps the
/// template's flag when encoded with zero elements. Pin such flags with hints, or prepare
/// one encoder per shape. Tagged fields (BTHome) are not supported.
///
/// A class, immutable once prepared: a firmware model holds one per stream and calls it at
/// the notification rate, where copying a struct of six arrays out of a property would
/// retain each of them every time.
public final class PayloadFlatEncoder: Sendable {
    /// One number hole: how it becomes bits.
    struct Number: Sendable {
        var encoding: PayloadEncoding
        var scale: PayloadScale
        var bigEndian: Bool
        var field: Int32
    }

    enum Step: Sendable {
        /// `constants[range]`, written as is.
        case constant(Range<Int>)
        /// One value.
        case scalar(Number)
        /// `count` values (nil: the next entry of `counts`).
        case array(Number, count: Int?)
        /// The next `body` steps, `count` times (nil: the next entry of `counts`); an
        /// object group when `object` (count 1), else an array of objects.
        case group(body: Int, count: Int?, object: Bool)
    }

    /// A step compiled for ``run``: integers and doubles only, so that the loop neither
    /// switches over enums with payloads nor touches reference counts.
    struct Compiled {
        /// 0 constant, 1 scalar, 2 array, 3 group.
        var kind: UInt8
        /// 0 integer, 1 SFLOAT, 2 FLOAT, 3 binary32, 4 binary64.
        var number: UInt8
        var bigEndian: Bool
        var identity: Bool
        /// Bits per value (integers: 1-64).
        var bits: Int
        /// Values (array) or repetitions (group); -1: the next entry of `counts`.
        var count: Int
        /// Constant: `constants[first ..< second]`; group: body length in `first`.
        var first: Int
        var second: Int
        var lower: Int64
        var upper: Int64
        var mask: UInt64
        var numerator: Double
        var denominator: Double
        var offsetNumerator: Double
        var step: Int
        /// Group: bytes one repetition of the body takes, or -1 when that varies.
        var bodySize = -1
        /// Whole octets a value takes (`bits / 8`), and whether the scale divides
        /// (`numerator != 1`): asked per value.
        var octets = 0
        var divides = false
    }

    let program: PayloadProgram
    let steps: [Step]
    let compiled: [Compiled]
    /// Field name of each step, for ``values(of:)`` and error messages.
    let names: [String]
    let constants: [UInt8]

    /// What ``encode(_:counts:into:)`` expects, one entry per hole or count in the order
    /// they are taken: `sequence` (one value), `frames[]` (a count), `frames[].forces[8]`
    /// (eight values per frame), `samples[]` (a count, then that many values), a nested
    /// name under its group (`frames[].accel_x`, `location.x`).
    public let layout: [String]

    /// Values per call when nothing repeats a variable number of times; nil otherwise.
    public let fixedValueCount: Int?

    /// Records the encoding of `template` (see the type's documentation).
    public init(program: PayloadProgram, hints: [String: Int] = [:], template: PayloadObject)
        throws(PayloadEncodingError) {
        let encoder = PayloadEncoder(program: program, hints: hints)
        var registers = [UInt64?](repeating: nil, count: PayloadProgram.registerCount)
        for (name, value) in hints {
            if let register = program.registerNames.firstIndex(of: name) {
                registers[register] = UInt64(truncatingIfNeeded: value)
            }
        }
        try encoder.resolve(0, program.ops.count, template, &registers)
        var recorder = Recorder(encoder: encoder, registers: registers.map { $0 ?? 0 })
        try recorder.record(0, program.ops.count, template, prefix: "")
        self.program = program
        steps = recorder.steps
        names = recorder.names
        constants = recorder.constants
        compiled = Self.measuringBodies(recorder.steps.enumerated().map { Self.compile($0.element, at: $0.offset) })
        layout = recorder.layout
        fixedValueCount = recorder.variable ? nil : recorder.valueCount
    }

    // MARK: Encoding

    /// Appends the payload for `values` (in ``layout`` order) to `out`. `counts` gives, in
    /// order, the length of every variable-length array or group (`frames[]`, `samples[]`).
    public func encode(_ values: [Double], counts: [Int] = [], into out: inout [UInt8]) throws(PayloadEncodingError) {
        try values.withUnsafeBufferPointer { (values) throws(PayloadEncodingError) in
            try encode(values, counts: counts, into: &out)
        }
    }

    /// ``encode(_:counts:into:)`` for values in memory the caller keeps (a firmware model
    /// fills one buffer in place, frame by frame).
    public func encode(_ values: UnsafeBufferPointer<Double>, counts: [Int] = [], into out: inout [UInt8])
        throws(PayloadEncodingError) {
        var problem: Problem?
        var used = (values: 0, counts: 0)
        compiled.withUnsafeBufferPointer { ops in
            counts.withUnsafeBufferPointer { counts in
                var sizeCounts = 0, uncounted = 0
                guard let size = Self.size(0, ops.count, ops, counts, &sizeCounts, &uncounted) else {
                    problem = .noCount(step: uncounted)
                    return
                }
                // `Writer.store` writes eight octets for a value of one to eight: the slack
                // after the payload takes what goes past its end, and is cut off after.
                let start = out.count
                out.append(contentsOf: repeatElement(0, count: size + Writer.slack))
                out.withUnsafeMutableBufferPointer { buffer in
                    constants.withUnsafeBufferPointer { constants in
                        var writer = Writer(ops: ops, values: values, counts: counts, constants: constants,
                                            out: buffer.baseAddress! + start)
                        if !writer.run(0, ops.count) { problem = writer.problem }
                        used = (writer.valueIndex, writer.countIndex)
                    }
                }
                out.removeLast(problem == nil ? Writer.slack : out.count - start)
            }
        }
        if let problem { throw error(problem) }
        guard used.values == values.count, used.counts == counts.count else {
            throw PayloadEncodingError("\(values.count) values and \(counts.count) counts given, \(used.values) and \(used.counts) used")
        }
    }

    /// The payload for `values`, freshly allocated.
    public func encode(_ values: [Double], counts: [Int] = []) throws(PayloadEncodingError) -> [UInt8] {
        var out: [UInt8] = []
        try encode(values, counts: counts, into: &out)
        return out
    }

    /// Sets ``Compiled/bodySize`` of every group whose body has a fixed size, so that
    /// ``size(_:_:_:_:_:_:)`` multiplies rather than walks it per repetition.
    static func measuringBodies(_ ops: [Compiled]) -> [Compiled] {
        var ops = ops
        /// The fixed size of `ops[start ..< end]`, or nil (measuring every group inside).
        func fixedSize(_ start: Int, _ end: Int) -> Int? {
            var total: Int? = 0, index = start
            while index < end {
                let op = ops[index]
                switch op.kind {
                case 0: total? += op.second - op.first
                case 1: total? += op.bits / 8
                case 2: total = op.count >= 0 ? total.map { $0 + (op.count * op.bits + 7) / 8 } : nil
                default:
                    let body = fixedSize(index + 1, index + 1 + op.first)
                    ops[index].bodySize = body ?? -1
                    total = op.count >= 0 ? body.flatMap { body in total.map { $0 + op.count * body } } : nil
                    index += op.first
                }
                index += 1
            }
            return total
        }
        _ = fixedSize(0, ops.count)
        return ops
    }

    static func compile(_ step: Step, at index: Int) -> Compiled {
        var compiled = Compiled(kind: 0, number: 0, bigEndian: false, identity: true, bits: 0, count: 1, first: 0,
                                second: 0, lower: 0, upper: 0, mask: 0, numerator: 1, denominator: 1,
                                offsetNumerator: 0, step: index)
        func describe(_ number: Number) {
            compiled.bigEndian = number.bigEndian
            compiled.identity = number.scale.isIdentity
            compiled.numerator = number.scale.numerator
            compiled.denominator = number.scale.denominator
            compiled.offsetNumerator = number.scale.offsetNumerator
            compiled.bits = number.encoding.bitWidth
            compiled.octets = compiled.bits / 8
            compiled.divides = number.scale.numerator != 1
            switch number.encoding {
            case let .unsigned(bits):
                compiled.number = 0
                compiled.lower = 0
                compiled.upper = bits >= 64 ? Int64.max : (Int64(1) << bits) - 1
                compiled.mask = ~0
            case let .signed(bits):
                compiled.number = 0
                compiled.lower = bits >= 64 ? Int64.min : -(Int64(1) << (bits - 1))
                compiled.upper = bits >= 64 ? Int64.max : (Int64(1) << (bits - 1)) - 1
                compiled.mask = bits >= 64 ? ~0 : (1 << UInt64(bits)) - 1
            case .sfloat: compiled.number = 1
            case .float: compiled.number = 2
            case .float32: compiled.number = 3
            case .float64: compiled.number = 4
            }
        }
        switch step {
        case let .constant(range):
            compiled.first = range.lowerBound
            compiled.second = range.upperBound
        case let .scalar(number):
            compiled.kind = 1
            describe(number)
        case let .array(number, count):
            compiled.kind = 2
            compiled.count = count ?? -1
            describe(number)
        case let .group(body, count, _):
            compiled.kind = 3
            compiled.count = count ?? -1
            compiled.first = body
        }
        return compiled
    }

    /// How many bytes `encode` appends for these counts, so that it can write into
    /// reserved memory rather than append byte by byte; nil when `counts` runs out (`uncounted`
    /// is then the step that needed one).
    static func size(_ start: Int, _ end: Int, _ ops: UnsafeBufferPointer<Compiled>, _ counts: UnsafeBufferPointer<Int>,
                     _ countIndex: inout Int, _ uncounted: inout Int) -> Int? {
        var total = 0
        var index = start
        while index < end {
            let op = ops[index]
            var count = op.count
            if op.kind >= 2, count < 0 {
                guard countIndex < counts.count, counts[countIndex] >= 0 else {
                    uncounted = op.step
                    return nil
                }
                count = counts[countIndex]
                countIndex += 1
            }
            switch op.kind {
            case 0:
                total += op.second - op.first
            case 1:
                total += op.bits / 8
            case 2:
                total += (count * op.bits + 7) / 8
            default:
                if op.bodySize >= 0 {
                    total += count * op.bodySize
                    index += op.first + 1
                    continue
                }
                // One pass over the body per repetition: the body holds variable counts.
                for _ in 0..<count {
                    guard let body = size(index + 1, index + 1 + op.first, ops, counts, &countIndex, &uncounted) else { return nil }
                    total += body
                }
                index += op.first
            }
            index += 1
        }
        return total
    }

    /// Why ``Writer/run(_:_:)`` stopped: turned into the error message only then, so that
    /// the loop carries no error values.
    enum Problem {
        case missingValues(step: Int)
        case noCount(step: Int)
        case notANumber(step: Int, value: Double)
        case outOfRange(step: Int, value: Double)
        case doesNotFit(step: Int, value: Double)
        case notSFloat(step: Int, value: Double)
        case notFloat(step: Int, value: Double)
    }

    func error(_ problem: Problem) -> PayloadEncodingError {
        func failure(_ step: Int, _ value: Double, _ text: String) -> PayloadEncodingError {
            PayloadEncodingError("\(names[step]): \(value) \(text) (as prepared from the template)")
        }
        switch problem {
        case let .missingValues(step): return PayloadEncodingError("\(names[step]): not enough values")
        case let .noCount(step): return PayloadEncodingError("\(names[step]): no count given")
        case let .notANumber(step, value): return failure(step, value, "is not a number")
        case let .outOfRange(step, value): return failure(step, value, "is out of range")
        case let .doesNotFit(step, value): return failure(step, value, "does not fit its encoding")
        case let .notSFloat(step, value): return failure(step, value, "does not fit an SFLOAT")
        case let .notFloat(step, value): return failure(step, value, "does not fit a FLOAT")
        }
    }

    /// The loop of ``encode(_:counts:into:)`` over raw memory: `out` has room for the size
    /// ``size(_:_:_:_:_:)`` computed. Returns false with `problem` set on the first value
    /// that does not fit, as ``PayloadEncoder`` would have thrown.
    struct Writer {
        let ops: UnsafeBufferPointer<Compiled>
        let values: UnsafeBufferPointer<Double>
        let counts: UnsafeBufferPointer<Int>
        let constants: UnsafeBufferPointer<UInt8>
        var out: UnsafeMutablePointer<UInt8>
        var valueIndex = 0
        var countIndex = 0
        var problem: Problem?

        init(ops: UnsafeBufferPointer<Compiled>, values: UnsafeBufferPointer<Double>, counts: UnsafeBufferPointer<Int>,
             constants: UnsafeBufferPointer<UInt8>, out: UnsafeMutablePointer<UInt8>) {
            self.ops = ops
            self.values = values
            self.counts = counts
            self.constants = constants
            self.out = out
        }

        mutating func run(_ start: Int, _ end: Int) -> Bool {
            var index = start
            while index < end {
                let op = ops[index]
                var count = op.count
                if op.kind >= 2, count < 0 {
                    // `size` already checked that the counts are there.
                    count = counts[countIndex]
                    countIndex += 1
                }
                switch op.kind {
                case 0:
                    for byte in op.first..<op.second {
                        out.pointee = constants[byte]
                        out += 1
                    }
                case 1:
                    guard putScalars(&index, end) else { return false }
                    continue
                case 2:
                    guard count <= values.count - valueIndex else {
                        problem = .missingValues(step: op.step)
                        return false
                    }
                    guard op.bits % 8 == 0 ? putWhole(op, count) : putPacked(op, count) else { return false }
                default:
                    for _ in 0..<count where !run(index + 1, index + 1 + op.first) { return false }
                    index += op.first
                }
                index += 1
            }
            return true
        }

        /// Octets `store` may write past the value it stores.
        static let slack = 8

        /// Writes the low `bits` of `raw` at `out` in the op's byte order as one eight-octet
        /// store (what follows the value is overwritten by the next one, or by the slack).
        @inline(__always)
        static func store(_ raw: UInt64, bits: Int, bigEndian: Bool, at out: UnsafeMutablePointer<UInt8>) {
            let word = bigEndian ? (raw << UInt64(64 - bits)).bigEndian : raw.littleEndian
            UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
        }

        /// The stretch of single values from `index` on (an IMU's six axes), in one loop
        /// with the cursor in locals; `index` ends after it.
        @inline(__always)
        mutating func putScalars(_ index: inout Int, _ end: Int) -> Bool {
            var out = self.out, next = valueIndex
            defer { self.out = out; valueIndex = next }
            while index < end, ops[index].kind == 1 {
                let op = ops[index]
                guard next < values.count, let raw = raw(op, values[next]) else {
                    if problem == nil { problem = .missingValues(step: op.step) }
                    return false
                }
                next += 1
                Self.store(raw, bits: op.bits, bigEndian: op.bigEndian, at: out)
                out += op.octets
                index += 1
            }
            return true
        }

        /// `count` values of whole bytes each.
        @inline(__always)
        mutating func putWhole(_ op: Compiled, _ count: Int) -> Bool {
            for _ in 0..<count {
                guard let raw = raw(op, values[valueIndex]) else { return false }
                valueIndex += 1
                Self.store(raw, bits: op.bits, bigEndian: op.bigEndian, at: out)
                out += op.octets
            }
            return true
        }

        /// `count` values of `op.bits` bits each, packed least significant bit first.
        @inline(__always)
        mutating func putPacked(_ op: Compiled, _ count: Int) -> Bool {
            // Locals, not `self`'s fields, so that they stay in registers.
            var out = self.out, index = valueIndex
            defer { self.out = out; valueIndex = index }
            var accumulator: UInt64 = 0
            var filled = 0
            // Up to 56 bits a value, the whole octets gathered go out in one store per value;
            // wider values (up to 64) octet by octet.
            let wide = op.bits > 56
            for _ in 0..<count {
                guard let raw = raw(op, values[index]) else { return false }
                index += 1
                if wide {
                    // Octet by octet, so that no bit of a value that straddles 64 is lost.
                    var pending = raw, pendingBits = op.bits
                    while pendingBits > 0 {
                        let take = min(8 - filled, pendingBits)
                        accumulator |= (pending & ((1 << UInt64(take)) - 1)) << UInt64(filled)
                        pending >>= UInt64(take)
                        pendingBits -= take
                        filled += take
                        if filled == 8 {
                            out.pointee = UInt8(truncatingIfNeeded: accumulator)
                            out += 1
                            accumulator = 0
                            filled = 0
                        }
                    }
                    continue
                }
                accumulator |= raw << UInt64(filled)
                filled += op.bits
                UnsafeMutableRawPointer(out).storeBytes(of: accumulator.littleEndian, as: UInt64.self)
                let octets = filled >> 3
                out += octets
                accumulator >>= UInt64(octets << 3)
                filled &= 7
            }
            if filled > 0 {
                out.pointee = UInt8(truncatingIfNeeded: accumulator)
                out += 1
            }
            return true
        }

        /// The wire bits of one number: what ``PayloadEncoder`` computes for a `.number`,
        /// step for step (same expressions, so the same rounding); nil with `problem` set
        /// where it would have thrown.
        @inline(__always)
        mutating func raw(_ op: Compiled, _ value: Double) -> UInt64? {
            if op.number == 0 {
                // Dividing by 1 changes nothing, and a division costs as much as the rest.
                let shifted = value * op.denominator - op.offsetNumerator
                let x = op.divides ? shifted / op.numerator : shifted
                // The generic encoder's `Int64(x.rounded())` (to nearest, ties away from zero)
                // without the libm call: below 2^52 the fraction `x - trunc(x)` is exact.
                // NaN, infinities and larger numbers take the long way.
                guard abs(x) < 4_503_599_627_370_496 else { return integerSlowly(op, value, x) }
                var integer = Int64(x)
                let fraction = x - Double(integer)
                // Without branches: which way a sensor value rounds is a coin toss, and a
                // mispredicted branch per value costs more than the arithmetic.
                integer += (fraction >= 0.5 ? 1 : 0) - (fraction <= -0.5 ? 1 : 0)
                guard integer >= op.lower, integer <= op.upper else { return fail(.doesNotFit(step: op.step, value: value)) }
                return UInt64(bitPattern: integer) & op.mask
            }
            let unscaled = op.identity ? value : (value * op.denominator - op.offsetNumerator) / op.numerator
            switch op.number {
            case 1:
                guard let encoded = IEEE11073SFloat(unscaled) else { return fail(.notSFloat(step: op.step, value: value)) }
                return UInt64(encoded.rawValue)
            case 2:
                guard let encoded = IEEE11073Float(unscaled) else { return fail(.notFloat(step: op.step, value: value)) }
                return UInt64(encoded.rawValue)
            case 3:
                return UInt64(Float(unscaled).bitPattern)
            default:
                return unscaled.bitPattern
            }
        }

        /// ``raw(_:_:)`` for an integer whose scaled value `x` is not below 2^52 or not a number.
        mutating func integerSlowly(_ op: Compiled, _ value: Double, _ x: Double) -> UInt64? {
            guard value.isFinite else { return fail(.notANumber(step: op.step, value: value)) }
            let rawNumber = x.rounded()
            guard rawNumber.isFinite, abs(rawNumber) < 9.2e18 else { return fail(.outOfRange(step: op.step, value: value)) }
            let integer = Int64(rawNumber)
            guard integer >= op.lower, integer <= op.upper else { return fail(.doesNotFit(step: op.step, value: value)) }
            return UInt64(bitPattern: integer) & op.mask
        }

        mutating func fail(_ why: Problem) -> UInt64? {
            problem = why
            return nil
        }
    }

    // MARK: From a tree, for tests and tools

    /// The values and counts of `object` (a tree of the template's shape) in ``layout``
    /// order: what a caller would pass to ``encode(_:counts:into:)`` for it.
    public func values(of object: PayloadObject) throws(PayloadEncodingError) -> (values: [Double], counts: [Int]) {
        var values: [Double] = [], counts: [Int] = []
        try collect(0, steps.count, object, &values, &counts)
        return (values, counts)
    }

    func collect(_ start: Int, _ end: Int, _ object: PayloadObject, _ values: inout [Double], _ counts: inout [Int])
        throws(PayloadEncodingError) {
        func number(_ value: PayloadValue?, _ name: String) throws(PayloadEncodingError) -> Double {
            switch value {
            case let .integer(integer)?: return Double(integer)
            case let .number(number)?: return number
            default: throw PayloadEncodingError("\(name): a number is needed, got \(value.map(\.description) ?? "nothing")")
            }
        }
        var index = start
        while index < end {
            let name = names[index]
            switch steps[index] {
            case .constant:
                break
            case .scalar:
                values.append(try number(object[name], name))
            case let .array(_, fixed):
                guard case let .array(elements)? = object[name] else { throw PayloadEncodingError("\(name) must be an array") }
                if let fixed, elements.count != fixed { throw PayloadEncodingError("\(name) needs \(fixed) values") }
                if fixed == nil { counts.append(elements.count) }
                for element in elements { values.append(try number(element, name)) }
            case let .group(body, fixed, isObject):
                if isObject {
                    guard case let .object(inner)? = object[name] else { throw PayloadEncodingError("\(name) must be an object") }
                    try collect(index + 1, index + 1 + body, inner, &values, &counts)
                } else {
                    guard case let .array(elements)? = object[name] else { throw PayloadEncodingError("\(name) must be an array") }
                    if let fixed, elements.count != fixed { throw PayloadEncodingError("\(name) needs \(fixed) elements") }
                    if fixed == nil { counts.append(elements.count) }
                    for element in elements {
                        guard case let .object(inner) = element else { throw PayloadEncodingError("\(name) elements must be objects") }
                        try collect(index + 1, index + 1 + body, inner, &values, &counts)
                    }
                }
                index += body
            }
            index += 1
        }
    }
}

/// Walks the program as ``PayloadEncoder/write(_:_:_:_:_:)`` does, recording steps instead of bytes.
private struct Recorder {
    let encoder: PayloadEncoder
    let registers: [UInt64]
    var steps: [PayloadFlatEncoder.Step] = []
    var names: [String] = []
    var constants: [UInt8] = []
    var layout: [String] = []
    var valueCount = 0
    var variable = false
    /// Steps before this index belong to a closed group: constants must not merge into them.
    var barrier = 0

    init(encoder: PayloadEncoder, registers: [UInt64]) {
        self.encoder = encoder
        self.registers = registers
    }

    var program: PayloadProgram { encoder.program }

    static func isNumber(_ value: PayloadValue) -> Bool {
        switch value {
        case .integer, .number: true
        default: false
        }
    }

    /// Appends constant bytes, merging with a constant step just before.
    mutating func constant(_ bytes: [UInt8], _ name: String) {
        guard !bytes.isEmpty else { return }
        if steps.count > barrier, case let .constant(range)? = steps.last, range.upperBound == constants.count {
            constants += bytes
            steps[steps.count - 1] = .constant(range.lowerBound..<constants.count)
            return
        }
        let start = constants.count
        constants += bytes
        steps.append(.constant(start..<constants.count))
        names.append(name)
    }

    /// The bytes the generic encoder writes for one op (used for what stays constant).
    func bytes(_ index: Int, _ op: PayloadOp, _ value: PayloadValue?, _ object: PayloadObject) throws(PayloadEncodingError) -> [UInt8] {
        var out: [UInt8] = []
        var consumed = Set<String>()
        try encoder.writeOp(index, op, value, object, &consumed, registers, &out)
        return out
    }

    mutating func record(_ start: Int, _ end: Int, _ object: PayloadObject, prefix: String) throws(PayloadEncodingError) {
        var consumed = Set<String>()
        var index = start
        while index < end {
            let op = program.ops[index]
            defer { index += Int(op.length) }
            if let condition = op.condition, !encoder.holds(condition, registers) { continue }
            let name = op.visible ? encoder.name(op) : "?"
            let value: PayloadValue? = op.visible && !consumed.contains(name) ? object[name] : nil
            if op.visible { consumed.insert(name) }
            let number = PayloadFlatEncoder.Number(encoding: .unsigned(bits: 8), scale: op.scale, bigEndian: op.bigEndian,
                                                   field: op.field)
            switch op.kind {
            case let .scalar(encoding):
                if let value, Self.isNumber(value) {
                    _ = try encoder.raw(op, encoding, value)  // the template itself must fit
                    var hole = number
                    hole.encoding = encoding
                    steps.append(.scalar(hole))
                    names.append(name)
                    layout.append(prefix + name)
                    valueCount += 1
                } else {
                    constant(try bytes(index, op, value, object), name)
                }
            case let .array(encoding, count):
                guard case let .array(elements)? = value, elements.allSatisfy(Self.isNumber) else {
                    constant(try bytes(index, op, value, object), name)
                    continue
                }
                _ = try bytes(index, op, value, object)  // the template itself must fit
                var hole = number
                hole.encoding = encoding
                if case let .fixed(n) = count {
                    steps.append(.array(hole, count: n))
                    layout.append(prefix + name + "[\(n)]")
                    valueCount += n
                } else {
                    steps.append(.array(hole, count: nil))
                    layout.append(prefix + name + "[]")
                    variable = true
                }
                names.append(name)
            case .text, .bytes, .constant:
                constant(try bytes(index, op, value, object), name)
            case .derived, .check:
                break
            case let .group(count):
                let bodyStart = index + 1, bodyEnd = index + Int(op.length)
                let first: PayloadObject
                let fixed: Int?
                let isObject = count == nil
                if isObject {
                    guard case let .object(inner)? = value else { throw PayloadEncodingError("\(name) must be an object") }
                    first = inner
                    fixed = 1
                    layout.append(prefix + name)
                } else {
                    guard case let .array(elements)? = value else {
                        if op.absence == .empty { continue }
                        throw PayloadEncodingError("\(name) must be an array of objects")
                    }
                    guard case let .object(inner)? = elements.first else {
                        throw PayloadEncodingError("\(name): the template needs one element to take the shape from")
                    }
                    first = inner
                    if case let .fixed(n) = count {
                        guard elements.count == n else { throw PayloadEncodingError("\(name) needs \(n) elements") }
                        fixed = n
                        layout.append(prefix + name + "[\(n)]")
                    } else {
                        fixed = nil
                        variable = true
                        layout.append(prefix + name + "[]")
                    }
                }
                let groupStep = steps.count
                steps.append(.group(body: 0, count: fixed, object: isObject))
                names.append(name)
                let valuesBefore = valueCount
                try record(bodyStart, bodyEnd, first, prefix: layout[layout.count - 1] + ".")
                valueCount = valuesBefore + (valueCount - valuesBefore) * (fixed ?? 1)
                steps[groupStep] = .group(body: steps.count - groupStep - 1, count: fixed, object: isObject)
                barrier = steps.count
            case .tagged:
                throw PayloadEncodingError("tagged fields (\(name)) are not supported by the flat encoder")
            }
        }
    }
}
