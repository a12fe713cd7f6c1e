import BLEWire

extension HCIStatusCode {
    /// Connection Rejected due to Limited Resources (Core v5.4, Vol 1, Part F, §2.13).
    public static let limitedResources: UInt8 = 0x0D
}

/// The devices that wait for a link because the controller holds as many as it can.
///
/// A controller says it has no room for another connection with one of three errors (Core
/// v5.4, Vol 1, Part F): Memory Capacity Exceeded (0x07, §2.7), Connection Limit Exceeded
/// (0x09, §2.9) or Connection Rejected due to Limited Resources (0x0D, §2.13), in the
/// Command Status of LE Create Connection or in the LE Connection Complete that ends the
/// attempt. That is no fault of the device: the host learns the limit (the links it holds
/// when refused), stops asking for more, lets the others wait without backoff, and connects
/// them as links free up. The waiting set is reported once in full, then only its changes,
/// at most once per `reportInterval`, so that 132 devices over the limit make a few log
/// lines, not one per refused attempt.
///
/// Sans-IO: the host feeds it refusals and the waiting set; it answers with the events to report.
public struct ConnectionQueue: Sendable, Equatable {
    /// The controller's link limit, once it refused a connection for lack of room.
    public private(set) var learnedLimit: Int?
    /// The devices waiting for a link, as of the last ``update(waiting:limit:at:)``.
    public private(set) var waiting: Set<BDAddress> = []
    /// What the last report said, and when it was made.
    public private(set) var reported: Set<BDAddress> = []
    var lastReport = -Double.infinity
    var learnedAt: Double?
    public let reportInterval: Double
    public let probeInterval: Double

    public init(reportInterval: Double = 30, probeInterval: Double = 300) {
        self.reportInterval = reportInterval
        self.probeInterval = probeInterval
    }

    /// Whether `status` says the controller has no room for another connection.
    public static func isLackOfRoom(_ status: UInt8) -> Bool {
        status == HCIStatusCode.memoryCapacityExceeded || status == HCIStatusCode.connectionLimitExceeded
            || status == HCIStatusCode.limitedResources
    }

    /// A connection attempt was refused with `status` while the host held `links` links. True
    /// when it was for lack of room and the limit is now known: the device waits, it did
    /// not fail. With no link open a refusal says nothing about a limit (the controller
    /// cannot take even one): then it is an ordinary failure.
    public mutating func refused(status: UInt8, links: Int, at time: Double) -> Bool {
        guard Self.isLackOfRoom(status), links > 0 else { return false }
        // While probing, the refusal measures the limit afresh; otherwise the lowest holds.
        learnedLimit = limit(at: time).map { min($0, links) } ?? links
        learnedAt = time
        return true
    }

    /// The limit to keep to at `time`. Limited Resources (0x0D) may pass (another user of
    /// the controller lets a link go), so `probeInterval` after the last refusal the limit
    /// lapses and the host tries for more: refused, that costs one quiet attempt and renews
    /// the limit; accepted, the host holds a link more until the next refusal. The wait
    /// list keeps to ``learnedLimit`` meanwhile, so a probe does not flap it.
    public func limit(at time: Double) -> Int? {
        guard let learnedLimit, let learnedAt, time - learnedAt < probeInterval else { return nil }
        return learnedLimit
    }

    /// The devices that now wait for a link. Returns the event to report, if any: when
    /// devices start to wait, all of them; after that the changes. Never two reports within
    /// `reportInterval`, however often the set changes (a fleet churning at the limit).
    public mutating func update(waiting now: Set<BDAddress>, limit: Int, at time: Double) -> CentralEvent? {
        waiting = now
        guard now != reported, lastReport == -.infinity || time - lastReport >= reportInterval else { return nil }
        let previous = reported
        reported = now
        lastReport = time
        if previous.isEmpty { return .devicesWaiting(limit: limit, waiting: now.sorted()) }
        return .waitingChanged(limit: limit, waiting: now.count, joined: now.subtracting(previous).sorted(),
                               left: previous.subtracting(now).sorted())
    }
}
