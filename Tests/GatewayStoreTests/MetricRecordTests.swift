import Testing
@testable import GatewayStore

@Suite struct MetricRecordTests {
    /// Records of devices and of wearers, over two commits: filters select exactly, and the
    /// order is time, then subject, then storage.
    @Test func recordsRoundTripAndFilter() throws {
        let store = try GatewayStore.inMemory()
        var batch = StoreBatch()
        batch.appendMetricRecord(timeMicros: 2_000, endMicros: nil, subject: .device(address: TestAddress.a),
                                 metric: "stride_time", unit: "s", value: 1.1, quality: 0.9)
        batch.appendMetricRecord(timeMicros: 1_000, endMicros: nil, subject: .device(address: TestAddress.c),
                                 metric: "stride_time", unit: "s", value: 1.05, quality: nil)
        batch.appendMetricRecord(timeMicros: 1_000, endMicros: 301_000, subject: .wearer(name: "ada"),
                                 metric: "rmssd", unit: "ms", value: 42.5, quality: 1)
        batch.appendMetricRecord(timeMicros: 1_500, endMicros: nil, subject: .device(address: TestAddress.a),
                                 metric: "stride_time", unit: "s", value: .nan, quality: nil)
        #expect(batch.metricRecordCount == 3)
        #expect(batch.rejectedSampleCount == 1)
        try store.commit(batch)
        batch.removeAll()
        #expect(batch.isEmpty)
        batch.appendMetricRecord(timeMicros: 1_000, endMicros: nil, subject: .wearer(name: "bo"),
                                 metric: "cadence", unit: "/min", value: 112, quality: nil)
        try store.commit(batch)

        let all = try store.metricRecords(MetricRecordQuery())
        #expect(all.map(\.timeMicros) == [1_000, 1_000, 1_000, 2_000])
        // At one time: devices (by address) before wearers (by name).
        #expect(all.map(\.subject) == [
            .device(address: TestAddress.c), .wearer(name: "ada"), .wearer(name: "bo"), .device(address: TestAddress.a),
        ])
        #expect(all[1] == StoredMetricRecord(timeMicros: 1_000, endMicros: 301_000, subject: .wearer(name: "ada"),
                                             metric: "rmssd", unit: "ms", value: 42.5, quality: 1))
        #expect(all[0].quality == nil && all[0].endMicros == nil)

        #expect(try store.metricRecords(MetricRecordQuery(metric: "stride_time")).map(\.value) == [1.05, 1.1])
        #expect(try store.metricRecords(MetricRecordQuery(address: TestAddress.a)).map(\.value) == [1.1])
        #expect(try store.metricRecords(MetricRecordQuery(wearer: "bo")).map(\.metric) == ["cadence"])
        #expect(try store.metricRecords(MetricRecordQuery(from: 1_001, to: 2_001)).map(\.value) == [1.1])
        #expect(try store.metricRecords(MetricRecordQuery(from: 1_000, to: 2_000)).count == 3)
        #expect(try store.metricRecords(MetricRecordQuery(limit: 2)).count == 2)
        #expect(try store.metricRecords(MetricRecordQuery(limit: 0)).isEmpty)
        #expect(try store.metricRecords(MetricRecordQuery(metric: "no_such_metric")).isEmpty)

        #expect(try store.metrics() == [
            StoredMetric(name: "cadence", unit: "/min", recordCount: 1),
            StoredMetric(name: "rmssd", unit: "ms", recordCount: 1),
            StoredMetric(name: "stride_time", unit: "s", recordCount: 2),
        ])
        #expect(try store.wearers() == ["ada", "bo"])
        // A device known only from its records is listed, never seen.
        #expect(try store.devices().map(\.address) == [TestAddress.a, TestAddress.c])
        #expect(try store.devices().allSatisfy { $0.firstSeenMicros == nil })
    }

    /// A batch of records alone commits, and a failed commit writes none of them.
    @Test func recordsAreAllOrNothingWithTheRestOfTheBatch() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("metrics.db")
        let store = try GatewayStore(path: path)
        var batch = StoreBatch()
        batch.appendMetricRecord(timeMicros: 5, endMicros: nil, subject: .wearer(name: "ada"),
                                 metric: "step_count", unit: "1", value: 10, quality: nil)
        try store.commit(batch)
        try store.close()
        let reader = try GatewayStore(path: path, options: .init(readOnly: true))
        #expect(try reader.metricRecords(MetricRecordQuery()).map(\.value) == [10])
        try reader.close()
    }
}
