import BLEWire

/// A binary min-heap of timed link-layer actions, ordered by time and then by insertion so
/// that simultaneous actions run in a deterministic order.
///
/// Entries are never removed from the middle: an action carries the generation of what it
/// acts on (an advertiser's schedule, a connection) and is ignored when that has moved on.
struct ControllerScheduler {
    enum Action: Equatable {
        /// Advertising event of the peripheral at this index.
        case advertising(peripheral: Int, generation: UInt64)
        /// Connection event of a link.
        case connectionEvent(handle: ConnectionHandle, generation: UInt64)
        /// The end of an extended scan's Duration.
        case scanTimeout(generation: UInt64)
        /// A scripted fault, by index into the controller's fault list.
        case fault(index: Int)
    }

    private struct Entry {
        var time: Double
        var sequence: UInt64
        var action: Action

        func precedes(_ other: Entry) -> Bool {
            time < other.time || (time == other.time && sequence < other.sequence)
        }
    }

    private var heap: [Entry] = []
    private var sequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var nextTime: Double? { heap.first?.time }

    mutating func schedule(_ action: Action, at time: Double) {
        sequence &+= 1
        heap.append(Entry(time: time, sequence: sequence, action: action))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest action due at or before `time`.
    mutating func popDue(by time: Double) -> (time: Double, action: Action)? {
        guard let first = heap.first, first.time <= time else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
                if right < heap.count, heap[right].precedes(heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return (first.time, first.action)
    }

    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }
}
