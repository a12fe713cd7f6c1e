import BLEHost
import BLEWire
import Testing

@Suite struct GATTDatabaseTests {
    @Test func handlesAreAssignedInOrderFromOne() throws {
        let database = SampleDevice.database()
        #expect(database.attributes.map(\.handle.rawValue) == Array(1...0x1E))
        #expect(database.lastHandle == AttributeHandle(0x1E))
        #expect(database.services.map(\.range) == [
            ATTHandleRange(start: AttributeHandle(0x01), end: AttributeHandle(0x08)), ATTHandleRange(start: AttributeHandle(0x09), end: AttributeHandle(0x0C)),
            ATTHandleRange(start: AttributeHandle(0x0D), end: AttributeHandle(0x19)), ATTHandleRange(start: AttributeHandle(0x1A), end: AttributeHandle(0x1E)),
        ])
        let measurement = try #require(database.characteristic(.heartRateMeasurement, in: .heartRateService))
        #expect(measurement == GATTCharacteristicHandles(
            uuid: .heartRateMeasurement, properties: .notify, declaration: AttributeHandle(0x02), value: AttributeHandle(0x03),
            clientConfiguration: AttributeHandle(0x04), userDescription: nil, descriptors: [AttributeHandle(0x04)]))
        let stream = try #require(database.service(.gaitwayInsoleService)?[.gaitwayInsoleStream])
        #expect(stream.clientConfiguration == AttributeHandle(0x1D) && stream.userDescription == AttributeHandle(0x1E))
        #expect(database.characteristic(.batteryLevel, in: .heartRateService) == nil)
        // Types of the attributes, as a client's Find Information sees them.
        #expect(database.attributes.prefix(8).map(\.type) == [0x2800, 0x2803, 0x2A37, 0x2902, 0x2803, 0x2A38, 0x2803, 0x2A39].map { BluetoothUUID($0) })
        #expect(database.attribute(at: AttributeHandle(0)) == nil && database.attribute(at: AttributeHandle(0x1F)) == nil)
        #expect(database.attribute(at: AttributeHandle(0x1A))?.groupEnd == AttributeHandle(0x1E))
        #expect(database.attribute(at: AttributeHandle(0x1B))?.groupEnd == AttributeHandle(0x1B))
    }

    @Test func builderReturnsHandlesAsItGoes() {
        var database = GATTDatabase()
        let battery = database.add(.battery(level: { 50 }))
        let wristband = database.add(.gaitwayWristband())
        #expect(battery.range == ATTHandleRange(start: AttributeHandle(1), end: AttributeHandle(4)))
        #expect(wristband.range == ATTHandleRange(start: AttributeHandle(5), end: AttributeHandle(9)))
        #expect(wristband[.gaitwayPPGStream]?.value == AttributeHandle(7))
        #expect(database.services == [battery, wristband])
    }

    @Test func declarationsAreEncodedAsGATTSays() {
        var server = GATTServer(database: SampleDevice.database())
        // «Characteristic» of the insole stream: notify, value 0x001c, 128-bit UUID.
        let declaration = server.handle(request: hex("0a 1b00"))
        #expect(declaration == hex("0b 10 1c00") + BluetoothUUID.gaitwayInsoleStream.littleEndianBytes)
        #expect(server.handle(request: hex("0a 1e00")) == [0x0B] + Array("Insole Stream".utf8))
        #expect(server.handle(request: hex("0a 0d00")) == hex("0b 0a18"))
    }

    @Test func standardServiceLayouts() {
        func layout(_ service: GATTService) -> [String] {
            GATTDatabase(services: [service]).attributes.map { "\($0.type)" }
        }
        #expect(layout(.runningSpeedAndCadence(features: 0x0007, sensorLocation: 0x07))
            == ["2800", "2803", "2a53", "2902", "2803", "2a54", "2803", "2a5d"])
        #expect(layout(.pulseOximeter()) == ["2800", "2803", "2a5f", "2902", "2803", "2a60"])
        #expect(layout(.healthThermometer(temperatureType: 2)) == ["2800", "2803", "2a1c", "2902", "2803", "2a1d"])
        #expect(layout(.battery { 1 }) == ["2800", "2803", "2a19", "2902"])
        #expect(layout(.heartRate()) == ["2800", "2803", "2a37", "2902"])
        #expect(layout(.deviceInformation(manufacturer: "x", firmwareRevision: "1"))
            == ["2800", "2803", "2a29", "2803", "2a26"])
        #expect(layout(.genericAttribute(clientSupportedFeatures: true, databaseHash: Array(repeating: 0, count: 16)))
            == ["2800", "2803", "2a05", "2902", "2803", "2b29", "2803", "2b2a"])
    }
}
