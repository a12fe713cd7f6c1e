/// The rows of a batch grouped by a pair of keys ((device, quantity) for samples,
/// (device, payload kind) for raw payloads), each group's row indices contiguous in
/// ``order``, in order of arrival within the group.
///
/// Built once per commit with a counting sort: one pass to number the groups, one to
/// place the rows. Groups are numbered in order of first appearance.
struct RowGroups {
    /// Row indices of the batch, group after group.
    var order: [Int32]
    /// Group `g` is `order[bounds[g] ..< bounds[g + 1]]`.
    var bounds: [Int]
    /// The keys of each group.
    var firstKeys: [Int32]
    var secondKeys: [Int32]

    var count: Int { firstKeys.count }

    func rows(of group: Int) -> Range<Int> { bounds[group]..<bounds[group + 1] }

    /// Groups `rowCount` rows by (`first(row)`, `second(row)`), where `first` is below
    /// `firstKeyCount`. A device has a handful of quantities or payload kinds, so each
    /// device keeps a short list searched linearly, and a run of rows with the same keys
    /// (a packet's samples) skips even that.
    @inline(__always)
    init(rowCount: Int, firstKeyCount: Int, first: (Int) -> Int32, second: (Int) -> Int32) {
        var groupsOfFirst = [[(second: Int32, group: Int32)]](repeating: [], count: firstKeyCount)
        var groupOfRow = [Int32](repeating: 0, count: rowCount)
        var sizes: [Int] = []
        firstKeys = []
        secondKeys = []
        var lastFirst: Int32 = -1
        var lastSecond: Int32 = -1
        var lastGroup: Int32 = -1
        for row in 0..<rowCount {
            let firstKey = first(row)
            let secondKey = second(row)
            var group = lastGroup
            if firstKey != lastFirst || secondKey != lastSecond {
                if let found = groupsOfFirst[Int(firstKey)].first(where: { $0.second == secondKey }) {
                    group = found.group
                } else {
                    group = Int32(truncatingIfNeeded: sizes.count)
                    groupsOfFirst[Int(firstKey)].append((secondKey, group))
                    sizes.append(0)
                    firstKeys.append(firstKey)
                    secondKeys.append(secondKey)
                }
                lastFirst = firstKey
                lastSecond = secondKey
                lastGroup = group
            }
            groupOfRow[row] = group
            sizes[Int(group)] += 1
        }
        bounds = [0]
        bounds.reserveCapacity(sizes.count + 1)
        for size in sizes { bounds.append(bounds[bounds.count - 1] + size) }
        var next = Array(bounds.dropLast())
        order = [Int32](repeating: 0, count: rowCount)
        for row in 0..<rowCount {
            let group = Int(groupOfRow[row])
            order[next[group]] = Int32(truncatingIfNeeded: row)
            next[group] += 1
        }
    }

    /// Sorts each group's rows by `precedes` (two row indices), then by row index, i.e.
    /// arrival, unless they already are: the usual case, a device's samples arriving in
    /// time order, costs one comparison per row.
    mutating func sortEachGroup(by precedes: (Int, Int) -> Bool) {
        for group in 0..<count {
            let range = rows(of: group)
            var sorted = true
            var index = range.lowerBound + 1
            while index < range.upperBound {
                if precedes(Int(order[index]), Int(order[index - 1])) {
                    sorted = false
                    break
                }
                index += 1
            }
            if !sorted {
                order[range].sort { lhs, rhs in
                    precedes(Int(lhs), Int(rhs)) || (!precedes(Int(rhs), Int(lhs)) && lhs < rhs)
                }
            }
        }
    }
}
