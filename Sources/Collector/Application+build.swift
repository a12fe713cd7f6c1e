import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL

/// The collector as a Hummingbird application: the one builder the `gaitway collector`
/// executable runs and the tests drive with `app.test(.router)` (Hummingbird's template).
///
/// Routes (the OpenAPI document, `Resources/openapi.yaml`, is the contract):
///
/// | route | token |
/// |---|---|
/// | `POST /v1/ingest` | gateway |
/// | `GET /v1/devices`, `/v1/samples`, `/v1/events`, `/v1/metrics`, `/v1/fhir/Observation` | reader |
/// | `GET /healthz`, `/openapi.yaml`, `/metrics` | none |
///
/// ## Storage
///
/// Every route goes through ``CollectorConfiguration/storage``, one of two backends that answer
/// every query alike (the same rows in the same order, the same cursors; the test suite runs on
/// both, and `BackendEquivalenceTests` compares them row for row):
///
/// - ``SQLiteCollectorStorage``: one file, one collector process, nothing else to run.
/// - ``PostgresCollectorStorage``: one PostgreSQL database shared by several collector processes
///   behind a load balancer. A batch is stored once per tenant whichever process receives it
///   (the unique key decides inside the ingest transaction), and the schema is created under an
///   advisory lock, so replicas may start together. Its ``PostgresCollectorStorage/client`` pool
///   must run as a service beside the application; ``PostgresEndpoint`` reads the libpq-style URL.
public func buildApplication(_ configuration: CollectorConfiguration) throws -> some ApplicationProtocol {
    let router = Router(context: CollectorRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: MetricsMiddleware())
    PublicRoutes(storage: configuration.storage, registry: configuration.registry).register(on: router)
    let gateway = router.group("v1/ingest")
        .add(middleware: BearerAuthentication(tokens: configuration.tokens, role: .gateway))
    IngestRoute(storage: configuration.storage, logger: configuration.logger, counters: .init(configuration.registry))
        .register(on: gateway)
    let reader = router.group("v1")
        .add(middleware: BearerAuthentication(tokens: configuration.tokens, role: .reader))
    ReaderRoutes(storage: configuration.storage).register(on: reader)
    FHIRRoutes(storage: configuration.storage).register(on: reader.group("fhir"))

    let server: HTTPServerBuilder
    if let tls = configuration.tls {
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChain).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)
        server = try .tls(.http1(), tlsConfiguration: .makeServerConfiguration(certificateChain: chain,
                                                                               privateKey: .privateKey(key)))
    } else {
        server = .http1()
    }
    return Application(
        router: router,
        server: server,
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                serverName: "gaitway-collector"),
        onServerRunning: configuration.onServerRunning,
        logger: configuration.logger
    )
}
