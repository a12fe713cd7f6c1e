import BLEHost
import BLEWire

/// Drives a `VirtualController` over an `HCITransport` (a TCP or Unix socket a host
/// connected to): reads the host's H4 bytes, runs the controller on a wall clock (or one
/// sped up by `speed`), writes what it produces, and optionally records it all in a
/// btsnoop capture.
///
/// One thread: reads wait no longer than until the controller's next scheduled event, so
/// advertising and connection events happen on time without a timer thread.
public final class VirtualControllerRunner {
    public let controller: VirtualController
    public let transport: any HCITransport
    /// Simulation seconds per wall-clock second.
    public let speed: Double
    public let capture: HCICaptureFile?
    /// Bytes the H4 framer could not make sense of (bad packet indicators), skipped.
    public private(set) var discardedBytes = 0
    /// A write found the host gone.
    private var hostGone = false

    private var framer = H4Framer()
    private let clock = ContinuousClock()
    private var origin: ContinuousClock.Instant
    private let startTime: Double
    /// Longest wait between checks of `shouldStop`, in wall-clock seconds.
    private let pollInterval = 0.05

    public init(controller: VirtualController, transport: any HCITransport, speed: Double = 1,
                capture: HCICaptureFile? = nil) {
        self.controller = controller
        self.transport = transport
        self.speed = speed > 0 ? speed : 1
        self.capture = capture
        origin = clock.now
        startTime = controller.now
    }

    /// The simulation time the wall clock has reached.
    public var simulationTime: Double {
        let elapsed = clock.now - origin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return startTime + seconds * speed
    }

    /// Runs until the host disconnects (returns normally), `endTime` (simulation seconds)
    /// is reached, or `shouldStop` returns true; throws what the transport throws besides
    /// `.closed`.
    public func run(until endTime: Double? = nil, shouldStop: () -> Bool = { false }) throws(TransportError) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        defer { capture?.close() }
        while !shouldStop(), !hostGone {
            var time = simulationTime
            if let endTime, time >= endTime {
                controller.advance(to: endTime)
                try flushOutgoing()
                return
            }
            controller.advance(to: time)
            try flushOutgoing()

            var wait = pollInterval
            if let next = controller.nextEventTime { wait = min(wait, max(0, (next - time) / speed)) }
            if let endTime { wait = min(wait, max(0, (endTime - time) / speed)) }
            let count: Int
            do throws(TransportError) {
                let timeout = Duration.microseconds(Int64(wait * 1_000_000))
                let result: Result<Int, TransportError> = buffer.withUnsafeMutableBytes { raw in
                    Result { () throws(TransportError) in try transport.read(into: raw, timeout: timeout) }
                }
                count = try result.get()
            } catch .closed {
                try? flushOutgoing()
                return
            }
            guard count > 0 else { continue }
            time = simulationTime
            controller.advance(to: time)
            // What the controller did before these bytes arrived goes out (and into the
            // capture) first, so the capture stays in time order.
            try flushOutgoing()
            feed(buffer[0..<count])
            try flushOutgoing()
        }
    }

    private func feed(_ bytes: ArraySlice<UInt8>) {
        let before = framer.discardedByteCount
        let chunk = Array(bytes)
        do throws(WireError) {
            try framer.feed(chunk.span.bytes) { (type: HCIPacketType, packet: RawSpan) throws(WireError) in
                if let capture {
                    let copy = packet.withUnsafeBytes { Array($0) }
                    capture.append(copy, type: type, direction: .sent, time: controller.now)
                }
                controller.receive(hostPacket: type, packet)
            }
        } catch {
            // Bad indicators are skipped by the framer and counted below; the stream goes on.
        }
        discardedBytes += framer.discardedByteCount - before
    }

    private func flushOutgoing() throws(TransportError) {
        let packets = controller.takeOutgoing()
        guard !packets.isEmpty else { return }
        var bytes: [UInt8] = []
        for packet in packets {
            bytes.append(packet.type.rawValue)
            bytes.append(contentsOf: packet.bytes)
            capture?.append(packet.bytes, type: packet.type, direction: .received, time: packet.time)
        }
        try capture?.flush()
        do throws(TransportError) {
            try transport.write(bytes)
        } catch .closed {
            // The host went away while the controller still had something for it: the
            // run ends as when a read sees the host gone.
            hostGone = true
        }
    }
}
