/// A payload format compiled into a flat list of operations, ready to be run over bytes
/// by ``PayloadProgram/decode(_:into:base:)`` and, in reverse, by ``PayloadEncoder``.
///
/// Programs are built once (by the ProtocolSpecs loader from a `Protocols/*.yaml` file)
/// and then shared: everything here is immutable, and running a program allocates
/// nothing. Names, units and quantities live in ``fields``; the operations refer to them
/// by index, so the hot loop handles only integers.
///
/// Layout of `ops`: a pre-order flattening of the field tree. Every op records `length`,
/// the number of ops in its subtree (itself included), so a group's body is
/// `ops[i + 1 ..< i + length]` and skipping an absent group is one addition.
///
/// A program is a single reference to immutable storage (``PayloadCode``, which also holds
/// the form the interpreter runs), so copying one out of a table costs one retain, and
/// setting a property builds new storage.
public struct PayloadProgram: Sendable {
    /// The arrays below and the compiled form of `ops`, built together.
    @usableFromInline var code: PayloadCode

    public var ops: [PayloadOp] {
        get { code.ops }
        set { rebuild(ops: newValue) }
    }
    /// Metadata of every named field; `PayloadOp.field` and `PayloadFieldRef.id` index it.
    public var fields: [PayloadFieldInfo] {
        get { code.fields }
        set { rebuild(fields: newValue) }
    }
    /// Enum labels; `PayloadOp.labels` is a range into this.
    public var labels: [PayloadLabel] {
        get { code.labels }
        set { rebuild(labels: newValue) }
    }
    /// Bit fields taken out of integer fields into registers; `PayloadOp.extracts` ranges here.
    public var extracts: [PayloadBitExtract] {
        get { code.extracts }
        set { rebuild(extracts: newValue) }
    }
    /// Object-id tables of tagged fields: 256 op indices each, -1 where the id is unknown.
    public var tagTables: [[Int32]] {
        get { code.tagTables }
        set { rebuild(tagTables: newValue) }
    }
    /// Names of the registers, for the encoder's hints and for diagnostics.
    public var registerNames: [String] {
        get { code.registerNames }
        set { rebuild(registerNames: newValue) }
    }

    /// Registers available to conditions and derived fields.
    public static let registerCount = 32
    /// Distinct names a tagged field may produce (occurrence counters are kept per name).
    public static let occurrenceSlotCount = 128
    /// How deep groups may nest.
    public static let maximumDepth = 8

    public init(
        ops: [PayloadOp], fields: [PayloadFieldInfo], labels: [PayloadLabel] = [],
        extracts: [PayloadBitExtract] = [], tagTables: [[Int32]] = [], registerNames: [String] = []
    ) {
        code = PayloadCode(ops: ops, fields: fields, labels: labels, extracts: extracts, tagTables: tagTables,
                           registerNames: registerNames)
    }

    private mutating func rebuild(
        ops: [PayloadOp]? = nil, fields: [PayloadFieldInfo]? = nil, labels: [PayloadLabel]? = nil,
        extracts: [PayloadBitExtract]? = nil, tagTables: [[Int32]]? = nil, registerNames: [String]? = nil
    ) {
        self = PayloadProgram(
            ops: ops ?? self.ops, fields: fields ?? self.fields, labels: labels ?? self.labels,
            extracts: extracts ?? self.extracts, tagTables: tagTables ?? self.tagTables,
            registerNames: registerNames ?? self.registerNames)
    }
}

/// Describes a named output field: what the sink needs to label a value.
public struct PayloadFieldInfo: Sendable, Equatable {
    /// The output key, e.g. `heart_rate`.
    public var name: String
    /// What the value measures, e.g. `heart_rate`, `rr_interval`, `plantar_force`; nil for
    /// bookkeeping fields (sequence numbers, flags, strings).
    public var quantity: String?
    /// The unit after scaling, e.g. `bpm`, `s`, `N`, `m/s²`, `°C`.
    public var unit: String?
    /// The key pre-rendered for JSON: `"heart_rate":` (quotes, escapes and colon included).
    public var jsonKey: [UInt8]

    public init(name: String, quantity: String? = nil, unit: String? = nil) {
        self.name = name
        self.quantity = quantity
        self.unit = unit
        self.jsonKey = JSONText.quoted(name) + [UInt8(ascii: ":")]
    }
}

/// One value → label pair of an enumerated field.
public struct PayloadLabel: Sendable, Equatable {
    public var value: Int64
    public var label: String

    public init(value: Int64, label: String) {
        self.value = value
        self.label = label
    }
}

/// Copies bits `shift ..< shift + width` of an integer field into a register.
public struct PayloadBitExtract: Sendable, Equatable {
    public var register: UInt8
    public var shift: UInt8
    public var width: UInt8

    public init(register: UInt8, shift: UInt8, width: UInt8) {
        self.register = register
        self.shift = shift
        self.width = width
    }
}

/// A presence condition: the field is there when the register is non-zero (or zero,
/// when `negated`), e.g. `if: rr_present` or `if: "!hr_16bit"`.
public struct PayloadCondition: Sendable, Equatable {
    public var register: UInt8
    public var negated: Bool

    public init(register: UInt8, negated: Bool = false) {
        self.register = register
        self.negated = negated
    }
}

/// What a sink sees for a field whose condition is false.
public enum PayloadAbsence: UInt8, Sendable {
    /// Nothing at all (the key is missing from JSON).
    case omit
    /// An explicit `null`.
    case null
    /// An empty array (for repeated fields).
    case empty
}

/// How many times a repeated field or group occurs.
public enum PayloadCount: Sendable, Equatable {
    case fixed(Int)
    /// As many as fit before the end of the payload; a partial trailing element is an error.
    case toEnd
}

/// The bytes of one scalar value.
public enum PayloadEncoding: Sendable, Equatable {
    /// An unsigned integer of 1–64 bits. Widths that are not whole bytes only occur in
    /// arrays, packed least-significant bit first.
    case unsigned(bits: Int)
    /// A two's-complement integer of 2–64 bits, otherwise as `unsigned`.
    case signed(bits: Int)
    /// IEEE 11073 16-bit SFLOAT.
    case sfloat
    /// IEEE 11073 32-bit FLOAT.
    case float
    /// IEEE 754 binary32.
    case float32
    /// IEEE 754 binary64.
    case float64

    /// Bits one value occupies.
    public var bitWidth: Int {
        switch self {
        case let .unsigned(bits), let .signed(bits): bits
        case .sfloat: 16
        case .float, .float32: 32
        case .float64: 64
        }
    }

    /// Whether values are packed across byte boundaries (12-bit force cells and the like).
    public var isPacked: Bool { bitWidth % 8 != 0 }
}

/// A rational linear map from raw integers to physical values: `(raw × numerator +
/// offsetNumerator) / denominator`.
///
/// Kept as integers-in-doubles rather than one `Double` factor because `2397 × 0.01`
/// is `23.970000000000002` while `2397 / 100` is `23.97`: dividing once by an exact
/// denominator yields the double nearest the decimal, so values print without noise.
public struct PayloadScale: Sendable, Equatable {
    public var numerator: Double
    public var denominator: Double
    public var offsetNumerator: Double

    public static let identity = PayloadScale(numerator: 1, denominator: 1, offsetNumerator: 0)

    public init(numerator: Double, denominator: Double, offsetNumerator: Double = 0) {
        self.numerator = numerator
        self.denominator = denominator
        self.offsetNumerator = offsetNumerator
    }

    public var isIdentity: Bool { numerator == 1 && denominator == 1 && offsetNumerator == 0 }

    @inlinable
    public func apply(_ raw: Double) -> Double {
        (raw * numerator + offsetNumerator) / denominator
    }

    /// The raw value that maps to `value`, rounded to the nearest integer.
    public func invert(_ value: Double) -> Double {
        ((value * denominator - offsetNumerator) / numerator).rounded()
    }
}

/// A check that rejects a payload the format cannot handle (BTHome encryption, a wrong
/// version), so that the caller gets a clear error instead of garbage values.
public enum PayloadCheckFailure: UInt8, Sendable {
    /// The payload is encrypted and decryption is not supported here.
    case encrypted
    /// The payload declares a format version this spec does not describe.
    case unsupportedVersion
    /// A value the format forbids.
    case invalidValue

    /// The field name carried in the ``WireError``.
    public var field: StaticString {
        switch self {
        case .encrypted: "encrypted payload (not supported)"
        case .unsupportedVersion: "format version"
        case .invalidValue: "field value"
        }
    }
}

/// One step of a ``PayloadProgram``.
public struct PayloadOp: Sendable {
    public enum Kind: Sendable {
        /// One value (integer, IEEE 11073 or IEEE 754 float).
        case scalar(PayloadEncoding)
        /// A run of values of one encoding; an array in the output.
        case array(PayloadEncoding, PayloadCount)
        /// UTF-8 text of a fixed byte count, or to the end when nil.
        case text(count: Int?)
        /// Opaque bytes of a fixed count, or to the end when nil.
        case bytes(count: Int?)
        /// A value read from a register rather than from bytes (a flag bit shown as a
        /// boolean or an enum label); consumes nothing.
        case derived(register: UInt8, boolean: Bool)
        /// The next `length - 1` ops as one object (count nil) or as an array of objects.
        case group(PayloadCount?)
        /// An object-id byte selecting one of the child ops (whose ids are in
        /// `PayloadProgram.tagTables[table]`), repeated to the end of the payload. Children
        /// are written into the enclosing object.
        case tagged(table: Int)
        /// Fails the decode with `failure` when `register` equals `value` (or, with
        /// `unlessEqual`, when it does not).
        case check(register: UInt8, value: UInt64, unlessEqual: Bool, failure: PayloadCheckFailure)
        /// Requires a constant in the bytes (e.g. a fixed header); not shown.
        case constant(PayloadEncoding, value: UInt64)
    }

    public var kind: Kind
    /// Index into `PayloadProgram.fields`, or -1 when the op shows nothing.
    public var field: Int32
    public var condition: PayloadCondition?
    public var absence: PayloadAbsence
    public var bigEndian: Bool
    public var scale: PayloadScale
    /// Range into `PayloadProgram.labels` for enumerated values (empty: not an enum).
    public var labels: Range<Int>
    /// Range into `PayloadProgram.extracts` (bit fields of this integer).
    public var extracts: Range<Int>
    /// Register receiving the whole raw integer, or nil.
    public var store: UInt8?
    /// Ops in this subtree, itself included.
    public var length: Int32
    /// For children of a tagged op: the object id; otherwise -1.
    public var tag: Int16
    /// For children of a tagged op: which per-name occurrence counter to bump.
    public var occurrenceSlot: Int16
    /// Shows an integer as `true`/`false` (non-zero is true), e.g. BTHome binary sensors.
    public var rendersBoolean: Bool
    /// For fields shown in the output: false for flag bytes and other bookkeeping.
    public var visible: Bool { field >= 0 }

    public init(
        _ kind: Kind, field: Int32 = -1, condition: PayloadCondition? = nil, absence: PayloadAbsence = .omit,
        bigEndian: Bool = false, scale: PayloadScale = .identity, labels: Range<Int> = 0..<0,
        extracts: Range<Int> = 0..<0, store: UInt8? = nil, length: Int32 = 1, tag: Int16 = -1,
        occurrenceSlot: Int16 = -1, rendersBoolean: Bool = false
    ) {
        self.rendersBoolean = rendersBoolean
        self.kind = kind
        self.field = field
        self.condition = condition
        self.absence = absence
        self.bigEndian = bigEndian
        self.scale = scale
        self.labels = labels
        self.extracts = extracts
        self.store = store
        self.length = length
        self.tag = tag
        self.occurrenceSlot = occurrenceSlot
    }
}
