import Foundation
import GaitwayTestSupport
import Testing
@testable import WearMetrics

/// The heart-rate load: the published formulas by hand, the streaming minutes and days against
/// a batch implementation written here, and the recovery after an exercise bout.
@Suite struct HeartRateLoadTests {
    static let man = WearerProfile(age: 30, sex: .male, weight: 75, restingHeartRate: 60, maximumHeartRate: 190)
    static let woman = WearerProfile(age: 30, sex: .female, weight: 60, restingHeartRate: 60, maximumHeartRate: 190)

    // MARK: The formulas

    @Test func keytelsEquationsAndTheRestingRate() throws {
        // Keytel et al. 2005 without VO2max, by hand: −55.0969 + 0.6309·150 + 0.1988·75 + 0.2017·30.
        let male = try #require(HeartRateLoad.energy(heartRate: 150, profile: Self.man))
        #expect(abs(male - 60.4991) < 1e-9)
        // −20.4022 + 0.4472·150 − 0.1263·60 + 0.074·30.
        let female = try #require(HeartRateLoad.energy(heartRate: 150, profile: Self.woman))
        #expect(abs(female - 41.3198) < 1e-9)
        // Below 57 % of HRmax (190 · 0.57 = 108.3): 1 MET, 75 kg · 4.184 kJ / 60.
        #expect(HeartRateLoad.energy(heartRate: 108, profile: Self.man) == 75 * 4.184 / 60)
        #expect(HeartRateLoad.energy(heartRate: 109, profile: Self.man)! > 10)
        // Without the profile's HRmax, Tanaka's 208 − 0.7 · 30 = 187: 57 % is 106.59.
        var noMaximum = Self.man
        noMaximum.maximumHeartRate = nil
        #expect(HeartRateLoad.energy(heartRate: 106.5, profile: noMaximum) == 75 * 4.184 / 60)
        #expect(HeartRateLoad.energy(heartRate: 106.6, profile: noMaximum)! > 10)
        // A field missing: not computed, never guessed.
        #expect(HeartRateLoad.energy(heartRate: 150, profile: WearerProfile(age: 30, sex: .male)) == nil)
    }

    @Test(arguments: [(0.49, 0.0), (0.5, 1), (0.55, 1), (0.6, 2), (0.7, 3), (0.8, 4), (0.9, 5), (0.95, 5), (1.2, 5), (-0.3, 0)])
    func karvonenZones(reserve: Double, zone: Double) {
        #expect(HeartRateLoad.zone(reserve: reserve) == zone)
    }

    @Test func banistersTRIMP() throws {
        // A minute at half the reserve: 0.5 · 0.64 · e^0.96 for men, 0.5 · 0.86 · e^0.835 for women.
        #expect(abs(HeartRateLoad.trimp(minutes: 1, reserve: 0.5, sex: .male) - 0.835743) < 1e-6)
        #expect(abs(HeartRateLoad.trimp(minutes: 1, reserve: 0.5, sex: .female) - 0.991070) < 1e-6)
        #expect(HeartRateLoad.trimp(minutes: 1, reserve: -0.2, sex: .male) == 0)
        #expect(HeartRateLoad.trimp(minutes: 2, reserve: 1.4, sex: .male) == 2 * 0.64 * exp(1.92))
        // (150 − 60) / (190 − 60).
        #expect(HeartRateLoad.reserveFraction(heartRate: 150, profile: Self.man) == 90.0 / 130)
    }

    // MARK: Minutes and days against a batch implementation

    /// A seeded two-hour day-crossing recording: rest, a run, a walk, with jitter, a dropped
    /// stretch and samples that are not on the second.
    static func recording(seed: UInt64) -> [(time: Double, bpm: Double)] {
        var random = SeededGenerator(seed: seed)
        func uniform() -> Double { Double.random(in: 0..<1, using: &random) }
        var samples: [(time: Double, bpm: Double)] = []
        let start = 86_400.0 * 20_000 - 3_600 + 17.3  // 23:00:17.3 UTC, the day before day 20,000
        var time = start
        while time < start + 7_200 {
            let elapsed = time - start
            let level: Double = switch elapsed {
            case ..<1_800: 58
            case ..<3_600: 165
            case ..<4_500: 100
            default: 62
            }
            let bpm = (level + (uniform() - 0.5) * 6).rounded()
            // 1 s on average, 0.6 to 1.4 s apart; a 3-minute stretch missing; a 4 s gap now and then.
            if !(2_000..<2_180).contains(elapsed) { samples.append((time, bpm)) }
            time += 0.6 + 0.8 * uniform() + (uniform() < 0.01 ? 3 : 0)
        }
        return samples
    }

    /// What the documentation says, written as a batch over the whole recording.
    static func expected(_ samples: [(time: Double, bpm: Double)], profile: WearerProfile) -> [MetricRecord] {
        var covered: [Int64: Double] = [:], weighted: [Int64: Double] = [:]
        var minutesSeen = Set<Int64>()
        for (previous, sample) in zip(samples, samples.dropFirst()) {
            minutesSeen.insert(Int64((sample.time / 60).rounded(.down)))
            guard sample.time - previous.time <= 5 else { continue }
            var minute = Int64((previous.time / 60).rounded(.down))
            while Double(minute * 60) < sample.time {
                let overlap = min(sample.time, Double(minute * 60 + 60)) - max(previous.time, Double(minute * 60))
                if overlap > 0 {
                    covered[minute, default: 0] += overlap
                    weighted[minute, default: 0] += overlap * sample.bpm
                }
                minute += 1
            }
        }
        minutesSeen.insert(Int64((samples[0].time / 60).rounded(.down)))
        var records: [MetricRecord] = []
        let days = Dictionary(grouping: minutesSeen) { $0 / 1_440 }
        for day in days.keys.sorted() {
            let measured = days[day]!.sorted().filter { (covered[$0] ?? 0) >= 30 }
            var energy = 0.0, impulse = 0.0, active = 0
            var heartRates: [Int64: Double] = [:]
            for minute in measured {
                let heartRate = weighted[minute]! / covered[minute]!
                heartRates[minute] = heartRate
                let time = Double(minute * 60), quality = min(covered[minute]! / 60, 1)
                let reserve = (heartRate - profile.restingHeartRate!) / (profile.maximumHeartRate! - profile.restingHeartRate!)
                // Keytel et al. 2005 (men) above 57 % of HRmax, else 1 MET.
                let rest = profile.weight! * 4.184 / 60
                let keytel = -55.0969 + 0.6309 * heartRate + 0.1988 * profile.weight! + 0.2017 * profile.age!
                let minuteEnergy = heartRate >= 0.57 * profile.maximumHeartRate! ? max(keytel, rest) : rest
                let clamped = min(max(reserve, 0), 1)
                let minuteImpulse = min(covered[minute]!, 60) / 60 * clamped * 0.64 * exp(1.92 * clamped)
                let zone: Double = reserve < 0.5 ? 0 : min(5, 1 + Double(Int((reserve - 0.5) * 10 + 1e-9)))
                records.append(MetricRecord(.energyExpenditure, time: time, end: time + 60, value: minuteEnergy, quality: quality))
                records.append(MetricRecord(.heartRateZone, time: time, end: time + 60, value: zone, quality: quality))
                records.append(MetricRecord(.trimp, time: time, end: time + 60, value: minuteImpulse, quality: quality))
                energy += minuteEnergy
                impulse += minuteImpulse
                if reserve >= 0.4 { active += 1 }
            }
            let first = day * 1_440, last = days[day]!.max()!
            let minutes = Int(last - first + 1)
            let quality = Double(measured.count) / Double(minutes)
            let start = Double(first * 60), end = Double((last + 1) * 60)
            let unmeasured = Double(minutes - measured.count) * profile.weight! * 4.184 / 60
            records.append(MetricRecord(.dailyEnergyExpenditure, time: start, end: end, value: energy + unmeasured, quality: quality))
            records.append(MetricRecord(.activeMinutes, time: start, end: end, value: Double(active), quality: quality))
            records.append(MetricRecord(.dailyTRIMP, time: start, end: end, value: impulse, quality: quality))
            let resting = measured.compactMap { minute -> Double? in
                let run = (minute - 4...minute).compactMap { heartRates[$0] }
                return run.count == 5 ? run.reduce(0, +) / 5 : nil
            }.min()
            if let resting { records.append(MetricRecord(.restingHeartRate, time: start, end: end, value: resting, quality: quality)) }
        }
        return records
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func minutesAndDaysEqualTheBatchImplementation(seed: UInt64) {
        let samples = Self.recording(seed: seed)
        var load = HeartRateLoad(profile: Self.man)
        var records: [MetricRecord] = []
        for sample in samples { load.add(sample.bpm, at: sample.time, into: &records) }
        load.finish(into: &records)
        let streamed = records.filter { $0.metric != .heartRateRecovery }
        let expected = Self.expected(samples, profile: Self.man)
        func key(_ record: MetricRecord) -> String { "\(record.metric.name) \(record.time)" }
        #expect(Set(streamed.map(key)) == Set(expected.map(key)))
        let byKey = Dictionary(uniqueKeysWithValues: expected.map { (key($0), $0) })
        var mismatches: [String] = []
        for record in streamed {
            guard let other = byKey[key(record)] else { continue }
            if abs(record.value - other.value) > 1e-6 * max(1, abs(other.value)) || record.end != other.end
                || abs((record.quality ?? -1) - (other.quality ?? -1)) > 1e-9 {
                mismatches.append("\(key(record)): \(record.value) \(record.end ?? -1) vs \(other.value) \(other.end ?? -1)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        // Two days: the hour before midnight and the hour after.
        let days = streamed.filter { $0.metric == .dailyEnergyExpenditure }
        #expect(days.count == 2)
        let midnight: Double = 86_400 * 20_000
        #expect(days.first?.end == midnight, "\(days.map { ($0.time, $0.end ?? -1) })")
        // The resting minutes (58 bpm) give the resting heart rate of the first day.
        let resting = streamed.filter { $0.metric == .restingHeartRate }.map(\.value)
        #expect(resting.count == 2 && abs(resting[0] - 58) < 1.5, "\(resting)")
        // The run (165 bpm, 81 % of the reserve) is zone 4 and active; the rest is neither.
        let zones = streamed.filter { $0.metric == .heartRateZone }.map(\.value)
        #expect(zones.contains(4) && zones.contains(0))
    }

    @Test func aProfileWithoutFieldsGivesOnlyTheRestingHeartRate() {
        let samples = Self.recording(seed: 4)
        var load = HeartRateLoad(profile: WearerProfile())
        var records: [MetricRecord] = []
        for sample in samples { load.add(sample.bpm, at: sample.time, into: &records) }
        load.finish(into: &records)
        #expect(Set(records.map(\.metric)) == [.restingHeartRate])
        var noSex = Self.man
        noSex.sex = nil
        load = HeartRateLoad(profile: noSex)
        records.removeAll()
        for sample in samples { load.add(sample.bpm, at: sample.time, into: &records) }
        load.finish(into: &records)
        #expect(Set(records.map(\.metric)) == [.heartRateZone, .activeMinutes, .restingHeartRate, .heartRateRecovery])
    }

    @Test func badValuesAndStepsBackAreIgnored() {
        var load = HeartRateLoad(profile: Self.man)
        var records: [MetricRecord] = []
        for bad in [Double.nan, -70, 0, 400, .infinity] { load.add(bad, at: 10, into: &records) }
        load.add(70, at: .nan, into: &records)
        for second in 0..<90 { load.add(70, at: Double(second), into: &records) }
        #expect(records.count == 3)  // the first minute's energy, zone and TRIMP
        records.removeAll()
        // The clock steps back: the minute and day in progress are dropped, not recorded.
        load.add(70, at: 30, into: &records)
        load.finish(into: &records)
        #expect(records.isEmpty)
    }

    // MARK: Recovery

    @Test func theFallInTheMinuteAfterABout() throws {
        var load = HeartRateLoad(profile: Self.man)  // bout threshold 60 + 0.5 · 130 = 125 bpm
        var records: [MetricRecord] = []
        // 5 minutes at 70, 5 at 170, then 80 + 90·e^(−t/60) (below 125 at 41.6 s).
        var heartRates: [Double] = Array(repeating: 70, count: 300) + Array(repeating: 170, count: 300)
        heartRates += (1...300).map { 80 + 90 * exp(-Double($0) / 60) }
        for (second, bpm) in heartRates.enumerated() { load.add(bpm, at: 1_000 + Double(second), into: &records) }
        let recoveries = records.filter { $0.metric == .heartRateRecovery }
        #expect(recoveries.count == 1)
        let recovery = try #require(recoveries.first)
        // The peak is the bout's last second at 170 (599); 60 s later HR is 80 + 90/e.
        #expect(recovery.time == 1_599 && recovery.end == 1_659)
        #expect(abs(recovery.value - (90 - 90 * exp(-1))) < 1e-9, "\(recovery.value)")
    }

    @Test func noRecoveryAfterAShortBoutOrWithoutTheMinuteAfter() {
        var load = HeartRateLoad(profile: Self.man)
        var records: [MetricRecord] = []
        // 2 minutes above the threshold: shorter than a bout.
        let short = Array(repeating: 70.0, count: 60) + Array(repeating: 170, count: 120) + Array(repeating: 80, count: 120)
        for (second, bpm) in short.enumerated() { load.add(bpm, at: Double(second), into: &records) }
        #expect(!records.contains { $0.metric == .heartRateRecovery })
        // A bout whose minute after falls in a gap of the stream: none.
        load = HeartRateLoad(profile: Self.man)
        for second in 0..<300 { load.add(170, at: Double(second), into: &records) }
        load.add(100, at: 300, into: &records)
        for second in 400..<500 { load.add(90, at: Double(second), into: &records) }
        #expect(!records.contains { $0.metric == .heartRateRecovery })
    }
}
