import ArgumentParser
import Collector
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// `gaitway collector`: the HTTP service gateways upload to and health-service developers
/// query (issue 13).
struct CollectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collector",
        abstract: "Receive gateway uploads over HTTP(S) and answer queries (JSON, FHIR R4).",
        discussion: """
            Gateways POST upload batches to /v1/ingest with a gateway token; readers GET \
            /v1/devices, /v1/samples, /v1/events, /v1/metrics and /v1/fhir/Observation with a \
            reader token. Every token belongs to one tenant, and sees only that tenant's data. \
            /healthz, /openapi.yaml (the API's OpenAPI 3.1 document) and /metrics \
            (Prometheus) need no token.

            The tokens file (YAML), one entry per token, the secret in clear or as its SHA-256 \
            (printf %s TOKEN | sha256sum), so that the file need hold no secret:
              tokens:
                - {token: "gw-secret", tenant: clinic-a, role: gateway}
                - {token_hash: "<64 hex digits>", tenant: clinic-a, role: reader}

            Storage: a SQLite file (--db, the default collector.db) for one collector, or a \
            PostgreSQL database (--postgres URL) that several collectors share: each batch id is \
            stored once per tenant whichever collector receives it. The URL is libpq's: \
            postgres://USER:PASSWORD@HOST:PORT/DATABASE, PORT 5432 and DATABASE USER by default, \
            a percent-encoded password (%40 for @), and the parameters sslmode=disable|prefer|require \
            (default prefer; prefer and require verify the server's certificate against the system \
            trust store), connect_timeout=SECONDS (default 10) and host=/SOCKET/DIR (a Unix socket). \
            The schema is created or upgraded at start, over one connection, within \
            connect_timeout + 20 s; a bad URL, an unreachable server or a refused login stops the \
            collector with the reason. A password in the URL shows in the process list: on a \
            shared machine prefer host=/SOCKET/DIR with the server's peer authentication.

            SIGTERM or SIGINT stops it gracefully: requests under way finish first.

            Examples:
              gaitway collector --listen 127.0.0.1:8080 --db collector.db --tokens tokens.yaml
              gaitway collector --listen 0.0.0.0:8080 --tokens tokens.yaml \\
                --postgres 'postgres://collector:secret@db.internal/gaitway?sslmode=require'
              curl -H "Authorization: Bearer READER-TOKEN" http://127.0.0.1:8080/v1/devices
            """
    )

    @Option(help: ArgumentHelp("Address and port to listen on (port 0: any free port).", valueName: "HOST:PORT"))
    var listen: String = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("SQLite database file (created 0600 if missing; default collector.db).", valueName: "PATH"))
    var db: String?

    @Option(help: ArgumentHelp("PostgreSQL database instead of --db, shared by several collectors: "
                               + "postgres://USER:PASSWORD@HOST:PORT/DATABASE (see above).", valueName: "URL"))
    var postgres: String?

    @Option(help: ArgumentHelp("Tokens file (YAML).", valueName: "FILE"))
    var tokens: String

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("PEM certificate chain: serve HTTPS.", valueName: "FILE"))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "FILE"))
    var tlsKey: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    /// `HOST:PORT`, `[IPv6]:PORT`.
    static func endpoint(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        return (host, port)
    }

    func run() async throws {
        guard let (host, port) = Self.endpoint(listen) else { throw CleanExit.failure("--listen must be HOST:PORT") }
        guard let level = Logger.Level(rawValue: logLevel) else { throw CleanExit.failure("--log-level \(logLevel): unknown") }
        var tls: CollectorConfiguration.TLSFiles?
        switch (tlsCert, tlsKey) {
        case (let cert?, let key?): tls = .init(certificateChain: cert, privateKey: key)
        case (nil, nil): break
        default: throw CleanExit.failure("--tls-cert and --tls-key go together")
        }
        guard let text = try? String(contentsOfFile: tokens, encoding: .utf8) else {
            throw CleanExit.failure("--tokens \(tokens): cannot read it")
        }
        let tokenRegistry: TokenRegistry
        do { tokenRegistry = try TokenRegistry(yaml: text) } catch { throw CleanExit.failure("--tokens \(tokens): \(error)") }

        var logger = Logger(label: "gaitway.collector")
        logger.logLevel = level
        let storage: any CollectorStorage
        // The PostgreSQL pool is a service of its own: it starts before the HTTP server and
        // stops after it (a ServiceGroup stops its services in reverse order).
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let database: String
        switch (db, postgres) {
        case (_?, _?):
            throw CleanExit.failure("--db and --postgres: one storage only")
        case (nil, let url?):
            var postgresLogger = logger
            postgresLogger[metadataKey: "storage"] = "postgres"
            let postgresStorage: PostgresCollectorStorage
            do {
                postgresStorage = try PostgresCollectorStorage(url: url, logger: postgresLogger)
            } catch {
                throw CleanExit.failure("--postgres \(error)")
            }
            database = postgresStorage.endpoint.redacted
            do {
                try await postgresStorage.migrate(timeout: postgresStorage.endpoint.connectTimeout + .seconds(20))
            } catch {
                throw CleanExit.failure("--postgres: \(error)")
            }
            services.append(.init(service: postgresStorage.client))
            storage = postgresStorage
        case (let path, nil):
            database = path ?? "collector.db"
            do { storage = try SQLiteCollectorStorage(path: database) } catch {
                throw CleanExit.failure("--db \(database): \(error)")
            }
        }
        let log = logger
        // Hummingbird's request metrics and the collector's counters, served at /metrics.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let app: any Service
        do {
            app = try buildApplication(CollectorConfiguration(
                host: host, port: port, storage: storage, tokens: tokenRegistry, tls: tls, logger: logger, registry: registry,
                onServerRunning: { channel in
                    log.notice("collector listening on \(channel.localAddress.map { "\($0)" } ?? listen), database \(database), \(tokenRegistry.count) tokens")
                }))
        } catch {
            throw CleanExit.failure("cannot start: \(error)")
        }
        let group = ServiceGroup(configuration: .init(
            services: services + [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("collector stopped")
    }
}
