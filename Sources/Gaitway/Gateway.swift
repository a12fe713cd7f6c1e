import ArgumentParser
import BLEHost
import BLEWire
import DeviceSim
import Foundation
import GatewayPipeline
import GatewayStore
import Glibc
import Yams

/// `gaitway gateway`: the central that ingests shoes and bands into SQLite.
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Connect to smart shoes and wristbands and store what they send in SQLite.",
        discussion: """
            The gateway scans, connects to every device that advertises a service it has a \
            Protocols spec for (or to the --allow list), subscribes to their characteristics, \
            reads Device Information and Battery once, and listens to the advertisements of \
            devices it is not connected to (BTHome, Gaitway adverts). Raw payloads and decoded \
            samples are committed every --commit-interval seconds (the most a crash can lose).

            It runs until SIGINT / SIGTERM or --duration, then commits and exits 0. On a \
            terminal it shows a live table of devices; otherwise it writes JSON log lines to \
            standard error (without measurement values).

            --hci takes the transports of `gaitway sim`: sim[:SCENARIO] (in-process \
            simulator, the default), tcp-client:HOST:PORT, unix:PATH, tcp-server:HOST:PORT, \
            unix-server:PATH, serial:DEVICE[,BAUD][,rtscts], hci-socket:N, bluez:hciN, and \
            btsnoop:FILE (replays a capture into the database as fast as it decodes).

            Examples:
              gaitway gateway --duration 30
              gaitway gateway --hci tcp-client:127.0.0.1:9001 --db /var/lib/gaitway/gateway.db
              gaitway gateway --hci hci-socket:0 --allow 180D --allow "Gaitway Insole*"
            """
    )

    @Option(help: "The controller (see below). Default: sim:quickstart.")
    var hci: String?

    @Option(help: "SQLite database file (created 0600 if missing). Default: gaitway.db.")
    var db: String?

    @Option(name: .customLong("allow"), help: ArgumentHelp(
        "Connect only to devices matching: an address (AA:BB:CC:DD:EE:FF), a service UUID (180D), or a name pattern (* and ?). Repeatable.",
        valueName: "ADDR|UUID|NAME"))
    var allow: [String] = []

    @Option(help: "At most this many connections (default: as many as the controller takes).")
    var maxConnections: Int?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Seconds between commits (default 1).")
    var commitInterval: Double?

    @Option(help: ArgumentHelp("YAML file with any of: hci, db, allow (list), max-connections, duration, commit-interval. Flags win.",
                               valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("Record the HCI traffic as a btsnoop capture (replay it with --hci btsnoop:FILE).",
                               valueName: "FILE"))
    var btsnoop: String?

    @Flag(help: "Scan passively (no scan requests: names that only scan responses carry stay unknown).")
    var passive = false

    @Flag(help: "Write JSON log lines even on a terminal (no live table).")
    var noStatus = false

    @OptionGroup var protocols: ProtocolOptions

    func validate() throws {
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        if let commitInterval, !(commitInterval > 0) { throw ValidationError("--commit-interval must be positive") }
    }

    func run() throws {
        let settings = try GatewaySettings(command: self)
        let catalog = try protocols.loadCatalog()
        let spec: TransportSpec
        do { spec = try TransportSpec(parsing: settings.hci) } catch { throw CleanExit.failure("\(error)") }
        let store: GatewayStore
        do { store = try GatewayStore(path: settings.db) } catch { throw CleanExit.failure("\(error)") }

        let ingest = GatewayIngest(catalog: catalog, store: store, commitInterval: settings.commitInterval)
        let terminal = isatty(STDERR_FILENO) != 0 && !noStatus
        let display = StatusDisplay(enabled: terminal)
        ingest.log = { level, message in display.log(level, message) }
        let configuration = CentralConfiguration(
            allow: settings.allow.map(DeviceFilter.init(parsing:)),
            wantedServices: GatewaySettings.wantedServices, maxConnections: settings.maxConnections,
            activeScan: !passive, ownRandomAddress: GatewaySettings.randomStaticAddress())
        StopSignal.install()
        display.log(.info, "gateway on \(spec), storing in \(settings.db)")
        if case .btsnoop(let path) = spec {
            // A capture replays as fast as it decodes, each value at its recorded time.
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw CleanExit.failure("cannot read capture \(path)")
            }
            do { try CaptureReplay(ingest: ingest).replay(capture: Array(bytes)) } catch {
                throw CleanExit.failure("\(path): \(error)")
            }
        } else {
            let runner = GatewayRunner(ingest: ingest, configuration: configuration) {
                try GatewayController.open(spec, catalog: catalog)
            }
            if let btsnoop {
                do { runner.capture = try HCICaptureFile(path: btsnoop) } catch { throw CleanExit.failure("\(error)") }
            }
            runner.onTick = { host, now in display.refresh(host: host, ingest: ingest, now: now) }
            do {
                try runner.run(duration: settings.duration) { StopSignal.requested }
            } catch {
                throw CleanExit.failure("\(error)")
            }
        }
        display.finish()
        let counts = try? store.counts()
        try? store.close()
        let statistics = ingest.statistics
        FileHandle.standardError.write(Data("""
            gateway stopped: \(ingest.devices.count) devices heard, \(statistics.values) values and \
            \(statistics.advertisements) advertisements received, \(statistics.committedSamples) samples committed \
            (\(counts.map { "\($0.samples) in \(settings.db)" } ?? settings.db)), \(statistics.malformedPayloads) malformed.
            Query: gaitway query --db \(settings.db) --quantity heart_rate\n
            """.utf8))
    }
}

/// SIGINT and SIGTERM ask the gateway to stop; it commits and exits 0.
enum StopSignal {
    nonisolated(unsafe) static var flag: sig_atomic_t = 0

    static var requested: Bool { flag != 0 }

    static func install() {
        signal(SIGINT) { _ in StopSignal.flag = 1 }
        signal(SIGTERM) { _ in StopSignal.flag = 1 }
    }
}
