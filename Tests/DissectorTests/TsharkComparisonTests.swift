import BLEWire
import Dissector
import Foundation
import GaitwayTestSupport
import Testing

/// `gaitway decode` against tshark (Wireshark's dissectors) on captures of a Bumble Heart
/// Rate peripheral recorded through Bumble's two virtual controllers and its snooper
/// (tools/hr_capture.py): every flag combination of Heart Rate Measurement, 8/16-bit rate,
/// sensor contact, energy expended, 0-4 RR intervals.
@Suite struct TsharkComparisonTests {
    /// The checked-in capture against tshark's rendering of it (tools/tshark_hr.py), so the
    /// comparison holds even where tshark is not installed.
    @Test func sampleCaptureDecodesToWhatTsharkShows() throws {
        let capture = try Reference.fixture("bumble-heart-rate.btsnoop")
        let tshark = try Reference.jsonLines(String(contentsOf: try Reference.fixture("bumble-heart-rate.tshark.jsonl"),
                                                   encoding: .utf8))
        try compare(decoded: Reference.decode(capture), tshark: tshark)
        #expect(tshark.count == 69)
    }

    /// A capture made now, by Bumble, decoded now by tshark and by us; and both against what
    /// the Bumble peripheral says it sent.
    @Test func liveBumbleCaptureDecodesToWhatTsharkShows() async throws {
        guard Reference.executable(Reference.python), let tshark = Reference.tshark else {
            Reference.missing("Bumble venv (.venv) or tshark missing: run tools/bootstrap.sh")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gaitway-hr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = folder.appendingPathComponent("hr.btsnoop")
        let expectedFile = folder.appendingPathComponent("expected.jsonl")

        try await Reference.run(Reference.python, ["tools/hr_capture.py", capture.path, "--expected", expectedFile.path,
                                             "--timeout", "60"])
        let tsharkLines = try await Reference.jsonLines(Reference.run("/usr/bin/python3", ["tools/tshark_hr.py", capture.path]))
        _ = tshark
        let expected = try Reference.jsonLines(String(contentsOf: expectedFile, encoding: .utf8))
        let decoded = try Reference.decode(capture)

        try compare(decoded: decoded, tshark: tsharkLines)
        let heartRates = decoded.filter { $0.format == "heart-rate-measurement" }
        try #require(heartRates.count == expected.count)
        for (value, sent) in zip(heartRates, expected) {
            #expect(try Reference.object(value.fieldsJSON ?? "{}") == sent as NSDictionary)
        }
    }

    /// Same values, in the same order, at the same time, from the same device and handle.
    func compare(decoded: [DecodedValue], tshark: [[String: Any]]) throws {
        let heartRates = decoded.filter { $0.format == "heart-rate-measurement" }
        #expect(decoded.allSatisfy { $0.error == nil }, "no decode errors")
        try #require(heartRates.count == tshark.count, "as many heart-rate values as tshark shows")
        for (value, reference) in zip(heartRates, tshark) {
            #expect(CaptureTime.iso8601(microseconds: value.timeMicros) == reference["time"] as? String)
            #expect(value.frame == reference["frame"] as? Int)
            #expect(value.address?.description == reference["address"] as? String)
            #expect(value.handle.map { Int($0.rawValue) } == reference["handle"] as? Int)
            #expect(value.uuid?.description == reference["uuid"] as? String)
            #expect(value.source.rawValue == reference["source"] as? String)
            let fields = try Reference.object(try #require(value.fieldsJSON))
            #expect(fields == reference["fields"] as? NSDictionary, "frame \(value.frame)")
        }
    }
}
