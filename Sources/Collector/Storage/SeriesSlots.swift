import UploadFormat

/// A batch's samples by series (address, quantity, unit), as both storages group them before
/// they write: the series are numbered 0, 1, ... in the order their first sample comes.
///
/// Series are told apart by string-table index, not text: a batch whose table holds the same
/// text twice gives two slots for one series, which the storage's series upsert maps to the
/// same id. A gateway's batches come series after series (one device's cells, then the next),
/// so the hash lookup runs only where the series changes.
struct SeriesSlots {
    /// The slot of each sample, by its place in the batch.
    var slotOfSample: [Int32]
    /// The place of each slot's first sample: its address, quantity and unit name the slot.
    var firstSample: [Int]

    var count: Int { firstSample.count }

    init(_ batch: UploadBatch) {
        struct Key: Hashable {
            var address: UInt32
            var quantity: UInt32
            var unit: UInt32
        }
        var slots: [Key: Int32] = [:]
        slotOfSample = []
        slotOfSample.reserveCapacity(batch.samples.count)
        firstSample = []
        var lastKey: Key?
        var lastSlot: Int32 = 0
        for (place, sample) in batch.samples.enumerated() {
            let key = Key(address: sample.address.index, quantity: sample.quantity.index,
                          unit: sample.unit?.index ?? .max)
            if key != lastKey {
                if let slot = slots[key] {
                    lastSlot = slot
                } else {
                    lastSlot = Int32(firstSample.count)
                    slots[key] = lastSlot
                    firstSample.append(place)
                }
                lastKey = key
            }
            slotOfSample.append(lastSlot)
        }
    }

    /// Each slot's samples' places in the batch, in batch order.
    func places() -> [[Int32]] {
        var places = [[Int32]](repeating: [], count: count)
        for (place, slot) in slotOfSample.enumerated() { places[Int(slot)].append(Int32(place)) }
        return places
    }
}
