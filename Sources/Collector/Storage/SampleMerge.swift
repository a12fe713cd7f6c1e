/// Merges decoded ``SampleChunk``s into (time, row) order, keeping only the samples in
/// `from ..< to` and after a page cursor: a binary heap of the chunks by their next sample,
/// so a tenant-wide page costs O(log chunks) a sample however many series overlap.
struct SampleMerge {
    let from: Int64
    let to: Int64
    let after: PageCursor?

    private struct Source {
        var chunk: SampleChunk
        var batch: Int64
        var position: Int
        var address: String
        var quantity: String
        var unit: String?

        var time: Int64 { chunk.times[position] }
        var row: Int64 { SampleChunk.row(batch: batch, place: chunk.places[position]) }
    }

    private var heap: [Source] = []

    init(from: Int64?, to: Int64?, after: PageCursor?) {
        self.from = from ?? .min
        self.to = to ?? .max
        self.after = after
    }

    /// The time of the next sample, nil when no chunk is in the merge.
    var earliestTime: Int64? { heap.first?.time }

    mutating func add(_ chunk: SampleChunk, batch: Int64, address: String, quantity: String, unit: String?) {
        var source = Source(chunk: chunk, batch: batch, position: 0, address: address, quantity: quantity, unit: unit)
        guard skipToWanted(&source) else { return }
        heap.append(source)
        siftUp(heap.count - 1)
    }

    /// The next sample and its cursor, nil when the merge is empty.
    mutating func next() -> (StoredSample, PageCursor)? {
        guard var first = heap.first else { return nil }
        let sample = StoredSample(timeMicros: first.time, address: first.address, quantity: first.quantity,
                                  channel: first.chunk.channels[first.position], value: first.chunk.values[first.position],
                                  unit: first.unit)
        let cursor = PageCursor(timeMicros: first.time, row: first.row)
        first.position += 1
        if skipToWanted(&first) {
            heap[0] = first
        } else {
            heap[0] = heap[heap.count - 1]
            heap.removeLast()
        }
        if !heap.isEmpty { siftDown(0) }
        return (sample, cursor)
    }

    /// Moves past samples before `from` or at or before the cursor; false when none is left
    /// before `to` (a chunk is sorted by time).
    private func skipToWanted(_ source: inout Source) -> Bool {
        while source.position < source.chunk.count {
            let time = source.time
            if time >= to { return false }
            if time < from { source.position += 1; continue }
            if let after, (time, source.row) <= (after.timeMicros, after.row) { source.position += 1; continue }
            return true
        }
        return false
    }

    private func precedes(_ lhs: Source, _ rhs: Source) -> Bool { (lhs.time, lhs.row) < (rhs.time, rhs.row) }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, precedes(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, precedes(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// A page of samples out of a ``SampleMerge`` fed chunks in order of their first time, as both
/// storages read them: before a chunk joins, every sample earlier than its first time is
/// emitted (none of its samples can come before them); the page is complete when it holds
/// `limit` samples and one more exists, whose predecessor's cursor is `next`.
struct SamplePage {
    var merge: SampleMerge
    let limit: Int
    private var rows: [StoredSample] = []
    private var last: PageCursor?
    private var next: PageCursor?

    init(_ merge: SampleMerge, limit: Int) {
        self.merge = merge
        self.limit = limit
    }

    /// Emits the samples before `start` (a chunk about to join), or all of them when `start` is
    /// nil (no chunk is left); true when the page is complete.
    mutating func emit(before start: Int64?) -> Bool {
        while let time = merge.earliestTime, start.map({ time < $0 }) ?? true {
            if rows.count == limit {
                next = last
                return true
            }
            guard let (sample, cursor) = merge.next() else { break }
            rows.append(sample)
            last = cursor
        }
        return false
    }

    var page: Page<StoredSample> { Page(rows: rows, next: next) }
}
