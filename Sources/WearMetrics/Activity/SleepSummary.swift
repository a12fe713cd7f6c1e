/// The summary of a series of sleep/wake epochs taken as one time in bed: sleep onset is the first
/// epoch of sleep, wake time the end of the last; total sleep counts the sleep epochs, WASO (wake
/// after sleep onset) the wake epochs between onset and wake time, and awakenings the runs of
/// them. In epochs; the caller knows their length.
public struct SleepSummary: Sendable, Equatable {
    /// Index of the first sleep epoch; nil without sleep.
    public var onset: Int?
    /// Index after the last sleep epoch; nil without sleep.
    public var wake: Int?
    public var totalSleep = 0
    public var wakeAfterSleepOnset = 0
    public var awakenings = 0

    public init(_ asleep: [Bool]) {
        onset = asleep.firstIndex(of: true)
        wake = asleep.lastIndex(of: true).map { $0 + 1 }
        guard let onset, let wake else { return }
        var previousWasSleep = true
        for index in onset..<wake {
            if asleep[index] {
                totalSleep += 1
            } else {
                wakeAfterSleepOnset += 1
                if previousWasSleep { awakenings += 1 }
            }
            previousWasSleep = asleep[index]
        }
    }
}
