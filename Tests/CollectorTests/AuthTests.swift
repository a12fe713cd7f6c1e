import Collector
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct AuthTests {
    @Test(arguments: Harness.Backend.allCases, ["/v1/devices", "/v1/samples", "/v1/events", "/v1/metrics", "/v1/fhir/Observation"])
    func readerRoutesNeedAReaderToken(backend: Harness.Backend, path: String) async throws {
        try await Harness.test(backend) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            try await client.execute(uri: path, method: .get, headers: Harness.headers("not-a-token")) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: path, method: .get, headers: Harness.headers(Harness.gatewayA)) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: path, method: .get, headers: Harness.headers(Harness.readerA)) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test(arguments: Harness.Backend.allCases)
    func ingestNeedsAGatewayToken(backend: Harness.Backend) async throws {
        let body = try Harness.body(Harness.heartRateBatch(id: "auth-1", count: 3))
        try await Harness.test(backend) { client in
            try await client.execute(uri: "/v1/ingest", method: .post, body: body) { response in
                #expect(response.status == .unauthorized)
            }
            var basic = Harness.gzipHeaders(Harness.gatewayA)
            basic[.authorization] = "Basic dXNlcjpwYXNz"
            try await client.execute(uri: "/v1/ingest", method: .post, headers: basic, body: body) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/ingest", method: .post, headers: Harness.gzipHeaders(Harness.readerA),
                                     body: body) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/v1/ingest", method: .post, headers: Harness.gzipHeaders(Harness.gatewayA),
                                     body: body) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test(arguments: Harness.Backend.allCases)
    func publicRoutesNeedNoToken(backend: Harness.Backend) async throws {
        try await Harness.test(backend) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix("openapi: 3.1"))
            }
        }
    }

    /// A reader of tenant B sees nothing that tenant A's gateway uploaded, on every route.
    @Test(arguments: Harness.Backend.allCases)
    func tenantsAreIsolated(backend: Harness.Backend) async throws {
        try await Harness.test(backend) { client in
            try await client.execute(uri: "/v1/ingest", method: .post, headers: Harness.gzipHeaders(Harness.gatewayA),
                                     body: Harness.body(Harness.heartRateBatch(id: "iso-1", count: 10))) { response in
                #expect(response.status == .ok)
            }
            for (token, expected) in [(Harness.readerA, 1), (Harness.readerB, 0)] {
                try await client.execute(uri: "/v1/devices", method: .get, headers: Harness.headers(token)) { response in
                    let json = try Harness.json(response.body)
                    #expect((json["devices"] as? [Any])?.count == expected)
                }
                try await client.execute(uri: "/v1/samples", method: .get, headers: Harness.headers(token)) { response in
                    let json = try Harness.json(response.body)
                    #expect((json["samples"] as? [Any])?.count == expected * 10)
                }
                try await client.execute(uri: "/v1/events", method: .get, headers: Harness.headers(token)) { response in
                    let json = try Harness.json(response.body)
                    #expect((json["events"] as? [Any])?.count == expected)
                }
                try await client.execute(uri: "/v1/metrics", method: .get, headers: Harness.headers(token)) { response in
                    let json = try Harness.json(response.body)
                    #expect((json["records"] as? [Any])?.count == expected * 2)
                }
                try await client.execute(uri: "/v1/fhir/Observation", method: .get, headers: Harness.headers(token)) { response in
                    let json = try Harness.json(response.body)
                    #expect(((json["entry"] as? [Any])?.isEmpty ?? true) == (expected == 0))
                }
            }
            // The same batch id in tenant B is B's own batch, not a duplicate of A's.
            try await client.execute(uri: "/v1/ingest", method: .post, headers: Harness.gzipHeaders(Harness.gatewayB),
                                     body: Harness.body(Harness.heartRateBatch(id: "iso-1", count: 4))) { response in
                let json = try Harness.json(response.body)
                #expect(json["status"] as? String == "stored")
            }
        }
    }

    @Test func tokensFile() throws {
        let hash = TokenRegistry.digest("hashed-secret")
        let registry = try TokenRegistry(yaml: """
            tokens:
              - {token: plain-secret, tenant: a, role: gateway}
              - {token_hash: "\(hash.uppercased())", tenant: b, role: reader}
            """)
        #expect(registry.caller(presenting: "plain-secret") == Caller(tenant: "a", role: .gateway))
        #expect(registry.caller(presenting: "hashed-secret") == Caller(tenant: "b", role: .reader))
        #expect(registry.caller(presenting: "other") == nil)
        #expect(throws: TokensFileError.self) { try TokenRegistry(yaml: "tokens: [{token: x, tenant: a, role: admin}]") }
        #expect(throws: TokensFileError.self) { try TokenRegistry(yaml: "tokens: [{token: x, token_hash: ab, tenant: a, role: reader}]") }
        #expect(throws: TokensFileError.self) { try TokenRegistry(yaml: "tokens: [{token_hash: abc, tenant: a, role: reader}]") }
        #expect(throws: TokensFileError.self) { try TokenRegistry(yaml: "tokens: [{token: x, role: reader}]") }
        #expect(throws: TokensFileError.self) { try TokenRegistry(yaml: "nothing: here") }
    }

    /// The SHA-256 test vector of FIPS 180-2 appendix B.1 ("abc").
    @Test func digestIsSHA256() {
        #expect(TokenRegistry.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
