import BLEHost
import BLEWire
import GatewayStore
import ProtocolSpecs
import WearMetrics

/// The gateway's ingest stage: what the central host receives becomes rows.
///
/// For every characteristic value and advertisement with a Protocols spec it
/// 1. keeps the payload as it arrived (raw rows, for re-decoding and export),
/// 2. decodes it with the spec's compiled program into samples (reusing one sink per spec:
///    nothing is allocated per packet once the sinks have grown),
/// 3. puts each sample on the gateway's clock: payloads that carry a device clock
///    (`device_time`, with `sample_interval` per frame or `sample_rate` per element) go
///    through that device's ``DeviceClockFit``; the others take their arrival time,
/// 4. appends it all to a ``StoreBatch`` that ``commitIfDue(at:)`` writes in one
///    transaction per commit interval.
///
/// A device whose payloads keep failing to decode is quarantined: counted, logged once,
/// recorded as a device event, and its values ignored until the gateway restarts.
public final class GatewayIngest: CentralHostDelegate {
    public let catalog: ProtocolCatalog
    public let store: GatewayStore
    /// Seconds between commits: the most a crash can lose of what arrived.
    public let commitInterval: Double
    /// A batch this large is committed without waiting for the interval.
    public var maximumBatchSamples = 32_768
    public let quarantine: QuarantinePolicy
    /// Where log lines go (no measurement values in them: health data stays out of logs).
    public var log: (GatewayLogLevel, String) -> Void = { _, _ in }

    public private(set) var statistics = GatewayStatistics()
    /// Per device: what the status display shows.
    public var devices: [BDAddress: DeviceStatus] { states.mapValues(\.status) }

    var batch = StoreBatch()
    var lastCommit: Double?
    /// One object per device and one per format, so that a payload costs one dictionary
    /// lookup for each and mutates in place (no copy-on-write of a struct taken out).
    var states: [BDAddress: DeviceIngestState] = [:]
    var characteristicFormats: [BluetoothUUID: PayloadFormat] = [:]
    var advertisedFormats: [String: PayloadFormat] = [:]

    final class DeviceIngestState {
        var status: DeviceStatus
        var clock: DeviceClockFit?
        /// The address as text, made once: `description` builds a new string each time.
        let addressText: String

        init(address: BDAddress) {
            status = DeviceStatus(address: address)
            addressText = address.description
        }
    }

    /// A Protocols spec with its reusable sample sink and the UUID text rows carry.
    final class PayloadFormat {
        let spec: ProtocolSpec
        var sink: PayloadSampleSink
        let uuidText: String

        init(spec: ProtocolSpec, uuidText: String) {
            self.spec = spec
            sink = PayloadSampleSink(program: spec.program)
            self.uuidText = uuidText
        }
    }

    func state(_ address: BDAddress) -> DeviceIngestState {
        if let state = states[address] { return state }
        let state = DeviceIngestState(address: address)
        states[address] = state
        return state
    }
    /// The last advertisement payload per device and format: repeats of the same bytes
    /// (a device re-advertising unchanged data every 100 ms) are stored once.
    var lastAdvertisement: [AdvertisementKey: [UInt8]] = [:]

    struct AdvertisementKey: Hashable {
        var address: BDAddress
        var format: String
    }

    public init(catalog: ProtocolCatalog, store: GatewayStore, commitInterval: Double = 1,
                quarantine: QuarantinePolicy = QuarantinePolicy()) {
        self.catalog = catalog
        self.store = store
        self.commitInterval = commitInterval
        self.quarantine = quarantine
    }

    /// Whether the host should subscribe to a characteristic: it has a spec.
    public func wantsSubscription(_ uuid: BluetoothUUID) -> Bool { catalog.spec(forCharacteristic: uuid) != nil }

    /// Device Information strings and Battery Level are read once per connection.
    public func wantsRead(_ uuid: BluetoothUUID) -> Bool {
        guard let short = uuid.uuid16 else { return false }
        return (0x2A24...0x2A29).contains(short) || short == 0x2A19
    }

    // MARK: CentralHostDelegate

    public func central(_ host: CentralHost, value: RawSpan, of characteristic: BluetoothUUID,
                        kind: CharacteristicValueKind, from peer: CentralPeer, at time: Double) {
        ingestValue(value, of: characteristic, kind: kind, from: peer.address, at: time)
    }

    public func central(_ host: CentralHost, advertisement data: RawSpan, from address: BDAddress, rssi: Int8,
                        at time: Double) {
        ingestAdvertisement(data, from: address, at: time)
    }

    // MARK: Ingest

    /// A characteristic value from a device, as it arrived at `time` (gateway seconds).
    public func ingestValue(_ value: RawSpan, of characteristic: BluetoothUUID, kind: CharacteristicValueKind,
                            from address: BDAddress, at time: Double) {
        let time = Self.quantized(time)
        statistics.values += 1
        let format: PayloadFormat
        if let known = characteristicFormats[characteristic] {
            format = known
        } else {
            guard let spec = catalog.spec(forCharacteristic: characteristic) else {
                statistics.unknownFormats += 1
                return
            }
            format = PayloadFormat(spec: spec, uuidText: characteristic.description)
            characteristicFormats[characteristic] = format
        }
        ingest(value, format: format, address: address, source: kind.rawValue, at: time)
    }

    /// An advertising report's AD data: service data and manufacturer data with a spec.
    public func ingestAdvertisement(_ data: RawSpan, from address: BDAddress, at time: Double) {
        let time = Self.quantized(time)
        statistics.advertisements += 1
        var structures = ADStructureIterator(data)
        while true {
            let structure: ADStructure
            do throws(WireError) {
                guard let next = try structures.next() else { return }
                structure = next
            } catch {
                malformed(address, what: "advertising data: \(error)", at: time)
                return
            }
            switch structure.type {
            case .serviceData16, .serviceData32, .serviceData128:
                guard let serviceData = try? structure.serviceData(),
                      let spec = catalog.spec(forServiceData: serviceData.uuid) else { continue }
                advertised(serviceData.data, spec: spec, address: address, uuid: { serviceData.uuid.description }, at: time)
            case .manufacturerSpecificData:
                guard let manufacturer = try? structure.manufacturerData(),
                      let spec = catalog.spec(forManufacturer: manufacturer.companyID) else { continue }
                let company = manufacturer.companyID
                advertised(manufacturer.data, spec: spec, address: address,
                           uuid: { "0x" + String(company, radix: 16, uppercase: true) }, at: time)
            default:
                continue
            }
        }
    }

    public func central(_ host: CentralHost, event: CentralEvent, at time: Double) {
        let micros = Self.micros(time)
        switch event {
        case .connected(let peer):
            let device = state(peer.address)
            device.status.connected = true
            if let name = peer.name {
                device.status.name = name
                batch.setDeviceName(name, address: device.addressText)
            }
            batch.appendEvent(gatewayTimeMicros: micros, address: peer.address.description, kind: DeviceEventKind.connected,
                              detail: nil)
            log(.info, event.description)
        case .disconnected(let peer, let reason):
            states[peer.address]?.status.connected = false
            batch.appendEvent(gatewayTimeMicros: micros, address: peer.address.description,
                              kind: DeviceEventKind.disconnected, detail: HCIStatusCode.describe(reason))
            log(.info, event.description)
        case .ready(let peer, _, _):
            states[peer.address]?.status.subscribed = true
            log(.info, event.description)
        case .connecting, .backoff, .connectionParametersUpdated:
            log(.debug, event.description)
        case .controllerReady, .connectFailed, .attError, .attTimeout, .commandFailed, .unexpectedPacket:
            log(event.isWarning ? .warning : .info, event.description)
        }
    }

    // MARK: Decoding

    func advertised(_ data: RawSpan, spec: ProtocolSpec, address: BDAddress, uuid: () -> String, at time: Double) {
        let key = AdvertisementKey(address: address, format: spec.name)
        let bytes = data.withUnsafeBytes { Array($0) }
        if lastAdvertisement[key] == bytes {
            statistics.repeatedAdvertisements += 1
            return
        }
        lastAdvertisement[key] = bytes
        let uuidText = uuid()
        let formatKey = spec.name + " " + uuidText
        let format: PayloadFormat
        if let known = advertisedFormats[formatKey] { format = known } else {
            format = PayloadFormat(spec: spec, uuidText: uuidText)
            advertisedFormats[formatKey] = format
        }
        ingest(data, format: format, address: address, source: RawPayloadSource.advertisement, at: time)
    }

    func ingest(_ data: RawSpan, format: PayloadFormat, address: BDAddress, source: String, at time: Double) {
        let device = state(address)
        guard device.status.quarantinedAt == nil else {
            statistics.quarantinedPayloads += 1
            return
        }
        let micros = Self.micros(time)
        let name = device.addressText
        let uuid = format.uuidText
        let spec = format.spec
        format.sink.reset()
        let decoded: Bool
        do throws(WireError) {
            try spec.program.decode(data, into: &format.sink, base: 0)
            decoded = true
        } catch {
            data.withUnsafeBytes { batch.appendRaw(gatewayTimeMicros: micros, address: name, source: source, uuid: uuid, bytes: $0) }
            malformed(address, what: "\(spec.name): \(error)", at: time)
            decoded = false
        }
        guard decoded else { return }
        data.withUnsafeBytes { batch.appendRaw(gatewayTimeMicros: micros, address: name, source: source, uuid: uuid, bytes: $0) }
        device.status.recordGood(quarantine)
        let samples = format.sink.samples

        // The device clock, if the payload has one: its first element's time, and how far
        // apart frames (or elements of a repeated field) are.
        var deviceTime: Double?
        var frameInterval: Double?
        var elementRate: Double?
        for sample in samples {
            switch sample.quantity {
            case "device_time": deviceTime = sample.unit == "ms" ? sample.value / 1000 : sample.value
            case "sample_interval": frameInterval = sample.value
            case "sample_rate": elementRate = sample.value > 0 ? sample.value : nil
            default: break
            }
        }
        var deviceSeconds: Double?
        if let deviceTime, deviceTime >= 0 {
            if device.clock == nil { device.clock = DeviceClockFit() }
            let observation = device.clock!.observe(deviceCounter: UInt64((deviceTime * 1000).rounded()),
                                                          gatewayTime: time)
            switch observation.event {
            case .reboot:
                batch.appendEvent(gatewayTimeMicros: micros, address: name, kind: DeviceEventKind.reboot, detail: nil)
                log(.info, "\(name): device rebooted (its clock restarted)")
            case .jump(let seconds):
                batch.appendEvent(gatewayTimeMicros: micros, address: name, kind: "clock_jump",
                                  detail: "\(seconds) s")
                log(.info, "\(name): device clock jumped by \(Int(seconds)) s")
            default:
                break
            }
            // A rejected observation has no device time: the samples take the arrival time.
            if observation.deviceSeconds.isFinite { deviceSeconds = observation.deviceSeconds }
        }
        let fit = deviceSeconds == nil ? nil : device.clock
        // The status display reads the latest values once a second: refreshing them four
        // times a second keeps string-keyed updates off the per-sample path.
        let refreshStatus = time - (device.status.lastSeen ?? -.infinity) >= 0.25

        for sample in samples {
            switch sample.quantity {
            case "device_time", "sample_interval", "sample_rate": continue
            default: break
            }
            guard sample.value.isFinite else {
                statistics.specialValues += 1
                continue
            }
            var channel = Int(sample.index)
            var sampleMicros = micros
            var sampleDeviceMicros: Int64?
            if let deviceSeconds {
                var offset = 0.0
                if sample.frame >= 0, let frameInterval {
                    offset = Double(sample.frame) * frameInterval
                } else if let elementRate, sample.index >= 0 {
                    // Elements of a repeated field sampled at a rate (a PPG burst): each is its
                    // own instant, so the index is time, not a channel.
                    offset = Double(sample.index) / elementRate
                    channel = -1
                }
                let instant = deviceSeconds + offset
                sampleDeviceMicros = Int64((instant * 1_000_000).rounded())
                if let mapped = fit?.mapToGateway(deviceSeconds: instant) { sampleMicros = Self.micros(mapped) }
            }
            batch.appendSample(gatewayTimeMicros: sampleMicros, deviceTimeMicros: sampleDeviceMicros, address: name,
                               quantity: sample.quantity, unit: sample.unit, channel: channel, value: sample.value)
            statistics.samples += 1
            if refreshStatus { device.status.latest(sample.quantity, sample.value, unit: sample.unit, channel: channel) }
        }
        if refreshStatus { device.status.lastSeen = time }
    }

    func malformed(_ address: BDAddress, what: String, at time: Double) {
        statistics.malformedPayloads += 1
        let device = state(address)
        device.status.malformed += 1
        if device.status.recordBad(quarantine) {
            device.status.quarantinedAt = time
            statistics.quarantinedDevices += 1
            batch.appendEvent(gatewayTimeMicros: Self.micros(time), address: device.addressText,
                              kind: DeviceEventKind.quarantined, detail: what)
            log(.warning, "\(address): quarantined after \(device.status.malformed) malformed payloads (last: \(what))")
        } else if device.status.malformed == 1 {
            log(.warning, "\(address): malformed payload (\(what)); further ones are counted, not logged")
        }
    }

    // MARK: Committing

    /// Commits the batch when the commit interval has passed since the last commit, or
    /// sooner when it holds `maximumBatchSamples`: a busy gateway (200 insoles and bands
    /// make ~180,000 samples a second) then keeps its memory bounded.
    public func commitIfDue(at time: Double) throws(GatewayStoreError) {
        guard let last = lastCommit else {
            lastCommit = time
            return
        }
        if time - last >= commitInterval || batch.sampleCount >= maximumBatchSamples { try commit(at: time) }
    }

    /// Writes what was batched in one transaction.
    public func commit(at time: Double) throws(GatewayStoreError) {
        lastCommit = time
        guard !batch.isEmpty else { return }
        try store.commit(batch)
        statistics.commits += 1
        statistics.committedSamples += batch.sampleCount
        batch.removeAll()
    }

    static func micros(_ seconds: Double) -> Int64 { Int64((seconds * 1_000_000).rounded()) }

    /// Arrival times are kept to the microsecond, the resolution of the store and of a
    /// btsnoop capture: a replayed capture then yields exactly the rows of the live run.
    static func quantized(_ seconds: Double) -> Double { Double(micros(seconds)) / 1_000_000 }
}

extension CentralEvent {
    var isWarning: Bool {
        switch self {
        case .connectFailed, .attError, .attTimeout, .commandFailed, .unexpectedPacket: true
        default: false
        }
    }
}
