import BLEWire
import GatewayStore
import ProtocolSpecs
import WearMetrics

/// What a payload format feeds the metric stage, worked out once per format from its spec
/// (the quantities its fields carry), so that a payload of any other format costs one switch.
enum MetricInput {
    case none
    /// Frames of force cells (`plantar_force`, one channel per cell), with the spec's cell
    /// positions; the spec's `foot` field (an enum left/right), when it has one, says which
    /// foot a device is under if the gateway's configuration does not.
    case insole(geometry: InsoleGeometry?, footField: Int32?)
    /// Heart rates (`heart_rate`, bpm) and RR intervals (`rr_interval`, s): the Heart Rate
    /// Measurement's, for the heart-rate load and heart rate variability.
    case heartRate
    /// SpO2 (`spo2`, %: the PLX Continuous Measurement's), for desaturations.
    case oximetry
    /// Skin temperature (`body_temperature`: the Temperature Measurement's, °C or °F).
    case temperature
    /// A wrist accelerometer (`accel_x`, `accel_y`, `accel_z` in m/s² at a `sample_rate`:
    /// gaitway-motion's), for activity counts and sleep; `rateField` is the spec's `sample_rate`
    /// field (the timestamp stage keeps it from the samples).
    case motion(rateField: Int32)
    /// A raw PPG (`ppg` in ADC counts at a `sample_rate`: gaitway-ppg's), for beats where the
    /// band sends no RR intervals; `ledField` the spec's LED enum (0 green), when it has one.
    case ppg(rateField: Int32, ledField: Int32?)
    /// An advert that says which insole pair a device is of (gaitway-advert's `device_kind`
    /// and `pair_id`): the wearer of a pair no configuration names.
    case pairing

    init(spec: ProtocolSpec) {
        let fields = spec.program.fields
        if fields.contains(where: { $0.quantity == "plantar_force" }) {
            let foot = fields.firstIndex { $0.name == "foot" && $0.quantity == nil }.map { Int32($0) }
            self = .insole(geometry: spec.geometry, footField: foot)
        } else if fields.contains(where: { $0.quantity == "rr_interval" || $0.quantity == "heart_rate" }) {
            self = .heartRate
        } else if fields.contains(where: { $0.quantity == "spo2" }) {
            self = .oximetry
        } else if fields.contains(where: { $0.quantity == "ppg" }),
                  let rate = fields.firstIndex(where: { $0.quantity == "sample_rate" }) {
            self = .ppg(rateField: Int32(rate), ledField: fields.firstIndex { $0.name == "led" }.map { Int32($0) })
        } else if fields.contains(where: { $0.quantity == "accel_x" }),
                  let rate = fields.firstIndex(where: { $0.quantity == "sample_rate" }) {
            self = .motion(rateField: Int32(rate))
        } else if fields.contains(where: { $0.quantity == "body_temperature" }) {
            self = .temperature
        } else if fields.contains(where: { $0.name == "pair_id" }), fields.contains(where: { $0.name == "device_kind" }) {
            self = .pairing
        } else {
            self = .none
        }
    }
}

/// The metric stage of ingest (ARCHITECTURE.md: decode -> timestamp -> fan-out to the store
/// batch, the live status and the metrics): per-device and per-wearer metric state machines of
/// ``WearMetrics`` fed every payload's samples on the gateway clock, on the BLE thread; the
/// records they finish join the store batch of the same commit interval.
///
/// Gait: each insole's frames go to the ``WearerGait`` of its wearer (the configuration's
/// `wearers:` says whose left or right insole a device is), or, for an insole no wearer
/// claims, to a ``WearerGait`` of its own with the foot the insole reports. Per-foot stride
/// records are stored under the insole's address; records that need both feet (double
/// support, symmetry, bouts, standing) under the wearer's name, or under the lone insole's
/// address. Insoles that advertise a pair id (gaitway-advert) and that no wearer claims form
/// the wearer `pair-<id>`. A reboot or clock jump of an insole ends its stride in progress.
///
/// Heart: each device's RR intervals go to an ``HRVWindow`` (5-minute windows on the gateway
/// clock), whose records are stored under the device; a band that sends no RR intervals but its
/// raw PPG (gaitway-ppg, green LED) has its beats found in it (``PPGBeatStream``, with a
/// `ppg_quality` record per 30 s) and their intervals go to that window instead; its heart rates to a ``HeartRateLoad``
/// with the profile of the wearer whose wristband it is (energy, zones, TRIMP per minute; their
/// days (local days: ``LocalDays``, UTC unless the configuration gives a `time-zone`), and resting heart rate; recoveries), stored under the wearer, or under the
/// device with an empty profile (only resting heart rate then) when no wearer claims it; its
/// SpO2 values to an ``OxygenDesaturationWindow`` (hourly windows: desaturation episodes, ODI,
/// mean and minimum), its skin temperatures to a ``SkinTemperatureWindow`` (hourly mean, minimum,
/// maximum), under the device.
///
/// Wrist motion: each band's accelerometer goes to ``ActivityCounts`` in 60 s epochs aligned to
/// the gateway clock's minutes (a gap in the samples of more than half a second, or a rate
/// change, starts over at the next minute); each epoch's vector magnitude is an
/// `activity_counts` record and goes to a ``SleepWakeStream`` (Cole-Kripke on the vector
/// magnitude), whose `sleep_wake` records come two epochs late; the ``WristStepDetector``'s
/// steps of the epoch are a `steps` record; all under the band. The band's day, local noon to noon,
/// of arm angles, epochs and RR intervals goes to a ``SleepNight``, which records the night's
/// sleep period, summary and stages when the day is over or the run ends, under the band.
///
/// The day: the records of a band's heart, motion, SpO2 and temperature also go to its
/// ``DailySummary`` (steps, the night's sleep and RMSSD, SpO2 minimum and ODI, skin temperature
/// per local day), recorded under the wearer whose wristband it is, else under the band, beside
/// that subject's heart-rate load days.
///
/// A replayed capture yields the samples of the live run, so it yields the same records.
final class MetricStage {
    /// The configured wearers, then those of insole pairs known from their adverts.
    private(set) var wearers: [Wearer]
    let configuredWearers: Int
    /// Where days begin, for heart-rate load, nights and day summaries.
    let days: LocalDays
    /// Per address: the wearer (index into ``wearers``) and the role of the device.
    private var claims: [BDAddress: (wearer: Int, role: Wearer.Role)]
    /// Per advertised pair id, its wearer (index into ``wearers``).
    private var pairs: [Int64: Int] = [:]
    /// Gait state per wearer with insoles, and per unclaimed insole.
    private var gaits: [GaitUnit] = []
    private var gaitOfDevice: [BDAddress: Int] = [:]
    /// Records a ``WearerGait`` finished during one payload, before they are put in the batch
    /// (kept with their capacity: no allocation per payload in steady state).
    private var wearerRecords: [MetricRecord] = []
    private var deviceRecords: [MetricRecord] = []
    private var ignoredRecords = IgnoredRecords()
    /// The current frame's cells.
    private var cells = InlineArray<16, Double>(repeating: 0)
    /// HRV windows per device with RR intervals.
    private var heartRateVariability: [BDAddress: HRVUnit] = [:]
    /// Desaturation windows per device with SpO2.
    private var oximetry: [BDAddress: OximetryUnit] = [:]
    /// Heart-rate load per device with heart rates.
    private var heartRateLoads: [BDAddress: HeartRateLoadUnit] = [:]
    /// Skin temperature windows per device with a thermometer.
    private var skinTemperatures: [BDAddress: SkinTemperatureUnit] = [:]
    /// Activity counts and sleep per device with a wrist accelerometer.
    private var motions: [BDAddress: MotionUnit] = [:]
    /// The day summary per device (by stored address) with heart, motion, SpO2 or temperature records.
    private var summaries: [String: DailySummaryUnit] = [:]
    private var summaryRecords: [MetricRecord] = []

    final class MotionUnit {
        let address: String
        /// Counting at `rate`; nil before the first sample or at a rate the counts do not take.
        var counts: ActivityCounts?
        var rate = 0
        /// The epoch being counted starts here (a minute of the gateway clock), s; nil while
        /// waiting for the next minute to begin.
        var epochStart: Double?
        /// When the next sample is due, s.
        var nextSample: Double?
        var sleep = SleepWakeStream()
        var stepper: WristStepDetector?
        /// Steps counted in the epoch in progress.
        var epochSteps = 0
        /// The sample being assembled from its three axes.
        var x = 0.0, y = 0.0
        /// The day's arm angles, counts and (from the same band's heart rate) RR intervals,
        /// for the night's sleep period, summary and stages.
        var night: SleepNight
        init(address: String, days: LocalDays) {
            self.address = address
            night = SleepNight(days: days)
        }

        /// Counting starts again at `rate` from the next minute: the epoch in progress is
        /// dropped and the sleep epochs waiting are scored into `records`.
        func restart(rate: Int, into records: inout [MetricRecord]) {
            self.rate = rate
            counts = ActivityCounts(rate: rate)
            stepper = rate > 0 ? WristStepDetector(rate: Double(rate)) : nil
            epochStart = nil
            nextSample = nil
            sleep.finish(into: &records)
        }
    }

    final class DailySummaryUnit {
        /// The wearer whose wristband the device is, else the device.
        let subject: MetricSubject
        let address: String
        var summary: DailySummary
        init(subject: MetricSubject, address: String, days: LocalDays) {
            self.subject = subject
            self.address = address
            summary = DailySummary(days: days)
        }
    }

    final class HeartRateLoadUnit {
        /// The wearer whose wristband the device is, else the device.
        let subject: MetricSubject
        let address: String
        var load: HeartRateLoad
        init(subject: MetricSubject, address: String, profile: WearerProfile, days: LocalDays) {
            self.subject = subject
            self.address = address
            load = HeartRateLoad(profile: profile, days: days)
        }
    }

    final class SkinTemperatureUnit {
        let address: String
        var window = SkinTemperatureWindow()
        init(address: String) { self.address = address }
    }

    final class OximetryUnit {
        let address: String
        var window = OxygenDesaturationWindow()
        init(address: String) { self.address = address }
    }

    final class HRVUnit {
        let address: String
        var window = HRVWindow()
        /// Whether the device sent RR intervals: then its PPG is not used for beats.
        var hasRR = false
        /// Beats from its PPG while it sends no RR intervals.
        var ppg: PPGBeatStream?
        var ppgIntervals: [(end: Double, milliseconds: Double)] = []
        /// The latest window's RMSSD, for the live table.
        var rmssd: LatestValue?
        init(address: String) { self.address = address }

        func note(_ records: [MetricRecord]) {
            for record in records where record.metric == .rmssd {
                rmssd = LatestValue(value: record.value, unit: record.metric.unit, time: record.end ?? record.time)
            }
        }
    }

    init(wearers: [Wearer], days: LocalDays = .utc) {
        self.wearers = wearers
        self.days = days
        configuredWearers = wearers.count
        var claims: [BDAddress: (wearer: Int, role: Wearer.Role)] = [:]
        for (index, wearer) in wearers.enumerated() {
            for (role, address) in wearer.devices { claims[address] = (index, role) }
        }
        self.claims = claims
    }

    /// One gait stream: a wearer's two insoles, or an insole alone.
    final class GaitUnit {
        /// Whose two-foot records these are.
        let subject: MetricSubject
        let profile: WearerProfile
        /// Created with the first frame, when the number of cells (and so the layout) is known.
        var gait: WearerGait?
        /// The address (as stored) of the insole under each foot, once seen.
        var addresses: [FootSide: String] = [:]
        /// A wearer configured with one insole: the foot it is under.
        let onlyFoot: FootSide?
        /// Each foot's latest stride, for the live table.
        var latest: [FootSide: LatestStride] = [:]

        init(subject: MetricSubject, profile: WearerProfile, onlyFoot: FootSide? = nil) {
            self.subject = subject
            self.profile = profile
            self.onlyFoot = onlyFoot
        }

        /// An insole no wearer claims: one foot, whichever it reports.
        var isLone: Bool { if case .device = subject { true } else { false } }
    }

    // MARK: Feeding

    /// The samples of one payload of `device`, decoded with a format whose input is `input`;
    /// `fields` has the payload's fields without a quantity (`foot`: 0 left, 1 right, ...).
    func consume(_ samples: ArraySlice<TimedSample>, input: MetricInput, fields: SequencedSampleSink,
                 device: BDAddress, addressText: String, into batch: inout StoreBatch) {
        switch input {
        case .heartRate:
            consumeHeartRates(samples, device: device, addressText: addressText, into: &batch)
            return
        case .temperature:
            consumeTemperatures(samples, device: device, addressText: addressText, into: &batch)
            return
        case .motion(let rateField):
            let rate = fields.samples.samples.first { $0.field == rateField }.map { Int($0.value.rounded()) }
            consumeMotion(samples, rate: rate ?? 0, device: device, addressText: addressText, into: &batch)
            return
        case .ppg(let rateField, let ledField):
            // Green light only: the pulse wave of the other channels is weaker or absent (ambient).
            if let ledField, let led = fields.samples.samples.first(where: { $0.field == ledField }), led.value != 0 { return }
            let rate = fields.samples.samples.first { $0.field == rateField }.map(\.value) ?? 0
            consumePPG(samples, rate: rate, device: device, addressText: addressText, into: &batch)
            return
        case .pairing:
            pair(device, kind: fields.kind, pair: fields.pair)
            return
        case .oximetry:
            consumeOximetry(samples, device: device, addressText: addressText, into: &batch)
            return
        case .none, .insole: break
        }
        let foot = fields.foot
        guard case .insole(let geometry, _) = input else { return }
        let unit = gaitUnit(for: device)
        let side = footSide(of: device, reported: foot)
        unit.addresses[side] = addressText

        // A payload holds several frames: each frame's cells share one gateway time.
        var frameTime: Int64?
        var count = 0
        for sample in samples where sample.quantity == "plantar_force" {
            if sample.gatewayMicros != frameTime {
                if let time = frameTime { process(frame: time, cellCount: count, foot: side, unit: unit, geometry: geometry) }
                frameTime = sample.gatewayMicros
                count = 0
            }
            guard sample.channel >= 0, sample.channel < cells.count else { continue }
            cells[sample.channel] = sample.value
            count = max(count, sample.channel + 1)
        }
        if let time = frameTime { process(frame: time, cellCount: count, foot: side, unit: unit, geometry: geometry) }
        drain(unit, into: &batch)
    }

    /// The time base of `device` broke (a reboot, a clock jump: a new clock segment): its stride
    /// in progress ends unrecorded rather than spanning the break. (Lost notifications are not a
    /// break: the frame times show the gap, which the detector bridges up to 0.25 s or ends.)
    func interrupt(_ device: BDAddress, into batch: inout StoreBatch) {
        guard let index = gaitOfDevice[device], let side = footSideIfKnown(of: device, in: gaits[index]) else { return }
        let unit = gaits[index]
        unit.gait?.interrupt(side, footRecords: &ignoredRecords, wearerRecords: &wearerRecords)
        drain(unit, into: &batch)
    }

    /// The end of the run: strides waiting for the other foot go out with what is known, and
    /// bouts in progress close.
    func finish(into batch: inout StoreBatch) {
        for unit in gaits {
            unit.gait?.finish(footRecords: &ignoredRecords, wearerRecords: &wearerRecords)
            drain(unit, into: &batch)
        }
        for unit in heartRateVariability.values.sorted(by: { $0.address < $1.address }) {
            unit.window.finish(into: &deviceRecords)
            unit.note(deviceRecords)
            flushDeviceRecords(as: .device(address: unit.address), summarised: true, into: &batch)
        }
        for unit in oximetry.values.sorted(by: { $0.address < $1.address }) {
            unit.window.finish(into: &deviceRecords)
            flushDeviceRecords(as: .device(address: unit.address), summarised: true, into: &batch)
        }
        for unit in heartRateLoads.values.sorted(by: { $0.address < $1.address }) {
            unit.load.finish(into: &deviceRecords)
            flushDeviceRecords(as: unit.subject, into: &batch)
        }
        for unit in motions.values.sorted(by: { $0.address < $1.address }) {
            unit.sleep.finish(into: &deviceRecords)
            unit.night.finish(into: &deviceRecords)
            flushDeviceRecords(as: .device(address: unit.address), summarised: true, into: &batch)
        }
        for unit in skinTemperatures.values.sorted(by: { $0.address < $1.address }) {
            unit.window.finish(into: &deviceRecords)
            flushDeviceRecords(as: .device(address: unit.address), summarised: true, into: &batch)
        }
        for unit in summaries.values.sorted(by: { $0.address < $1.address }) {
            unit.summary.finish(into: &deviceRecords)
            flushDeviceRecords(as: unit.subject, into: &batch)
        }
    }

    // MARK: Status

    /// Every wearer's latest gait and heart, `devices` giving their wristbands' latest samples.
    func wearerStatuses(devices: [BDAddress: DeviceStatus]) -> [WearerStatus] {
        wearers.map { wearer in
            var status = WearerStatus(name: wearer.name)
            if let unit = gaits.first(where: { $0.subject == .wearer(name: wearer.name) }) { status.lastStride = unit.latest }
            if let band = wearer.wristband {
                status.heartRate = devices[band]?.latest["heart_rate"]
                status.spo2 = devices[band]?.latest["spo2"]
                status.rmssd = heartRateVariability[band]?.rmssd
            }
            return status
        }
    }

    // MARK: Pairs

    /// An insole advertised which pair it is of: unless the configuration names its wearer,
    /// it joins the wearer of that pair, named `pair-` and the id in 8 hex digits (what
    /// `gaitway query --wearer` takes). Only before its first frame: a gait stream in
    /// progress is not moved.
    private func pair(_ device: BDAddress, kind: Int64?, pair: Int64?) {
        guard let pair, claims[device] == nil, gaitOfDevice[device] == nil else { return }
        let role: Wearer.Role
        switch kind {
        case 1: role = .leftInsole
        case 2: role = .rightInsole
        default: return
        }
        let index: Int
        if let known = pairs[pair] { index = known } else {
            let hex = String(UInt32(truncatingIfNeeded: pair), radix: 16)
            wearers.append(Wearer(name: "pair-" + String(repeating: "0", count: 8 - hex.count) + hex))
            index = wearers.count - 1
            pairs[pair] = index
        }
        if role == .leftInsole { wearers[index].leftInsole = device } else { wearers[index].rightInsole = device }
        claims[device] = (index, role)
    }

    // MARK: Heart

    /// RR intervals into the device's HRV window, heart rates into its heart-rate load.
    private func consumeHeartRates(_ samples: ArraySlice<TimedSample>, device: BDAddress, addressText: String,
                                   into batch: inout StoreBatch) {
        let unit = Self.unit(of: device, in: &heartRateVariability) { HRVUnit(address: addressText) }
        let load = Self.unit(of: device, in: &heartRateLoads) {
            if let claim = claims[device], claim.role == .wristband {
                let wearer = wearers[claim.wearer]
                return HeartRateLoadUnit(subject: .wearer(name: wearer.name), address: addressText, profile: wearer.profile,
                                         days: days)
            }
            return HeartRateLoadUnit(subject: .device(address: addressText), address: addressText, profile: WearerProfile(),
                                     days: days)
        }
        for sample in samples {
            let time = Double(sample.gatewayMicros) / 1_000_000
            switch sample.quantity {
            // The Heart Rate Measurement's RR intervals are in seconds (1/1024 s on the wire).
            case "rr_interval":
                if !unit.hasRR {
                    unit.hasRR = true
                    unit.ppg = nil
                }
                unit.window.add(sample.value * 1000, endingAt: time, into: &deviceRecords)
                // A band that also streams its accelerometer keeps its nights.
                motions[device]?.night.addInterval(sample.value * 1000, endingAt: time, into: &deviceRecords)
            case "heart_rate": load.load.add(sample.value, at: time, into: &wearerRecords)
            default: break
            }
        }
        if !deviceRecords.isEmpty { unit.note(deviceRecords) }
        flushDeviceRecords(as: .device(address: addressText), summarised: true, into: &batch)
        for record in wearerRecords { Self.append(record, subject: load.subject, to: &batch) }
        wearerRecords.removeAll(keepingCapacity: true)
    }

    /// A band's raw PPG into beats (``PPGBeatStream``), and their intervals into its HRV window,
    /// while it sends no RR intervals.
    private func consumePPG(_ samples: ArraySlice<TimedSample>, rate: Double, device: BDAddress, addressText: String,
                            into batch: inout StoreBatch) {
        let unit = Self.unit(of: device, in: &heartRateVariability) { HRVUnit(address: addressText) }
        guard !unit.hasRR else { return }
        if unit.ppg?.rate != rate { unit.ppg = PPGBeatStream(rate: rate) }
        guard unit.ppg != nil else { return }
        for sample in samples where sample.quantity == "ppg" {
            unit.ppg?.add(sample.value, at: Double(sample.gatewayMicros) / 1_000_000, intervals: &unit.ppgIntervals,
                          into: &deviceRecords)
        }
        for interval in unit.ppgIntervals {
            unit.window.add(interval.milliseconds, endingAt: interval.end, into: &deviceRecords)
        }
        unit.ppgIntervals.removeAll(keepingCapacity: true)
        if !deviceRecords.isEmpty { unit.note(deviceRecords) }
        flushDeviceRecords(as: .device(address: addressText), summarised: true, into: &batch)
    }

    /// Skin temperatures into the device's hourly window (°F readings converted).
    private func consumeTemperatures(_ samples: ArraySlice<TimedSample>, device: BDAddress, addressText: String,
                                     into batch: inout StoreBatch) {
        let unit = Self.unit(of: device, in: &skinTemperatures) { SkinTemperatureUnit(address: addressText) }
        for sample in samples where sample.quantity == "body_temperature" {
            let celsius = sample.unit == "°F" ? SkinTemperatureWindow.celsius(fahrenheit: sample.value) : sample.value
            unit.window.add(celsius, at: Double(sample.gatewayMicros) / 1_000_000, into: &deviceRecords)
        }
        flushDeviceRecords(as: .device(address: addressText), summarised: true, into: &batch)
    }

    /// Accelerometer samples into the device's activity counts, epoch by epoch.
    private func consumeMotion(_ samples: ArraySlice<TimedSample>, rate: Int, device: BDAddress, addressText: String,
                               into batch: inout StoreBatch) {
        let unit = Self.unit(of: device, in: &motions) { MotionUnit(address: addressText, days: days) }
        if rate != unit.rate { unit.restart(rate: rate, into: &deviceRecords) }
        let g = 9.80665
        for sample in samples {
            switch sample.quantity {
            case "accel_x": unit.x = sample.value / g
            case "accel_y": unit.y = sample.value / g
            // Each sample has its own time: the timestamp stage spaces the frames at the rate.
            case "accel_z": countMotion(unit, z: sample.value / g, at: Double(sample.gatewayMicros) / 1_000_000)
            default: break
            }
        }
        flushDeviceRecords(as: .device(address: addressText), summarised: true, into: &batch)
    }

    /// One whole sample (g) at `time` into the unit's counts.
    private func countMotion(_ unit: MotionUnit, z: Double, at time: Double) {
        unit.night.addAcceleration(x: unit.x, y: unit.y, z: z, at: time, into: &deviceRecords)
        guard unit.counts != nil, unit.rate > 0 else { return }
        let period = 1 / Double(unit.rate)
        if let next = unit.nextSample, abs(time - next) > 0.5 {
            // Samples were lost (or the clock stepped): the epoch in progress cannot be counted.
            unit.restart(rate: unit.rate, into: &deviceRecords)
        }
        unit.nextSample = time + period
        if unit.epochStart == nil {
            // Start at the first sample of the next minute (half a period early counts as on it).
            let shifted = time + period / 2
            let offset = shifted - (shifted / 60).rounded(.down) * 60
            guard offset < period else { return }
            unit.epochStart = shifted - offset
            unit.epochSteps = 0
        }
        unit.epochSteps += unit.stepper?.add(unit.x, unit.y, z) ?? 0
        guard let start = unit.epochStart, let epoch = unit.counts?.add(unit.x, unit.y, z) else { return }
        deviceRecords.append(MetricRecord(.activityCounts, time: start, end: start + 60, value: epoch.vectorMagnitude))
        deviceRecords.append(MetricRecord(.steps, time: start, end: start + 60, value: Double(unit.epochSteps)))
        unit.epochSteps = 0
        unit.sleep.add(epoch.vectorMagnitude, epochStart: start, into: &deviceRecords)
        unit.night.addEpoch(counts: epoch.vectorMagnitude, start: start, into: &deviceRecords)
        unit.epochStart = start + 60
    }

    /// SpO2 values into the device's hourly desaturation window.
    private func consumeOximetry(_ samples: ArraySlice<TimedSample>, device: BDAddress, addressText: String,
                                 into batch: inout StoreBatch) {
        let unit = Self.unit(of: device, in: &oximetry) { OximetryUnit(address: addressText) }
        for sample in samples where sample.quantity == "spo2" {
            unit.window.add(sample.value, at: Double(sample.gatewayMicros) / 1_000_000, into: &deviceRecords)
        }
        flushDeviceRecords(as: .device(address: addressText), summarised: true, into: &batch)
    }

    // MARK: Gait

    private func process(frame micros: Int64, cellCount: Int, foot: FootSide, unit: GaitUnit, geometry: InsoleGeometry?) {
        guard cellCount > 0 else { return }
        if unit.gait == nil {
            unit.gait = WearerGait(left: Self.layout(geometry, cells: cellCount, foot: .left),
                                   right: Self.layout(geometry, cells: cellCount, foot: .right),
                                   profile: unit.profile, onlyFoot: unit.onlyFoot ?? (unit.isLone ? foot : nil),
                                   retainsStrides: true)
        }
        var total = 0.0
        for index in 0..<cellCount { total += cells[index] }
        let span = cells.span.extracting(0..<cellCount)
        unit.gait?.process(foot, time: Double(micros) / 1_000_000, force: total, cells: span,
                           footRecords: &ignoredRecords, wearerRecords: &wearerRecords)
    }

    /// Per-foot records of every stride the unit finished (under that foot's insole), then
    /// its two-foot, bout and standing records (under the unit's subject), into the batch.
    private func drain(_ unit: GaitUnit, into batch: inout StoreBatch) {
        guard unit.gait != nil else { return }
        while let stride = unit.gait?.nextStride() {
            unit.latest[stride.foot] = LatestStride(strideTime: stride.stride.strideTime,
                                                    stancePercent: stride.stride.stancePercent, end: stride.stride.nextContact)
            guard let address = unit.addresses[stride.foot] else { continue }
            stride.stride.records(into: &deviceRecords)
            flushDeviceRecords(as: .device(address: address), into: &batch)
        }
        while unit.gait?.nextBout() != nil {}
        for record in wearerRecords { Self.append(record, subject: unit.subject, to: &batch) }
        wearerRecords.removeAll(keepingCapacity: true)
    }

    private func gaitUnit(for device: BDAddress) -> GaitUnit {
        if let index = gaitOfDevice[device] { return gaits[index] }
        let unit: GaitUnit
        if let claim = claims[device], let existing = gaits.firstIndex(where: { $0.subject == .wearer(name: wearers[claim.wearer].name) }) {
            gaitOfDevice[device] = existing
            return gaits[existing]
        } else if let claim = claims[device] {
            let wearer = wearers[claim.wearer]
            // A configured wearer with one insole; an advertised pair has two.
            let onlyFoot: FootSide? = switch (wearer.leftInsole, wearer.rightInsole) {
            case (.some, nil) where claim.wearer < configuredWearers: .left
            case (nil, .some) where claim.wearer < configuredWearers: .right
            default: nil
            }
            unit = GaitUnit(subject: .wearer(name: wearer.name), profile: wearer.profile, onlyFoot: onlyFoot)
        } else {
            unit = GaitUnit(subject: .device(address: device.description), profile: WearerProfile())
        }
        gaits.append(unit)
        gaitOfDevice[device] = gaits.count - 1
        return unit
    }

    /// The configuration's role first (an operator who says left means left), else what the
    /// insole reports, else left (an insole alone: its side changes none of its metrics).
    private func footSide(of device: BDAddress, reported: Int64?) -> FootSide {
        switch claims[device]?.role {
        case .leftInsole: return .left
        case .rightInsole: return .right
        default: return reported == 1 ? .right : .left
        }
    }

    private func footSideIfKnown(of device: BDAddress, in unit: GaitUnit) -> FootSide? {
        unit.addresses.first { $0.value == device.description }?.key
    }

    /// The spec's cell positions for `cells` cells under `foot`, if it has that layout.
    static func layout(_ geometry: InsoleGeometry?, cells: Int, foot: FootSide) -> InsoleCellLayout? {
        guard let layout = geometry?.layouts.first(where: { $0.cells == cells }) else { return nil }
        let positions = (foot == .left ? layout.left : layout.right).map { (x: $0.x, y: $0.y) }
        return InsoleCellLayout(cells: positions)
    }

    /// The records in ``deviceRecords`` into the batch under `subject`; the list emptied. When
    /// `summarised`, they are also the day of the device (`subject`'s address) so far: its
    /// ``DailySummary`` sees them, and records the days they close under its own subject.
    private func flushDeviceRecords(as subject: MetricSubject, summarised: Bool = false, into batch: inout StoreBatch) {
        for record in deviceRecords { Self.append(record, subject: subject, to: &batch) }
        if summarised, case .device(let address) = subject, !deviceRecords.isEmpty {
            let unit = summary(of: address)
            for record in deviceRecords { unit.summary.observe(record, into: &summaryRecords) }
            for record in summaryRecords { Self.append(record, subject: unit.subject, to: &batch) }
            summaryRecords.removeAll(keepingCapacity: true)
        }
        deviceRecords.removeAll(keepingCapacity: true)
    }

    /// The day summary of the device at `address`, made the first time: under the wearer whose
    /// wristband it is, else under the device.
    private func summary(of address: String) -> DailySummaryUnit {
        if let existing = summaries[address] { return existing }
        var subject = MetricSubject.device(address: address)
        if let device = BDAddress(address), let claim = claims[device], claim.role == .wristband {
            subject = .wearer(name: wearers[claim.wearer].name)
        }
        let unit = DailySummaryUnit(subject: subject, address: address, days: days)
        summaries[address] = unit
        return unit
    }

    /// The per-device unit of `device`, made the first time.
    private static func unit<Unit>(of device: BDAddress, in units: inout [BDAddress: Unit], make: () -> Unit) -> Unit {
        if let existing = units[device] { return existing }
        let unit = make()
        units[device] = unit
        return unit
    }

    static func append(_ record: MetricRecord, subject: MetricSubject, to batch: inout StoreBatch) {
        batch.appendMetricRecord(
            timeMicros: micros(record.time), endMicros: record.end.map(micros), subject: subject,
            metric: record.metric.name, unit: record.metric.unit, value: record.value, quality: record.quality)
    }

    static func micros(_ seconds: Double) -> Int64 { Int64((seconds * 1_000_000).rounded()) }
}

/// Where the per-foot records a ``WearerGait`` writes itself go: the stage writes them from the
/// strides instead, because it knows which insole each stride is of.
struct IgnoredRecords: MetricRecordSink {
    mutating func record(_ record: MetricRecord) {}
}
