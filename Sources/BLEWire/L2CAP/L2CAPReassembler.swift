/// Joins the ACL fragments of each connection into whole L2CAP PDUs
/// (Core Specification v5.4, Vol 3, Part A, §7.2; ACL framing in Vol 4, Part E, §5.4.2).
///
/// A PDU starts with an ACL packet whose Packet_Boundary_Flag says "first" and goes on
/// with packets flagged "continuing" on the same connection handle until the byte count
/// in its basic header (`L2CAPBasicHeader`) is reached. Fragments of different
/// connections may interleave; fragments of one connection may not.
///
/// - Zero copy in the common case: a start fragment that already holds its whole PDU
///   is delivered as a sub-span of the fragment itself.
/// - Otherwise the fragments are copied into a per-connection buffer that is kept and
///   reused, so a connection allocates only the first time it needs reassembly (or
///   when a PDU is larger than any it sent before).
/// - Bounded: a PDU whose declared size (header included) exceeds `maximumPDUSize` is
///   rejected with `.oversize` before any of it is buffered.
/// - Errors (layer `.l2cap`, absolute offsets) discard the broken PDU; its remaining
///   continuation fragments are dropped quietly (counted in `discardedFragmentCount`)
///   and reassembly resumes with the next start fragment.
///
/// Call `reset(handle:)` when a connection closes: handles are reused by controllers.
public struct L2CAPReassembler {
    /// The largest basic frame the header can describe: 65535 payload bytes plus the header.
    public static let defaultMaximumPDUSize = Int(UInt16.max) + L2CAPBasicHeader.size

    /// The largest PDU accepted, header included. For a link that only carries ATT with
    /// an MTU of 517, `517 + 4` is enough.
    public let maximumPDUSize: Int

    /// Continuation fragments dropped because they belonged to a PDU already rejected.
    public private(set) var discardedFragmentCount = 0

    @usableFromInline
    enum Phase {
        case idle
        case assembling
        /// The current PDU was rejected; its continuations are dropped until a start.
        case discarding
    }

    @usableFromInline
    struct Connection {
        @usableFromInline var phase = Phase.idle
        /// Bytes of the PDU so far, header included. Kept between PDUs for its capacity.
        @usableFromInline var buffer: [UInt8] = []
        /// Total size of the PDU, header included; 0 while the header is still incomplete.
        @usableFromInline var expectedSize = 0
        /// Absolute offset of the start fragment, for errors about the header.
        @usableFromInline var startOffset = 0

        @usableFromInline init() {}
    }

    @usableFromInline var connections: [ConnectionHandle: Connection] = [:]
    /// Connections not idle; while it is 0 the fast path skips the dictionary entirely.
    @usableFromInline var activeCount = 0

    /// - Parameter maximumPDUSize: the largest PDU accepted, header included (at least 4).
    public init(maximumPDUSize: Int = L2CAPReassembler.defaultMaximumPDUSize) {
        self.maximumPDUSize = max(maximumPDUSize, L2CAPBasicHeader.size)
    }

    /// Whether a PDU is partly received on `handle`.
    public func isAssembling(handle: ConnectionHandle) -> Bool {
        activeCount > 0 && connections[handle]?.phase == .assembling
    }

    /// Forgets everything about `handle`, including its buffer: call on disconnection.
    public mutating func reset(handle: ConnectionHandle) {
        if let old = connections.removeValue(forKey: handle), old.phase != .idle {
            activeCount -= 1
        }
    }

    /// Forgets every connection (for example after an HCI reset).
    public mutating func resetAll() {
        connections.removeAll()
        activeCount = 0
    }

    /// Feeds one ACL fragment and calls `deliver` for the PDU it completes, if any.
    ///
    /// - Parameters:
    ///   - handle: the ACL connection handle.
    ///   - boundary: the ACL Packet_Boundary_Flag; every value but `.continuing` starts a PDU.
    ///   - fragment: the ACL payload (after the 4-byte ACL header).
    ///   - offset: absolute offset of `fragment[0]` in the caller's input, for errors.
    ///   - deliver: called at most once, synchronously, with the completed PDU.
    /// - Throws: `WireError` with layer `.l2cap` for a continuation without a start, a
    ///   start while a PDU is incomplete (the new start is still processed, and its PDU
    ///   delivered if complete, before the error about the abandoned one is thrown), an
    ///   oversize PDU, or a fragment running past the declared length; or whatever
    ///   `deliver` throws. The reassembler stays consistent in every case.
    @inlinable
    public mutating func push(
        handle: ConnectionHandle,
        boundary: ACLPacketBoundary,
        fragment: RawSpan,
        offset: Int,
        deliver: (borrowing L2CAPFrame) throws(WireError) -> Void
    ) throws(WireError) {
        if boundary.startsPDU {
            if activeCount == 0 {
                // Fast path: no connection is mid-PDU, so nothing to look up.
                try start(handle: handle, fragment: fragment, offset: offset, deliver: deliver)
                return
            }
            let abandoned = abandon(handle: handle, interruptedAt: offset)
            try start(handle: handle, fragment: fragment, offset: offset, deliver: deliver)
            if let abandoned { throw abandoned }
        } else {
            try continueAssembly(handle: handle, fragment: fragment, offset: offset, deliver: deliver)
        }
    }

    // MARK: Start fragments

    @inlinable
    mutating func start(
        handle: ConnectionHandle,
        fragment: RawSpan,
        offset: Int,
        deliver: (borrowing L2CAPFrame) throws(WireError) -> Void
    ) throws(WireError) {
        let count = fragment.byteCount
        guard count >= L2CAPBasicHeader.size else {
            // The header itself is split; it is rare but legal, so buffer it.
            begin(handle: handle, fragment: fragment, offset: offset, expectedSize: 0)
            return
        }
        var cursor = ByteCursor(fragment, layer: .l2cap, base: offset)
        let length = Int(try cursor.readUInt16("L2CAP length"))
        let channel = L2CAPChannelID(try cursor.readUInt16("L2CAP channel ID"))
        let total = length &+ L2CAPBasicHeader.size
        guard total <= maximumPDUSize else {
            if count < total { markDiscarding(handle: handle) }
            throw WireError(.l2cap, .oversize(field: "L2CAP PDU", limit: maximumPDUSize, actual: total), at: offset)
        }
        if count == total {
            let frame = L2CAPFrame(
                connectionHandle: handle, channelID: channel, payload: cursor.readRest(),
                payloadOffset: offset &+ L2CAPBasicHeader.size, isReassembled: false)
            try deliver(frame)
            return
        }
        guard count < total else {
            throw WireError(.l2cap, .lengthMismatch(field: "L2CAP length", declared: length, actual: count &- L2CAPBasicHeader.size), at: offset &+ total)
        }
        begin(handle: handle, fragment: fragment, offset: offset, expectedSize: total)
    }

    @usableFromInline
    mutating func begin(handle: ConnectionHandle, fragment: RawSpan, offset: Int, expectedSize: Int) {
        connections[handle, default: Connection()].begin(fragment: fragment, offset: offset, expectedSize: expectedSize)
        activeCount += 1
    }

    @usableFromInline
    mutating func markDiscarding(handle: ConnectionHandle) {
        connections[handle, default: Connection()].phase = .discarding
        activeCount += 1
    }

    /// Ends whatever `handle` was doing before a new start fragment; returns the error
    /// to report when a PDU was left incomplete.
    @usableFromInline
    mutating func abandon(handle: ConnectionHandle, interruptedAt offset: Int) -> WireError? {
        guard let phase = connections[handle]?.phase, phase != .idle else { return nil }
        var error: WireError?
        if phase == .assembling {
            error = connections[handle, default: Connection()].incompleteError(at: offset)
        }
        connections[handle, default: Connection()].clear()
        activeCount -= 1
        return error
    }

    // MARK: Continuation fragments

    @usableFromInline
    mutating func continueAssembly(
        handle: ConnectionHandle,
        fragment: RawSpan,
        offset: Int,
        deliver: (borrowing L2CAPFrame) throws(WireError) -> Void
    ) throws(WireError) {
        let phase = activeCount == 0 ? .idle : (connections[handle]?.phase ?? .idle)
        switch phase {
        case .idle:
            throw WireError(.l2cap, .invalidValue(field: "ACL continuation without a start fragment", value: Int(ACLPacketBoundary.continuing.rawValue)), at: offset)
        case .discarding:
            discardedFragmentCount &+= 1
            return
        case .assembling:
            break
        }
        let outcome = connections[handle, default: Connection()].append(fragment: fragment, offset: offset, limit: maximumPDUSize)
        switch outcome {
        case .needMore:
            return
        case .failed(let error):
            connections[handle, default: Connection()].phase = .discarding
            throw error
        case .complete:
            try deliverAssembled(handle: handle, deliver: deliver)
        }
    }

    @usableFromInline
    mutating func deliverAssembled(handle: ConnectionHandle, deliver: (borrowing L2CAPFrame) throws(WireError) -> Void) throws(WireError) {
        // Move the buffer out so the callback can borrow it while `self` stays mutable,
        // then move it back: the storage is never copied, only its reference swapped.
        var assembled: [UInt8] = []
        swap(&assembled, &connections[handle, default: Connection()].buffer)
        let startOffset = connections[handle, default: Connection()].startOffset
        connections[handle, default: Connection()].clear()
        activeCount -= 1
        defer {
            assembled.removeAll(keepingCapacity: true)
            swap(&assembled, &connections[handle, default: Connection()].buffer)
        }
        let channel = UInt16(assembled[2]) | UInt16(assembled[3]) << 8
        let bytes = assembled.span.bytes
        let frame = L2CAPFrame(
            connectionHandle: handle, channelID: L2CAPChannelID(channel),
            payload: bytes.extracting(L2CAPBasicHeader.size..<bytes.byteCount),
            payloadOffset: startOffset &+ L2CAPBasicHeader.size, isReassembled: true)
        try deliver(frame)
    }
}

extension L2CAPReassembler.Connection {
    @usableFromInline
    enum AppendOutcome {
        case needMore
        case complete
        case failed(WireError)
    }

    @usableFromInline
    mutating func begin(fragment: RawSpan, offset: Int, expectedSize: Int) {
        phase = .assembling
        startOffset = offset
        self.expectedSize = expectedSize
        buffer.removeAll(keepingCapacity: true)
        if expectedSize > 0 { buffer.reserveCapacity(expectedSize) }
        fragment.withUnsafeBytes { buffer.append(contentsOf: $0) }
    }

    @usableFromInline
    mutating func clear() {
        phase = .idle
        expectedSize = 0
        buffer.removeAll(keepingCapacity: true)
    }

    /// Why the PDU in progress is incomplete, reported at `offset` (the fragment that cut it off).
    @usableFromInline
    func incompleteError(at offset: Int) -> WireError {
        if expectedSize == 0 {
            return WireError(.l2cap, .truncated(field: "L2CAP header", needed: L2CAPBasicHeader.size, available: buffer.count), at: offset)
        }
        return WireError(.l2cap, .lengthMismatch(field: "L2CAP length", declared: expectedSize &- L2CAPBasicHeader.size, actual: buffer.count &- L2CAPBasicHeader.size), at: offset)
    }

    @usableFromInline
    mutating func append(fragment: RawSpan, offset: Int, limit: Int) -> AppendOutcome {
        let count = fragment.byteCount
        var consumed = 0
        if expectedSize == 0 {
            let take = min(L2CAPBasicHeader.size &- buffer.count, count)
            fragment.extracting(0..<take).withUnsafeBytes { buffer.append(contentsOf: $0) }
            consumed = take
            guard buffer.count == L2CAPBasicHeader.size else { return .needMore }
            let total = (Int(buffer[0]) | Int(buffer[1]) << 8) &+ L2CAPBasicHeader.size
            guard total <= limit else {
                return .failed(WireError(.l2cap, .oversize(field: "L2CAP PDU", limit: limit, actual: total), at: startOffset))
            }
            expectedSize = total
            buffer.reserveCapacity(total)
        }
        let rest = count &- consumed
        let missing = expectedSize &- buffer.count
        guard rest <= missing else {
            return .failed(WireError(
                .l2cap,
                .lengthMismatch(field: "L2CAP length", declared: expectedSize &- L2CAPBasicHeader.size, actual: buffer.count &+ rest &- L2CAPBasicHeader.size),
                at: offset &+ consumed &+ missing))
        }
        fragment.extracting(consumed..<count).withUnsafeBytes { buffer.append(contentsOf: $0) }
        return buffer.count == expectedSize ? .complete : .needMore
    }
}
