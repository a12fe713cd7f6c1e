import BLEWire

/// What really happened in a run, for scoring a system under test: every heartbeat, every
/// heel strike and toe-off, activity segments and injected faults. Times are seconds on the
/// capture's clock (Unix time, the same instants the btsnoop records carry).
public enum GroundTruthEvent: Sendable, Equatable {
    case beat(device: BDAddress, time: Double, rr: Double, ectopic: Bool)
    case gait(kind: String, device: BDAddress, foot: String, time: Double)
    case activity(person: String, activity: String, start: Double, end: Double)
    case fault(kind: String, device: BDAddress, time: Double, detail: String)

    /// One JSON object, e.g. `{"type":"beat","device":"F6:...","time":1795300000.123456,"rr":0.8125}`.
    public var json: String {
        switch self {
        case let .beat(device, time, rr, ectopic):
            return #"{"type":"beat","device":"\#(device)","time":\#(Self.seconds(time)),"rr":\#(Self.seconds(rr))\#(ectopic ? #","ectopic":true"# : "")}"#
        case let .gait(kind, device, foot, time):
            return #"{"type":"\#(kind)","device":"\#(device)","foot":"\#(foot)","time":\#(Self.seconds(time))}"#
        case let .activity(person, activity, start, end):
            return #"{"type":"activity","person":\#(Self.quoted(person)),"activity":"\#(activity)","start":\#(Self.seconds(start)),"end":\#(Self.seconds(end))}"#
        case let .fault(kind, device, time, detail):
            return #"{"type":"fault","fault":"\#(kind)","device":"\#(device)","time":\#(Self.seconds(time)),"detail":\#(Self.quoted(detail))}"#
        }
    }

    /// Microsecond resolution, the resolution of a btsnoop timestamp.
    static func seconds(_ value: Double) -> String {
        let micros = (value * 1_000_000).rounded()
        let whole = Int64((micros / 1_000_000).rounded(.down))
        let fraction = Int64(micros) - whole * 1_000_000
        let digits = String(fraction)
        return "\(whole).\(String(repeating: "0", count: 6 - digits.count))\(digits)"
    }

    static func quoted(_ text: String) -> String { String(decoding: JSONText.quoted(text), as: UTF8.self) }
}

/// Receives ground truth as the simulation produces it.
public protocol GroundTruthSink: AnyObject {
    func record(_ event: GroundTruthEvent)
}

/// Keeps ground truth in memory (tests, small runs).
public final class GroundTruthLog: GroundTruthSink {
    public private(set) var events: [GroundTruthEvent] = []
    public init() {}
    public func record(_ event: GroundTruthEvent) { events.append(event) }
}
