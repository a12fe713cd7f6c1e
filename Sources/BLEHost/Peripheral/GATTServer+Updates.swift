import BLEWire

// Server-initiated updates (Vol 3, Part F, §3.4.7; Vol 3, Part G, §4.10-§4.11): sent
// only where the client enabled them in the CCCD, at most ATT_MTU - 3 value bytes, and
// at most one unconfirmed indication per bearer.

extension GATTServer {
    /// The most value bytes one notification or indication carries now: ATT_MTU - 3.
    public var maximumUpdateLength: Int { Int(mtu) - 3 }

    /// Whether the client enabled notifications or indications for this characteristic
    /// value handle, as far as the characteristic supports them.
    public func isSubscribed(handle: AttributeHandle) -> Bool {
        !enabled(handle).isEmpty
    }

    /// Whether the client enabled this kind of update (`.notification` or
    /// `.indication`) for this characteristic value handle.
    public func isSubscribed(handle: AttributeHandle, to kind: ClientCharacteristicConfiguration) -> Bool {
        enabled(handle).isSuperset(of: kind)
    }

    /// The enabled bits the characteristic's properties allow.
    private func enabled(_ handle: AttributeHandle) -> ClientCharacteristicConfiguration {
        guard let properties = database.clientConfigurable[handle],
              let configuration = clientConfigurations[handle] else { return [] }
        var supported: ClientCharacteristicConfiguration = []
        if properties.contains(.notify) { supported.insert(.notification) }
        if properties.contains(.indicate) { supported.insert(.indication) }
        return configuration.intersection(supported)
    }

    private func check(_ handle: AttributeHandle, _ kind: ClientCharacteristicConfiguration, length: Int) throws(GATTSendError) {
        guard database.clientConfigurable[handle] != nil else { throw .notConfigurable(handle: handle) }
        guard isSubscribed(handle: handle, to: kind) else { throw .notSubscribed(handle: handle) }
        guard length <= maximumUpdateLength else { throw .valueTooLong(length: length, maximum: maximumUpdateLength) }
    }

    // MARK: Notifications

    /// A Handle Value Notification PDU for `handle`, refusing a value that does not fit
    /// rather than cutting it, so the firmware can split it.
    public func makeNotification(handle: AttributeHandle, value: some Collection<UInt8>) throws(GATTSendError) -> [UInt8] {
        try check(handle, .notification, length: value.count)
        var writer = ByteWriter(capacity: 3 + value.count)
        ATTPDU.encodeHandleValueNotification(handle: handle, value: value, into: &writer)
        return writer.bytes
    }

    /// A Handle Value Notification PDU for `handle`, or nil when the client has not
    /// enabled notifications for it. A value longer than ATT_MTU - 3 is cut there, as
    /// Vol 3, Part G, §4.10.1 prescribes.
    public func notification(handle: AttributeHandle, value: some Collection<UInt8>) -> [UInt8]? {
        try? makeNotification(handle: handle, value: value.prefix(maximumUpdateLength))
    }

    // MARK: Indications

    /// A Handle Value Indication PDU for `handle`; it is outstanding until the client's
    /// Handle Value Confirmation reaches `handle(request:)`.
    public mutating func makeIndication(handle: AttributeHandle, value: some Collection<UInt8>) throws(GATTSendError) -> [UInt8] {
        if let pendingIndication { throw .indicationPending(handle: pendingIndication) }
        try check(handle, .indication, length: value.count)
        var writer = ByteWriter(capacity: 3 + value.count)
        ATTPDU.encodeHandleValueIndication(handle: handle, value: value, into: &writer)
        pendingIndication = handle
        return writer.bytes
    }

    /// A Handle Value Indication PDU for `handle`, or nil when the client has not enabled
    /// indications or one is still unconfirmed. A value longer than ATT_MTU - 3 is cut
    /// there (Vol 3, Part G, §4.11.1).
    public mutating func indication(handle: AttributeHandle, value: some Collection<UInt8>) -> [UInt8]? {
        try? makeIndication(handle: handle, value: value.prefix(maximumUpdateLength))
    }
}
