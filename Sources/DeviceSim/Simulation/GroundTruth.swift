import BLEWire

/// What really happened in a run, for scoring a system under test: every heartbeat, every
/// heel strike and toe-off, activity segments, sleep stages and injected faults. Times are seconds on the
/// capture's clock (Unix time, the same instants the btsnoop records carry).
public enum GroundTruthEvent: Sendable, Equatable {
    case beat(device: BDAddress, time: Double, rr: Double, ectopic: Bool)
    case gait(kind: String, device: BDAddress, foot: String, time: Double)
    case activity(person: String, activity: String, start: Double, end: Double)
    /// A period of one sleep stage (wake, light, deep or rem) within a `sleep` segment.
    case sleepStage(person: String, stage: String, start: Double, end: Double)
    case fault(kind: String, device: BDAddress, time: Double, detail: String)

    /// One JSON object, e.g. `{"type":"beat","device":"F6:...","time":1795300000.123456,"rr":0.8125}`.
    public var json: String {
        var text: [UInt8] = []
        appendJSON(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends ``json`` as UTF-8 (a long run records thousands of events a minute).
    public func appendJSON(to out: inout [UInt8]) {
        func key(_ name: StaticString) {
            out.append(UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: #"":"#.utf8)
        }
        func text(_ name: StaticString, _ value: String) {
            key(name)
            JSONText.appendQuoted(value.utf8, to: &out)
        }
        func address(_ device: BDAddress) {
            key("device")
            out.append(UInt8(ascii: "\""))
            device.appendText(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        func seconds(_ name: StaticString, _ value: Double) {
            key(name)
            Self.appendSeconds(value, to: &out)
        }
        out.append(contentsOf: #"{"type":"#.utf8)
        switch self {
        case let .beat(device, time, rr, ectopic):
            JSONText.appendQuoted("beat".utf8, to: &out)
            address(device)
            seconds("time", time)
            seconds("rr", rr)
            if ectopic { out.append(contentsOf: #","ectopic":true"#.utf8) }
        case let .gait(kind, device, foot, time):
            JSONText.appendQuoted(kind.utf8, to: &out)
            address(device)
            text("foot", foot)
            seconds("time", time)
        case let .activity(person, activity, start, end):
            JSONText.appendQuoted("activity".utf8, to: &out)
            text("person", person)
            text("activity", activity)
            seconds("start", start)
            seconds("end", end)
        case let .sleepStage(person, stage, start, end):
            JSONText.appendQuoted("sleep_stage".utf8, to: &out)
            text("person", person)
            text("stage", stage)
            seconds("start", start)
            seconds("end", end)
        case let .fault(kind, device, time, detail):
            JSONText.appendQuoted("fault".utf8, to: &out)
            text("fault", kind)
            address(device)
            seconds("time", time)
            text("detail", detail)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Microsecond resolution, the resolution of a btsnoop timestamp.
    static func appendSeconds(_ value: Double, to out: inout [UInt8]) {
        let micros = (value * 1_000_000).rounded()
        let whole = Int64((micros / 1_000_000).rounded(.down))
        let fraction = Int64(micros) - whole * 1_000_000
        JSONText.appendInteger(whole, to: &out)
        out.append(UInt8(ascii: "."))
        var scale: Int64 = 100_000
        while scale > 0 {
            out.append(UInt8(ascii: "0") + UInt8(fraction / scale % 10))
            scale /= 10
        }
    }
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
