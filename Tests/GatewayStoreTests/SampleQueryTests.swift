import GaitwayTestSupport
import Testing
@testable import GatewayStore

@Suite struct SampleQueryTests {
    /// The dataset committed in a shuffled order (seeded), in two batches.
    static func makeStore() throws -> GatewayStore {
        let store = try GatewayStore.inMemory()
        // Devices get their ids in the order C, A, B: sorting by id would not be by address.
        var first = StoreBatch()
        for address in TestAddress.all {
            first.appendEvent(gatewayTimeMicros: 0, address: address, kind: DeviceEventKind.connected, detail: nil)
        }
        try store.commit(first)
        var generator = SeededGenerator(seed: 0x5EED)
        let shuffled = Dataset.samples.shuffled(using: &generator)
        try store.commit(Dataset.batch(Array(shuffled.prefix(50))))
        try store.commit(Dataset.batch(Array(shuffled.dropFirst(50))))
        return store
    }

    /// What the store must answer, computed over the in-memory dataset.
    static func reference(_ query: SampleQuery) -> [StoredSample] {
        let matching = Dataset.samples.filter { sample in
            (query.address.map { sample.address == $0 } ?? true)
                && (query.quantity.map { sample.quantity == $0 } ?? true)
                && (query.from.map { sample.gatewayTimeMicros >= $0 } ?? true)
                && (query.to.map { sample.gatewayTimeMicros < $0 } ?? true)
        }.sorted(by: referenceOrder)
        return query.limit.map { Array(matching.prefix(max(0, $0))) } ?? matching
    }

    static let queries: [SampleQuery] = [
        SampleQuery(),
        SampleQuery(address: TestAddress.a),
        SampleQuery(quantity: "heart_rate"),
        SampleQuery(address: TestAddress.b, quantity: "plantar_force"),
        SampleQuery(from: Dataset.start + 3000, to: Dataset.start + 6000),
        SampleQuery(from: Dataset.start + 8500),
        SampleQuery(to: Dataset.start + 1000),
        SampleQuery(address: TestAddress.c, quantity: "heart_rate", from: Dataset.start + 2000, to: Dataset.start + 5000),
        SampleQuery(limit: 7),
        SampleQuery(quantity: "plantar_force", from: Dataset.start + 1000, limit: 5),
        SampleQuery(address: "FF:FF:FF:FF:FF:FF"),
        SampleQuery(quantity: "skin_temperature"),
        SampleQuery(from: Dataset.start + 5000, to: Dataset.start + 5000),
        SampleQuery(limit: 0),
    ]

    @Test(arguments: queries) func answersAsTheReference(_ query: SampleQuery) throws {
        let store = try Self.makeStore()
        #expect(try store.samples(query) == Self.reference(query))
    }

    @Test func knownAnswers() throws {
        let store = try Self.makeStore()
        #expect(try store.samples(SampleQuery()).count == 120)
        #expect(try store.samples(SampleQuery(address: TestAddress.a)).count == 40)
        #expect(try store.samples(SampleQuery(quantity: "heart_rate")).count == 30)

        // Half-open: 3000 is in, 6000 is out.
        let window = try store.samples(SampleQuery(from: Dataset.start + 3000, to: Dataset.start + 6000))
        #expect(window.count == 36)
        #expect(window.first?.gatewayTimeMicros == Dataset.start + 3000)
        #expect(window.last?.gatewayTimeMicros == Dataset.start + 5000)

        // Device B is the third device (i = 2): force = t * 10 + cell + 2000.25.
        let limited = try store.samples(SampleQuery(
            address: TestAddress.b, quantity: "plantar_force", from: Dataset.start + 2000, to: Dataset.start + 4000, limit: 4))
        #expect(limited.map(\.value) == [2020.25, 2021.25, 2022.25, 2030.25])
        #expect(limited.map(\.channel) == [0, 1, 2, 0])
        #expect(limited.allSatisfy { $0.unit == "N" && $0.deviceTimeMicros == nil && $0.address == TestAddress.b })

        // Only device A sends a clock.
        let a = try store.samples(SampleQuery(address: TestAddress.a, quantity: "heart_rate", limit: 2))
        #expect(a.map(\.deviceTimeMicros) == [7, 1007])
        #expect(a.map(\.value) == [160, 161])
    }

    @Test func orderIsTimeThenAddressQuantityChannel() throws {
        let store = try Self.makeStore()
        let first = try store.samples(SampleQuery(limit: 12))
        // All at the first instant; addresses were first seen C, A, B but sort A, B, C.
        #expect(first.allSatisfy { $0.gatewayTimeMicros == Dataset.start })
        #expect(first.map(\.address) == Array(repeating: TestAddress.a, count: 4)
                + Array(repeating: TestAddress.b, count: 4) + Array(repeating: TestAddress.c, count: 4))
        #expect(first.prefix(4).map(\.quantity) == ["heart_rate", "plantar_force", "plantar_force", "plantar_force"])
        #expect(first.prefix(4).map(\.channel) == [-1, 0, 1, 2])
    }

    @Test func duplicateRowsKeepTheirOrderOfArrival() throws {
        let store = try GatewayStore.inMemory()
        var batch = StoreBatch()
        for value in [3.0, 1.0, 2.0] {
            batch.appendSample(gatewayTimeMicros: 5, deviceTimeMicros: nil, address: TestAddress.a,
                               quantity: "heart_rate", unit: "bpm", channel: -1, value: value)
        }
        try store.commit(batch)
        #expect(try store.samples(SampleQuery()).map(\.value) == [3, 1, 2])
    }

    @Test func streamingStopsOnTheCallersErrorAndRethrowsIt() throws {
        struct Enough: Error, Equatable {}
        let store = try Self.makeStore()
        var seen = 0
        #expect(throws: Enough()) {
            try store.forEachSample(SampleQuery()) { _ in
                seen += 1
                if seen == 5 { throw Enough() }
            }
        }
        #expect(seen == 5)
    }

    @Test func rawPayloadFilters() throws {
        let store = try GatewayStore.inMemory()
        var batch = StoreBatch()
        for t in 0..<10 {
            for (i, address) in TestAddress.all.enumerated() {
                batch.appendRaw(gatewayTimeMicros: Dataset.start + Int64(t) * 1000, address: address,
                                source: "notification", uuid: "2A37", bytes: [UInt8(t), UInt8(i)])
            }
        }
        try store.commit(batch)
        func raws(_ address: String?, _ from: Int64?, _ to: Int64?, _ limit: Int? = nil) throws -> [[UInt8]] {
            var result: [[UInt8]] = []
            try store.forEachRawPayload(address: address, from: from, to: to, limit: limit) { result.append($0.bytes) }
            return result
        }
        #expect(try raws(nil, nil, nil).count == 30)
        #expect(try raws(TestAddress.a, nil, nil) == (0..<10).map { [UInt8($0), 1] })
        #expect(try raws(TestAddress.b, Dataset.start + 2000, Dataset.start + 4000) == [[2, 2], [3, 2]])
        // Same instant: order of arrival (C, A, B as appended).
        #expect(try raws(nil, Dataset.start + 9000, nil) == [[9, 0], [9, 1], [9, 2]])
        #expect(try raws(nil, nil, nil, 4) == [[0, 0], [0, 1], [0, 2], [1, 0]])
        #expect(try raws("00:00:00:00:00:00", nil, nil).isEmpty)
        #expect(try raws(nil, nil, nil, 0).isEmpty)
    }
}
