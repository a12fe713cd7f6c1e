import BLEWire

/// The host's end of an HCI transport: H4 framing in both directions and the two kinds
/// of flow control a host owes its controller (Core Specification v5.4, Vol 4, Part E,
/// §4.4 and §4.1.1):
///
/// - **Commands**: the controller says in each Command Complete / Command Status how many
///   more commands it takes (`Num_HCI_Command_Packets`); commands wait in a queue until
///   it does.
/// - **LE ACL data**: the controller has `Total_Num_LE_ACL_Data_Packets` buffers of
///   `LE_ACL_Data_Packet_Length` bytes (LE Read Buffer Size, §7.8.2). Each packet sent
///   takes one; Number Of Completed Packets (§7.7.19) and Disconnection Complete give them
///   back. L2CAP PDUs are cut into packets of at most that length (§5.4.2).
///
/// It reads with a timeout and hands every complete packet to its owner (after taking the
/// credits it carries), so one thread can run a whole host with its timers.
public final class HCIHostLink {
    public let transport: any HCITransport
    /// The controller's LE ACL data packet length and buffer count.
    public private(set) var aclDataLength = 27
    public private(set) var aclBufferCount = 1
    /// Bytes the framer skipped (bad packet indicators).
    public private(set) var malformedBytes = 0
    /// Called for every packet in either direction (e.g. to record a btsnoop capture).
    public var onPacket: ((HCIPacketType, PacketDirection, RawSpan) -> Void)?

    var framer = H4Framer()
    var readBuffer = [UInt8](repeating: 0, count: 1 << 16)
    var outbox: [UInt8] = []
    var commandQueue: [[UInt8]] = []
    var commandCredits = 1
    var aclQueue: [(handle: ConnectionHandle, packet: [UInt8])] = []
    var aclCredits = 1
    var aclInFlight: [ConnectionHandle: Int] = [:]
    /// The command `execute` waits for, and its answer (Status, then return parameters).
    var awaited: HCIOpcode?
    var awaitedResult: [UInt8]?

    public init(transport: any HCITransport) {
        self.transport = transport
        outbox.reserveCapacity(4096)
    }

    /// Sets the LE ACL buffers the controller reported (at least one of at least one byte).
    public func setACLBuffers(length: Int, count: Int) {
        aclDataLength = max(length, 1)
        aclBufferCount = max(count, 1)
        aclCredits = aclBufferCount
    }

    /// ACL packets the controller could take now beyond those already queued.
    public var aclRoom: Int { aclCredits - aclQueue.count }

    // MARK: Sending

    /// Queues an HCI command (without the H4 indicator); it leaves when the controller has
    /// room for it.
    public func send(command: [UInt8]) {
        commandQueue.append(command)
        pump()
    }

    /// Frames `payload` as a basic L2CAP PDU (Vol 3, Part A, §3.1) on `channel` and queues
    /// it as ACL packets no longer than the controller's buffers: the first with
    /// Packet_Boundary_Flag 0b00 (first non-automatically-flushable, the one an LE host
    /// uses), the rest 0b01 (continuing) (Vol 4, Part E, §5.4.2).
    public func send(l2cap payload: some Collection<UInt8>, channel: L2CAPChannelID, handle: ConnectionHandle) {
        var pdu = ByteWriter(capacity: payload.count + L2CAPBasicHeader.size)
        L2CAPBasicHeader.encode(channel: channel, payload: Array(payload), into: &pdu)
        var start = 0
        while start < pdu.bytes.count {
            let end = min(start + aclDataLength, pdu.bytes.count)
            var packet = ByteWriter(capacity: end - start + ACLDataHeader.size)
            ACLDataHeader.encode(handle: handle, boundary: start == 0 ? .firstNonFlushable : .continuing,
                                 data: pdu.bytes[start..<end], into: &packet)
            aclQueue.append((handle, packet.bytes))
            start = end
        }
        pump()
    }

    /// Moves queued packets to the outbox as far as credits allow.
    func pump() {
        var sent = 0
        while commandCredits > 0, sent < commandQueue.count {
            append(.command, commandQueue[sent])
            commandCredits -= 1
            sent += 1
        }
        if sent > 0 { commandQueue.removeFirst(sent) }
        sent = 0
        while aclCredits > 0, sent < aclQueue.count {
            let (handle, packet) = aclQueue[sent]
            append(.aclData, packet)
            aclCredits -= 1
            aclInFlight[handle, default: 0] += 1
            sent += 1
        }
        if sent > 0 { aclQueue.removeFirst(sent) }
    }

    func append(_ type: HCIPacketType, _ packet: [UInt8]) {
        onPacket?(type, .sent, packet.span.bytes)
        outbox.append(type.rawValue)
        outbox.append(contentsOf: packet)
    }

    /// Writes what is ready to go.
    public func flush() throws(TransportError) {
        guard !outbox.isEmpty else { return }
        defer { outbox.removeAll(keepingCapacity: true) }
        try transport.write(outbox)
    }

    /// Accepts a peer's connection parameter request as it stands (LE Remote Connection
    /// Parameter Request Reply, Vol 4, Part E, §7.8.31): a wearable's and a gateway's
    /// needs are both met by what the wearable asks for.
    public func accept(_ request: HCIEvent.LERemoteConnectionParameterRequest) {
        let parameters = LEConnectionParameters(
            intervalMin: request.intervalMin, intervalMax: request.intervalMax, maxLatency: request.maxLatency,
            supervisionTimeout: request.timeout, minCELength: 0, maxCELength: 0)
        send(command: HCICommand.leRemoteConnectionParameterRequestReply(handle: request.connectionHandle, parameters).encoded)
    }

    /// Forgets what was queued for a link that is gone and takes its buffers back: the
    /// controller flushed them on disconnection (§4.3).
    public func linkClosed(handle: ConnectionHandle) {
        aclCredits = min(aclCredits + (aclInFlight.removeValue(forKey: handle) ?? 0), aclBufferCount)
        aclQueue.removeAll { $0.handle == handle }
    }

    // MARK: Receiving

    /// What `receive` hands over for each packet: its type, its bytes and, for an event, the
    /// event as parsed here once (nil when it is malformed), so that no layer above parses
    /// the same event again.
    public typealias PacketHandler = (HCIPacketType, RawSpan, HCIEvent?) -> Void

    /// Waits up to `timeout` for bytes from the controller and hands each packet they
    /// complete to `body` (events after their credits were taken). Returns false when the
    /// controller closed the transport.
    public func receive(timeout: Duration?, _ body: PacketHandler) throws(TransportError) -> Bool {
        let count: Int
        do throws(TransportError) {
            let transport = self.transport
            let result: Result<Int, TransportError> = readBuffer.withUnsafeMutableBytes { raw in
                Result { () throws(TransportError) in try transport.read(into: raw, timeout: timeout) }
            }
            count = try result.get()
        } catch .closed {
            return false
        }
        guard count > 0 else { return true }
        // The framer keeps what it needs of a partial packet, so the buffer is shared, not
        // copied; the framer is moved out while it works because `body` may use `self`.
        let buffer = readBuffer
        var framer = self.framer
        self.framer = H4Framer(reservedCapacity: 0)
        defer { self.framer = framer }
        let bytes = buffer.span.bytes.extracting(0..<count)
        do throws(WireError) {
            try framer.feed(bytes) { (type: HCIPacketType, packet: RawSpan) throws(WireError) in
                onPacket?(type, .received, packet)
                guard type == .event else { return body(type, packet, nil) }
                let event = try? HCIEvent(parsing: packet)
                if let event, takeCredits(event, in: packet) { return }
                body(type, packet, event)
            }
        } catch {
            // Bad indicators are skipped by the framer and the stream goes on.
            malformedBytes = framer.discardedByteCount
        }
        pump()
        return true
    }

    /// Command credits from Command Complete / Command Status (§7.7.14, §7.7.15) and ACL
    /// buffers from Number Of Completed Packets (§7.7.19). Returns true for the answer
    /// `execute` waits for, which is consumed here.
    func takeCredits(_ event: HCIEvent, in packet: RawSpan) -> Bool {
        switch event {
        case .commandComplete(let complete):
            commandCredits = Int(complete.numHCICommandPackets)
            if complete.opcode == awaited {
                awaitedResult = packet.extracting(complete.returnParameters).withUnsafeBytes { Array($0) }
                return true
            }
        case .commandStatus(let status):
            commandCredits = Int(status.numHCICommandPackets)
            if status.opcode == awaited {
                awaitedResult = [status.status]
                return true
            }
        case .numberOfCompletedPackets(let completed):
            try? completed.forEach(in: packet) { handle, count in
                let outstanding = aclInFlight[handle] ?? 0
                // A controller that completes more than was sent must not inflate the credits.
                let returned = min(Int(count), outstanding)
                aclInFlight[handle] = outstanding - returned
                aclCredits = min(aclCredits + returned, aclBufferCount)
            }
        default: break
        }
        return false
    }

    // MARK: Commands that must be answered before going on

    /// Sends one command and reads until its Command Complete (or Command Status) arrives,
    /// handing everything else that arrives meanwhile to `body`; returns the return
    /// parameters, Status first. A non-zero Status throws.
    public func execute(_ command: HCICommand, timeout: Duration,
                        _ body: PacketHandler) throws(HCIHostError) -> [UInt8] {
        try execute(command.encoded, opcode: command.opcode, timeout: timeout, body)
    }

    /// `execute` for a command packet built elsewhere (without its H4 indicator).
    public func execute(_ packet: [UInt8], opcode: HCIOpcode, timeout: Duration,
                        _ body: PacketHandler) throws(HCIHostError) -> [UInt8] {
        awaited = opcode
        awaitedResult = nil
        defer { awaited = nil }
        send(command: packet)
        do throws(TransportError) { try flush() } catch { throw .transport(error) }
        let deadline = ContinuousClock.now + timeout
        while true {
            if let result = awaitedResult {
                let status = result.first ?? 0
                guard status == 0 else { throw .commandFailed(opcode: opcode, status: status) }
                return result
            }
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw .commandTimeout(opcode: opcode) }
            do throws(TransportError) {
                guard try receive(timeout: min(left, .milliseconds(50)), body) else { throw .closed }
                try flush()
            } catch {
                throw .transport(error)
            }
        }
    }

    /// Reads return parameters (after their Status) as `R`.
    public static func decode<R: HCICommandReturnParameters>(_ type: R.Type, _ parameters: [UInt8],
                                                             _ opcode: HCIOpcode) throws(HCIHostError) -> R {
        do throws(WireError) {
            var cursor = ByteCursor(parameters.span.bytes, layer: .hci)
            _ = try cursor.readUInt8("Status")
            return try R(parsing: &cursor, opcode: opcode)
        } catch {
            throw .malformedReturnParameters(opcode: opcode, error)
        }
    }
}
