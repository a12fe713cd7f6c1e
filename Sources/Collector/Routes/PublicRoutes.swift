import Foundation
import Hummingbird

/// Routes that need no token: liveness for load balancers and the API's own description
/// (schemathesis and client generators read it before they have a token).
struct PublicRoutes: Sendable {
    let storage: any CollectorStorage

    /// The OpenAPI 3.1 document, read once from the module's resources.
    static let openAPIDocument: String? = Bundle.module.url(forResource: "openapi", withExtension: "yaml")
        .flatMap { try? String(contentsOf: $0, encoding: .utf8) }

    struct Health: ResponseEncodable {
        var status: String
    }

    func register(on router: Router<CollectorRequestContext>) {
        router.get("healthz") { _, _ -> Health in
            try await storage.check()
            return Health(status: "ok")
        }
        router.get("openapi.yaml") { _, _ -> Response in
            guard let document = Self.openAPIDocument else {
                throw HTTPError(.internalServerError, message: "openapi.yaml missing from the collector's resources")
            }
            return Response(status: .ok, headers: [.contentType: "application/yaml"],
                            body: .init(byteBuffer: ByteBuffer(string: document)))
        }
    }
}
