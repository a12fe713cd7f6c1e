/// Where the days of a place begin on a UTC clock: local midnight, with the place's offset from
/// UTC, which may change (summer time). The metrics that summarise a day (heart-rate load, the
/// day summary) and a night (noon to noon) cut their days with it, so that a wearer's night is
/// not split at UTC noon and their day ends at their own midnight.
///
/// Pure data: the gateway builds it from a time-zone database entry (`time-zone: Europe/Berlin`),
/// as the list of offset changes over the years it may run.
public struct LocalDays: Sendable, Equatable {
    /// From `from` (UTC s) on, local time is UTC + `offset` seconds.
    public struct Change: Sendable, Equatable {
        public var from: Int64
        public var offset: Int64

        public init(from: Int64, offset: Int64) {
            self.from = from
            self.offset = offset
        }
    }

    /// Ascending by `from`; before the first change, its offset holds.
    public let changes: [Change]

    public static let utc = LocalDays(offset: 0)

    /// A fixed offset from UTC, seconds east.
    public init(offset: Int64) {
        changes = [Change(from: .min, offset: offset)]
    }

    /// Offsets that change at the given instants (sorted here; none is UTC).
    public init(changes: [Change]) {
        let sorted = changes.sorted { $0.from < $1.from }
        self.changes = sorted.isEmpty ? [Change(from: .min, offset: 0)] : sorted
    }

    /// Seconds east of UTC at `time` (UTC s).
    public func offset(at time: Int64) -> Int64 {
        // The last change at or before `time` (binary search: a century of summer time is ~200).
        var low = 0, high = changes.count - 1
        guard time >= changes[0].from else { return changes[0].offset }
        while low < high {
            let middle = (low + high + 1) / 2
            if changes[middle].from <= time { low = middle } else { high = middle - 1 }
        }
        return changes[low].offset
    }

    /// The UTC instant of the local time `hour` o'clock (0 ..< 24) that starts the local
    /// day-window containing `time`: `hour` 0 gives the day from midnight, 12 from noon.
    public func start(containing time: Int64, hour: Int64 = 0) -> Int64 {
        let shift = hour * 3_600
        let local = time + offset(at: time) - shift
        let boundary = Self.floor(local, 86_400) + shift
        // The offset at the boundary may differ from the one now (a change earlier today);
        // changes come at night, hours from noon and a few hours from midnight, so one
        // correction is enough.
        let guess = boundary - offset(at: time)
        return boundary - offset(at: guess)
    }

    /// The start of the day-window after the one that starts at `start` (23 or 25 hours later
    /// across a change of offset).
    public func start(after start: Int64, hour: Int64 = 0) -> Int64 {
        self.start(containing: start + 86_400 + 3 * 3_600, hour: hour)
    }

    /// ``start(containing:hour:)`` on seconds as a Double (whole seconds; the fraction dropped).
    public func start(containing time: Double, hour: Int64 = 0) -> Double {
        Double(start(containing: Int64(time.rounded(.down)), hour: hour))
    }

    public func start(after start: Double, hour: Int64 = 0) -> Double {
        Double(self.start(after: Int64(start.rounded(.down)), hour: hour))
    }

    /// The multiple of `step` (> 0) at or below `value` (also for negative values).
    static func floor(_ value: Int64, _ step: Int64) -> Int64 {
        value - ((value % step) + step) % step
    }
}
