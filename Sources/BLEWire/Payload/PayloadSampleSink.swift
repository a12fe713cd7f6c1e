/// One measured value out of a payload: what the gateway's metric pipelines consume.
public struct PayloadSample: Sendable, Equatable {
    /// Index into ``PayloadProgram/fields``.
    public var field: Int32
    /// What was measured (`heart_rate`, `rr_interval`, `plantar_force`, `accel_x`, ...).
    public var quantity: String
    /// The value in ``unit``; for IEEE 11073 specials, the nearest Double (NaN, ±∞).
    public var value: Double
    public var unit: String?
    /// Position within an array: the cell index of a force, the n-th RR interval; -1 for scalars.
    public var index: Int32
    /// Which element of the innermost repeated group (frame) it came from; -1 outside frames.
    public var frame: Int32
    /// Set when the device sent an IEEE 11073 special instead of a number.
    public var special: IEEE11073Special?

    public init(field: Int32, quantity: String, value: Double, unit: String?, index: Int32, frame: Int32,
                special: IEEE11073Special? = nil) {
        self.field = field
        self.quantity = quantity
        self.value = value
        self.unit = unit
        self.index = index
        self.frame = frame
        self.special = special
    }
}

/// Flattens a payload into ``PayloadSample``s, keeping only fields that declare a
/// quantity. Reuse it (``reset()`` keeps capacity) and decoding allocates nothing once
/// the buffer has grown to the largest payload: quantity and unit strings are shared
/// with the program, not copied.
public struct PayloadSampleSink: PayloadSink {
    let fields: [PayloadFieldInfo]
    let labels: [PayloadLabel]
    public private(set) var samples: [PayloadSample] = []
    var frame: Int32 = -1

    public init(program: PayloadProgram, capacity: Int = 64) {
        fields = program.fields
        labels = program.labels
        samples.reserveCapacity(capacity)
    }

    public mutating func reset() {
        samples.removeAll(keepingCapacity: true)
        frame = -1
    }

    @inline(__always)
    mutating func add(_ value: Double, _ field: PayloadFieldRef, special: IEEE11073Special? = nil) {
        let info = fields[Int(field.id)]
        guard let quantity = info.quantity else { return }
        samples.append(PayloadSample(field: field.id, quantity: quantity, value: value, unit: info.unit,
                                     index: field.index, frame: frame, special: special))
    }

    public mutating func integer(_ value: Int64, field: PayloadFieldRef) { add(Double(value), field) }
    public mutating func number(_ value: Double, field: PayloadFieldRef) { add(value, field) }
    public mutating func special(_ value: IEEE11073Special, field: PayloadFieldRef) {
        add(value.doubleValue, field, special: value)
    }
    public mutating func bool(_ value: Bool, field: PayloadFieldRef) { add(value ? 1 : 0, field) }
    public mutating func label(_ label: Int, raw: Int64, field: PayloadFieldRef) { add(Double(raw), field) }
    public mutating func text(_ utf8: RawSpan, field: PayloadFieldRef) {}
    public mutating func bytes(_ bytes: RawSpan, field: PayloadFieldRef) {}
    public mutating func null(field: PayloadFieldRef) {}
    public mutating func beginArray(field: PayloadFieldRef) {}
    public mutating func endArray(field: PayloadFieldRef) {}
    public mutating func beginObject(field: PayloadFieldRef) { if field.index >= 0 { frame = field.index } }
    public mutating func endObject(field: PayloadFieldRef) {}
}
