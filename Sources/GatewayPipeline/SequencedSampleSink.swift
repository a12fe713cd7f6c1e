import BLEWire

/// A ``PayloadSampleSink`` that also keeps the payload's `sequence`, `foot`, `device_kind` and
/// `pair_id` fields, which have no quantity and so no sample: our formats (Protocols/gaitway-insole.yaml,
/// gaitway-ppg.yaml) count notifications in it, and a jump says notifications were lost
/// between the device and the gateway, the link quality the live table shows.
struct SequencedSampleSink: PayloadSink {
    var samples: PayloadSampleSink
    /// Index of the format's field named `sequence` (``PayloadProgram/fields``), if any.
    let sequenceField: Int32?
    /// The current payload's sequence number, if it has one.
    var sequence: Int64?
    /// Index of the field named `foot` (an enum, 0 left, 1 right: gaitway-insole.yaml), if any:
    /// which foot an insole is under, for the gait metrics.
    let footField: Int32?
    /// The current payload's `foot` value, if it has one.
    var foot: Int64?
    /// Indexes of an advert's `device_kind` (an enum: 1 left insole, 2 right insole) and
    /// `pair_id` (gaitway-advert.yaml): which insoles are one wearer's pair.
    let kindField: Int32?, pairField: Int32?
    var kind: Int64?, pair: Int64?

    init(program: PayloadProgram) {
        samples = PayloadSampleSink(program: program)
        func index(_ name: String) -> Int32? {
            program.fields.firstIndex { $0.name == name && $0.quantity == nil }.map { Int32($0) }
        }
        sequenceField = index("sequence")
        footField = index("foot")
        kindField = index("device_kind")
        pairField = index("pair_id")
    }

    mutating func reset() {
        samples.reset()
        sequence = nil
        foot = nil
        kind = nil
        pair = nil
    }

    mutating func integer(_ value: Int64, field: PayloadFieldRef) {
        if field.id == sequenceField { sequence = value }
        if field.id == pairField { pair = value }
        samples.integer(value, field: field)
    }

    mutating func number(_ value: Double, field: PayloadFieldRef) { samples.number(value, field: field) }
    mutating func special(_ value: IEEE11073Special, field: PayloadFieldRef) { samples.special(value, field: field) }
    mutating func bool(_ value: Bool, field: PayloadFieldRef) { samples.bool(value, field: field) }
    mutating func label(_ label: Int, raw: Int64, field: PayloadFieldRef) {
        if field.id == footField { foot = raw }
        if field.id == kindField { kind = raw }
        samples.label(label, raw: raw, field: field)
    }
    mutating func text(_ utf8: RawSpan, field: PayloadFieldRef) { samples.text(utf8, field: field) }
    mutating func bytes(_ bytes: RawSpan, field: PayloadFieldRef) { samples.bytes(bytes, field: field) }
    mutating func null(field: PayloadFieldRef) { samples.null(field: field) }
    mutating func beginArray(field: PayloadFieldRef) { samples.beginArray(field: field) }
    mutating func endArray(field: PayloadFieldRef) { samples.endArray(field: field) }
    mutating func beginObject(field: PayloadFieldRef) { samples.beginObject(field: field) }
    mutating func endObject(field: PayloadFieldRef) { samples.endObject(field: field) }
}

/// Notifications lost between two sequence numbers of a 16-bit counter that wraps (the
/// gaitway formats' `sequence`, u16): 0 for consecutive numbers. A step back or a jump of
/// half the counter or more is a restart (a device reboot, a replayed capture), not a loss.
func sequenceGap(from last: Int64, to next: Int64) -> Int {
    let step = (next - last) & 0xFFFF
    return step == 0 || step >= 0x8000 ? 0 : Int(step - 1)
}
