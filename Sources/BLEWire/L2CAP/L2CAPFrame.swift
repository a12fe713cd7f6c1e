/// One whole L2CAP PDU handed out by `L2CAPReassembler`, borrowed for the duration of
/// the delivery callback.
///
/// When the PDU arrived in a single ACL packet (the common case) `payload` points into
/// that packet: nothing was copied. When it was reassembled, `payload` points into the
/// reassembler's per-connection buffer, which is reused for the next PDU, so the span
/// must not be kept (the compiler enforces that: this type is `~Escapable`).
public struct L2CAPFrame: ~Escapable {
    /// The HCI connection handle the PDU arrived on.
    public let connectionHandle: ConnectionHandle
    public let channelID: L2CAPChannelID
    /// The information payload, without the 4-byte basic header.
    public let payload: RawSpan
    /// Absolute offset of `payload[0]` in the caller's input, to pass as `base` to the
    /// next layer's parser. For a reassembled PDU the bytes were not contiguous in the
    /// input; this is then the offset just past the header in the start fragment (or of
    /// the start fragment itself when the header was split), so errors still point near
    /// where the PDU began.
    public let payloadOffset: Int
    /// Whether the PDU was joined from more than one ACL fragment (and so copied once).
    public let isReassembled: Bool

    @_lifetime(copy payload)
    @inlinable
    public init(connectionHandle: ConnectionHandle, channelID: L2CAPChannelID, payload: RawSpan, payloadOffset: Int, isReassembled: Bool) {
        self.connectionHandle = connectionHandle
        self.channelID = channelID
        self.payload = payload
        self.payloadOffset = payloadOffset
        self.isReassembled = isReassembled
    }
}
