import BLEWire
import GaitwayTestSupport
import ProtocolSpecs
import Testing

/// `PayloadFlatEncoder` must write exactly what `PayloadEncoder` writes: on every test
/// vector of every bundled spec it supports, and on random values of the streams the
/// simulator sends with it.
@Suite struct FlatEncoderTests {
    func spec(_ name: String) throws -> ProtocolSpec {
        try #require(Bundled.catalog.spec(named: name))
    }

    /// Flat-encodes `fields` with an encoder prepared from `template`, next to the generic encoder.
    func both(_ spec: ProtocolSpec, _ flat: PayloadFlatEncoder, _ fields: PayloadObject, hints: [String: Int])
        throws -> (flat: [UInt8], generic: [UInt8]) {
        let generic = try spec.encode(fields, hints: hints)
        let (values, counts) = try flat.values(of: fields)
        var out: [UInt8] = [0xEE]  // encode appends: what was there stays
        try flat.encode(values, counts: counts, into: &out)
        #expect(out.first == 0xEE)
        return (Array(out.dropFirst()), generic)
    }

    @Test func everyVectorOfEverySupportedSpec() throws {
        var supported = 0
        var unsupported: [String] = []
        for spec in Bundled.catalog.specs {
            for vector in spec.vectors where vector.encodes && vector.expectedError == nil {
                guard let fields = vector.fields else { continue }
                let flat: PayloadFlatEncoder
                do {
                    flat = try PayloadFlatEncoder(program: spec.program, hints: vector.hints, template: fields)
                } catch {
                    unsupported.append("\(spec.name): \(vector.name): \(error)")
                    continue
                }
                let (bytes, generic) = try both(spec, flat, fields, hints: vector.hints)
                #expect(bytes == generic, "\(spec.name): \(vector.name)")
                #expect(bytes == vector.bytes, "\(spec.name): \(vector.name)")
                supported += 1
            }
        }
        // Only the tagged format (BTHome) is out of reach, and templates that need an element
        // to take a group's shape from.
        for problem in unsupported {
            #expect(problem.hasPrefix("bthome") || problem.contains("needs one element"), "\(problem)")
        }
        #expect(supported >= 30, "\(supported) vectors checked; unsupported: \(unsupported)")
    }

    func insoleFields(foot: String, sequence: Int64, timestamp: Int64, interval: Double, frames: [PayloadValue])
        -> PayloadObject {
        PayloadObject([
            "foot": .text(foot), "sequence": .integer(sequence), "timestamp": .integer(timestamp),
            "frame_interval": .number(interval), "frames": .array(frames),
        ])
    }

    func insoleFrame(cells: Int, imu: Bool, _ random: inout SeededGenerator) -> PayloadValue {
        var frame = PayloadObject([
            "forces": .array((0..<cells).map { _ in .number((Double.random(in: 0...2047.5, using: &random) * 2).rounded() / 2) }),
        ])
        if imu {
            // Any double in range, not only the steps, so that rounding is exercised.
            let accel = 156.9064 * 32767 / 32768, gyro = 2000.0 * 32767 / 32768
            for name in ["accel_x", "accel_y", "accel_z"] { frame[name] = .number(.random(in: -accel...accel, using: &random)) }
            for name in ["gyro_x", "gyro_y", "gyro_z"] { frame[name] = .number(.random(in: -gyro...gyro, using: &random)) }
        }
        return .object(frame)
    }

    @Test(arguments: [(8, false), (8, true), (16, false), (16, true)])
    func randomInsoleNotifications(cells: Int, imu: Bool) throws {
        let spec = try spec("gaitway-insole")
        var random = SeededGenerator(seed: UInt64(cells * 10 + (imu ? 1 : 0)))
        let hints = ["cells_16": cells == 16 ? 1 : 0, "imu_present": imu ? 1 : 0]
        for foot in ["left", "right"] {
            let template = insoleFields(foot: foot, sequence: 0, timestamp: 0, interval: 0.01,
                                        frames: [insoleFrame(cells: cells, imu: imu, &random)])
            let flat = try PayloadFlatEncoder(program: spec.program, hints: hints, template: template)
            for _ in 0..<200 {
                let fields = insoleFields(
                    foot: foot, sequence: .random(in: 0...65535, using: &random),
                    timestamp: .random(in: 0...Int64(UInt32.max), using: &random),
                    interval: Double(Int.random(in: 1...65535, using: &random)) / 1_000_000,
                    frames: (0..<Int.random(in: 0...6, using: &random)).map { _ in insoleFrame(cells: cells, imu: imu, &random) })
                let (bytes, generic) = try both(spec, flat, fields, hints: hints)
                #expect(bytes == generic)
            }
        }
    }

    @Test func insoleLayout() throws {
        let spec = try spec("gaitway-insole")
        var random = SeededGenerator(seed: 1)
        let template = insoleFields(foot: "left", sequence: 0, timestamp: 0, interval: 0.01,
                                    frames: [insoleFrame(cells: 8, imu: true, &random)])
        let flat = try PayloadFlatEncoder(program: spec.program, hints: ["cells_16": 0, "imu_present": 1], template: template)
        #expect(flat.layout == ["sequence", "timestamp", "frame_interval", "frames[]", "frames[].forces[8]",
                                "frames[].accel_x", "frames[].accel_y", "frames[].accel_z",
                                "frames[].gyro_x", "frames[].gyro_y", "frames[].gyro_z"])
        #expect(flat.fixedValueCount == nil)
        // A force beyond the 12-bit range is refused, as the generic encoder refuses it.
        var values = [1, 2, 0.01] + [Double](repeating: 0, count: 14)
        values[3] = 4096
        #expect(throws: PayloadEncodingError.self) { try flat.encode(values, counts: [1]) }
        #expect(throws: PayloadEncodingError.self) { try flat.encode([1, 2, 0.01], counts: [1]) }
    }

    @Test func randomHeartRateMeasurements() throws {
        let spec = try spec("heart-rate-measurement")
        var random = SeededGenerator(seed: 7)
        for energy in [false, true] {
            func fields(_ rate: Int64, _ rr: [Double], _ energyValue: Int64) -> PayloadObject {
                var object = PayloadObject(["heart_rate": .integer(rate), "sensor_contact": .bool(true)])
                if energy { object["energy_expended"] = .integer(energyValue) }
                object["rr_intervals"] = .array(rr.map { .number($0) })
                return object
            }
            let flat = try PayloadFlatEncoder(program: spec.program, template: fields(75, [0.8], 100))
            for _ in 0..<300 {
                let rr = (0..<Int.random(in: 1...9, using: &random)).map { _ in Double.random(in: 0.2...2.0, using: &random) }
                let object = fields(.random(in: 0...255, using: &random), rr, .random(in: 0...65535, using: &random))
                let (bytes, generic) = try both(spec, flat, object, hints: [:])
                #expect(bytes == generic)
            }
            // A rate the u8 alternative the template chose cannot carry.
            let (values, counts) = try flat.values(of: fields(300, [0.8], 1))
            #expect(throws: PayloadEncodingError.self) { try flat.encode(values, counts: counts) }
        }
    }

    @Test func randomPPGNotifications() throws {
        let spec = try spec("gaitway-ppg")
        var random = SeededGenerator(seed: 11)
        for led in ["green", "red", "infrared", "ambient"] {
            func fields(_ samples: [Int64]) -> PayloadObject {
                PayloadObject([
                    "led": .text(led), "sequence": .integer(.random(in: 0...65535, using: &random)),
                    "timestamp": .integer(.random(in: 0...Int64(UInt32.max), using: &random)),
                    "sample_rate": .integer(.random(in: 0...65535, using: &random)),
                    "samples": .array(samples.map { .integer($0) }),
                ])
            }
            let flat = try PayloadFlatEncoder(program: spec.program, template: fields([1]))
            #expect(flat.layout == ["sequence", "timestamp", "sample_rate", "samples[]"])
            for _ in 0..<200 {
                let samples = (0..<Int.random(in: 0...40, using: &random)).map { _ in Int64.random(in: 0..<(1 << 24), using: &random) }
                let (bytes, generic) = try both(spec, flat, fields(samples), hints: [:])
                #expect(bytes == generic)
            }
        }
    }

    /// Widths and byte orders no bundled spec has: values packed across 64-bit boundaries
    /// (u60, whose top bits an earlier packing loop dropped), narrow signed values (s12),
    /// big-endian scalars and arrays, a scaled s40.
    @Test func oddWidthsAndByteOrdersMatchTheGenericEncoder() throws {
        let spec = try SpecLoader.load(yaml: """
            name: odd-widths
            uuids:
              characteristics: [ffe1]
            reference:
              document: a test
            fields:
              - {name: wide, type: u60, count: 3}
              - {name: narrow, type: s12, count: 5}
              - {name: big, type: u24, endian: big}
              - {name: bigs, type: s16, count: 2, endian: big}
              - {name: scaled, type: s40, scale: 1/1000}
              - {name: tail, type: u4, count: 3}
            """, file: "odd-widths.yaml")
        var random = SeededGenerator(seed: 60)
        func fields() -> PayloadObject {
            PayloadObject([
                // The flat encoder takes Doubles: 53 significant bits, shifted into the top
                // bits of the 60 so that packing across 64-bit boundaries is exercised.
                "wide": .array((0..<3).map { _ in
                    .integer(Int64.random(in: 0..<(1 << 53), using: &random) << Int64.random(in: 0...6, using: &random))
                }),
                "narrow": .array((0..<5).map { _ in .integer(Int64.random(in: -2048...2047, using: &random)) }),
                "big": .integer(Int64.random(in: 0...0xFF_FFFF, using: &random)),
                "bigs": .array((0..<2).map { _ in .integer(Int64.random(in: -32768...32767, using: &random)) }),
                "scaled": .number(Double(Int64.random(in: -(1 << 39)...(1 << 39 - 1), using: &random)) / 1000),
                "tail": .array((0..<3).map { _ in .integer(Int64.random(in: 0...15, using: &random)) }),
            ])
        }
        let flat = try PayloadFlatEncoder(program: spec.program, template: fields())
        for _ in 0..<500 {
            let (bytes, generic) = try both(spec, flat, fields(), hints: [:])
            #expect(bytes == generic)
        }
    }
}
