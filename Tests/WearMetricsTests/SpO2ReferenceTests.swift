import Foundation
import GaitwayTestSupport
import Testing
import WearMetrics

/// Oxygen desaturations against pobm 1.2.0 (Levy et al. 2021, `DesaturationsMeasures`, the
/// relative method: Jung, Hwang et al. 2018), which nobody here wrote, through
/// tools/spo2_reference.py in the repository's .venv: seeded synthetic nights at 1 Hz with dips
/// of every depth and length, some overlapping. Without .venv the tests pass with a message,
/// unless GAITWAY_REQUIRE_REFERENCES=1 (as `make test` sets).
@Suite struct SpO2ReferenceTests {
    struct Result: Decodable {
        var signal: [Double]
        var begin: [Int]
        var end: [Int]
        var odi: Double
    }

    static func reference(seed: Int, seconds: Int) throws -> Result? {
        guard Reference.executable(Reference.python) else {
            Reference.missing("pobm reference: .venv missing (run tools/bootstrap.sh)")
            return nil
        }
        let output = try Reference.runBlocking(Reference.python,
                                               [Reference.path("tools/spo2_reference.py"), "\(seed)", "\(seconds)"])
        return try JSONDecoder().decode(Result.self, from: Data(output.utf8))
    }

    /// Six-hour nights: the same episodes (start and end, to the second) and the same ODI.
    /// (Not longer: pobm 1.2.0 numbers events in an int8 array and fails past 127 of them.)
    @Test(arguments: [1, 2, 3, 4, 5])
    func episodesAndIndexEqualPobm(seed: Int) throws {
        guard let reference = try Self.reference(seed: seed, seconds: 6 * 3600) else { return }
        #expect(reference.begin.count > 50, "a night with too few events to compare")
        let events = OxygenDesaturation.events(in: reference.signal)
        let episodes = OxygenDesaturation.episodes(of: events, in: reference.signal)
        #expect(episodes.map(\.start) == reference.begin)
        #expect(episodes.map(\.end) == reference.end)
        #expect(abs(OxygenDesaturation.index(episodes: episodes.count, seconds: reference.signal.count) - reference.odi)
                < 1e-9)
    }

    /// The streaming window fed an hour of pobm's night at one value a second, at 0.3 s past
    /// each second and with a few values sent twice: the episodes and ODI pobm found in it,
    /// on the stream's clock, then the hour's mean and minimum.
    @Test func hourlyWindowRecordsPobmsEpisodes() throws {
        guard let reference = try Self.reference(seed: 7, seconds: 3600) else { return }
        let hour = 1_764_000_000.0  // a multiple of 3600 s
        var window = OxygenDesaturationWindow()
        var records: [MetricRecord] = []
        for (second, value) in reference.signal.enumerated() {
            if second % 97 == 0 { window.add(value - 5, at: hour + Double(second) + 0.1, into: &records) }  // replaced
            window.add(value, at: hour + Double(second) + 0.3, into: &records)
        }
        #expect(records.isEmpty, "the hour closed before its end")
        window.finish(into: &records)
        let episodes = records.filter { $0.metric == .spo2Desaturation }
        #expect(episodes.map(\.time) == reference.begin.map { hour + Double($0) })
        #expect(episodes.map(\.end) == reference.end.map { hour + Double($0) })
        let odi = records.first { $0.metric == .oxygenDesaturationIndex }
        #expect(odi.map { abs($0.value - reference.odi) < 1e-9 } == true)
        #expect(odi?.time == hour && odi?.end == hour + 3600 && odi?.quality == 1)
        #expect(records.first { $0.metric == .spo2Minimum }?.value == reference.signal.min())
    }

    /// By hand: a 4 % dip of 15 s is one event from its first fall (A) to its return within
    /// 1 % of A (C, 12 s later), its B the last of its lowest samples; a 2 % dip is none; a 5 %
    /// dip that lasts 3 minutes is longer than 90 s: none.
    @Test func eventsByHand() {
        var spo2 = [Double](repeating: 96, count: 600)
        for (offset, value) in [95.0, 94, 93, 92, 92, 92, 92, 92, 92, 92, 93, 93, 94, 95, 96].enumerated() {
            spo2[100 + offset] = value
        }
        for offset in 0..<20 { spo2[250 + offset] = 94 }
        for offset in 0..<180 { spo2[350 + offset] = offset < 3 ? 96 - Double(offset + 1) : 91 }
        let events = OxygenDesaturation.events(in: spo2)
        #expect(events.map(\.start) == [100])
        #expect(events.first?.nadir == 109)
        #expect(events.first?.recovery == 112)  // 94 %: within 1 % of A's 95
        #expect(events.first?.end == 112)
        let episodes = OxygenDesaturation.episodes(of: events, in: spo2)
        #expect(episodes.map(\.nadir) == [103])
        #expect(OxygenDesaturation.index(episodes: episodes.count, seconds: spo2.count) == 6)
    }
}
