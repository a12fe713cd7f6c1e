/// A connection's notifications waiting for the link layer: oldest first, at most `limit`
/// (the oldest is dropped when a new one does not fit, as a firmware TX buffer overflows).
///
/// A ring of `limit` slots rather than an array trimmed with `removeFirst`: taking from the
/// front and dropping the oldest are O(1), and the storage is allocated once.
struct NotificationQueue {
    private var slots: [(time: Double, pdu: [UInt8])]
    private var head = 0
    private(set) var count = 0

    init(limit: Int) {
        slots = Array(repeating: (0, []), count: max(1, limit))
    }

    var isEmpty: Bool { count == 0 }

    /// Appends `pdu`; returns true when the oldest entry was dropped to make room.
    mutating func push(_ pdu: [UInt8], at time: Double) -> Bool {
        if count == slots.count {
            slots[head] = (time, pdu)
            head = (head + 1) % slots.count
            return true
        }
        slots[(head + count) % slots.count] = (time, pdu)
        count += 1
        return false
    }

    /// Takes up to `taking` entries due by `time`, oldest first.
    mutating func pop(upTo time: Double, limit taking: Int) -> [[UInt8]] {
        guard count > 0, slots[head].time <= time else { return [] }
        var ready: [[UInt8]] = []
        ready.reserveCapacity(min(taking, count))
        while count > 0, ready.count < taking, slots[head].time <= time {
            ready.append(slots[head].pdu)
            slots[head].pdu = []
            head = (head + 1) % slots.count
            count -= 1
        }
        return ready
    }
}
