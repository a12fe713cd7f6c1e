import BLEHost
import BLEWire
import GatewayStore
import Logging
import ProtocolSpecs
import WearMetrics

/// The gateway's ingest stages: what the central host receives becomes rows.
///
/// For every characteristic value and advertisement with a Protocols spec:
/// 1. **decode**: the spec's compiled program turns the payload into samples (one reusable
///    sink per spec: nothing is allocated per packet once the sinks have grown); which
///    fields are the device clock (`device_time`, `sample_interval`, `sample_rate`) and
///    which are measurements is resolved once per spec (``PayloadFormat/roles``), not by
///    comparing quantity names per packet;
/// 2. **timestamp**: payloads that carry a device clock go through that device's
///    ``DeviceClockFit`` and every sample gets its own gateway time (frame interval or
///    element rate); the others take their arrival time;
/// 3. **fan-out** to the consumers: the ``StoreBatch`` (with the payload as it arrived, for
///    re-decoding and export), the live status, and any ``SampleConsumer`` (the metric
///    stages of later issues), each given the payload's timed samples at once.
///
/// ``commitIfDue(at:)`` hands the batch to a ``BatchHandoff`` once per commit interval (or
/// sooner when it is large): the store service's bounded queue when the gateway runs, a
/// direct commit for replays and tests. When the store is behind, the batch keeps growing up
/// to ``maximumPendingSamples``; beyond that, payloads are shed and counted, never blocking
/// the BLE thread.
///
/// A device whose payloads keep failing to decode is quarantined: counted, logged once,
/// recorded as a device event, and its values ignored until the gateway restarts.
public final class GatewayIngest: CentralHostDelegate {
    public let catalog: ProtocolCatalog
    /// Where finished batches go.
    public let handoff: any BatchHandoff
    /// Seconds between commits: the most a crash can lose of what arrived.
    public let commitInterval: Double
    /// A batch this large is handed over without waiting for the interval.
    public var maximumBatchSamples = 32_768
    /// While the store is behind, the batch may grow to this many samples; later payloads
    /// are shed (counted in ``GatewayStatistics/shedPayloads``) until it catches up.
    public var maximumPendingSamples = 8 * 32_768
    public let quarantine: QuarantinePolicy
    /// Log lines (no measurement values in them at any level above debug: health data stays
    /// out of logs).
    public var logger = Logger(label: "gaitway.ingest")
    /// Consumers of every payload's timed samples besides the store, the status and the metrics.
    public var consumers: [any SampleConsumer] = []
    /// Who wears which devices (the configuration's `wearers:`), for the metric stage; set
    /// before the first payload.
    public var wearers: [Wearer] {
        get { metrics.wearers }
        set { metrics = MetricStage(wearers: newValue, days: days) }
    }
    /// Where the wearers' days begin (the configuration's `time-zone`), for the metrics that
    /// summarise days and nights; set before the first payload.
    public var days: LocalDays {
        get { metrics.days }
        set { metrics = MetricStage(wearers: Array(metrics.wearers.prefix(metrics.configuredWearers)), days: newValue) }
    }
    var metrics = MetricStage(wearers: [])

    /// Each wearer's latest gait and heart (configured wearers, then advertised insole pairs),
    /// for the live table.
    public var wearerStatuses: [WearerStatus] { wearerStatuses(devices: devices) }

    /// The same, from ``devices`` already taken (the status display takes it once a tick).
    public func wearerStatuses(devices: [BDAddress: DeviceStatus]) -> [WearerStatus] {
        metrics.wearerStatuses(devices: devices)
    }

    public private(set) var statistics = GatewayStatistics()
    /// Per device: what the status display shows.
    public var devices: [BDAddress: DeviceStatus] {
        let waiting = host?.waitingDevices ?? []
        return states.mapValues { state in
            var status = state.status
            status.waiting = waiting.contains(status.address)
            return status
        }
    }
    /// The host whose events arrive here: it knows which devices wait for a link.
    weak var host: CentralHost?

    var batch = StoreBatch()
    var lastCommit: Double?
    /// The current payload's samples on the gateway clock, handed to every consumer.
    var timed: [TimedSample] = []
    /// When the last "store is behind" line was logged (one a minute at most).
    var lastShedLog = -Double.infinity
    /// One object per device and one per format, so that a payload costs one dictionary
    /// lookup for each and mutates in place (no copy-on-write of a struct taken out).
    var states: [BDAddress: DeviceIngestState] = [:]
    var characteristicFormats: [BluetoothUUID: PayloadFormat] = [:]
    var advertisedFormats: [String: PayloadFormat] = [:]
    var formatCount: Int { characteristicFormats.count + advertisedFormats.count }

    final class DeviceIngestState {
        var status: DeviceStatus
        var clock: DeviceClockFit?
        /// By ``PayloadFormat/slot``: what the status tracks of each format the device sends.
        var formats: [FormatStatus] = []
        /// The address as text, made once: `description` builds a new string each time.
        let addressText: String

        init(address: BDAddress) {
            status = DeviceStatus(address: address)
            addressText = address.description
        }
    }

    /// Per device and format. The status takes a format's values at most four times a
    /// second, gated per format, not per device: a wristband's PPG bursts arrive every
    /// 40 ms, and one device-wide gate let them take nearly every refresh, so its SpO2 (one
    /// payload a second) seldom reached the status; an insole's RSC cadence met the same
    /// fate behind its force frames, on one foot or the other as the phases fell.
    struct FormatStatus {
        var refreshedAt = -Double.infinity
        /// The last `sequence` field received on this link (gaps are lost notifications).
        var lastSequence: Int64?
    }

    /// A Protocols spec with its reusable sample sink, the role of each of its fields and
    /// the UUID text rows carry.
    final class PayloadFormat {
        let spec: ProtocolSpec
        var sink: SequencedSampleSink
        let uuidText: String
        /// Its index among the ingest's formats (``DeviceIngestState/statusRefreshedAt``).
        let slot: Int
        /// By field index (``PayloadSample/field``): what the field is to the timestamp stage.
        let roles: [FieldRole]
        /// What the format's payloads are to the metric stage.
        let metricInput: MetricInput

        init(spec: ProtocolSpec, uuidText: String, slot: Int) {
            self.spec = spec
            self.slot = slot
            sink = SequencedSampleSink(program: spec.program)
            self.uuidText = uuidText
            roles = spec.program.fields.map { FieldRole(quantity: $0.quantity, unit: $0.unit) }
            metricInput = MetricInput(spec: spec)
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

    public init(catalog: ProtocolCatalog, handoff: any BatchHandoff, commitInterval: Double = 1,
                quarantine: QuarantinePolicy = QuarantinePolicy()) {
        self.catalog = catalog
        self.handoff = handoff
        self.commitInterval = commitInterval
        self.quarantine = quarantine
    }

    /// Ingest that commits on the caller's thread (replays, tests).
    public convenience init(catalog: ProtocolCatalog, store: GatewayStore, commitInterval: Double = 1,
                            quarantine: QuarantinePolicy = QuarantinePolicy()) {
        self.init(catalog: catalog, handoff: DirectCommit(store: store), commitInterval: commitInterval,
                  quarantine: quarantine)
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
        // Every device heard gets its strength, with a format of ours or not (a band's
        // adverts carry only its name and services; it shows with its RSSI before and
        // while it connects).
        state(address).status.rssi = rssi
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
            format = PayloadFormat(spec: spec, uuidText: characteristic.description, slot: formatCount)
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
        self.host = host
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
            logger.info("\(event)")
        case .disconnected(let peer, let reason):
            states[peer.address]?.status.connected = false
            states[peer.address]?.status.drops += 1
            // A new link may restart the device's counters: gaps are counted within a link.
            if let device = states[peer.address] {
                for slot in device.formats.indices { device.formats[slot].lastSequence = nil }
            }
            batch.appendEvent(gatewayTimeMicros: micros, address: peer.address.description,
                              kind: DeviceEventKind.disconnected, detail: HCIStatusCode.describe(reason))
            logger.info("\(event)")
        case .ready(let peer, _, _):
            states[peer.address]?.status.subscribed = true
            logger.info("\(event)")
        case .connecting, .backoff, .connectionParametersUpdated:
            logger.debug("\(event)")
        case .devicesWaiting, .waitingChanged:
            logger.info("\(event)")
        case .controllerReady, .connectFailed, .attError, .attTimeout, .commandFailed, .unexpectedPacket:
            logger.log(level: event.isWarning ? .warning : .info, "\(event)")
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
            format = PayloadFormat(spec: spec, uuidText: uuidText, slot: formatCount)
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
        guard batch.sampleCount < maximumPendingSamples else {
            shed(at: time)
            return
        }
        let micros = Self.micros(time)
        let name = device.addressText
        let uuid = format.uuidText

        // Stage 1: decode.
        format.sink.reset()
        do throws(WireError) {
            try format.spec.program.decode(data, into: &format.sink, base: 0)
        } catch {
            data.withUnsafeBytes { batch.appendRaw(gatewayTimeMicros: micros, address: name, source: source, uuid: uuid, bytes: $0) }
            malformed(address, what: "\(format.spec.name): \(error)", at: time)
            return
        }
        data.withUnsafeBytes { batch.appendRaw(gatewayTimeMicros: micros, address: name, source: source, uuid: uuid, bytes: $0) }
        device.status.recordGood(quarantine)

        // Stage 2: timestamp.
        timestamp(format, device: device, arrival: time)

        // Stage 3: fan-out. The status display reads the latest values once a second:
        // refreshing each format's four times a second keeps string-keyed updates off the
        // per-sample path.
        let slot = format.slot
        if device.formats.count <= slot {
            device.formats += repeatElement(FormatStatus(), count: slot + 1 - device.formats.count)
        }
        if let sequence = format.sink.sequence {
            if let last = device.formats[slot].lastSequence {
                device.status.sequenceGaps += sequenceGap(from: last, to: sequence)
            }
            device.formats[slot].lastSequence = sequence
        }
        let refreshStatus = time - device.formats[slot].refreshedAt >= 0.25
        if refreshStatus { device.formats[slot].refreshedAt = time }
        for sample in timed {
            batch.appendSample(gatewayTimeMicros: sample.gatewayMicros, deviceTimeMicros: sample.deviceMicros,
                               address: name, quantity: sample.quantity, unit: sample.unit, channel: sample.channel,
                               value: sample.value)
            if refreshStatus { device.status.latest(sample.quantity, sample.value, unit: sample.unit, channel: sample.channel, at: time) }
        }
        statistics.samples += timed.count
        device.status.lastSeen = time
        if !consumers.isEmpty {
            timed.withUnsafeBufferPointer { samples in
                for consumer in consumers { consumer.consume(samples, from: address) }
            }
        }
        if case .none = format.metricInput {} else {
            metrics.consume(timed[...], input: format.metricInput, fields: format.sink, device: address,
                            addressText: name, into: &batch)
        }
    }

    /// Puts the decoded samples of `format.sink` on the gateway clock, into ``timed``.
    func timestamp(_ format: PayloadFormat, device: DeviceIngestState, arrival time: Double) {
        let micros = Self.micros(time)
        let samples = format.sink.samples.samples
        let roles = format.roles
        // The device clock, if the payload has one: its first element's time, and how far
        // apart frames (or elements of a repeated field) are.
        var deviceTime: Double?
        var frameInterval: Double?
        var elementRate: Double?
        for sample in samples {
            switch roles[Int(sample.field)] {
            case .deviceTime(let perSecond): deviceTime = sample.value / perSecond
            case .sampleInterval: frameInterval = sample.value
            case .sampleRate: elementRate = sample.value > 0 ? sample.value : nil
            case .measurement: break
            }
        }
        var deviceSeconds: Double?
        if let deviceTime, deviceTime >= 0 {
            if device.clock == nil { device.clock = DeviceClockFit() }
            let observation = device.clock!.observe(deviceCounter: UInt64((deviceTime * 1000).rounded()),
                                                    gatewayTime: time)
            switch observation.event {
            case .reboot:
                batch.appendEvent(gatewayTimeMicros: micros, address: device.addressText, kind: DeviceEventKind.reboot,
                                  detail: nil)
                logger.info("\(device.addressText): device rebooted (its clock restarted)")
                // A new time base: a stride in progress cannot span it (lost notifications do
                // not interrupt: their frame times show the gap, which the metrics bridge or end).
                metrics.interrupt(device.status.address, into: &batch)
            case .jump(let seconds):
                batch.appendEvent(gatewayTimeMicros: micros, address: device.addressText, kind: "clock_jump",
                                  detail: "\(seconds) s")
                logger.info("\(device.addressText): device clock jumped by \(Int(seconds)) s")
                metrics.interrupt(device.status.address, into: &batch)
            default:
                break
            }
            // A rejected observation has no device time: the samples take the arrival time.
            if observation.deviceSeconds.isFinite { deviceSeconds = observation.deviceSeconds }
        }
        let fit = deviceSeconds == nil ? nil : device.clock

        timed.removeAll(keepingCapacity: true)
        for sample in samples {
            guard case .measurement = roles[Int(sample.field)] else { continue }
            guard sample.value.isFinite else {
                statistics.specialValues += 1
                continue
            }
            var channel = Int(sample.index)
            var sampleMicros = micros
            var sampleDeviceMicros: Int64?
            if let deviceSeconds {
                var offset = 0.0
                if sample.frame >= 0, let interval = frameInterval ?? elementRate.map({ 1 / $0 }) {
                    // Frames of a repeated group, `interval` apart or sampled at a rate
                    // (gaitway-motion's accelerometer samples).
                    offset = Double(sample.frame) * interval
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
            timed.append(TimedSample(gatewayMicros: sampleMicros, deviceMicros: sampleDeviceMicros,
                                     quantity: sample.quantity, unit: sample.unit, channel: channel, value: sample.value))
        }
    }

    /// The store is behind and the batch at its bound: drop this payload, count it, and say
    /// so once a minute.
    func shed(at time: Double) {
        statistics.shedPayloads += 1
        guard time - lastShedLog >= 60 else { return }
        lastShedLog = time
        logger.warning("the store is behind: \(batch.sampleCount) samples wait in memory; \(statistics.shedPayloads) payloads shed so far",
                       metadata: ["pending_batches": "\(handoff.progress.pendingBatches)"])
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
            logger.warning("\(address): quarantined after \(device.status.malformed) malformed payloads (last: \(what))")
        } else if device.status.malformed == 1 {
            logger.warning("\(address): malformed payload (\(what)); further ones are counted, not logged")
        }
    }

    // MARK: Committing

    /// Hands the batch over when the commit interval has passed since the last hand-over,
    /// or sooner when it holds ``maximumBatchSamples``: a busy gateway (200 insoles and bands
    /// make ~180,000 samples a second) then keeps its memory bounded.
    public func commitIfDue(at time: Double) throws(GatewayStoreError) {
        guard let last = lastCommit else {
            lastCommit = time
            return
        }
        if time - last >= commitInterval || batch.sampleCount >= maximumBatchSamples { try commit(at: time) }
    }

    /// Hands what was batched to the store now (one transaction). When the store is behind
    /// (its queue full) the batch stays here and the next call tries again.
    public func commit(at time: Double) throws(GatewayStoreError) {
        lastCommit = time
        guard !batch.isEmpty else { return }
        let samples = batch.sampleCount
        if try handoff.take(&batch) {
            statistics.commits += 1
            statistics.committedSamples += samples
        }
    }

    /// The run is over for the metric stage: strides waiting for the other foot and bouts in
    /// progress are finished into the batch (call before the last commit).
    public func finishMetrics() {
        metrics.finish(into: &batch)
    }

    /// The run is over: the metrics finish, the last batch goes to the store queue whatever it
    /// holds, and the queue ends (the store service commits it and stops).
    public func finish(into queue: StoreQueue) {
        finishMetrics()
        let samples = batch.sampleCount
        if !batch.isEmpty {
            statistics.commits += 1
            statistics.committedSamples += samples
        }
        queue.finish(with: &batch)
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
