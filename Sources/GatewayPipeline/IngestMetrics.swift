import BLEHost
import Metrics

/// The ingest and host counters as swift-metrics counters (`gaitway_*_total`), for whatever
/// metrics backend the process bootstraps (none by default: then they cost nothing).
///
/// Updated from the statistics' differences once a second on the BLE thread, never per
/// packet, so the hot path pays nothing for them.
public final class IngestMetrics {
    let values = Counter(label: "gaitway_values_total")
    let advertisements = Counter(label: "gaitway_advertisements_total")
    let samples = Counter(label: "gaitway_samples_total")
    let malformed = Counter(label: "gaitway_malformed_payloads_total")
    let shed = Counter(label: "gaitway_shed_payloads_total")
    let quarantined = Counter(label: "gaitway_quarantined_devices_total")
    let connections = Counter(label: "gaitway_connections_total")
    let disconnections = Counter(label: "gaitway_disconnections_total")
    let attTimeouts = Counter(label: "gaitway_att_timeouts_total")
    var last = GatewayStatistics()
    var lastHost: CentralHostStatistics?
    var lastUpdate = -Double.infinity

    public init() {}

    /// Adds what changed since the last call, at most once a second of `now`.
    public func update(_ statistics: GatewayStatistics, host: CentralHostStatistics, now: Double) {
        guard now - lastUpdate >= 1 else { return }
        lastUpdate = now
        values.increment(by: statistics.values - last.values)
        advertisements.increment(by: statistics.advertisements - last.advertisements)
        samples.increment(by: statistics.samples - last.samples)
        malformed.increment(by: statistics.malformedPayloads - last.malformedPayloads)
        shed.increment(by: statistics.shedPayloads - last.shedPayloads)
        quarantined.increment(by: statistics.quarantinedDevices - last.quarantinedDevices)
        // A new host (a reopened controller) starts its counters from zero.
        let previous = lastHost.flatMap { $0.connections <= host.connections ? $0 : nil }
        connections.increment(by: host.connections - (previous?.connections ?? 0))
        disconnections.increment(by: host.disconnections - (previous?.disconnections ?? 0))
        attTimeouts.increment(by: host.attTimeouts - (previous?.attTimeouts ?? 0))
        last = statistics
        lastHost = host
    }
}
