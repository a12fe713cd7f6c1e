import DeviceSim
import Foundation
import Testing

/// `jitter` moves the instant each insole sample is taken, not its timestamp: the same
/// frames with the same timestamps, different forces; deterministic for a seed.
extension OfflineCaptureTests {
    static func insolePair(jitter: Int) -> String {
        """
        name: jitter
        seed: 21
        duration: 10s
        personas:
          - name: walker
            age: 35
            sex: male
            height: 1.78
            weight: 75
            devices:
              - {kind: insoles, cells: 8, imu: false, firmware: {sample_rate: 100, jitter: \(jitter)}}
            activity: [{do: walk, speed: 1.3}]
        """
    }

    func insoleFrames(_ run: Run) throws -> [(timestamp: Int, forces: [[Double]])] {
        try decode(run.capture).filter { $0.format == "gaitway-insole" }.map { value in
            let object = try fields(value.fieldsJSON)
            let frames = try #require(object["frames"] as? [[String: Any]])
            return (try #require(object["timestamp"] as? Int), try frames.map { try #require($0["forces"] as? [Double]) })
        }
    }

    @Test func samplingJitterMovesTheInstantNotTheTimestamp() throws {
        let steady = try simulate(yaml: Self.insolePair(jitter: 0), duration: 10)
        let jittery = try simulate(yaml: Self.insolePair(jitter: 4), duration: 10)
        let again = try simulate(yaml: Self.insolePair(jitter: 4), duration: 10)
        defer { for run in [steady, jittery, again] { try? FileManager.default.removeItem(at: run.folder) } }

        let a = try insoleFrames(steady), b = try insoleFrames(jittery)
        try #require(a.count == b.count && a.count > 400)
        #expect(a.map(\.timestamp) == b.map(\.timestamp))
        let differing = zip(a, b).filter { $0.forces != $1.forces }.count
        #expect(differing > a.count / 2, "\(differing) of \(a.count) notifications changed")
        #expect(try Data(contentsOf: jittery.capture) == Data(contentsOf: again.capture))
    }
}
