import Collector
import Foundation
import GaitwayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import UploadFormat

/// The collector checked by tools nobody here wrote: schemathesis drives the live server from
/// its own /openapi.yaml, and fhir.resources validates its FHIR bundles (tools/requirements-collector.txt).
/// Without the venv's tools each test passes with a message, unless GAITWAY_REQUIRE_REFERENCES=1.
@Suite(.serialized) struct ReferenceTests {
    static var schemathesis: String { Reference.path(".venv/bin/schemathesis") }

    static func hasModule(_ module: String) -> Bool {
        guard Reference.executable(Reference.python) else { return false }
        return (try? Reference.executeBlocking(Reference.python, ["-c", "import \(module)"]).status) == 0
    }

    /// A day of data: heart rate at 1 Hz for 3 minutes, an insole's 8 force cells at 10 Hz for
    /// 10 s, SpO2, events and metric records of a wearer and a device.
    static func dayBatch() throws -> UploadBatch {
        var batch = try Harness.heartRateBatch(id: "reference-day", count: 180)
        let start: Int64 = 1_764_000_000_000_000
        for step in 0..<100 {
            for cell in 0..<8 {
                batch.appendSample(address: "C0:11:22:33:44:77", quantity: "plantar_force", unit: "N", channel: Int32(cell),
                                   timeMicros: start + Int64(step) * 100_000, value: Double(cell * 10 + step % 7) + 0.5)
            }
        }
        batch.appendSample(address: "C0:11:22:33:44:55", quantity: "spo2", unit: "%", channel: -1,
                           timeMicros: start + 5_000_000, value: 97)
        batch.appendMetricRecord(subjectKind: .device, subject: "C0:11:22:33:44:77", metric: "stride_time", unit: "s",
                                 timeMicros: start + 1_000_000, endMicros: nil, value: 1.08, quality: 0.95)
        return batch
    }

    @Test(arguments: Harness.Backend.allCases)
    func schemathesisFindsNoServerErrorAndConformingResponses(backend: Harness.Backend) async throws {
        guard Reference.executable(Self.schemathesis) else {
            Reference.missing("schemathesis not in .venv (tools/requirements-collector.txt; tools/bootstrap.sh)")
            return
        }
        try await Harness.withStorage(backend) { storage in
            let app = try buildApplication(CollectorConfiguration(host: "127.0.0.1", port: 0, storage: storage,
                                                                  tokens: Harness.tokens))
            try await app.test(.live) { client in
                try await client.execute(uri: "/v1/ingest", method: .post, headers: Harness.gzipHeaders(Harness.gatewayA),
                                         body: Harness.body(Self.dayBatch())) { response in
                    #expect(response.status == .ok)
                }
                let port = try #require(client.port)
                let base = "http://127.0.0.1:\(port)"
                // Reader routes with a reader token, then ingest with a gateway token (random bodies:
                // every one must be a 400, never a 5xx). A fixed seed and example budget keep the
                // run repeatable and within a minute here.
                for (token, path) in [(Harness.readerA, "^/v1/(devices|samples|events|metrics|fhir/Observation)$"),
                                      (Harness.gatewayA, "^/v1/ingest$"), (Harness.readerA, "^/(healthz|openapi.yaml|metrics)$")] {
                    let result = try await Reference.execute(Self.schemathesis, [
                        "run", "\(base)/openapi.yaml", "--url", base, "-H", "Authorization: Bearer \(token)",
                        "--include-path-regex", path, "--checks", "all",
                        "--exclude-checks", "unsupported_method,positive_data_acceptance",
                        "--max-examples", "40", "--seed", "13", "--generation-deterministic", "--no-color",
                    ])
                    #expect(result.status == 0, "schemathesis on \(path):\n\(result.outputText.suffix(6000))\n\(result.errorText.suffix(2000))")
                }
            }
        }
    }

    @Test(arguments: Harness.Backend.allCases)
    func fhirBundlesAreValidR4(backend: Harness.Backend) async throws {
        guard Self.hasModule("fhir.resources") else {
            Reference.missing("fhir.resources not in .venv (tools/requirements-collector.txt; tools/bootstrap.sh)")
            return
        }
        try await Harness.test(backend) { client in
            try await client.execute(uri: "/v1/ingest", method: .post, headers: Harness.gzipHeaders(Harness.gatewayA),
                                     body: Harness.body(Self.dayBatch())) { response in
                #expect(response.status == .ok)
            }
            let searches: [(String, (observations: Int, sampled: Int, codes: Set<String>))] = [
                // Heart rate: 3 minutes at 1 Hz -> 3 SampledData.
                ("code=http://loinc.org|8867-4", (3, 3, ["http://loinc.org|8867-4"])),
                // 8 cells for 10 s within one minute -> 8 SampledData.
                ("code=plantar_force&subject=Device/C0-11-22-33-44-77", (8, 8, ["urn:gaitway:fhir:quantity|plantar_force"])),
                // The wearer's records: RMSSD (local) and SDNN (LOINC 80404-7), as valueQuantity.
                ("subject=Patient/runner", (2, 0, ["urn:gaitway:fhir:metric|rmssd", "http://loinc.org|80404-7"])),
                // One SpO2 sample: a valueQuantity in %.
                ("code=59408-5&date=ge2025-11-24&date=lt2025-11-25", (1, 0, ["http://loinc.org|59408-5"])),
                ("code=59408-5&date=2025-11-23", (0, 0, [])),
            ]
            for (query, expected) in searches {
                let body = try await client.execute(uri: "/v1/fhir/Observation?\(query)", method: .get,
                                                    headers: Harness.headers(Harness.readerA)) { response in
                    #expect(response.status == .ok, "\(query)")
                    #expect(response.headers[.contentType] == "application/fhir+json")
                    return Data(response.body.readableBytesView)
                }
                let result = try await Reference.execute(Reference.python, [Reference.path("tools/fhir_validate.py")],
                                                           input: body)
                #expect(result.status == 0, "\(query): \(result.errorText)\n\(String(decoding: body.prefix(3000), as: UTF8.self))")
                guard result.status == 0 else { continue }
                let summary = try #require(try JSONSerialization.jsonObject(with: result.output) as? [String: Any])
                #expect(summary["observations"] as? Int == expected.observations, "\(query)")
                #expect(summary["sampled"] as? Int == expected.sampled, "\(query)")
                #expect(Set(summary["codes"] as? [String] ?? []) == expected.codes, "\(query)")
            }
        }
    }
}
