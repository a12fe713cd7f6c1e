import Logging
import NIOCore
import Prometheus

/// Everything ``buildApplication(_:)`` needs: the executable fills it from its command line,
/// the tests in memory.
public struct CollectorConfiguration: Sendable {
    /// Address to listen on; port 0 picks a free one (``onServerRunning`` tells which).
    public var host: String
    public var port: Int
    public var storage: any CollectorStorage
    public var tokens: TokenRegistry
    /// PEM certificate chain and private key files: HTTPS when both are set.
    public var tls: TLSFiles?
    public var logger: Logger
    /// What `GET /metrics` serves (Prometheus text format). The collector's own counters are
    /// made in it; the executable also bootstraps swift-metrics with it, so that Hummingbird's
    /// request metrics land there too.
    public var registry: PrometheusCollectorRegistry
    /// Called with the listening channel once the server accepts connections.
    public var onServerRunning: @Sendable (any Channel) async -> Void

    public struct TLSFiles: Sendable {
        public var certificateChain: String
        public var privateKey: String

        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    /// Largest request body taken, compressed, in bytes: 64 MiB, a few million samples deflated.
    public static let maximumBodyBytes = 64 << 20
    /// Largest body after inflating: 256 MiB, twice a full batch of 4 Mi samples of 32 bytes
    /// (``UploadBatch/maximumRowCount``), so a decompression bomb stops there.
    public static let maximumInflatedBytes = 256 << 20

    public init(host: String = "127.0.0.1", port: Int = 8080, storage: any CollectorStorage, tokens: TokenRegistry,
                tls: TLSFiles? = nil, logger: Logger = Logger(label: "gaitway.collector"),
                registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.storage = storage
        self.tokens = tokens
        self.tls = tls
        self.logger = logger
        self.registry = registry
        self.onServerRunning = onServerRunning
    }
}
