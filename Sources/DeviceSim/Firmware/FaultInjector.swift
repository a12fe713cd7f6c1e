#if canImport(Glibc)
import Glibc
#endif

/// Applies a device's scripted faults: point events (disconnect, reboot, clock jump) at
/// their times, and states (loss, corruption, truncation, duplication, stuck or saturated
/// cells) over their windows, each packet hit with the fault's probability.
///
/// Random timings are Poisson processes drawn from the fault's own seed, so adding a fault
/// does not change when the others happen.
struct FaultInjector {
    struct Event {
        var kind: FaultSpec.Kind
        var time: Double
    }

    struct Scheduled {
        var spec: FaultSpec
        var random: ModelRandom
        /// Start of the next occurrence (nil: no more).
        var next: Double?
        /// Windows during which a state fault is on.
        var windows: [Range<Double>] = []

        func isOn(at time: Double) -> Bool {
            for window in windows where window.contains(time) { return true }
            return false
        }
    }

    var scheduled: [Scheduled]
    var packets: ModelRandom

    init(faults: [FaultSpec], seed: UInt64) {
        packets = ModelRandom.heart(seed: seed, stream: 0xFA)
        scheduled = faults.map { fault in
            var random = ModelRandom.heart(seed: fault.seed, stream: 0xF0)
            let first: Double? = switch fault.timing {
            case .at(let time): time
            case .always: 0
            case .random(let rate): rate > 0 ? -log(random.uniform()) / rate : nil
            }
            return Scheduled(spec: fault, random: random, next: first)
        }
    }

    /// Occurrences that start by `time`, in order; state faults open their window.
    mutating func due(upTo time: Double) -> [Event] {
        var events: [Event] = []
        for index in scheduled.indices {
            while let start = scheduled[index].next, start <= time {
                let spec = scheduled[index].spec
                events.append(Event(kind: spec.kind, time: start))
                let length = spec.duration ?? .infinity
                scheduled[index].windows.append(start..<(start + max(length, 0)))
                switch spec.timing {
                case .random(let rate):
                    scheduled[index].next = start + max(length.isFinite ? length : 0, 0)
                        - log(scheduled[index].random.uniform()) / rate
                case .at, .always:
                    scheduled[index].next = nil
                }
            }
            scheduled[index].windows.removeAll { $0.upperBound < time - 60 }
        }
        return events.sorted { $0.time < $1.time }
    }

    /// No fault window open or recently closed: packets go out untouched, and the per-packet
    /// checks (which draw no random numbers then) can be skipped.
    var isQuiet: Bool {
        for item in scheduled where !item.windows.isEmpty { return false }
        return true
    }

    /// A cell stuck at its last value, or saturated, at `time`.
    func cellFault(at time: Double) -> (stuck: Int?, saturated: Int?) {
        var stuck: Int?, saturated: Int?
        // Called per sample: walks the schedule rather than building `active(at:)`.
        for item in scheduled where item.isOn(at: time) {
            switch item.spec.kind {
            case .stuckCell(let cell): stuck = cell
            case .saturatedCell(let cell): saturated = cell
            default: break
            }
        }
        return (stuck, saturated)
    }

    /// What actually goes out for one notification PDU: nothing (lost), the PDU, a damaged
    /// copy, or the PDU twice. Damage stays inside the value (after the 3-byte ATT header),
    /// as a firmware bug would, so the gateway sees a well-framed but malformed payload.
    mutating func transmit(_ pdu: [UInt8], at time: Double) -> [[UInt8]] {
        var result = [pdu]
        for item in scheduled where item.isOn(at: time) {
            switch item.spec.kind {
            case let .packetLoss(probability, _):
                if packets.uniform() <= probability { return [] }
            case let .corruptPackets(probability, bytes):
                if packets.uniform() <= probability, pdu.count > 3 {
                    for _ in 0..<max(1, bytes) {
                        let index = 3 + Int(packets.next() % UInt64(pdu.count - 3))
                        result[0][index] ^= UInt8(truncatingIfNeeded: packets.next() | 1)
                    }
                }
            case let .truncatedPackets(probability):
                if packets.uniform() <= probability, result[0].count > 4 {
                    let keep = 3 + Int(packets.next() % UInt64(result[0].count - 3))
                    result[0].removeLast(result[0].count - keep)
                }
            case let .duplicateNotifications(probability):
                if packets.uniform() <= probability { result.append(result[0]) }
            default:
                break
            }
        }
        return result
    }
}
