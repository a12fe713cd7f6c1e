import Testing
@testable import GatewayStore

@Suite struct StoreBatchTests {
    @Test func countsAndEmptiness() {
        var batch = StoreBatch()
        #expect(batch.isEmpty)
        batch.appendRaw(gatewayTimeMicros: 1, address: TestAddress.a, source: "notification", uuid: "2A37", bytes: [0x06, 0x48])
        #expect(!batch.isEmpty)
        batch.appendSample(gatewayTimeMicros: 1, deviceTimeMicros: nil, address: TestAddress.a, quantity: "heart_rate", unit: "bpm", channel: -1, value: 72)
        batch.appendSample(gatewayTimeMicros: 2, deviceTimeMicros: 5, address: TestAddress.a, quantity: "heart_rate", unit: "bpm", channel: -1, value: 73)
        batch.appendEvent(gatewayTimeMicros: 3, address: TestAddress.b, kind: DeviceEventKind.connected, detail: nil)
        #expect(batch.sampleCount == 2)
        #expect(batch.rawCount == 1)
        #expect(batch.eventCount == 1)
        #expect(batch.rawByteCount == 2)
        batch.removeAll()
        #expect(batch.isEmpty)
        #expect(batch.sampleCount == 0 && batch.rawCount == 0 && batch.eventCount == 0 && batch.rawByteCount == 0)
    }

    @Test func aDeviceNameAloneIsSomethingToCommit() {
        var batch = StoreBatch()
        batch.setDeviceName("Band", address: TestAddress.a)
        #expect(!batch.isEmpty)
        #expect(batch.sampleCount == 0)
    }

    @Test func internsAddressesQuantitiesAndPayloadKinds() {
        var batch = StoreBatch()
        for t in 0..<100 {
            let address = TestAddress.all[t % 3]
            batch.appendSample(gatewayTimeMicros: Int64(t), deviceTimeMicros: nil, address: address,
                               quantity: t % 2 == 0 ? "heart_rate" : "rr_interval", unit: nil, channel: -1, value: 1)
            batch.appendRaw(gatewayTimeMicros: Int64(t), address: address, source: t % 4 == 0 ? "read" : "notification",
                            uuid: "2A37", bytes: [UInt8(t)])
        }
        #expect(batch.addresses.strings == [TestAddress.c, TestAddress.a, TestAddress.b])
        #expect(batch.quantities.strings == ["heart_rate", "rr_interval"])
        #expect(batch.payloadKinds.count == 2)
        #expect(batch.samples.map(\.device).prefix(4) == [0, 1, 2, 0])
        // First and last time per device: device C appears at t = 0, 3, ..., 99.
        #expect(batch.deviceFirstSeen == [0, 1, 2])
        #expect(batch.deviceLastSeen == [99, 97, 98])
    }

    @Test func sourceAndUUIDAreNotConfusedWhenConcatenated() {
        // "ab" + "c" and "a" + "bc" must stay two kinds.
        var batch = StoreBatch()
        batch.appendRaw(gatewayTimeMicros: 0, address: TestAddress.a, source: "ab", uuid: "c", bytes: [1])
        batch.appendRaw(gatewayTimeMicros: 0, address: TestAddress.a, source: "a", uuid: "bc", bytes: [2])
        #expect(batch.payloadKinds.count == 2)
        #expect(batch.raws.map(\.kind) == [0, 1])
    }

    @Test func nanIsRejectedAndCounted() {
        var batch = StoreBatch()
        batch.appendSample(gatewayTimeMicros: 0, deviceTimeMicros: nil, address: TestAddress.a, quantity: "spo2", unit: "%", channel: -1, value: .nan)
        batch.appendSample(gatewayTimeMicros: 0, deviceTimeMicros: nil, address: TestAddress.a, quantity: "spo2", unit: "%", channel: -1, value: 97)
        #expect(batch.sampleCount == 1)
        #expect(batch.rejectedSampleCount == 1)
        batch.removeAll()
        #expect(batch.rejectedSampleCount == 0)
    }

    @Test func removeAllKeepsCapacity() {
        var batch = StoreBatch()
        for t in 0..<1000 {
            batch.appendSample(gatewayTimeMicros: Int64(t), deviceTimeMicros: nil, address: TestAddress.a, quantity: "q", unit: nil, channel: t, value: 0)
            batch.appendRaw(gatewayTimeMicros: Int64(t), address: TestAddress.a, source: "notification", uuid: "2A37", bytes: [1, 2, 3, 4])
        }
        batch.removeAll()
        #expect(batch.samples.capacity >= 1000)
        #expect(batch.rawBytes.capacity >= 4000)
        #expect(batch.raws.capacity >= 1000)
    }

    @Test func rawBytesAreCopiedBackToBack() {
        var batch = StoreBatch()
        batch.appendRaw(gatewayTimeMicros: 0, address: TestAddress.a, source: "notification", uuid: "2A37", bytes: [1, 2, 3])
        batch.appendRaw(gatewayTimeMicros: 0, address: TestAddress.a, source: "notification", uuid: "2A37", bytes: [UInt8]())
        batch.appendRaw(gatewayTimeMicros: 0, address: TestAddress.a, source: "notification", uuid: "2A37", bytes: [9, 8][...])
        #expect(batch.rawBytes == [1, 2, 3, 9, 8])
        #expect(batch.raws.map(\.byteRange) == [0..<3, 3..<3, 3..<5])
    }
}
