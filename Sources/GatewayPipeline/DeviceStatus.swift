import BLEWire

/// What the gateway knows of one device right now: link state and quality, the latest value
/// of each quantity with its time, and its malformed-payload record. The status display shows it.
public struct DeviceStatus: Sendable {
    public var address: BDAddress
    public var name: String?
    public var connected = false
    /// Subscriptions are in place (discovery finished).
    public var subscribed = false
    public var lastSeen: Double?
    /// RSSI of the device's last advertising report (dBm); a connected device usually stops
    /// advertising, so this is its strength when last heard advertising.
    public var rssi: Int8?
    /// Links to the device that ended after they were up (drops and remote closes alike).
    public var drops = 0
    /// Notifications lost on its links, from the jumps of its payloads' `sequence` fields.
    public var sequenceGaps = 0
    /// It waits for a link: the controller holds as many as it can (``ConnectionQueue``).
    public var waiting = false
    /// Latest value per quantity (a channel's own value for arrays: cell 0 for forces).
    public var latest: [String: LatestValue] = [:]
    public var malformed = 0
    public var quarantinedAt: Double?
    /// Outcomes of the last `window` payloads (a ring; true: malformed), for the quarantine rule.
    var recent: [Bool] = []
    var recentNext = 0
    var recentBad = 0

    public init(address: BDAddress) { self.address = address }

    mutating func latest(_ quantity: String, _ value: Double, unit: String?, channel: Int, at time: Double) {
        guard channel <= 0 else { return }
        latest[quantity] = LatestValue(value: value, unit: unit, time: time)
    }

    /// Records a payload that decoded.
    mutating func recordGood(_ policy: QuarantinePolicy) { remember(true, policy) }

    /// Records a payload that did not decode; true when the device must now be quarantined.
    mutating func recordBad(_ policy: QuarantinePolicy) -> Bool {
        remember(false, policy)
        return malformed >= policy.minimumMalformed && Double(recentBad) >= policy.malformedShare * Double(recent.count)
    }

    mutating func remember(_ good: Bool, _ policy: QuarantinePolicy) {
        let window = max(policy.window, 1)
        if recent.count < window {
            recent.append(!good)
        } else {
            if recent[recentNext] { recentBad -= 1 }
            recent[recentNext] = !good
            recentNext = (recentNext + 1) % window
        }
        if !good { recentBad += 1 }
    }
}

/// A quantity's latest value and when it arrived (gateway seconds), so that a display can
/// give its age.
public struct LatestValue: Sendable, Equatable {
    public var value: Double
    public var unit: String?
    public var time: Double

    public init(value: Double, unit: String?, time: Double) {
        self.value = value
        self.unit = unit
        self.time = time
    }
}

/// When a device's payloads are bad enough to stop listening to it: at least
/// `minimumMalformed` malformed payloads in all, and at least `malformedShare` of the last
/// `window` payloads malformed. One corrupted notification in a thousand (radio noise a
/// CRC missed, a scripted fault) never quarantines a device; a firmware that sends garbage does.
public struct QuarantinePolicy: Sendable, Equatable {
    public var minimumMalformed: Int
    public var malformedShare: Double
    public var window: Int

    public init(minimumMalformed: Int = 20, malformedShare: Double = 0.5, window: Int = 100) {
        self.minimumMalformed = minimumMalformed
        self.malformedShare = malformedShare
        self.window = window
    }
}

/// Counters for the status display, the logs and the tests.
public struct GatewayStatistics: Sendable, Equatable {
    public var values = 0
    public var advertisements = 0
    public var repeatedAdvertisements = 0
    public var samples = 0
    /// Samples and batches handed to the store (``StoreProgress`` says what it committed).
    public var committedSamples = 0
    public var commits = 0
    /// Payloads dropped because the store was behind and the batch at its bound.
    public var shedPayloads = 0
    public var malformedPayloads = 0
    public var quarantinedDevices = 0
    public var quarantinedPayloads = 0
    public var unknownFormats = 0
    /// IEEE 11073 specials (NaN, NRes, ±INFINITY): not stored as numbers.
    public var specialValues = 0
}

public enum GatewayLogLevel: Int, Sendable, Comparable, CustomStringConvertible {
    case debug, info, warning, error

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }
}
