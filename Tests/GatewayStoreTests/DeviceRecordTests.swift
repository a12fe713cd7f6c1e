import Testing
@testable import GatewayStore

@Suite struct DeviceRecordTests {
    @Test func firstAndLastSeenFollowEveryKindOfRow() throws {
        let store = try GatewayStore.inMemory()
        var batch = StoreBatch()
        batch.appendRaw(gatewayTimeMicros: 500, address: TestAddress.a, source: "notification", uuid: "2A37", bytes: [0])
        batch.appendSample(gatewayTimeMicros: 300, deviceTimeMicros: nil, address: TestAddress.a, quantity: "heart_rate", unit: "bpm", channel: -1, value: 70)
        batch.appendEvent(gatewayTimeMicros: 700, address: TestAddress.a, kind: DeviceEventKind.disconnected, detail: "0x13")
        batch.setDeviceName("Nameless until now", address: TestAddress.b)
        try store.commit(batch)
        #expect(try store.devices() == [
            StoredDevice(address: TestAddress.a, firstSeenMicros: 300, lastSeenMicros: 700),
            StoredDevice(address: TestAddress.b, name: "Nameless until now"),
        ])

        // A later batch moves last-seen forward, an earlier time moves first-seen back,
        // and a time inside the known span moves neither.
        batch.removeAll()
        batch.appendSample(gatewayTimeMicros: 900, deviceTimeMicros: nil, address: TestAddress.a, quantity: "heart_rate", unit: "bpm", channel: -1, value: 71)
        batch.appendSample(gatewayTimeMicros: 100, deviceTimeMicros: nil, address: TestAddress.b, quantity: "heart_rate", unit: "bpm", channel: -1, value: 72)
        batch.setDeviceName("Band", address: TestAddress.a)
        try store.commit(batch)
        batch.removeAll()
        batch.appendSample(gatewayTimeMicros: 50, deviceTimeMicros: nil, address: TestAddress.a, quantity: "heart_rate", unit: "bpm", channel: -1, value: 73)
        batch.appendSample(gatewayTimeMicros: 100, deviceTimeMicros: nil, address: TestAddress.b, quantity: "heart_rate", unit: "bpm", channel: -1, value: 74)
        try store.commit(batch)
        #expect(try store.devices(includingSampleCounts: true) == [
            StoredDevice(address: TestAddress.a, name: "Band", firstSeenMicros: 50, lastSeenMicros: 900, sampleCount: 3),
            StoredDevice(address: TestAddress.b, name: "Nameless until now", firstSeenMicros: 100, lastSeenMicros: 100, sampleCount: 2),
        ])
        #expect(try store.devices().allSatisfy { $0.sampleCount == nil })
    }

    @Test func quarantineByEventAndByCallAndRelease() throws {
        let store = try GatewayStore.inMemory()
        var batch = StoreBatch()
        batch.appendEvent(gatewayTimeMicros: 10, address: TestAddress.a, kind: DeviceEventKind.connected, detail: nil)
        batch.appendEvent(gatewayTimeMicros: 20, address: TestAddress.a, kind: DeviceEventKind.quarantined, detail: "12 malformed packets")
        batch.appendEvent(gatewayTimeMicros: 30, address: TestAddress.b, kind: DeviceEventKind.connected, detail: nil)
        try store.commit(batch)
        #expect(try store.devices().map(\.quarantinedAtMicros) == [20, nil])
        #expect(try store.devices().map(\.isQuarantined) == [true, false])

        // Quarantining again keeps the first time.
        try store.markQuarantined(address: TestAddress.a, at: 40, reason: "again")
        try store.markQuarantined(address: TestAddress.b, at: 45)
        #expect(try store.devices().map(\.quarantinedAtMicros) == [20, 45])

        batch.removeAll()
        batch.appendEvent(gatewayTimeMicros: 50, address: TestAddress.a, kind: DeviceEventKind.released, detail: nil)
        try store.commit(batch)
        #expect(try store.devices().map(\.quarantinedAtMicros) == [nil, 45])

        #expect(try store.events(address: TestAddress.a) == [
            StoredEvent(gatewayTimeMicros: 10, address: TestAddress.a, kind: "connected", detail: nil),
            StoredEvent(gatewayTimeMicros: 20, address: TestAddress.a, kind: "quarantined", detail: "12 malformed packets"),
            StoredEvent(gatewayTimeMicros: 40, address: TestAddress.a, kind: "quarantined", detail: "again"),
            StoredEvent(gatewayTimeMicros: 50, address: TestAddress.a, kind: "released", detail: nil),
        ])
        #expect(try store.events().map(\.gatewayTimeMicros) == [10, 20, 30, 40, 45, 50])
        #expect(try store.events(address: "unknown").isEmpty)
        #expect(try store.counts().events == 6)
    }

    @Test func aUnitArrivingLaterFillsAMissingOne() throws {
        let store = try GatewayStore.inMemory()
        var batch = StoreBatch()
        batch.appendSample(gatewayTimeMicros: 1, deviceTimeMicros: nil, address: TestAddress.a, quantity: "skin_temperature", unit: nil, channel: -1, value: 33)
        try store.commit(batch)
        #expect(try store.quantities() == [StoredQuantity(name: "skin_temperature", unit: nil)])
        batch.removeAll()
        batch.appendSample(gatewayTimeMicros: 2, deviceTimeMicros: nil, address: TestAddress.a, quantity: "skin_temperature", unit: "°C", channel: -1, value: 34)
        try store.commit(batch)
        // The first unit stays: the quantity's name is its identity.
        batch.removeAll()
        batch.appendSample(gatewayTimeMicros: 3, deviceTimeMicros: nil, address: TestAddress.a, quantity: "skin_temperature", unit: "K", channel: -1, value: 307)
        try store.commit(batch)
        #expect(try store.quantities() == [StoredQuantity(name: "skin_temperature", unit: "°C")])
        #expect(try store.samples(SampleQuery()).map(\.unit) == ["°C", "°C", "°C"])
    }

    @Test func manyDevicesAndQuantitiesAreInternedOnce() throws {
        let store = try GatewayStore.inMemory()
        let addresses = (0..<300).map { i in
            ["F1", String(format2: i * 37 & 0xFF), String(format2: i >> 8), "00", String(format2: i & 0xFF), "7E"]
                .joined(separator: ":")
        }
        let quantities = (0..<25).map { "quantity_\($0)" }
        var batch = StoreBatch()
        for round in 0..<2 {
            batch.removeAll()
            for (d, address) in addresses.enumerated() {
                for (q, quantity) in quantities.enumerated() {
                    batch.appendSample(gatewayTimeMicros: Int64(round * 10), deviceTimeMicros: nil, address: address,
                                       quantity: quantity, unit: "u\(q)", channel: -1, value: Double(d * 1000 + q))
                }
            }
            #expect(batch.addresses.count == 300)
            #expect(batch.quantities.count == 25)
            #expect(batch.sampleCount == 7500)
            try store.commit(batch)
        }
        #expect(Set(addresses).count == 300)
        #expect(try store.counts() == StoreCounts(samples: 15000, rawPayloads: 0, devices: 300, events: 0))
        #expect(try store.quantities().count == 25)
        #expect(try store.devices(includingSampleCounts: true).allSatisfy { $0.sampleCount == 50 })
        let one = try store.samples(SampleQuery(address: addresses[123], quantity: "quantity_17"))
        #expect(one.map(\.value) == [123_017, 123_017])
        #expect(one.map(\.gatewayTimeMicros) == [0, 10])
        #expect(one.allSatisfy { $0.unit == "u17" })
        #expect(store.knownIDs.withLock { ($0.devices.count, $0.quantities.count) } == (300, 25))
    }
}

extension String {
    /// Two upper-case hex digits.
    init(format2 value: Int) {
        let digits = Array("0123456789ABCDEF")
        self = String([digits[(value >> 4) & 0xF], digits[value & 0xF]])
    }
}
