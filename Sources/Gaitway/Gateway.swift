import ArgumentParser
import BLEHost
import BLEWire
import DeviceSim
import Foundation
import GatewayPipeline
import GatewayStore
import Glibc
import Logging
import ProtocolSpecs
import ServiceLifecycle

/// `gaitway gateway`: the central that ingests shoes and bands into SQLite.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Connect to smart shoes and wristbands and store what they send in SQLite.",
        discussion: """
            The gateway scans, connects to every device that advertises a service it has a \
            Protocols spec for (or to the --allow list), subscribes to their characteristics, \
            reads Device Information and Battery once, and listens to the advertisements of \
            devices it is not connected to (BTHome, Gaitway adverts). Raw payloads and decoded \
            samples are committed every --commit-interval seconds: a crash (kill -9, power \
            loss) loses at most that interval. While it runs, the database's -wal and -shm \
            files belong to it; a clean stop folds them back into the database file.

            With --upload, an uplink sends every committed sample, device event and metric \
            record to a collector, in gzip batches that the collector stores once each; the \
            database keeps a delivery cursor, so uploading resumes where it stopped after a \
            restart, a kill -9 or a collector outage, and the quota (--max-db-size) evicts what \
            was delivered before what was not. A replay (--hci btsnoop:) with --upload uploads \
            what it stored before it exits.

            It runs until SIGINT / SIGTERM or --duration (also while no controller can be \
            opened: it retries with backoff and says so), then commits and exits 0. On a \
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
              gaitway gateway --upload https://collector.example/v1/ingest --token-file /etc/gaitway/token
            """
    )

    @Option(help: "The controller (see below). Default: sim:quickstart.")
    var hci: String?

    @Option(help: "SQLite database file (created 0600 if missing). Default: gaitway.db.")
    var db: String?

    @Option(name: .customLong("allow"), help: ArgumentHelp(
        "Connect only to devices matching: an address (AA:BB:CC:DD:EE:FF), a service UUID (180D), or a name pattern (* and ?; without them, a name prefix). Repeatable.",
        valueName: "ADDR|UUID|NAME"))
    var allow: [String] = []

    // Numbers are read as such (`parsing: .unconditional`, so --duration -5 is a number) and
    // range-checked by GatewaySettings with the config file's, so that all problems show at once.
    @Option(parsing: .unconditional, help: "At most this many connections, 1 to 3839 (default: as many as the controller takes).")
    var maxConnections: Int?

    @Option(parsing: .unconditional, help: "Stop after this many seconds (at most 315360000, ten years).")
    var duration: Double?

    @Option(parsing: .unconditional, help: "Seconds between commits, at most 3600 (default 1): the most a crash can lose.")
    var commitInterval: Double?

    @Option(help: ArgumentHelp(
        "Keep raw payloads this long (seconds, or 90m, 12h, 7d); decoded samples stay. Default: until --max-db-size needs the room.",
        valueName: "PERIOD"))
    var keepRaw: String?

    @Option(help: ArgumentHelp(
        "Database quota (500MB, 2GiB): above it the oldest raw payloads go first, then the oldest samples, device events last; each eviction logged.",
        valueName: "SIZE"))
    var maxDBSize: String?

    @Option(help: ArgumentHelp(
        "The wearers' time zone (IANA name: Europe/Berlin, America/New_York; default UTC): days end at its midnight, nights at its noon.",
        valueName: "NAME"))
    var timeZone: String?

    @Option(help: ArgumentHelp(
        "Upload what is committed to this collector ingest URL (http(s)://HOST:PORT/v1/ingest; see `gaitway collector`).",
        valueName: "URL"))
    var upload: String?

    @Option(help: ArgumentHelp("The collector's gateway token (visible to other users in ps: prefer --token-file).",
                               valueName: "TOKEN"))
    var token: String?

    @Option(help: ArgumentHelp("File holding the gateway token (its first line).", valueName: "FILE"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("PEM file of the CA certificates to trust for an https --upload (default: the system's).",
                               valueName: "FILE"))
    var uploadCA: String?

    @Option(help: ArgumentHelp("This gateway's name in its uploads (default: the host name).", valueName: "NAME"))
    var gatewayID: String?

    @Option(help: ArgumentHelp(
        "Serve Prometheus metrics at http://HOST:PORT/metrics (counters of values, samples, evictions; the upload's backlog and lag).",
        valueName: "HOST:PORT"))
    var metricsListen: String?

    @Option(help: ArgumentHelp("YAML file with any of: hci, db, allow (list), max-connections, duration, commit-interval, keep-raw, max-db-size, upload, token, token-file, upload-ca, gateway-id, wearers, time-zone. Flags win.",
                               valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("Record the HCI traffic as a btsnoop capture (replay it with --hci btsnoop:FILE; not with a replay).",
                               valueName: "FILE"))
    var btsnoop: String?

    @Option(help: "Log level: debug, info, notice, warning, error (default info; measurement values only at debug).")
    var logLevel: Logger.Level = .info

    @Flag(help: "Scan passively (no scan requests: names that only scan responses carry stay unknown).")
    var passive = false

    @Flag(help: "Write JSON log lines even on a terminal (no live table).")
    var noStatus = false

    @OptionGroup var protocols: ProtocolOptions

    func run() async throws {
        // Everything that can be checked is, before anything is opened or created: a start
        // that fails on its arguments leaves no database or capture file behind.
        let settings = try GatewaySettings(command: self)
        let catalog = try protocols.loadCatalog()
        let spec: TransportSpec
        do { spec = try TransportSpec(parsing: settings.hci) } catch { throw CleanExit.failure("--hci: \(error)") }
        var capture: HCICaptureFile?
        if let btsnoop {
            do { capture = try HCICaptureFile(path: btsnoop) } catch { throw CleanExit.failure("--btsnoop \(btsnoop): \(error)") }
        }

        var metricsEndpoint: (host: String, port: Int)?
        if let metricsListen {
            guard let endpoint = CollectorCommand.endpoint(metricsListen) else {
                throw CleanExit.failure("--metrics-listen \(metricsListen): must be HOST:PORT, like 127.0.0.1:9464")
            }
            metricsEndpoint = endpoint
        }
        let display = SharedDisplay(enabled: isatty(STDERR_FILENO) != 0 && !noStatus)
        GatewayLogging.bootstrap(display: display, level: logLevel)
        let logger = Logger(label: "gaitway.gateway")

        let databaseExisted = FileManager.default.fileExists(atPath: settings.db)
        let store: GatewayStore
        do { store = try GatewayStore(path: settings.db, options: .init(maximumSizeBytes: settings.maxDBSize)) } catch {
            if let btsnoop {
                capture?.close()
                try? FileManager.default.removeItem(atPath: btsnoop)
            }
            throw CleanExit.failure("\(error)")
        }
        logger.info("gateway on \(spec), storing in \(settings.db)")
        // Before any service makes its metrics: they bind to the backend of the moment.
        let metricsService = metricsEndpoint.map {
            MetricsEndpoint.start(host: $0.host, port: $0.port, logger: Logger(label: "gaitway.metrics"))
        }

        let summary: GatewaySummary
        if case .btsnoop(let path) = spec {
            summary = try replay(path, catalog: catalog, store: store, settings: settings)
            if let upload = settings.upload { try await uploadEverything(store: store, upload: upload, logger: logger) }
        } else {
            summary = try await runServices(spec: spec, catalog: catalog, store: store, settings: settings,
                                            capture: capture, display: display, logger: logger,
                                            metricsService: metricsService)
        }
        let counts = try? store.counts()
        do { try store.close() } catch { logger.error("\(error)") }
        // A run that failed before it stored anything (a controller that cannot be opened at
        // all) leaves no empty database behind, as a refused start does not.
        let removed = summary.failure != nil && !databaseExisted
            && counts.map({ $0.samples == 0 && $0.rawPayloads == 0 && $0.devices == 0 && $0.events == 0 }) == true
        if removed {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: settings.db + suffix) }
        }
        let stored = counts.map { "\($0.samples) in \(settings.db)" } ?? settings.db
        let next = removed ? "Nothing stored: \(settings.db), created by this run, is removed."
            : "Query: gaitway query --db \(settings.db) --quantity heart_rate"
        logger.info("""
            gateway stopped: \(summary.devices) devices heard, \(summary.statistics.values) values and \
            \(summary.statistics.advertisements) advertisements received, \(summary.committed) samples committed \
            (\(stored)), \(summary.statistics.malformedPayloads) malformed. \(next)
            """)
        if let failure = summary.failure { throw CleanExit.failure(failure) }
    }

    /// The live gateway: the BLE, store and status services in one group, stopped
    /// gracefully by SIGTERM / SIGINT or by the end of the run.
    func runServices(spec: TransportSpec, catalog: ProtocolCatalog, store: GatewayStore, settings: GatewaySettings,
                     capture: HCICaptureFile?, display: SharedDisplay, logger: Logger,
                     metricsService: (any Service)?) async throws -> GatewaySummary {
        let queue = StoreQueue(capacity: 4)
        let ingest = GatewayIngest(catalog: catalog, handoff: queue, commitInterval: settings.commitInterval)
        ingest.logger = Logger(label: "gaitway.ingest")
        ingest.wearers = settings.wearers
        ingest.days = settings.days
        let configuration = CentralConfiguration(
            allow: settings.allow.map(DeviceFilter.init(parsing:)),
            wantedServices: GatewaySettings.wantedServices, maxConnections: settings.maxConnections,
            activeScan: !passive, ownRandomAddress: GatewaySettings.randomStaticAddress())
        let opener: any ControllerOpener
        if case .simulator(let name) = spec {
            opener = SimulatorOpener(scenario: name ?? "quickstart", catalog: catalog)
        } else {
            opener = TransportOpener(spec: spec)
        }
        let runner = GatewayRunner(ingest: ingest, configuration: configuration, opener: opener)
        runner.capture = capture
        let status = StatusService(display: display)
        let metrics = IngestMetrics()
        let uplinkProgress = settings.upload.map { _ in UplinkProgress() }
        runner.onTick = { host, now in
            metrics.update(ingest.statistics, host: host.statistics, now: now)
            status.offer(now: now) {
                let devices = ingest.devices
                return GatewaySnapshot(time: now, connected: host.peers.count, heard: host.devicesHeard,
                                statistics: ingest.statistics, devices: Array(devices.values),
                                committedSamples: queue.progress.committedSamples,
                                pendingBatches: queue.progress.pendingBatches, storeError: queue.progress.lastError,
                                wearers: ingest.wearerStatuses(devices: devices), uplink: uplinkProgress?.current)
            }
        }
        let ble = BLEService(runner: runner, queue: queue, duration: settings.duration, logger: Logger(label: "gaitway.ble"))
        var storeService = StoreService(store: store, queue: queue, logger: Logger(label: "gaitway.store"))
        let retention = RetentionService(store: store, policy: .init(keepRaw: settings.keepRaw, maximumBytes: settings.maxDBSize),
                                         logger: Logger(label: "gaitway.store"), clock: GatewayController.wallClock)
        storeService.makeRoom = { try await retention.makeRoom($0) }
        // Without a policy the retention service has nothing to do between full disks.
        let retentionServices: [ServiceGroupConfiguration.ServiceConfiguration] = retention.policy.isActive
            ? [.init(service: retention, successTerminationBehavior: .ignore)] : []
        let uplink = settings.upload.map { upload in
            UplinkService(store: store, configuration: upload, progress: uplinkProgress ?? UplinkProgress(),
                          logger: Logger(label: "gaitway.uplink"))
        }
        // The uplink ends with the others (a graceful shutdown); what it had not sent goes next time.
        let uplinkServices: [ServiceGroupConfiguration.ServiceConfiguration] = uplink.map {
            [.init(service: $0, successTerminationBehavior: .ignore)]
        } ?? []
        let metricsServices: [ServiceGroupConfiguration.ServiceConfiguration] = metricsService.map {
            [.init(service: $0, successTerminationBehavior: .ignore)]
        } ?? []
        let group = ServiceGroup(configuration: .init(
            services: metricsServices + retentionServices + uplinkServices + [
                .init(service: storeService, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: status, successTerminationBehavior: .ignore),
                // The end of the run (duration, a simulation that ended) stops the others gracefully.
                .init(service: ble, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "gaitway.services")))
        var failure: String?
        do {
            try await group.run()
        } catch {
            failure = Self.reason(error)
        }
        display.display.withLock { $0.finish() }
        return GatewaySummary(devices: ingest.devices.count, statistics: ingest.statistics,
                              committed: queue.progress.committedSamples, failure: failure)
    }

    /// `--hci btsnoop:FILE`: a capture replayed as fast as it decodes, each value at its
    /// recorded time, committed on this thread.
    func replay(_ path: String, catalog: ProtocolCatalog, store: GatewayStore,
                settings: GatewaySettings) throws -> GatewaySummary {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw CleanExit.failure("cannot read capture \(path)")
        }
        let commit = DirectCommit(store: store)
        let ingest = GatewayIngest(catalog: catalog, handoff: commit, commitInterval: settings.commitInterval)
        ingest.logger = Logger(label: "gaitway.replay")
        ingest.wearers = settings.wearers
        ingest.days = settings.days
        do { try CaptureReplay(ingest: ingest).replay(capture: Array(bytes)) } catch {
            throw CleanExit.failure("\(path): \(error)")
        }
        return GatewaySummary(devices: ingest.devices.count, statistics: ingest.statistics,
                              committed: commit.progress.committedSamples, failure: nil)
    }

    /// After a replay with --upload: the uplink alone until everything the replay stored is
    /// delivered (or SIGINT / SIGTERM; what is left goes at the next run with --upload).
    func uploadEverything(store: GatewayStore, upload: UplinkService.Configuration, logger: Logger) async throws {
        let uplink = UplinkService(store: store, configuration: upload, logger: Logger(label: "gaitway.uplink"))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: uplink)], gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "gaitway.services")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                var lastReport = ContinuousClock.now
                while !Task.isCancelled,
                      (try? store.uplinkBacklog().isEmpty) == false || (try? store.uplinkState().pending) != nil {
                    if ContinuousClock.now - lastReport >= .seconds(10) {
                        lastReport = .now
                        logger.info("uploading the replay: \(LiveTable.line(uplink.progress.current))")
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            // Whichever ends first: everything delivered, or a signal stopped the uplink.
            try await tasks.next()
            tasks.cancelAll()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        logger.info("replay uploaded: \(LiveTable.line(uplink.progress.current))")
    }

    /// The message of a service's failure, without the service group's wrapping.
    static func reason(_ error: any Error) -> String {
        if let error = error as? ServiceGroupError { return "\(error)" }
        return "\(error)"
    }
}

/// What the gateway says when it stops.
struct GatewaySummary {
    var devices: Int
    var statistics: GatewayStatistics
    var committed: Int
    var failure: String?
}

/// `sim[:SCENARIO]`: the scenario's devices behind an in-process virtual controller, on
/// the wall clock (the simulation's epoch is the moment it is opened). A simulation that
/// ends is not reopened.
final class SimulatorOpener: ControllerOpener {
    let scenario: String
    let catalog: ProtocolCatalog

    init(scenario: String, catalog: ProtocolCatalog) {
        self.scenario = scenario
        self.catalog = catalog
    }

    func open() throws -> GatewayController {
        let simulation: Simulation
        do {
            simulation = try Simulation.named(scenario, catalog: catalog, epoch: GatewayController.wallClock())
        } catch {
            throw ControllerOpenError.permanent("\(error)")
        }
        let transport = simulation.virtualControllerTransport(pace: .realTime(speed: 1))
        let epoch = simulation.epoch
        return GatewayController(transport: transport, clock: { epoch + transport.now }, reopens: false)
    }

    func close() {}
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
