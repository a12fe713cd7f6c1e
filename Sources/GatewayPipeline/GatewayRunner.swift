import BLEHost
import BLEWire
import GatewayStore
import Logging

/// The BLE side of the gateway, run synchronously on one thread (``BLEService`` gives it a
/// dedicated one): the central host on a controller, its values through ``GatewayIngest``,
/// until a stop is requested, the duration is over, or a controller that does not reopen is
/// gone. A controller that cannot be opened, or goes away, is retried with backoff (1 s
/// doubling to 30 s), each retry logged with its delay (at most one line per ten seconds);
/// `--duration` and a stop request are honoured throughout, within about a second.
public final class GatewayRunner {
    public let ingest: GatewayIngest
    public let configuration: CentralConfiguration
    public let opener: any ControllerOpener
    public let stop: StopRequest
    /// Called between reads (many times a second) on the BLE thread with the host and the time.
    public var onTick: ((CentralHost, Double) -> Void)?
    public private(set) var host: CentralHost?
    public private(set) var transportLosses = 0
    /// Records the host-side HCI traffic (a btsnoop capture, on the gateway's clock).
    public var capture: HCICaptureFile?
    public var logger = Logger(label: "gaitway.ble")
    /// Waits between attempts are on the wall clock; tests shorten them.
    public var initialBackoff = 1.0
    public var maximumBackoff = 30.0
    var shouldStop: (() -> Bool)?
    /// Why the last controller session ended, when it failed (logged with the loss).
    var sessionError: (any Error)?

    var stopped: Bool { stop.isRequested || shouldStop?() == true }

    public init(ingest: GatewayIngest, configuration: CentralConfiguration, opener: any ControllerOpener,
                stop: StopRequest = StopRequest()) {
        self.ingest = ingest
        self.configuration = configuration
        self.opener = opener
        self.stop = stop
    }

    /// A runner over an opener given as a closure (tests: a transport made in place).
    public convenience init(ingest: GatewayIngest, configuration: CentralConfiguration, stop: StopRequest = StopRequest(),
                            openController: @escaping () throws -> GatewayController) {
        self.init(ingest: ingest, configuration: configuration, opener: ClosureOpener(openController), stop: stop)
    }

    /// Runs until a stop is requested (``stop``, or `shouldStop` returning true: it is asked
    /// on this thread between reads), `duration` seconds passed (of the controller's clock
    /// once one is open, of the wall clock before), or a controller that does not reopen is
    /// gone; then hands over what is batched (a direct commit, or the store queue's last batch).
    public func run(duration: Double? = nil, shouldStop: (() -> Bool)? = nil) throws {
        self.shouldStop = shouldStop
        defer { self.shouldStop = nil }
        let wallStart = GatewayController.wallClock()
        var endTime: Double?
        var backoff = initialBackoff
        var retries = RetryLog()
        defer {
            opener.close()
            capture?.close()
        }
        while !stopped {
            let controller: GatewayController
            do {
                controller = try opener.open()
            } catch ControllerOpenError.notYet(let target) {
                if retries.firstWait { logger.info("waiting for a controller to connect on \(target)") }
                if let duration, endTime == nil, GatewayController.wallClock() - wallStart >= duration { return }
                continue
            } catch let error as ControllerOpenError {
                throw error
            } catch {
                if let duration, endTime == nil {
                    let left = duration - (GatewayController.wallClock() - wallStart)
                    if left <= 0 { return }
                    backoff = min(backoff, left)
                }
                retries.failed(error, retryingIn: backoff, logger: logger)
                if !stop.wait(seconds: backoff) { return }
                backoff = min(backoff * 2, maximumBackoff)
                continue
            }
            retries.reset()
            let clock = controller.clock
            if endTime == nil, let duration {
                // Time spent waiting for the controller counts against the duration.
                endTime = clock() + max(0, duration - (GatewayController.wallClock() - wallStart))
            }
            if try runHost(on: controller, until: endTime) { backoff = initialBackoff }
            controller.transport.close()
            // One line per loss, with its cause (an adapter pulled: the socket's error).
            let cause = sessionError.map { ": \($0)" } ?? ""
            sessionError = nil
            let ended = endTime.map { clock() >= $0 } ?? false
            guard controller.reopens, !stopped, !ended else {
                if !cause.isEmpty { logger.error("controller\(cause)") }
                return
            }
            transportLosses += 1
            logger.warning("controller transport lost\(cause); reopening in \(Self.seconds(backoff))")
            if !stop.wait(seconds: backoff) { return }
            backoff = min(backoff * 2, maximumBackoff)
        }
    }

    /// One controller's session. Throws what the store cannot recover from.
    func runHost(on controller: GatewayController, until endTime: Double?) throws -> Bool {
        let clock = controller.clock
        var configuration = self.configuration
        // The kernel owns a managed adapter's address.
        if controller.connector != nil { configuration.ownRandomAddress = nil }
        let host = CentralHost(transport: controller.transport, configuration: configuration,
                               connector: controller.connector, clock: clock)
        host.delegate = ingest
        if let capture {
            host.link.onPacket = { type, direction, packet in
                capture.append(packet.withUnsafeBytes { Array($0) }, type: type, direction: direction, time: clock())
            }
        }
        let ingest = self.ingest
        host.wantsSubscription = { ingest.wantsSubscription($0) }
        host.wantsRead = { ingest.wantsRead($0) }
        self.host = host
        var storeError: GatewayStoreError?
        var stayedUp = false
        defer {
            ingest.finishMetrics()
            try? ingest.commit(at: clock())
        }
        do {
            try host.run(until: endTime) { [self] in
                let now = clock()
                do throws(GatewayStoreError) { try ingest.commitIfDue(at: now) } catch {
                    storeError = error
                    return true
                }
                onTick?(host, now)
                return stopped
            }
            stayedUp = true
        } catch {
            sessionError = error
        }
        if let storeError { throw storeError }
        return stayedUp
    }

    /// "4 s", "0.5 s": a delay for a log line.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\((value * 10).rounded() / 10) s"
    }
}

/// Logs failed attempts to open the controller, each with its delay, but at most one line
/// per ten seconds (the lines in between are counted and mentioned).
struct RetryLog {
    var lastLogged = -Double.infinity
    var suppressed = 0
    var waited = false

    /// True the first time a server is found waiting for its host.
    var firstWait: Bool {
        mutating get {
            defer { waited = true }
            return !waited
        }
    }

    mutating func failed(_ error: any Error, retryingIn delay: Double, logger: Logger) {
        let now = GatewayController.wallClock()
        guard now - lastLogged >= 10 else {
            suppressed += 1
            return
        }
        let more = suppressed > 0 ? " (\(suppressed) more failed attempts since the last line)" : ""
        logger.error("cannot open the controller: \(error); retrying in \(GatewayRunner.seconds(delay))\(more)")
        lastLogged = now
        suppressed = 0
    }

    mutating func reset() { self = RetryLog() }
}

/// An opener from a closure; errors it throws are retried unless they are ``ControllerOpenError``.
final class ClosureOpener: ControllerOpener {
    let body: () throws -> GatewayController
    init(_ body: @escaping () throws -> GatewayController) { self.body = body }
    func open() throws -> GatewayController { try body() }
    func close() {}
}
