import BLEWire
import ProtocolSpecs
import Testing

/// The bundled `Protocols/` specs, loaded once for all tests.
enum Bundled {
    static let catalog: ProtocolCatalog = {
        do {
            return try ProtocolCatalog.bundled()
        } catch {
            Issue.record("bundled specs do not load:\n\(error)")
            return try! ProtocolCatalog(specs: [])
        }
    }()
}

/// One test vector of one spec, as a test argument.
struct VectorCase: Sendable, CustomTestStringConvertible {
    let spec: String
    let index: Int
    let name: String
    var testDescription: String { "\(spec) #\(index): \(name)" }

    static var all: [VectorCase] {
        Bundled.catalog.specs.flatMap { spec in
            spec.vectors.enumerated().map { VectorCase(spec: spec.name, index: $0.offset, name: $0.element.name) }
        }
    }
}

@Suite struct ProtocolVectorTests {
    @Test func bundledSpecsLoad() throws {
        let catalog = try ProtocolCatalog.bundled()
        #expect(catalog.specs.count >= 16)
    }

    /// Every vector of every spec: decodes to its fields (or fails where it says), and the
    /// fields encode back to the same bytes.
    @Test(arguments: VectorCase.all)
    func vector(_ testCase: VectorCase) throws {
        let spec = try #require(Bundled.catalog.spec(named: testCase.spec))
        let problems = spec.verify(spec.vectors[testCase.index])
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test(arguments: Bundled.catalog.specs.map(\.name))
    func everySpecHasValidAndMalformedVectors(_ name: String) throws {
        let spec = try #require(Bundled.catalog.spec(named: name))
        #expect(spec.vectors.count >= 3, "\(name) has \(spec.vectors.count) vectors")
        #expect(spec.vectors.contains { $0.expectedError != nil }, "\(name) has no malformed vector")
        #expect(spec.vectors.contains { $0.fields != nil })
        #expect(!spec.reference.document.isEmpty)
    }

    @Test func lookups() throws {
        let catalog = Bundled.catalog
        #expect(catalog.spec(forCharacteristic: BluetoothUUID(0x2A37))?.name == "heart-rate-measurement")
        #expect(catalog.spec(forCharacteristic: BluetoothUUID("00002a38-0000-1000-8000-00805f9b34fb")!)?.name == "body-sensor-location")
        #expect(catalog.spec(forServiceData: BluetoothUUID(0xFCD2))?.name == "bthome-v2")
        #expect(catalog.spec(forManufacturer: 0xFFFF)?.name == "gaitway-advert")
        #expect(catalog.spec(forCharacteristic: BluetoothUUID("67610101-7761-7900-8000-000000000000")!)?.name == "gaitway-insole")
        #expect(catalog.spec(forCharacteristic: BluetoothUUID("67610201-7761-7900-8000-000000000000")!)?.name == "gaitway-ppg")
        #expect(catalog.spec(named: "temperature-measurement")?.characteristics == [BluetoothUUID(0x2A1C)])
        #expect(catalog.spec(forCharacteristic: BluetoothUUID(0x2A00)) == nil)
        for uuid: UInt16 in [0x2A29, 0x2A24, 0x2A25, 0x2A27, 0x2A26, 0x2A28, 0x2A19, 0x2A53, 0x2A5F] {
            #expect(catalog.spec(forCharacteristic: BluetoothUUID(uuid)) != nil, "no spec for \(String(uuid, radix: 16))")
        }
    }

    /// The `fields` object the issue shows for Heart Rate, byte for byte.
    @Test func heartRateJSON() throws {
        let spec = try #require(Bundled.catalog.spec(named: "heart-rate-measurement"))
        // 0.8 s is not a multiple of 1/1024 s; 0x0333 = 819/1024 s is what a strap sends for it.
        #expect(try spec.decodeJSON([UInt8](hex: "1e 4b 0a 00 00 04 20 03")!)
            == #"{"heart_rate":75,"sensor_contact":true,"energy_expended":10,"rr_intervals":[1,0.78125]}"#)
        #expect(try spec.decodeJSON([UInt8](hex: "00 48")!) == #"{"heart_rate":72,"sensor_contact":null,"rr_intervals":[]}"#)
        #expect(try spec.decodeJSON([UInt8](hex: "16 48")!) == #"{"heart_rate":72,"sensor_contact":true,"rr_intervals":[]}"#)
    }

    @Test func jsonOfNestedFramesSpecialsAndStrings() throws {
        let insole = try #require(Bundled.catalog.spec(named: "gaitway-insole"))
        let json = try insole.decodeJSON([UInt8](hex: "05 02 01 88 13 00 00 10 27 ff 0f 00 01 20 00 03 40 00 05 60 00 00 00 00 00 00 08 10 00 f0 ff 00 00")!)
        #expect(json == #"{"foot":"right","sequence":258,"timestamp":5000,"frame_interval":0.01,"frames":[{"forces":[2047.5,0,0.5,1,1.5,2,2.5,3],"accel_x":0,"accel_y":0,"accel_z":9.80665,"gyro_x":0.9765625,"gyro_y":-0.9765625,"gyro_z":0}]}"#)
        let plx = try #require(Bundled.catalog.spec(named: "plx-continuous-measurement"))
        #expect(try plx.decodeJSON([UInt8](hex: "00 ff 07 00 08")!) == #"{"spo2":"NaN","pulse_rate":"NRes"}"#)
        let temperature = try #require(Bundled.catalog.spec(named: "temperature-measurement"))
        #expect(try temperature.decodeJSON([UInt8](hex: "00 6e 01 00 ff")!) == #"{"temperature_unit":"celsius","temperature":36.6}"#)
        let bthome = try #require(Bundled.catalog.spec(named: "bthome-v2"))
        #expect(try bthome.decodeJSON([UInt8](hex: "42 b2 18 8d 38 c1 a4 02 ca 09 02 cf 09")!)
            == #"{"trigger_based":false,"mac":"b2188d38c1a4","temperature":25.06,"temperature_2":25.11}"#)
        let name = try #require(Bundled.catalog.spec(named: "manufacturer-name-string"))
        #expect(try name.decodeJSON(Array("Say \"hi\"\n".utf8)) == #"{"manufacturer_name":"Say \"hi\"\n"}"#)
    }

    @Test func errorsNameTheField() throws {
        let spec = try #require(Bundled.catalog.spec(named: "heart-rate-measurement"))
        let message = try #require(spec.explain([0x10, 0x4B, 0x33]))
        #expect(message == "rr_intervals: payload: truncated integer field: needs 2 bytes, 1 left at byte offset 2")
        let bthome = try #require(Bundled.catalog.spec(named: "bthome-v2"))
        #expect(bthome.explain([UInt8](hex: "41 a4 72 66")!) == "payload: invalid encrypted payload (not supported) 0x1 at byte offset 0")
    }

    /// Samples carry quantity, unit, cell index and frame number.
    @Test func insoleSamples() throws {
        let spec = try #require(Bundled.catalog.spec(named: "gaitway-insole"))
        let bytes = [UInt8](hex: "00 01 00 e8 03 00 00 10 27 64 80 0c 2c 01 19 f4 81 25 bc 02 32 00 40 01 28 00 05 a0 00 14 80 02 50")!
        var sink = PayloadSampleSink(program: spec.program)
        try spec.program.decode(bytes.span.bytes, into: &sink)
        let forces = sink.samples.filter { $0.quantity == "plantar_force" }
        #expect(forces.count == 16)
        #expect(forces[2] == PayloadSample(field: forces[2].field, quantity: "plantar_force", value: 150, unit: "N", index: 2, frame: 0))
        #expect(forces[15].value == 640 && forces[15].index == 7 && forces[15].frame == 1)
        #expect(sink.samples.first?.quantity == "device_time")
        // Reuse keeps working.
        sink.reset()
        try spec.program.decode(bytes.span.bytes, into: &sink)
        #expect(sink.samples.count == 18)
    }

    @Test func insoleGeometryMatchesGaitpdb() throws {
        let spec = try #require(Bundled.catalog.spec(named: "gaitway-insole"))
        let eight = try #require(spec.geometry?.layout(cells: 8))
        // ../shared/data/gaitpdb/format.txt: L1 (-500, -800) ... L8 (-500, 800); R mirrored.
        #expect(eight.left[0] == .init(x: -500, y: -800))
        #expect(eight.left[7] == .init(x: -500, y: 800))
        #expect(eight.right[1] == .init(x: 700, y: -400))
        #expect(spec.geometry?.layout(cells: 16)?.left.count == 16)
    }

    @Test func simulatorStyleEncoding() throws {
        let spec = try #require(Bundled.catalog.spec(named: "heart-rate-measurement"))
        let bytes = try spec.encode(PayloadObject([
            "heart_rate": .integer(300), "sensor_contact": .bool(true), "rr_intervals": .array([.number(0.5)]),
        ]))
        #expect(bytes == [0x17, 0x2C, 0x01, 0x00, 0x02])
        #expect(throws: PayloadEncodingError.self) { try spec.encode(PayloadObject(["heart_rate": .integer(70_000)])) }
        let bthome = try #require(Bundled.catalog.spec(named: "bthome-v2"))
        let advert = try bthome.encode(PayloadObject([
            "trigger_based": .bool(false), "packet_id": .integer(9), "count": .integer(1234), "temperature": .number(21.5),
        ]))
        #expect(advert.hexString == "4000093dd204026608")
    }
}
