/// Names one value handed to a ``PayloadSink``: which field, and where within it.
///
/// A few integers only, so calling a sink costs no reference counting; the sink looks up
/// name, quantity and unit in ``PayloadProgram/fields`` when it needs them.
public struct PayloadFieldRef: Sendable, Equatable {
    /// Index into ``PayloadProgram/fields``.
    public var id: Int32
    /// Position within an array (for force cells: the cell index), or -1 for a scalar.
    public var index: Int32
    /// How many values of this name came before in the same object (BTHome may repeat
    /// an object id; the JSON sink names the second one `temperature_2`).
    public var occurrence: Int32

    public init(id: Int32, index: Int32 = -1, occurrence: Int32 = 0) {
        self.id = id
        self.index = index
        self.occurrence = occurrence
    }
}

/// Receives the values of a decoded payload, in wire order.
///
/// The interpreter is generic over the sink (`<Sink: PayloadSink>`, passed `inout`), so
/// calls are direct and a sink that stores into a preallocated buffer keeps decoding
/// allocation-free. Arrays are bracketed by `beginArray`/`endArray` with elements
/// reported by index; repeated groups report `beginObject`/`endObject` per element.
public protocol PayloadSink {
    /// An integer value (no scale, or none needed).
    mutating func integer(_ value: Int64, field: PayloadFieldRef)
    /// A scaled or floating-point value.
    mutating func number(_ value: Double, field: PayloadFieldRef)
    /// An IEEE 11073 special value (NaN, NRes, ±INF, reserved).
    mutating func special(_ value: IEEE11073Special, field: PayloadFieldRef)
    mutating func bool(_ value: Bool, field: PayloadFieldRef)
    /// An enumerated value: `label` indexes ``PayloadProgram/labels``; `raw` is the wire value.
    mutating func label(_ label: Int, raw: Int64, field: PayloadFieldRef)
    /// Validated UTF-8 text, borrowed from the payload.
    mutating func text(_ utf8: RawSpan, field: PayloadFieldRef)
    /// Opaque bytes, borrowed from the payload.
    mutating func bytes(_ bytes: RawSpan, field: PayloadFieldRef)
    /// A field that is absent but shown as null.
    mutating func null(field: PayloadFieldRef)
    mutating func beginArray(field: PayloadFieldRef)
    mutating func endArray(field: PayloadFieldRef)
    /// A nested object: one group, or one element of a repeated group (`field.index`).
    mutating func beginObject(field: PayloadFieldRef)
    mutating func endObject(field: PayloadFieldRef)
}
