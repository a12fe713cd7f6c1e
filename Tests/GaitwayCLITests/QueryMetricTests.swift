import Foundation
import GatewayStore
import Testing

/// `gaitway query --metric`: metric records as a health-service developer reads them.
@Suite struct QueryMetricTests {
    /// A database holding two stride records of a device and a cadence window of a wearer.
    static func database(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("metrics.db").path
        let store = try GatewayStore(path: path)
        var batch = StoreBatch()
        // 2025-03-01T08:00:01.250Z and 08:00:02.375Z
        batch.appendMetricRecord(timeMicros: 1_740_816_001_250_000, endMicros: nil,
                                 subject: .device(address: "C1:4D:AE:E4:8F:BD"),
                                 metric: "stride_time", unit: "s", value: 1.125, quality: 0.5)
        batch.appendMetricRecord(timeMicros: 1_740_816_002_375_000, endMicros: nil,
                                 subject: .device(address: "C1:4D:AE:E4:8F:BD"),
                                 metric: "stride_time", unit: "s", value: 1.0, quality: nil)
        batch.appendMetricRecord(timeMicros: 1_740_816_000_000_000, endMicros: 1_740_816_060_000_000,
                                 subject: .wearer(name: "ada, left-handed"),
                                 metric: "cadence", unit: "/min", value: 112, quality: nil)
        try store.commit(batch)
        try store.close()
        return path
    }

    @Test func recordsAsJSONLinesAndCSV() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try Self.database(in: directory)

        let strides = try await GaitwayRun.run(["query", "--db", database, "--metric", "stride_time"])
        #expect(strides.exited(0), "\(strides.errors)")
        #expect(strides.output == """
            {"time": "2025-03-01T08:00:01.250Z", "end": null, "address": "C1:4D:AE:E4:8F:BD", "metric": "stride_time", "value": 1.125, "unit": "s", "quality": 0.5}
            {"time": "2025-03-01T08:00:02.375Z", "end": null, "address": "C1:4D:AE:E4:8F:BD", "metric": "stride_time", "value": 1, "unit": "s"}

            """)
        // Every line is JSON.
        for line in strides.output.split(separator: "\n") {
            #expect(try JSONSerialization.jsonObject(with: Data(line.utf8)) is [String: Any])
        }

        let cadence = try await GaitwayRun.run(["query", "--db", database, "--metric", "cadence",
                                          "--wearer", "ada, left-handed", "--format", "csv"])
        #expect(cadence.exited(0), "\(cadence.errors)")
        #expect(cadence.output == """
            time,end,address,wearer,metric,value,unit,quality
            2025-03-01T08:00:00.000Z,2025-03-01T08:01:00.000Z,,"ada, left-handed",cadence,112,/min,

            """)

        let later = try await GaitwayRun.run(["query", "--db", database, "--metric", "stride_time",
                                        "--from", "2025-03-01T08:00:02Z", "--device", "c1-4d-ae-e4-8f-bd"])
        #expect(later.exited(0) && later.output.split(separator: "\n").count == 1, "\(later.output)")

        let none = try await GaitwayRun.run(["query", "--db", database, "--metric", "rmssd"])
        #expect(none.exited(0) && none.output.isEmpty)
        #expect(none.errors.contains("no metric records match; the database has metrics [cadence, stride_time] and wearers [ada, left-handed]"),
                "\(none.errors)")

        let list = try await GaitwayRun.run(["query", "--db", database, "--list"])
        #expect(list.exited(0), "\(list.errors)")
        #expect(list.output.contains(#"{"metric": "stride_time", "unit": "s", "records": 2}"#), "\(list.output)")
        #expect(list.output.contains(#"{"wearer": "ada, left-handed"}"#), "\(list.output)")
    }

    @Test(arguments: [
        (["--wearer", "ada"], "give --metric NAME too"),
        (["--metric", "cadence", "--quantity", "heart_rate"], "give one of them"),
        (["--metric", "cadence", "--list"], "takes no --metric"),
    ])
    func conflictingOptionsAreUsageErrors(_ arguments: [String], _ message: String) async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await GaitwayRun.run(["query", "--db", try Self.database(in: directory)] + arguments)
        #expect(run.exited(64), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains(message), "\(run.errors)")
    }
}
