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
        (["--daily"], "--daily needs one subject"),
        (["--daily", "--wearer", "ada", "--device", "C1:4D:AE:E4:8F:BD"], "--daily needs one subject"),
        (["--daily", "--wearer", "ada", "--metric", "cadence"], "takes no --metric"),
    ])
    func conflictingOptionsAreUsageErrors(_ arguments: [String], _ message: String) async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await GaitwayRun.run(["query", "--db", try Self.database(in: directory)] + arguments)
        #expect(run.exited(64), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains(message), "\(run.errors)")
    }

    /// A database holding day records of two wearers.
    static func days(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("days.db").path
        let store = try GatewayStore(path: path)
        var batch = StoreBatch()
        let march1: Int64 = 1_740_787_200_000_000, day: Int64 = 86_400_000_000
        for (metric, unit, value, start) in [("steps_day", "{steps}", 8412.0, march1), ("resting_heart_rate", "/min", 54, march1),
                                             ("sleep_time_day", "min", 431, march1 + day), ("odi_day", "/h", 1.25, march1 + day)] {
            batch.appendMetricRecord(timeMicros: start, endMicros: start + day, subject: .wearer(name: "ada"),
                                     metric: metric, unit: unit, value: value, quality: nil)
        }
        // Another wearer's day is not hers.
        batch.appendMetricRecord(timeMicros: march1, endMicros: march1 + day, subject: .wearer(name: "bo"),
                                 metric: "steps_day", unit: "{steps}", value: 99, quality: nil)
        try store.commit(batch)
        try store.close()
        return path
    }

    /// `--daily`: the day records of one wearer side by side, a line per UTC day.
    @Test func theDailySummaryPutsADaysRecordsOnOneLine() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.days(in: directory)

        let run = try await GaitwayRun.run(["query", "--db", path, "--daily", "--wearer", "ada"])
        #expect(run.exited(0), "\(run.errors)")
        #expect(run.output == """
            {"day": "2025-03-01", "wearer": "ada", "steps": 8412, "active_minutes": null, "energy_expenditure_kj": null, "trimp": null, "resting_heart_rate": 54, "sleep_time_min": null, "rmssd_night_ms": null, "spo2_min": null, "odi": null, "skin_temperature": null}
            {"day": "2025-03-02", "wearer": "ada", "steps": null, "active_minutes": null, "energy_expenditure_kj": null, "trimp": null, "resting_heart_rate": null, "sleep_time_min": 431, "rmssd_night_ms": null, "spo2_min": null, "odi": 1.25, "skin_temperature": null}

            """)
        let csv = try await GaitwayRun.run(["query", "--db", path, "--daily", "--wearer", "ada", "--format", "csv",
                                            "--from", "2025-03-02"])
        #expect(csv.exited(0), "\(csv.errors)")
        #expect(csv.output == """
            day,address,wearer,steps,active_minutes,energy_expenditure_kj,trimp,resting_heart_rate,sleep_time_min,rmssd_night_ms,spo2_min,odi,skin_temperature
            2025-03-02,,ada,,,,,,431,,,1.25,

            """)
        let nobody = try await GaitwayRun.run(["query", "--db", path, "--daily", "--wearer", "cy"])
        #expect(nobody.exited(0) && nobody.output.isEmpty && nobody.errors.contains("no day records for wearer cy"), "\(nobody.errors)")
    }
}
