import BLEHost
import BLEWire
import Glibc

/// The `sim[:SCENARIO]` transport: a host talks H4 to a `VirtualController` in the same
/// process, with no socket or thread between them. Writes go straight into the
/// controller; reads run it forward and return what it produced.
///
/// Two paces:
/// - `.realTime(speed:)`: simulation time follows the wall clock (times `speed`), and a
///   read waits for it like a socket read would.
/// - `.virtual`: nothing waits. A read with nothing ready moves simulation time on to
///   the controller's next event or by the read's timeout, whichever is sooner, so a host
///   that reads with timeouts (as every host here does) runs a whole scenario as fast as
///   the machine allows, deterministically. The host must then take its clock from
///   ``now``.
public final class VirtualControllerTransport: HCITransport {
    public enum Pace: Sendable, Equatable {
        case realTime(speed: Double)
        case virtual
    }

    public let controller: VirtualController
    public let pace: Pace
    /// Called with each packet the controller sends, at its simulation time (e.g. to
    /// record a capture).
    public var onControllerPacket: ((ControllerPacket) -> Void)?

    var pending: [UInt8] = []
    var pendingStart = 0
    var framer = H4Framer()
    var closed = false
    let clock = ContinuousClock()
    let origin: ContinuousClock.Instant
    let startTime: Double

    public init(controller: VirtualController, pace: Pace) {
        self.controller = controller
        self.pace = pace
        origin = clock.now
        startTime = controller.now
    }

    /// Simulation seconds: the wall clock's (times the speed) in real time, the
    /// controller's own in virtual time.
    public var now: Double {
        switch pace {
        case .virtual:
            return controller.now
        case .realTime(let speed):
            let elapsed = clock.now - origin
            return startTime + (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) * speed
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
        guard !closed else { throw .closed }
        let seconds = timeout.map { Double($0.components.seconds) + Double($0.components.attoseconds) * 1e-18 }
        switch pace {
        case .virtual:
            if pendingStart == pending.count {
                let limit = controller.now + (seconds ?? 1)
                let target = min(limit, controller.nextEventTime ?? limit)
                controller.advance(to: max(target, controller.now))
                collect()
            }
        case .realTime(let speed):
            let deadline = seconds.map { now + $0 * speed }
            while true {
                controller.advance(to: now)
                collect()
                if pendingStart < pending.count { break }
                let current = now
                if let deadline, current >= deadline { break }
                var wait = 0.005
                if let next = controller.nextEventTime { wait = min(wait, max(0, (next - current) / speed)) }
                if let deadline { wait = min(wait, (deadline - current) / speed) }
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            }
        }
        let count = min(buffer.count, pending.count - pendingStart)
        guard count > 0 else { return 0 }
        pending.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + pendingStart, byteCount: count)
        }
        pendingStart += count
        if pendingStart == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
        }
        return count
    }

    /// Moves what the controller produced into the read buffer, H4-framed.
    func collect() {
        for packet in controller.takeOutgoing() {
            onControllerPacket?(packet)
            pending.append(packet.type.rawValue)
            pending.append(contentsOf: packet.bytes)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        guard !closed else { throw .closed }
        if case .realTime = pace { controller.advance(to: now) }
        let controller = self.controller
        try? framer.feed(RawSpan(_unsafeBytes: bytes)) { (type: HCIPacketType, packet: RawSpan) throws(WireError) in
            controller.receive(hostPacket: type, packet)
        }
    }

    public func close() { closed = true }
}
