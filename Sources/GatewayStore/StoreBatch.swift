/// Everything the gateway pipeline accepted since its last commit, held in memory until
/// ``GatewayStore/commit(_:)`` writes it in one transaction.
///
/// The pipeline appends per packet and per sample, thousands of times a second, so an
/// append touches no SQLite and allocates nothing in steady state: device addresses,
/// quantity names and raw-payload kinds are interned to small integer keys inside the
/// batch (a sample row is six scalars), raw payload bytes are copied into one shared
/// byte buffer, and ``removeAll()`` keeps every buffer's capacity for the next interval.
/// The store turns the keys into database ids once per batch, not once per row.
///
/// A batch is a value: committing does not consume it. When ``GatewayStore/commit(_:)``
/// throws (disk full, a busy database), nothing of the batch was written and the caller
/// still holds all of it, to retry or to keep appending to.
///
/// ```swift
/// var batch = StoreBatch()
/// batch.appendRaw(gatewayTimeMicros: now, address: "C0:11:22:33:44:55",
///                 source: "notification", uuid: "2A37", bytes: payload)
/// batch.appendSample(gatewayTimeMicros: now, deviceTimeMicros: nil, address: "C0:11:22:33:44:55",
///                    quantity: "heart_rate", unit: "bpm", channel: -1, value: 72)
/// try store.commit(batch)
/// batch.removeAll()
/// ```
public struct StoreBatch: Sendable {
    // MARK: Interned strings

    /// Device addresses seen in this batch; a row refers to one by its index.
    var addresses = InternTable()
    /// Quantity names seen in this batch, and the unit first given for each.
    var quantities = InternTable()
    var quantityUnits: [String?] = []
    /// Raw payload kinds: "source\u{0}uuid" pairs, split again when stored.
    var payloadKinds = InternTable()
    var payloadKindParts: [(source: String, uuid: String)] = []

    /// Earliest and latest gateway time each device appears with in this batch (index =
    /// address key), so the commit updates `device.first_seen_us`/`last_seen_us` once
    /// per device instead of once per row.
    var deviceFirstSeen: [Int64] = []
    var deviceLastSeen: [Int64] = []

    // MARK: Rows

    var samples: [PendingSample] = []
    var raws: [PendingRaw] = []
    /// The bytes of every raw payload, back to back; `PendingRaw.byteRange` points in.
    var rawBytes: [UInt8] = []
    var events: [PendingEvent] = []
    /// Metric records, and the metric names (with units) and wearers they refer to.
    var metricRecords: [PendingMetricRecord] = []
    var metrics = InternTable()
    var metricUnits: [String] = []
    var wearers = InternTable()
    /// Names learnt for devices (address key -> name), last one wins.
    var deviceNames: [Int32: String] = [:]

    /// Samples refused by ``appendSample(gatewayTimeMicros:deviceTimeMicros:address:quantity:unit:channel:value:)``
    /// because their value was NaN: not a measurement, and not comparable, so it is kept
    /// out of the store (and counted here, so the pipeline can report it). Metric records
    /// with a NaN or infinite value count here too.
    public internal(set) var rejectedSampleCount = 0

    /// An empty batch.
    public init() {}

    // MARK: Appending

    /// Appends a payload exactly as it arrived, for re-decoding and export.
    ///
    /// - Parameters:
    ///   - gatewayTimeMicros: when the gateway received it, µs since the Unix epoch.
    ///   - address: the device's Bluetooth address, e.g. `"C0:11:22:33:44:55"`.
    ///   - source: how it arrived: `"notification"`, `"indication"`, `"read"` or
    ///     `"advertisement"` (see ``RawPayloadSource``).
    ///   - uuid: the characteristic or service-data UUID, or `"0xNNNN"` for
    ///     manufacturer data (the company identifier).
    ///   - bytes: the payload; copied into the batch.
    public mutating func appendRaw(
        gatewayTimeMicros: Int64, address: String, source: String, uuid: String, bytes: some Collection<UInt8>
    ) {
        let copy = Array(bytes)
        copy.withUnsafeBytes { buffer in
            appendRaw(gatewayTimeMicros: gatewayTimeMicros, address: address, source: source, uuid: uuid, bytes: buffer)
        }
    }

    /// `appendRaw` for bytes lent as a buffer: not generic, so a caller in another module
    /// pays no generic dispatch per payload (the gateway's hot path).
    public mutating func appendRaw(
        gatewayTimeMicros: Int64, address: String, source: String, uuid: String, bytes: UnsafeRawBufferPointer
    ) {
        let device = noteDevice(address, at: gatewayTimeMicros)
        let kind = internPayloadKind(source: source, uuid: uuid)
        let start = rawBytes.count
        rawBytes.append(contentsOf: bytes)
        raws.append(PendingRaw(
            gatewayTime: gatewayTimeMicros, device: device, kind: kind,
            byteRange: start..<rawBytes.count))
    }

    /// Appends one decoded sample.
    ///
    /// - Parameters:
    ///   - gatewayTimeMicros: gateway time of the sample, µs since the Unix epoch.
    ///   - deviceTimeMicros: the device's own clock for the sample, or nil when the
    ///     device sends none.
    ///   - address: the device's Bluetooth address.
    ///   - quantity: what was measured, as the Protocols specs name it
    ///     (`"heart_rate"`, `"rr_interval"`, `"plantar_force"`, ...).
    ///   - unit: its unit (`"bpm"`, `"s"`, `"N"`), stored with the quantity the first
    ///     time the store sees it.
    ///   - channel: the index within the quantity (insole cell, n-th RR interval of a
    ///     packet), or -1 for a scalar.
    ///   - value: the value; a NaN is not stored and counts in ``rejectedSampleCount``.
    public mutating func appendSample(
        gatewayTimeMicros: Int64, deviceTimeMicros: Int64?, address: String,
        quantity: String, unit: String?, channel: Int, value: Double
    ) {
        guard !value.isNaN else {
            rejectedSampleCount += 1
            return
        }
        let device = noteDevice(address, at: gatewayTimeMicros)
        let quantityKey = internQuantity(quantity, unit: unit)
        samples.append(PendingSample(
            gatewayTime: gatewayTimeMicros, deviceTime: deviceTimeMicros ?? 0,
            hasDeviceTime: deviceTimeMicros != nil, device: device, quantity: quantityKey,
            channel: channel, value: value))
    }

    /// Appends a device event: a connection, a disconnection, a reboot, a quarantine.
    ///
    /// Two kinds also change the device row when committed: ``DeviceEventKind/quarantined``
    /// sets `device.quarantined_at_us` to the event's time, ``DeviceEventKind/released``
    /// clears it. Events apply in the order they were appended.
    public mutating func appendEvent(gatewayTimeMicros: Int64, address: String, kind: String, detail: String?) {
        let device = noteDevice(address, at: gatewayTimeMicros)
        events.append(PendingEvent(gatewayTime: gatewayTimeMicros, device: device, kind: kind, detail: detail))
    }

    /// Records the name a device advertises (its Complete or Shortened Local Name);
    /// stored in `device.name` at commit, the last one appended winning.
    ///
    /// A name alone does not count as seeing the device: its first/last-seen times come
    /// from payloads, samples and events.
    public mutating func setDeviceName(_ name: String, address: String) {
        let device = internDevice(address)
        deviceNames[device] = name
    }

    // MARK: Size

    /// Whether there is nothing to commit.
    public var isEmpty: Bool {
        samples.isEmpty && raws.isEmpty && events.isEmpty && deviceNames.isEmpty && metricRecords.isEmpty
    }

    /// Number of samples appended (NaN values excluded).
    public var sampleCount: Int { samples.count }

    /// Number of raw payloads appended.
    public var rawCount: Int { raws.count }

    /// Number of device events appended.
    public var eventCount: Int { events.count }

    /// Total bytes of raw payloads held, a measure of the batch's memory besides its rows.
    public var rawByteCount: Int { rawBytes.count }

    /// Empties the batch and keeps its buffers' capacity for the next commit interval.
    public mutating func removeAll() {
        addresses.removeAll()
        quantities.removeAll()
        quantityUnits.removeAll(keepingCapacity: true)
        payloadKinds.removeAll()
        payloadKindParts.removeAll(keepingCapacity: true)
        deviceFirstSeen.removeAll(keepingCapacity: true)
        deviceLastSeen.removeAll(keepingCapacity: true)
        samples.removeAll(keepingCapacity: true)
        raws.removeAll(keepingCapacity: true)
        rawBytes.removeAll(keepingCapacity: true)
        events.removeAll(keepingCapacity: true)
        deviceNames.removeAll(keepingCapacity: true)
        metricRecords.removeAll(keepingCapacity: true)
        metrics.removeAll()
        metricUnits.removeAll(keepingCapacity: true)
        wearers.removeAll()
        rejectedSampleCount = 0
    }

    // MARK: Interning

    mutating func internDevice(_ address: String) -> Int32 {
        let (key, isNew) = addresses.intern(address)
        if isNew {
            deviceFirstSeen.append(.max)
            deviceLastSeen.append(.min)
        }
        return key
    }

    private mutating func noteDevice(_ address: String, at time: Int64) -> Int32 {
        let key = internDevice(address)
        let index = Int(key)
        if time < deviceFirstSeen[index] { deviceFirstSeen[index] = time }
        if time > deviceLastSeen[index] { deviceLastSeen[index] = time }
        return key
    }

    private mutating func internQuantity(_ name: String, unit: String?) -> Int32 {
        let (key, isNew) = quantities.intern(name)
        if isNew {
            quantityUnits.append(unit)
        } else if quantityUnits[Int(key)] == nil, let unit {
            quantityUnits[Int(key)] = unit
        }
        return key
    }

    private mutating func internPayloadKind(source: String, uuid: String) -> Int32 {
        // Fast path: consecutive payloads of the same kind (the usual stream of one
        // characteristic) skip building the combined key.
        if let last = payloadKinds.lastKey {
            let parts = payloadKindParts[Int(last)]
            if parts.source == source && parts.uuid == uuid { return last }
        }
        let (key, isNew) = payloadKinds.intern(source + "\u{0}" + uuid)
        if isNew { payloadKindParts.append((source, uuid)) }
        return key
    }

    /// Whether `device` (an address key) appeared with a timestamp in this batch, as
    /// opposed to only in ``setDeviceName(_:address:)``.
    func hasSeenTime(device: Int) -> Bool {
        deviceFirstSeen[device] <= deviceLastSeen[device]
    }
}

// MARK: - Row storage

/// A sample waiting for commit: scalars only, strings replaced by batch keys.
struct PendingSample: Sendable {
    var gatewayTime: Int64
    /// Meaningful only when `hasDeviceTime` (kept apart to avoid Optional's padding).
    var deviceTime: Int64
    var hasDeviceTime: Bool
    var device: Int32
    var quantity: Int32
    var channel: Int
    var value: Double
}

/// A raw payload waiting for commit; its bytes live in `StoreBatch.rawBytes`.
struct PendingRaw: Sendable {
    var gatewayTime: Int64
    var device: Int32
    var kind: Int32
    var byteRange: Range<Int>
}

/// A device event waiting for commit. Events are rare, so they keep their strings.
struct PendingEvent: Sendable {
    var gatewayTime: Int64
    var device: Int32
    var kind: String
    var detail: String?
}

/// Strings numbered in order of first appearance, with a one-entry cache because
/// packets of one device or quantity tend to come in runs.
struct InternTable: Sendable {
    private(set) var strings: [String] = []
    private var keys: [String: Int32] = [:]
    private(set) var lastKey: Int32?

    var count: Int { strings.count }

    /// Up to this many strings, a linear scan finds a key faster than hashing: the
    /// usual batch has a handful of quantities, and a packet's samples alternate between
    /// them (heart_rate, rr_interval, ...), defeating the one-entry cache.
    static let scannedCount = 8

    mutating func intern(_ string: String) -> (key: Int32, isNew: Bool) {
        if let last = lastKey, strings[Int(last)] == string { return (last, false) }
        if strings.count <= Self.scannedCount {
            for index in strings.indices where strings[index] == string {
                let key = Int32(truncatingIfNeeded: index)
                lastKey = key
                return (key, false)
            }
        } else if let key = keys[string] {
            lastKey = key
            return (key, false)
        }
        let key = Int32(truncatingIfNeeded: strings.count)
        strings.append(string)
        keys[string] = key
        lastKey = key
        return (key, true)
    }

    mutating func removeAll() {
        strings.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        lastKey = nil
    }
}
