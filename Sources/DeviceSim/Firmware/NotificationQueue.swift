import BLEWire

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

    /// Appends a Handle Value Notification of `value` on `handle` (opcode, handle, value:
    /// Vol 3, Part F, §3.4.7.1), written into the slot's own storage, which ``drain(upTo:limit:_:)``
    /// leaves there to be reused; returns true when the oldest entry was dropped.
    mutating func pushNotification(handle: AttributeHandle, value: [UInt8], at time: Double) -> Bool {
        let slot: Int
        let dropped: Bool
        if count == slots.count {
            slot = head
            head = (head + 1) % slots.count
            dropped = true
        } else {
            slot = (head + count) % slots.count
            count += 1
            dropped = false
        }
        slots[slot].time = time
        slots[slot].pdu.removeAll(keepingCapacity: true)
        slots[slot].pdu.reserveCapacity(3 + value.count)
        slots[slot].pdu.append(0x1B)  // ATT_HANDLE_VALUE_NTF
        slots[slot].pdu.append(UInt8(truncatingIfNeeded: handle.rawValue))
        slots[slot].pdu.append(UInt8(truncatingIfNeeded: handle.rawValue >> 8))
        slots[slot].pdu.append(contentsOf: value)
        return dropped
    }

    /// What ``pop(upTo:limit:)`` takes, handed to `body` in place (with its index) rather
    /// than collected: no array per call, and each slot keeps its storage.
    mutating func drain(upTo time: Double, limit taking: Int, _ body: (Int, [UInt8]) -> Void) {
        var taken = 0
        while count > 0, taken < taking, slots[head].time <= time {
            body(taken, slots[head].pdu)
            head = (head + 1) % slots.count
            count -= 1
            taken += 1
        }
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
