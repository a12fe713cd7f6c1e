import BLEHost
import BLEWire
import Foundation
@testable import GatewayPipeline
import GatewayStore
import ProtocolSpecs
import Testing

/// The live table as text: every line within the width, every quantity a device sent with
/// its age, the header and totals kept with more devices than rows; and the ingest feeding
/// it every format's values (the SpO2 and cadence the old device-wide refresh gate lost).
@Suite struct LiveTableTests {
    static let now = 1_795_255_200.0

    static func device(_ index: Int, name: String? = nil, connected: Bool = true,
                       values: [String: (Double, Double)] = [:]) -> DeviceStatus {
        var device = DeviceStatus(address: BDAddress(rawValue: 0xC1_4D_AE_00_00_00 + UInt64(index)))
        device.name = name
        device.connected = connected
        device.subscribed = connected
        for (quantity, (value, age)) in values {
            device.latest[quantity] = LatestValue(value: value, unit: nil, time: now - age)
        }
        return device
    }

    static func snapshot(_ devices: [DeviceStatus]) -> GatewaySnapshot {
        GatewaySnapshot(time: now, connected: devices.count { $0.connected }, heard: devices.count,
                        statistics: GatewayStatistics(), devices: devices, committedSamples: 0, pendingBatches: 0,
                        storeError: nil)
    }

    @Test func aBandShowsEveryQuantityWithItsAgeAndBattery() {
        let band = Self.device(1, name: "Gaitway Band", values: [
            "heart_rate": (72, 0.4), "rr_interval": (0.833, 0.4), "spo2": (97, 2.2), "pulse_rate": (71, 2.2),
            "energy_expended": (24, 65), "ppg": (988_123, 0.1), "battery_level": (91, 30),
        ])
        let lines = LiveTable(width: 100, height: 40).lines(Self.snapshot([band]))
        #expect(lines.allSatisfy { $0.count <= 100 }, "\(lines)")
        // With rows to spare the values continue on a second line, under the first.
        #expect(lines.count == 5, "\(lines)")
        #expect(lines[4].hasPrefix(String(repeating: " ", count: 56)) && lines[4].count > 56, "\(lines)")
        let row = lines[3...].joined(separator: " ")
        #expect(row.contains("hr 72 rr 0.83 0s"), "\(row)")
        #expect(row.contains("spo2 97 pr 71 2s"), "\(row)")
        #expect(row.contains("kJ 24 1m"), "\(row)")
        #expect(row.contains("ppg 988k 0s"), "\(row)")
        #expect(row.contains(" 91% "), "\(row)")
        #expect(!row.contains("+"), "nothing left out: \(row)")
        // With no row to spare (37 bands in 37 rows) each band has one line, and what did
        // not fit it is counted.
        let crowded = LiveTable(width: 100, height: 40).lines(Self.snapshot(Array(repeating: band, count: 37)))
        #expect(crowded.count == 40)
        #expect(crowded[3...].allSatisfy { $0.hasSuffix(" +2") && $0.count <= 100 }, "\(crowded[3])")
    }

    @Test func wearersShowTheirGaitAndHeartAboveTheDevices() {
        var runner = WearerStatus(name: "runner")
        // Left 0.70 s, right 0.74 s: cadence 120 / 0.72 = 166.7, SI 100 (0.70 - 0.74) / 0.72 = -5.6 %.
        runner.lastStride[.left] = LatestStride(strideTime: 0.70, stancePercent: 36, end: Self.now - 1.2)
        runner.lastStride[.right] = LatestStride(strideTime: 0.74, stancePercent: 40, end: Self.now - 0.5)
        runner.heartRate = LatestValue(value: 152, unit: "/min", time: Self.now)
        runner.rmssd = LatestValue(value: 21.4, unit: "ms", time: Self.now - 200)
        var snapshot = Self.snapshot([Self.device(1, values: ["heart_rate": (152, 0)])])
        snapshot.wearers = [runner, WearerStatus(name: "a-wearer-with-a-long-name")]
        let lines = LiveTable(width: 100, height: 40).lines(snapshot)
        #expect(lines[2].hasPrefix("wearer") && lines[2].contains("cad stride stance"), "\(lines)")
        let row = lines[3].split(separator: " ")
        #expect(row == ["runner", "167", "0.74", "38", "-5.6", "152", "21", "-", "0s"], "\(lines[3])")
        // Nothing known yet: dashes, and names cut to the column.
        #expect(lines[4].split(separator: " ").dropFirst().allSatisfy { $0 == "-" }, "\(lines[4])")
        #expect(lines[5].hasPrefix("device"), "\(lines)")
        // Many wearers take a third of the rows at most (12 of 40), the last counting the others.
        snapshot.wearers = (0..<30).map { WearerStatus(name: "w\($0)") }
        let crowded = LiveTable(width: 100, height: 40).lines(snapshot)
        #expect(crowded[14] == "+19 more wearers" && crowded[15].hasPrefix("device"), "\(crowded)")
    }

    /// With --upload, a line under the totals: state, delivered, backlog and its lag, the error.
    @Test func theUploadLineShowsBacklogLagAndTheLastError() {
        var snapshot = Self.snapshot([Self.device(1, values: ["heart_rate": (72, 0)])])
        #expect(!LiveTable(width: 160, height: 20).lines(snapshot).contains { $0.hasPrefix("upload") })
        var uplink = UplinkStatus()
        uplink.state = .waiting
        uplink.deliveredSamples = 120_000
        uplink.deliveredBatches = 3
        uplink.backlog.samples = 4_500
        uplink.backlog.events = 2
        uplink.backlog.metricRecords = 1
        uplink.lagSeconds = 95
        uplink.lastError = "HTTP 503: busy"
        snapshot.uplink = uplink
        let lines = LiveTable(width: 160, height: 20).lines(snapshot)
        #expect(lines[2] == "upload waiting · 120000 samples delivered in 3 batches · backlog 4500 samples, 3 rows, lag 1m · HTTP 503: busy",
                "\(lines)")
        #expect(lines[3].hasPrefix("device"))
        uplink = UplinkStatus()
        uplink.state = .idle
        #expect(LiveTable.line(uplink) == "upload idle · 0 samples delivered in 0 batches")
    }

    @Test func longNamesAndManyQuantitiesStayWithinTheWidth() {
        var values: [String: (Double, Double)] = [:]
        for index in 0..<40 { values["vendor_quantity_with_a_long_name_\(index)"] = (-123_456.789, Double(index) * 100) }
        let device = Self.device(2, name: String(repeating: "Very Long Device Name ", count: 8), values: values)
        for width in [60, 80, 100, 132] {
            for height in [8, 20, 40] {
                let lines = LiveTable(width: width, height: height).lines(Self.snapshot([device]),
                                                                         log: [String(repeating: "x", count: 300)])
                #expect(lines.allSatisfy { $0.count <= width }, "\(width): \(lines)")
                #expect(lines.count <= height)
                // What does not fit is counted, so the operator knows there is more.
                #expect(lines.contains { $0.contains(" +") }, "\(lines)")
            }
        }
    }

    @Test func insoleQuantitiesFitOneHundredColumns() {
        // What a Gaitway insole sends (gaitway-insole + RSC + battery + step count).
        var values: [String: (Double, Double)] = [:]
        for quantity in ["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z", "plantar_force", "cadence",
                         "speed", "stride_length", "distance", "step_count"] {
            values[quantity] = (1.25, 0.2)
        }
        let lines = LiveTable(width: 100, height: 40).lines(Self.snapshot([Self.device(3, name: "Gaitway Insole L", values: values)]))
        #expect(lines.allSatisfy { $0.count <= 100 }, "\(lines)")
        #expect(lines.count <= 6, "at most three lines for the insole: \(lines)")
        let row = lines[3...].joined(separator: " ")
        for shown in ["cad 1.25", "spd 1.25", "stride 1.25", "dist 1.25", "steps 1.25", "force 1.25", "a 1.25/1.25/1.25",
                      "g 1.25/1.25/1.25"] {
            #expect(row.contains(shown), "\(shown): \(row)")
        }
        #expect(row.contains("Insole L"), "the name's distinctive end: \(row)")
    }

    @Test func twoHundredDevicesInFortyRowsKeepHeaderTotalsAndASummary() {
        var devices = (0..<200).map { Self.device($0, connected: $0 < 150, values: ["heart_rate": (60, 1)]) }
        for index in 150..<193 { devices[index].waiting = true }
        devices[120].quarantinedAt = Self.now - 5
        let lines = LiveTable(width: 100, height: 40).lines(Self.snapshot(devices), log: ["info: one", "info: two"])
        #expect(lines.count == 40)
        #expect(lines[0].hasPrefix("gaitway gateway ") && lines[0].contains("150 connected, 43 waiting, 200 heard"))
        #expect(lines[2].hasPrefix("device"))
        // The quarantined device comes first: it needs attention.
        #expect(lines[3].hasPrefix("00:00:78") && lines[3].contains("quarnt"), "\(lines[3])")
        let summary = lines.first { $0.hasPrefix("+") }
        let rows = lines.count { $0.contains("hr 60 1s") }
        #expect(summary == "+\(200 - rows) more: \(150 - 1 - (rows - 1)) connected, 43 waiting, 7 advertising",
                "\(lines)")
        #expect(lines.suffix(2) == ["info: one", "info: two"])
    }

    @Test(arguments: [(0.0, "0s"), (59.9, "59s"), (60, "1m"), (3599, "59m"), (7200, "2h"), (200_000, "2d")])
    func ages(_ seconds: Double, _ text: String) {
        #expect(LiveTable.age(seconds) == text)
    }

    @Test(arguments: [(72.0, "72"), (0.833, "0.83"), (97.5, "97.5"), (-3.14159, "-3.14"), (988_123, "988k"),
                      (2_500_000, "2M"), (0.1, "0.1"), (0.004, "0"), (-0.004, "0"), (9.996, "10")])
    func numbers(_ value: Double, _ text: String) {
        #expect(LiveTable.number(value) == text)
    }

    // MARK: What the ingest hands the table

    static let catalog: ProtocolCatalog = {
        do { return try ProtocolCatalog.bundled() } catch { fatalError("\(error)") }
    }()
    static let ppg = BluetoothUUID("67610201-7761-7900-8000-000000000000")!

    /// A wristband's PLX notification arrives in the same connection event as a PPG burst,
    /// right after it, once a second. A refresh gate per device let the PPG bursts (every
    /// 40 ms) take every refresh and SpO2 never showed; gated per format it does.
    @Test func spo2AfterPPGInOneConnectionEventReachesTheStatus() throws {
        let ingest = GatewayIngest(catalog: Self.catalog, store: try GatewayStore.inMemory())
        let band = BDAddress("C1:4D:AE:E4:8F:BD")!
        for tick in 0..<100 {
            let time = Self.now + Double(tick) * 0.04
            var burst: [UInt8] = [0x00, UInt8(tick & 0xFF), UInt8(tick >> 8), 0x40, 0xE2, 0x01, 0x00, 0x19, 0x00]
            burst += [0xA0, 0x86, 0x01]
            ingest.ingestValue(burst.span.bytes, of: Self.ppg, kind: .notification, from: band, at: time)
            if tick % 25 == 0 {
                let plx: [UInt8] = [0x00, 0x61, 0x00, 0x48, 0x00]  // SpO2 97 %, pulse 72 bpm
                ingest.ingestValue(plx.span.bytes, of: BluetoothUUID(0x2A5F), kind: .notification, from: band, at: time)
            }
        }
        let status = try #require(ingest.devices[band])
        #expect(status.latest["spo2"]?.value == 97)
        #expect(status.latest["pulse_rate"]?.value == 72)
        #expect(status.latest["ppg"]?.value == 100_000)
        #expect(status.sequenceGaps == 0)
    }

    /// Sequence numbers that jump count the notifications lost between them; a wrap of the
    /// 16-bit counter is no loss.
    @Test func sequenceJumpsAreCountedAsGaps() throws {
        let ingest = GatewayIngest(catalog: Self.catalog, store: try GatewayStore.inMemory())
        let band = BDAddress("C1:4D:AE:E4:8F:BD")!
        for (index, sequence) in [65533, 65534, 65535, 0, 1, 5, 6, 9].enumerated() {
            let burst: [UInt8] = [0x00, UInt8(sequence & 0xFF), UInt8(sequence >> 8), 0, 0, 0, 0, 0x19, 0x00]
            ingest.ingestValue(burst.span.bytes, of: Self.ppg, kind: .notification, from: band,
                               at: Self.now + Double(index))
        }
        #expect(ingest.devices[band]?.sequenceGaps == 3 + 2)
    }
}
