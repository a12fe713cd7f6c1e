import Hummingbird
import Logging
import Metrics
import Prometheus

/// `GET /metrics` (Prometheus text format 0.0.4) of this process's swift-metrics: the
/// gateway's counters and gauges (`gaitway_*`: values, samples, evictions, the uplink's
/// backlog and lag) for a Prometheus server to scrape, `gaitway gateway --metrics-listen`.
enum MetricsEndpoint {
    /// Bootstraps swift-metrics into a new registry (once per process, before any metric is
    /// made) and returns the HTTP service that serves it.
    static func start(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port),
                                                                serverName: "gaitway-gateway"),
                           onServerRunning: { channel in
                               logger.info("metrics at http://\(host):\(channel.localAddress?.port ?? port)/metrics")
                           }, logger: logger)
    }
}
