import Foundation
import Hummingbird
import Prometheus

/// Routes that need no token: liveness for load balancers, the API's own description
/// (schemathesis and client generators read it before they have a token) and the Prometheus
/// metrics (scrapers carry no token; the counts say nothing of any tenant's data).
struct PublicRoutes: Sendable {
    let storage: any CollectorStorage
    let registry: PrometheusCollectorRegistry

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
        router.get("metrics") { _, _ -> Response in
            // The Prometheus text exposition format, version 0.0.4.
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
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
