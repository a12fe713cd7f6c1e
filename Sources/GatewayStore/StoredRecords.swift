/// A sample as read back from the store.
public struct StoredSample: Sendable, Equatable {
    /// Gateway time, µs since the Unix epoch.
    public var gatewayTimeMicros: Int64
    /// The device's own clock, when it sent one.
    public var deviceTimeMicros: Int64?
    /// The device's Bluetooth address.
    public var address: String
    /// The quantity's name.
    public var quantity: String
    /// The quantity's unit, when known.
    public var unit: String?
    /// Index within the quantity (insole cell, n-th RR interval), -1 for a scalar.
    public var channel: Int
    public var value: Double

    public init(
        gatewayTimeMicros: Int64, deviceTimeMicros: Int64?, address: String, quantity: String,
        unit: String?, channel: Int, value: Double
    ) {
        self.gatewayTimeMicros = gatewayTimeMicros
        self.deviceTimeMicros = deviceTimeMicros
        self.address = address
        self.quantity = quantity
        self.unit = unit
        self.channel = channel
        self.value = value
    }
}

/// A raw payload as read back: the bytes exactly as the gateway received them.
public struct StoredRawPayload: Sendable, Equatable {
    /// Gateway time of arrival, µs since the Unix epoch.
    public var gatewayTimeMicros: Int64
    /// The device's Bluetooth address.
    public var address: String
    /// How it arrived (see ``RawPayloadSource``).
    public var source: String
    /// Characteristic or service-data UUID, or manufacturer `0xNNNN`.
    public var uuid: String
    public var bytes: [UInt8]

    public init(gatewayTimeMicros: Int64, address: String, source: String, uuid: String, bytes: [UInt8]) {
        self.gatewayTimeMicros = gatewayTimeMicros
        self.address = address
        self.source = source
        self.uuid = uuid
        self.bytes = bytes
    }
}

/// A device the store has heard of.
public struct StoredDevice: Sendable, Equatable {
    /// Its Bluetooth address.
    public var address: String
    /// The name it advertises, when learnt.
    public var name: String?
    /// Earliest and latest gateway time of any payload, sample or event of the device.
    public var firstSeenMicros: Int64?
    public var lastSeenMicros: Int64?
    /// Since when the device is quarantined; nil when it is not.
    public var quarantinedAtMicros: Int64?
    /// Number of stored samples, when asked for (a sum over the device's sample chunks).
    public var sampleCount: Int?

    /// Whether the gateway currently distrusts the device's data.
    public var isQuarantined: Bool { quarantinedAtMicros != nil }

    public init(
        address: String, name: String? = nil, firstSeenMicros: Int64? = nil, lastSeenMicros: Int64? = nil,
        quarantinedAtMicros: Int64? = nil, sampleCount: Int? = nil
    ) {
        self.address = address
        self.name = name
        self.firstSeenMicros = firstSeenMicros
        self.lastSeenMicros = lastSeenMicros
        self.quarantinedAtMicros = quarantinedAtMicros
        self.sampleCount = sampleCount
    }
}

/// A quantity the store holds samples of.
public struct StoredQuantity: Sendable, Equatable {
    public var name: String
    public var unit: String?

    public init(name: String, unit: String?) {
        self.name = name
        self.unit = unit
    }
}

/// A device event as read back.
public struct StoredEvent: Sendable, Equatable {
    /// Gateway time, µs since the Unix epoch.
    public var gatewayTimeMicros: Int64
    public var address: String
    /// See ``DeviceEventKind``.
    public var kind: String
    public var detail: String?

    public init(gatewayTimeMicros: Int64, address: String, kind: String, detail: String?) {
        self.gatewayTimeMicros = gatewayTimeMicros
        self.address = address
        self.kind = kind
        self.detail = detail
    }
}

/// How many rows the store holds.
public struct StoreCounts: Sendable, Equatable {
    public var samples: Int
    public var rawPayloads: Int
    public var devices: Int
    public var events: Int

    public init(samples: Int, rawPayloads: Int, devices: Int, events: Int) {
        self.samples = samples
        self.rawPayloads = rawPayloads
        self.devices = devices
        self.events = events
    }
}
