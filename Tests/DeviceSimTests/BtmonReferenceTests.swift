import BLEHost
import BLEWire
import Foundation
import GaitwayTestSupport
import Testing
@testable import DeviceSim

/// Our captures through btmon (BlueZ's monitor, Debian's `bluez` package), a reader nobody
/// here wrote: it must read them to the end (exit 0, no signal) and list every notification,
/// with the Heart Rate values the ground truth says. Skipped with a message when btmon is
/// missing, a failure when GAITWAY_REQUIRE_REFERENCES=1 (as `make test` sets).
///
/// BlueZ 5.66 (Debian 12's) crashes on every capture that discovers characteristics when it
/// reads a file on a machine without a powered hciN: it registers a connection only when
/// `hci_devba` finds the local adapter of the record's index (monitor/packet.c,
/// assign_handle), and att_read_type_req then dereferences the missing connection for a
/// Read By Type request for «Characteristic» (0x2803, the one type with a read handler).
/// Bumble's own capture (DissectorTests/Fixtures/bumble-heart-rate.btsnoop) crashes it the
/// same way. BlueZ 5.67 fixed it (35947e2, "monitor/att: Fix crash when accessing
/// packet_conn"). On 5.66, a crash exactly there is that bug: btmon then reads a copy of the
/// capture without those requests (their responses stay), and everything else is checked.
@Suite struct BtmonReferenceTests {
    /// A quickstart capture of the offline simulator (`gaitway sim --btsnoop`): every
    /// notification and indication it recorded is listed, and the wristbands' Heart Rate
    /// Measurements carry the true beats (HRS §3.1.1: RR intervals in 1/1024 s).
    @Test func btmonListsEveryNotificationOfAnOfflineCaptureWithTheTrueHeartBeats() throws {
        guard let btmon = Btmon.forTest() else { return }
        let offline = OfflineCaptureTests()
        let run = try offline.simulate(scenario: "quickstart", duration: 20)
        defer { try? FileManager.default.removeItem(at: run.folder) }
        let listing = try btmon.list(run.capture)

        #expect(listing.notifications.count == run.notifications, "btmon lists every notification and indication")
        #expect(listing.notifications.contains { $0.indication }, "the Temperature Measurement indications too")
        var wristbands = 0
        for device in run.simulation.devices {
            guard let measurement = device.database.characteristic(.heartRateMeasurement)?.value else { continue }
            wristbands += 1
            let values = listing.notifications.filter {
                listing.connections[$0.connection] == device.address && $0.attribute == measurement.rawValue
            }
            let decoded = try values.map { try #require(HeartRateMeasurement($0.value), "\(device.address): \($0.value)") }
            let beats: [Double] = run.truth.compactMap {
                if case .beat(let band, _, let rr, _) = $0, band == device.address { rr } else { nil }
            }
            #expect(decoded.count >= 15, "\(device.address): \(decoded.count) Heart Rate Measurements in 20 s")
            try offline.checkAgainstTruth(reported: decoded.map(\.rrIntervals), rates: decoded.map(\.rate), beats: beats)
        }
        #expect(wristbands == 2)
    }

    /// The gateway's host stack (BLEHost's central, its GATT client and the capture writer
    /// `gaitway gateway --btsnoop` uses) against quickstart's virtual controller: btmon
    /// reads its capture and lists the notifications the host received, byte for byte.
    @Test func btmonReadsTheGatewaysCapture() throws {
        guard let btmon = Btmon.forTest() else { return }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gaitway-gateway-\(UUID().uuidString).btsnoop")
        defer { try? FileManager.default.removeItem(at: path) }
        let capture = try HCICaptureFile(path: path.path)
        let (simulation, host, recorder) = try CentralHostSimulatorTests().run("quickstart", seconds: 10, capture: capture)
        capture.close()
        #expect(capture.droppedRecords == 0)
        let listing = try btmon.list(path)

        #expect(listing.notifications.filter { !$0.indication }.count == host.statistics.notifications)
        #expect(listing.notifications.filter(\.indication).count == host.statistics.indications)
        for device in simulation.devices {
            guard let measurement = device.database.characteristic(.heartRateMeasurement)?.value else { continue }
            let listed = listing.notifications.filter {
                listing.connections[$0.connection] == device.address && $0.attribute == measurement.rawValue
            }.map(\.value)
            let received = recorder.values.filter { $0.address == device.address && $0.uuid == .heartRateMeasurement }.map(\.bytes)
            #expect(received.count >= 5, "\(device.address): \(received.count) Heart Rate Measurements in 10 s")
            #expect(listed == received, "\(device.address): btmon lists the Heart Rate Measurements the host received")
        }
    }
}

/// A Heart Rate Measurement as HRS v1.0 §3.1.1 lays it out: flags, an 8- or 16-bit rate,
/// Energy Expended when flag bit 3 is set, then RR intervals in 1/1024 s when bit 4 is.
struct HeartRateMeasurement {
    var rate: Int
    var rrIntervals: [Double]

    init?(_ bytes: [UInt8]) {
        guard let flags = bytes.first else { return nil }
        var index = 1
        func u16() -> Int? {
            guard index + 1 < bytes.count else { return nil }
            defer { index += 2 }
            return Int(bytes[index]) | Int(bytes[index + 1]) << 8
        }
        if flags & 0x01 == 0 {
            guard bytes.count > 1 else { return nil }
            rate = Int(bytes[1])
            index = 2
        } else {
            guard let wide = u16() else { return nil }
            rate = wide
        }
        if flags & 0x08 != 0, u16() == nil { return nil }
        rrIntervals = []
        if flags & 0x10 != 0 {
            while index < bytes.count {
                guard let rr = u16() else { return nil }
                rrIntervals.append(Double(rr) / 1024)
            }
        }
    }
}

/// btmon, and what it lists of a capture.
struct Btmon {
    let path: String
    let version: String

    struct Notification {
        /// ACL connection handle.
        var connection: Int
        /// Attribute handle.
        var attribute: UInt16
        var value: [UInt8]
        var indication: Bool
    }

    struct Listing {
        var notifications: [Notification] = []
        /// Connection handle -> peer address, from the LE Connection Complete events.
        var connections: [Int: BDAddress] = [:]
    }

    /// btmon, or nil after saying that the test is skipped (a failure when
    /// GAITWAY_REQUIRE_REFERENCES=1).
    static func forTest() -> Btmon? {
        if let btmon = installed() { return btmon }
        Reference.missing("btmon missing: run tools/bootstrap.sh (Debian package bluez)")
        return nil
    }

    static func installed() -> Btmon? {
        guard let path = Reference.btmon,
            let version = try? run(path, ["--version"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        else { return nil }
        return Btmon(path: path, version: version)
    }

    /// Reads `capture` with `btmon -T -r` and parses its listing. Fails the test unless
    /// btmon exits with status 0 (see the suite's note on BlueZ 5.66).
    func list(_ capture: URL) throws -> Listing {
        var reading = try read(capture)
        if version == "5.66", reading.crashed,
           reading.output.split(separator: "\n").last?.contains("Attribute type: Characteristic (0x2803)") == true {
            let copy = capture.deletingPathExtension().appendingPathExtension("btmon-5.66.btsnoop")
            defer { try? FileManager.default.removeItem(at: copy) }
            try Data(Self.withoutCharacteristicDiscoveryRequests(Array(try Data(contentsOf: capture)))).write(to: copy)
            reading = try read(copy)
        }
        try #require(!reading.crashed && reading.status == 0,
                     "btmon \(version) -r \(capture.lastPathComponent): \(reading.crashed ? "killed by signal" : "exit") \(reading.status); last lines:\n\(reading.output.split(separator: "\n").suffix(8).joined(separator: "\n"))")
        return Self.parse(reading.output)
    }

    struct Reading {
        var output: String
        var status: Int32
        var crashed: Bool
    }

    /// Unbuffered through coreutils' stdbuf where it is, so that a crash still shows the
    /// last record btmon printed.
    func read(_ capture: URL) throws -> Reading {
        let stdbuf = "/usr/bin/stdbuf"
        if FileManager.default.isExecutableFile(atPath: stdbuf) {
            return try Self.run(stdbuf, ["-o0", path, "-T", "-r", capture.path])
        }
        return try Self.run(path, ["-T", "-r", capture.path])
    }

    static func run(_ program: String, _ arguments: [String]) throws -> Reading {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Reading(output: String(decoding: output, as: UTF8.self), status: process.terminationStatus,
                       crashed: process.terminationReason == .uncaughtSignal)
    }

    /// The capture's records less the ATT Read By Type requests for «Characteristic»
    /// (btsnoop: a 16-octet header, then records of a 24-octet header and the packet; on
    /// datalink 1002 the packet starts with its H4 indicator, 0x02 for ACL data).
    static func withoutCharacteristicDiscoveryRequests(_ file: [UInt8]) -> [UInt8] {
        var output = Array(file.prefix(16))
        var offset = 16
        while offset + 24 <= file.count {
            let included = file[(offset + 4)..<(offset + 8)].reduce(0) { $0 << 8 | Int($1) }
            let end = min(file.count, offset + 24 + included)
            let packet = Array(file[(offset + 24)..<end])
            // H4 0x02, ACL header (4), L2CAP header (4, channel 0x0004), opcode 0x08, range (4), type 0x2803.
            let isRequest = packet.count == 16 && packet[0] == 0x02 && packet[7] == 0x04 && packet[8] == 0x00
                && packet[9] == ATTOpcode.readByTypeRequest.rawValue && packet[14] == 0x03 && packet[15] == 0x28
            if !isRequest { output += file[offset..<end] }
            offset = end
        }
        return output
    }

    /// btmon's records start in the first column ("> ACL Data RX: Handle 64 ..."); their
    /// fields follow, indented.
    static func parse(_ text: String) -> Listing {
        var listing = Listing()
        var records: [[Substring]] = []
        for line in text.split(separator: "\n") {
            if let first = line.first, "<>@=".contains(first) { records.append([line]) } else if !records.isEmpty { records[records.count - 1].append(line) }
        }
        func field(_ name: String, in record: [Substring]) -> Substring? {
            for line in record {
                let trimmed = line.drop { $0 == " " }
                if trimmed.hasPrefix(name) { return trimmed.dropFirst(name.count) }
            }
            return nil
        }
        for record in records {
            if record.contains(where: { $0.contains("Connection Complete (0x") }), field("Status: ", in: record)?.hasPrefix("Success") == true,
               let handle = field("Handle: ", in: record).flatMap({ Int($0.prefix { $0.isNumber }) }),
               let peer = field("Peer address: ", in: record).flatMap({ BDAddress($0.prefix(17)) }) {
                listing.connections[handle] = peer
            }
            let indication = record.contains { $0.contains("ATT: Handle Value Indication (0x1d)") }
            guard indication || record.contains(where: { $0.contains("ATT: Handle Value Notification (0x1b)") }),
                  let header = record.first, let range = header.range(of: "Handle "),
                  let connection = Int(header[range.upperBound...].prefix { $0.isNumber }),
                  let attribute = field("Handle: 0x", in: record).flatMap({ UInt16($0.prefix(4), radix: 16) })
            else { continue }
            // "Data: 0102" in 5.66, "Data[2]: 0102" where btmon knows the value's length.
            let hex = record.lazy.map { $0.drop { $0 == " " } }.first { $0.hasPrefix("Data") }
                .map { $0.drop { $0 != ":" }.dropFirst().filter { $0 != " " } } ?? ""
            let value = stride(from: 0, to: hex.count - 1, by: 2).compactMap { offset -> UInt8? in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)
            }
            listing.notifications.append(Notification(connection: connection, attribute: attribute, value: value, indication: indication))
        }
        return listing
    }
}
