/// Cuts a byte stream from a UART-style transport into HCI packets (the H4 framing of
/// Core Specification v5.4, Vol 4, Part A, §2), however the reads happened to split it.
///
/// ```
/// +-----------+---------------------+---------------------+
/// | indicator | HCI packet header   | payload             |   indicator: 0x01 command,
/// | (1 octet) | (2, 3 or 4 octets)  | (header's length)   |   0x02 ACL, 0x03 SCO,
/// +-----------+---------------------+---------------------+   0x04 event, 0x05 ISO
/// ```
///
/// A small state machine in the manner of swift-nio-extras' `LengthFieldBasedFrameDecoder`:
/// it waits for an indicator, then for the header of that packet type, then for the
/// payload length the header declared. Each complete packet is handed to the caller
/// *without* its indicator byte:
///
/// - A packet that lies wholly inside the chunk being fed is passed as a sub-span of that
///   chunk: no copy.
/// - A packet that straddles reads is assembled in one internal buffer that is reused for
///   every such packet. The length fields bound it (see `HCIPacketType.maximumPacketSize`,
///   at most 4 + 65535 bytes for ACL), so once it has grown to the largest packet seen the
///   framer allocates nothing more. (The buffer is copy-on-write: keep one framer per
///   stream and do not copy it while feeding.)
///
/// ## Errors and resynchronisation
///
/// H4 has no sync marker, so after a byte that is not a packet indicator the framer can
/// only guess where the next packet starts. Its policy: **drop the offending byte, count it
/// in `discardedByteCount`, and try the next byte as an indicator.** A `feed` call always
/// consumes its whole chunk: every packet in it is delivered, then the *first* error met
/// in that chunk (an unknown indicator, reported with its offset in the stream, or an
/// error thrown by `onPacket`) is thrown. Later errors in the same chunk are not reported
/// separately (count them in `onPacket`, or watch `discardedByteCount`). The framer stays
/// usable after throwing; `reset()` drops a partial packet, e.g. after the transport
/// reconnected.
public struct H4Framer: Sendable {
    @usableFromInline
    enum State: Equatable, Sendable {
        /// The next byte is an H4 packet indicator.
        case waitingForIndicator
        /// `assembly` holds part of this packet type's header.
        case waitingForHeader(HCIPacketType)
        /// `assembly` holds the header and part of a payload; the packet (without
        /// indicator) is `packetSize` bytes long.
        case waitingForPayload(HCIPacketType, packetSize: Int)
    }

    @usableFromInline var state: State = .waitingForIndicator
    /// Reassembly buffer for a packet that straddles reads; reused, never shrunk.
    @usableFromInline var assembly: [UInt8] = []
    /// Stream offset of `assembly[0]`.
    @usableFromInline var assemblyOffset: Int = 0

    /// Bytes fed so far: the stream offset of the next byte to arrive.
    public private(set) var streamOffset: Int = 0
    /// Bytes dropped because they were not a packet indicator (resynchronisation).
    public private(set) var discardedByteCount: Int = 0

    /// - Parameter reservedCapacity: bytes to reserve up front for packets that straddle
    ///   reads. The default holds any command or event; pass
    ///   `HCIPacketType.aclData.maximumPacketSize` to never allocate after `init`.
    public init(reservedCapacity: Int = HCIPacketType.event.maximumPacketSize) {
        let capacity = Swift.min(Swift.max(reservedCapacity, 0), HCIPacketType.aclData.maximumPacketSize)
        if capacity > 0 { assembly.reserveCapacity(capacity) }
    }

    /// Whether part of a packet is waiting for more bytes.
    public var hasPartialPacket: Bool { state != .waitingForIndicator }

    /// Bytes of the partial packet held so far (0 between packets).
    public var bufferedByteCount: Int { hasPartialPacket ? assembly.count : 0 }

    /// Forgets any partial packet; the next byte fed is taken as an indicator.
    public mutating func reset() {
        state = .waitingForIndicator
        assembly.removeAll(keepingCapacity: true)
    }

    /// Feeds the next bytes of the stream and calls `onPacket` for each packet they complete,
    /// with its type and its bytes without the indicator. The span is valid only during the
    /// call. See the type's documentation for what is thrown and when.
    public mutating func feed(
        _ chunk: RawSpan,
        _ onPacket: (HCIPacketType, RawSpan) throws(WireError) -> Void
    ) throws(WireError) {
        try feed(chunk) { (type, packet, _) throws(WireError) in try onPacket(type, packet) }
    }

    /// Like `feed(_:_:)`, also passing the stream offset of each packet's first byte (the
    /// byte after its indicator): give it to a parser as `base` so that its errors name the
    /// offset within the whole stream.
    public mutating func feed(
        _ chunk: RawSpan,
        _ onPacket: (HCIPacketType, RawSpan, _ streamOffset: Int) throws(WireError) -> Void
    ) throws(WireError) {
        let count = chunk.byteCount
        let chunkOffset = streamOffset
        var position = 0
        var firstError: WireError? = nil

        while position < count {
            switch state {
            case .waitingForIndicator:
                let indicator = chunk.unsafeLoad(fromUncheckedByteOffset: position, as: UInt8.self)
                guard let type = HCIPacketType(rawValue: indicator) else {
                    if firstError == nil {
                        firstError = WireError(.h4, .unknownType(field: "H4 packet indicator", value: Int(indicator)),
                                               at: chunkOffset &+ position)
                    }
                    discardedByteCount &+= 1
                    position &+= 1
                    continue
                }
                let start = position &+ 1
                let available = count &- start
                let headerSize = type.headerSize
                if available >= headerSize {
                    let packetSize = headerSize &+ type.payloadLength(inHeader: chunk, at: start)
                    if available >= packetSize {
                        // The common case: the whole packet is in this read, hand it over in place.
                        do throws(WireError) {
                            try onPacket(type, chunk.extracting(start..<(start &+ packetSize)), chunkOffset &+ start)
                        } catch {
                            if firstError == nil { firstError = error }
                        }
                        position = start &+ packetSize
                        continue
                    }
                    beginAssembly(at: chunkOffset &+ start, capacity: packetSize)
                    state = .waitingForPayload(type, packetSize: packetSize)
                } else {
                    beginAssembly(at: chunkOffset &+ start, capacity: headerSize)
                    state = .waitingForHeader(type)
                }
                append(chunk, start..<count)
                position = count

            case .waitingForHeader(let type):
                let headerSize = type.headerSize
                let take = Swift.min(headerSize &- assembly.count, count &- position)
                append(chunk, position..<(position &+ take))
                position &+= take
                guard assembly.count == headerSize else { continue }
                let packetSize = headerSize &+ type.payloadLength(inHeader: assembly.span.bytes, at: 0)
                if assembly.capacity < packetSize { assembly.reserveCapacity(packetSize) }
                state = .waitingForPayload(type, packetSize: packetSize)
                // A header that declares no payload completes the packet now, even at the
                // very end of the chunk.
                if packetSize == headerSize {
                    deliverAssembled(type, onPacket, firstError: &firstError)
                }

            case .waitingForPayload(let type, let packetSize):
                let take = Swift.min(packetSize &- assembly.count, count &- position)
                append(chunk, position..<(position &+ take))
                position &+= take
                if assembly.count == packetSize {
                    deliverAssembled(type, onPacket, firstError: &firstError)
                }
            }
        }

        streamOffset = chunkOffset &+ count
        if let firstError { throw firstError }
    }

    // MARK: Reassembly

    @usableFromInline
    mutating func beginAssembly(at offset: Int, capacity: Int) {
        assembly.removeAll(keepingCapacity: true)
        if assembly.capacity < capacity { assembly.reserveCapacity(capacity) }
        assemblyOffset = offset
    }

    @usableFromInline
    mutating func append(_ chunk: RawSpan, _ range: Range<Int>) {
        guard !range.isEmpty else { return }
        chunk.withUnsafeBytes { raw in
            assembly.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[range]))
        }
    }

    @usableFromInline
    mutating func deliverAssembled(
        _ type: HCIPacketType,
        _ onPacket: (HCIPacketType, RawSpan, Int) throws(WireError) -> Void,
        firstError: inout WireError?
    ) {
        do throws(WireError) {
            try onPacket(type, assembly.span.bytes, assemblyOffset)
        } catch {
            if firstError == nil { firstError = error }
        }
        state = .waitingForIndicator
        assembly.removeAll(keepingCapacity: true)
    }
}
