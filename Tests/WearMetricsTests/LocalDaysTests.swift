import Testing
import WearMetrics

/// Local days on a UTC clock: midnight and noon of a place, across its summer-time changes.
@Suite struct LocalDaysTests {
    // 2025-03-01T00:00:00Z
    static let march1: Int64 = 1_740_787_200
    /// Europe/Berlin in 2025, as the time-zone database has it: CET (+1 h), CEST (+2 h) from
    /// 2025-03-30T01:00Z, CET again from 2025-10-26T01:00Z.
    static let berlin = LocalDays(changes: [
        .init(from: .min, offset: 3_600), .init(from: 1_743_296_400, offset: 7_200), .init(from: 1_761_440_400, offset: 3_600),
    ])

    @Test func utcDaysAreUTCMidnights() {
        #expect(LocalDays.utc.start(containing: Self.march1 + 86_399) == Self.march1)
        #expect(LocalDays.utc.start(containing: Self.march1 - 1) == Self.march1 - 86_400)
        #expect(LocalDays.utc.start(after: Self.march1) == Self.march1 + 86_400)
        #expect(LocalDays.utc.start(containing: Self.march1 + 3_600, hour: 12) == Self.march1 - 43_200)
    }

    @Test func fixedOffsetsShiftTheDay() {
        let newYork = LocalDays(offset: -5 * 3_600)
        // 03:00Z on March 2 is 22:00 on March 1 in New York: the day began at 05:00Z on March 1.
        #expect(newYork.start(containing: Self.march1 + 86_400 + 3 * 3_600) == Self.march1 + 5 * 3_600)
        // Its night from noon: 17:00Z.
        #expect(newYork.start(containing: Self.march1 + 86_400 + 3 * 3_600, hour: 12) == Self.march1 + 17 * 3_600)
        let tokyo = LocalDays(offset: 9 * 3_600)
        // 16:00Z on March 1 is 01:00 on March 2 in Tokyo: that day began at 15:00Z on March 1.
        #expect(tokyo.start(containing: Self.march1 + 16 * 3_600) == Self.march1 + 15 * 3_600)
    }

    @Test func summerTimeMakesA23And25HourDay() {
        let march30 = Self.march1 + 29 * 86_400  // 2025-03-30T00:00Z
        // Midnight of March 30 in Berlin (CET) is 23:00Z on the 29th; the next midnight (CEST) 22:00Z.
        let start = Self.berlin.start(containing: march30 + 12 * 3_600)
        #expect(start == march30 - 3_600)
        #expect(Self.berlin.start(after: start) - start == 23 * 3_600)
        // The noon-to-noon window over that night: 11:00Z on the 29th to 10:00Z on the 30th.
        let night = Self.berlin.start(containing: march30 + 3_600, hour: 12)
        #expect(night == march30 - 13 * 3_600 && Self.berlin.start(after: night, hour: 12) == march30 + 10 * 3_600)
        let october26 = Self.march1 + 239 * 86_400  // 2025-10-26T00:00Z
        let autumn = Self.berlin.start(containing: october26 + 12 * 3_600)
        #expect(autumn == october26 - 7_200 && Self.berlin.start(after: autumn) - autumn == 25 * 3_600)
        #expect(Self.berlin.offset(at: 1_743_296_399) == 3_600 && Self.berlin.offset(at: 1_743_296_400) == 7_200)
    }

    /// The heart-rate load's day in New York: its records start at New York's midnight.
    @Test func heartRateLoadDaysAreLocal() {
        var load = HeartRateLoad(profile: WearerProfile(restingHeartRate: 55, maximumHeartRate: 185),
                                 days: LocalDays(offset: -5 * 3_600))
        var records: [MetricRecord] = []
        // 03:00Z to 07:00Z on March 1 at 60 bpm: 22:00 to 02:00 in New York, across its midnight at 05:00Z.
        for second in stride(from: Self.march1 + 3 * 3_600, to: Self.march1 + 7 * 3_600, by: 1) {
            load.add(60, at: Double(second), into: &records)
        }
        load.finish(into: &records)
        let days = records.filter { $0.metric == .restingHeartRate }
        #expect(days.map(\.time) == [Double(Self.march1 - 19 * 3_600), Double(Self.march1 + 5 * 3_600)], "\(days)")
        #expect(days.first?.end == Double(Self.march1 + 5 * 3_600))
    }
}
