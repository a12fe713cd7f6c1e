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

/// The gateway's settings: flags over the --config file over defaults.
struct GatewaySettings {
    var hci = "sim:quickstart"
    var db = "gaitway.db"
    var allow: [String] = []
    var maxConnections: Int?
    var duration: Double?
    var commitInterval = 1.0

    /// Services that make a device worth connecting to: the standard ones our Protocols
    /// specs cover and our own devices' (the gateway reads nothing else).
    static let wantedServices: Set<BluetoothUUID> = [
        .heartRateService, .runningSpeedAndCadenceService, .pulseOximeterService, .healthThermometerService,
        .gaitwayInsoleService, .gaitwayWristbandService,
    ]

    init(command: GatewayCommand) throws {
        if let path = command.config { try read(path) }
        if let hci = command.hci { self.hci = hci }
        if let db = command.db { self.db = db }
        if !command.allow.isEmpty { allow = command.allow }
        if let value = command.maxConnections { maxConnections = value }
        if let value = command.duration { duration = value }
        if let value = command.commitInterval { commitInterval = value }
    }

    mutating func read(_ path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CleanExit.failure("cannot read config \(path): \(error.localizedDescription)")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw CleanExit.failure("\(path): \(error)") }
        guard let mapping = node?.mapping else { throw CleanExit.failure("\(path): expected a mapping of settings") }
        for (key, value) in mapping {
            let name = key.string ?? ""
            func fail(_ expected: String) -> Error {
                CleanExit.failure("\(path):\(value.mark?.line ?? 0): '\(name)' must be \(expected)")
            }
            switch name {
            case "hci": hci = try value.string ?? { throw fail("a transport like tcp-client:127.0.0.1:9001") }()
            case "db": db = try value.string ?? { throw fail("a file path") }()
            case "allow":
                if let list = value.sequence { allow = list.compactMap(\.string) } else if let one = value.string { allow = [one] }
                else { throw fail("a list of addresses, UUIDs or names") }
            case "max-connections": maxConnections = try value.int.flatMap { $0 > 0 ? $0 : nil } ?? { throw fail("a positive integer") }()
            case "duration": duration = try value.float.flatMap { $0 > 0 ? $0 : nil } ?? { throw fail("positive seconds") }()
            case "commit-interval": commitInterval = try value.float.flatMap { $0 > 0 ? $0 : nil } ?? { throw fail("positive seconds") }()
            default:
                throw CleanExit.failure("\(path):\(key.mark?.line ?? 0): unknown setting '\(name)' "
                    + "(known: hci, db, allow, max-connections, duration, commit-interval)")
            }
        }
    }

    /// A random static address for the gateway (Vol 6, Part B, §1.3.2.1: the two most
    /// significant bits 0b11), new each run. Bumble's virtual link routes by random address.
    static func randomStaticAddress() -> BDAddress {
        BDAddress(rawValue: UInt64.random(in: 1..<(1 << 46)) | 0xC000_0000_0000)
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
