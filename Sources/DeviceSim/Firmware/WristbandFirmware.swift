import BLEHost
import BLEWire
import ProtocolSpecs

/// A wristband: Heart Rate (with RR intervals), Pulse Oximeter, Health Thermometer
/// (skin temperature), Battery and Device Information, the raw PPG stream, and a BTHome v2
/// broadcast (battery, temperature, steps) in its advertising data.
///
/// It reports as a strap does: one Heart Rate Measurement per second of its own clock with
/// the RR intervals of the beats since the previous one (Heart Rate Service 1.0, §3.1.1.4:
/// RR intervals that do not fit are dropped, oldest first).
///
/// The PPG is sampled on the band's own clock too: sample n is due when the clock reads
/// n / `sample_rate` seconds, so a band that runs fast takes more samples per true second.
/// The ADC reads the wrist at that tick plus the firmware's scheduling jitter (`jitter`, a
/// standard deviation), while the `timestamp` sent stays the tick's (gaitway-ppg.yaml: the
/// device time of the first sample). The waveform comes from the person's beats on the true
/// clock (or a recording, `replay: ppg`), read at those instants.
///
/// When the scenario lists `gaitway-motion` in the band's `specs`, it also has an accelerometer
/// (``WristMotion``): 3 axes at ``motionRate`` on its own clock, quantised to 1/2048 g, packed as
/// the PPG is (gaitway-motion.yaml, its own sequence counter).
public final class WristbandFirmware: DeviceFirmware {
    /// The accelerometer's rate, Hz: one ActiGraph's counts take as is (ActivityCounts).
    static let motionRate = 50.0
    let body: PersonaBody
    let gauge: BatteryGauge
    var reportedBeats = 0
    var energy = 0.0
    var pendingRR: [Double] = []
    var reportedRate = 0.0
    /// The PPG stream encoder, prepared once from gaitway-ppg.yaml (nil when this device
    /// does not stream it).
    var ppgEncoder: PayloadFlatEncoder?
    /// Values of the PPG notification being filled, in the encoder's layout order: the
    /// three header values (set when it is sent), then the samples.
    var ppgValues: [Double] = []
    var ppgCount = [0]
    var ppgBytes: [UInt8] = []
    var ppgFrameStart: UInt32 = 0
    /// Device-clock index of the next PPG sample.
    var nextPPGSample: Int64 = 1
    /// Draws the sampling jitter (its own stream, so jitter leaves every other draw alone).
    var jitterRandom: ModelRandom
    /// The accelerometer stream, as the PPG's (nil when this band has no accelerometer).
    var motionEncoder: PayloadFlatEncoder?
    var motionValues: [Double] = []
    var motionCount = [0]
    var motionBytes: [UInt8] = []
    var motionFrameStart: UInt32 = 0
    var nextMotionSample: Int64 = 1
    var motionSequence: UInt16 = 0
    var lastBatteryLevel: UInt8 = 255
    var broadcastCount: UInt8 = 0

    init(spec: DeviceSpec, body: PersonaBody, catalog: ProtocolCatalog, faults: [FaultSpec], epoch: Double) {
        self.body = body
        let gauge = BatteryGauge(level: spec.firmware.batteryLevel)
        self.gauge = gauge
        jitterRandom = ModelRandom.heart(seed: spec.seed, stream: 0x1177)
        let services: [GATTService] = [
            .heartRate(bodySensorLocation: 0x02),  // 2 = Wrist (GSS, Body Sensor Location)
            .pulseOximeter(),
            .healthThermometer(temperatureType: 0x02),  // 2 = Body (general)
            .battery { gauge.percent },
            .deviceInformation(manufacturer: "Gaitway", model: "GW-Band (simulated)",
                               serialNumber: spec.firmware.address.description, hardwareRevision: "1",
                               firmwareRevision: "1.0.0", softwareRevision: "sim"),
            .gaitwayWristband(motion: spec.specs.contains("gaitway-motion")),
        ]
        super.init(spec: spec, catalog: catalog, services: services,
                   advertisedServices: [.heartRateService], faults: faults, epoch: epoch)
        // `unowned`, not `weak`: see InsoleFirmware (a side table slows every retain).
        body.onBeatSinks.append { [unowned self] beat in self.beatHappened(beat) }
        let template = PayloadObject([
            "led": .text("green"), "sequence": .integer(0), "timestamp": .integer(0), "sample_rate": .integer(0),
            "samples": .array([.integer(0)]),
        ])
        ppgEncoder = flatEncoder("gaitway-ppg", template: template,
                                 layout: ["sequence", "timestamp", "sample_rate", "samples[]"])
        if spec.specs.contains("gaitway-motion") {
            let sample = PayloadObject(["accel_x": .number(0), "accel_y": .number(0), "accel_z": .number(0)])
            let motion = PayloadObject([
                "sequence": .integer(0), "timestamp": .integer(0), "sample_rate": .integer(0), "samples": .array([.object(sample)]),
            ])
            motionEncoder = flatEncoder("gaitway-motion", template: motion,
                                        layout: ["sequence", "timestamp", "sample_rate", "samples[]", "samples[].accel_x",
                                                 "samples[].accel_y", "samples[].accel_z"])
            // A band that feels the steps has them in the truth: each heel strike of its wearer.
            body.onGaitEventSinks.append { [unowned self] event in
                guard event.kind == .heelStrike else { return }
                self.truth?.record(.gait(kind: "step", device: self.address, foot: event.foot == .left ? "left" : "right",
                                         time: self.epoch + event.time))
            }
        }
    }

    func beatHappened(_ beat: HeartBeat) {
        guard !isRebooting else { return }
        pendingRR.append(beat.rr)
        truth?.record(.beat(device: address, time: epoch + beat.time, rr: beat.rr, ectopic: beat.kind != .normal))
    }

    override func produce(from: Double, to: Double) {
        body.advance(to: to)
        gauge.level = battery
        let rate = spec.firmware.sampleRate
        // PPG samples due on the band's clock in (from, to]. After a reboot or a clock jump
        // the counter moved under us: sampling restarts from `from`, and the samples of a
        // notification begun before are dropped (their timestamp no longer tells their time).
        let firstDue = Int64((clock.deviceSeconds(at: from) * rate).rounded(.down)) + 1
        let lastDue = Int64((clock.deviceSeconds(at: to) * rate).rounded(.down))
        if nextPPGSample < firstDue || nextPPGSample > lastDue + 1 {
            nextPPGSample = firstDue
            ppgCount[0] = 0
        }
        let motionFirst = Int64((clock.deviceSeconds(at: from) * Self.motionRate).rounded(.down)) + 1
        let motionLast = Int64((clock.deviceSeconds(at: to) * Self.motionRate).rounded(.down))
        if nextMotionSample < motionFirst || nextMotionSample > motionLast + 1 {
            nextMotionSample = motionFirst
            motionCount[0] = 0
        }
        let startSecond = clock.deviceSeconds(at: from).rounded(.down)
        let endSecond = clock.deviceSeconds(at: to).rounded(.down)
        if endSecond > startSecond {
            var second = startSecond + 1
            while second <= endSecond {
                // Samples up to this second first, so notifications leave in time order.
                streamPPG(through: min(lastDue, Int64((second * rate).rounded(.down))))
                streamMotion(through: min(motionLast, Int64((second * Self.motionRate).rounded(.down))))
                let time = clock.simulationTime(atDeviceSeconds: second)
                everySecond(at: time, deviceSecond: Int(second))
                second += 1
            }
        }
        streamPPG(through: lastDue)
        streamMotion(through: motionLast)
    }

    func everySecond(at time: Double, deviceSecond: Int) {
        // The rate a strap reports is the mean of the RR intervals it reports with it (the
        // model's rate when no beat fell in this second).
        if !pendingRR.isEmpty {
            reportedRate = 60 * Double(pendingRR.count) / pendingRR.reduce(0, +)
        } else if reportedRate == 0 {
            reportedRate = body.heartRate
        }
        let heartRate = Int64(reportedRate.rounded())
        // RR intervals in 1/1024 s: as many as fit in the value (flags + rate + energy = 4 bytes).
        let room = max(0, (maximumValueLength - 4) / 2)
        let rr = Array(pendingRR.suffix(room))
        pendingRR.removeAll(keepingCapacity: true)
        // Energy expended: ~ (HR - 40) * 0.1 kJ per second is a crude but monotone model.
        energy += max(0, Double(heartRate) - 40) * 0.1
        var fields: [PayloadObject.Member] = [
            .init(key: "heart_rate", value: .integer(heartRate)),
            .init(key: "sensor_contact", value: .bool(true)),
        ]
        if deviceSecond % 10 == 0 {
            fields.append(.init(key: "energy_expended", value: .integer(Int64(min(energy, 65535)))))
        }
        fields.append(.init(key: "rr_intervals", value: .array(rr.map { .number($0) })))
        if let value = encode("heart-rate-measurement", PayloadObject(fields)) {
            send(.heartRateMeasurement, value, at: time)
        }
        let plx = PayloadObject([
            "spo2": .number((body.oxygenSaturation * 10).rounded() / 10),
            "pulse_rate": .integer(heartRate),
        ])
        if let value = encode("plx-continuous-measurement", plx) { send(.plxContinuousMeasurement, value, at: time) }
        if deviceSecond % 30 == 0,
           let value = encode("temperature-measurement", PayloadObject([
               "temperature_unit": .text("celsius"),
               "temperature": .number((body.skinTemperature * 100).rounded() / 100),
           ])) {
            send(.temperatureMeasurement, value, at: time)
        }
        if batteryLevel != lastBatteryLevel {
            lastBatteryLevel = batteryLevel
            send(.batteryLevel, [batteryLevel], at: time)
        }
        if deviceSecond % 10 == 0 { updateBroadcast() }
    }

    /// Samples the PPG at the band's ticks up to device-clock sample `last` and packs the
    /// samples into stream notifications: as many 24-bit samples as fit the value after the
    /// 9-byte header, at most `frames_per_notification` or else a fifth of a second's worth
    /// (gaitway-ppg.yaml), each sent at the
    /// tick of its last sample. Nothing is sampled while no central listens.
    func streamPPG(through last: Int64) {
        guard nextPPGSample <= last else { return }
        defer { nextPPGSample = last + 1 }
        guard isSubscribedAnywhere, let encoder = ppgEncoder else {
            ppgCount[0] = 0  // a notification begun before the link went must not span the gap
            return
        }
        let rate = spec.firmware.sampleRate
        let jitter = spec.firmware.jitter
        // Samples per notification: the scenario's `frames_per_notification` (a PPG frame is one
        // sample), else a fifth of a second's worth; never more than the MTU takes.
        let fit = max(1, (maximumValueLength - 9) / 3)
        let perNotification = min(spec.firmware.framesPerNotification ?? max(1, Int(rate / 5)), fit)
        // Filled in a local array and put back: appending to the stored property would pay
        // an exclusivity check per sample.
        var values: [Double] = []
        swap(&values, &ppgValues)
        defer { swap(&values, &ppgValues) }
        for index in nextPPGSample...last {
            let tick = clock.simulationTime(atDeviceSeconds: Double(index) / rate)
            if ppgCount[0] == 0 {
                ppgFrameStart = DeviceClock.counter(millis: Double(index) * 1000 / rate)
                values.removeAll(keepingCapacity: true)
                values += [0, 0, 0]  // header, filled in when sent
            }
            // The instant the ADC really sampled: the tick plus the scheduling jitter.
            let instant = jitter > 0 ? tick + jitter * jitterRandom.normal() : tick
            values.append(Double(body.ppgSample(at: instant)))
            ppgCount[0] += 1
            // `>=`: a smaller MTU since the notification began must not leave it growing.
            guard ppgCount[0] >= perNotification else { continue }
            values[0] = Double(nextSequence())
            values[1] = Double(ppgFrameStart)
            values[2] = Double(Int64(rate.rounded()))
            ppgBytes.removeAll(keepingCapacity: true)
            do {
                try encoder.encode(values, counts: ppgCount, into: &ppgBytes)
                send(.gaitwayPPGStream, ppgBytes, at: tick)
            } catch {
                assertionFailure("gaitway-ppg: \(error)")
            }
            ppgCount[0] = 0
        }
    }

    /// Samples the wrist accelerometer at the band's ticks up to device-clock sample `last` and
    /// packs the samples into stream notifications, as ``streamPPG(through:)`` does the PPG: as
    /// many as fit the value after the 8-byte header (6 bytes a sample), at most
    /// `frames_per_notification` or else a fifth of a second's worth, each sent at the tick of
    /// its last sample. Nothing is sampled while no central listens.
    func streamMotion(through last: Int64) {
        guard nextMotionSample <= last else { return }
        defer { nextMotionSample = last + 1 }
        guard isSubscribedAnywhere, let encoder = motionEncoder else {
            motionCount[0] = 0
            return
        }
        let rate = Self.motionRate
        let fit = max(1, (maximumValueLength - 8) / 6)
        let perNotification = min(spec.firmware.framesPerNotification ?? max(1, Int(rate / 5)), fit)
        var values: [Double] = []
        swap(&values, &motionValues)
        defer { swap(&values, &motionValues) }
        // 2048 counts per g (±16 g), sent in m/s² as the spec's scale takes them.
        let counts = 2048.0, g = 9.80665
        for index in nextMotionSample...last {
            let tick = clock.simulationTime(atDeviceSeconds: Double(index) / rate)
            if motionCount[0] == 0 {
                motionFrameStart = DeviceClock.counter(millis: Double(index) * 1000 / rate)
                values.removeAll(keepingCapacity: true)
                values += [0, 0, 0]
            }
            let reading = body.wristSample(at: tick)
            func quantised(_ axis: Double) -> Double { min(max((axis * counts).rounded(), -32768), 32767) / counts * g }
            values.append(quantised(reading.x))
            values.append(quantised(reading.y))
            values.append(quantised(reading.z))
            motionCount[0] += 1
            guard motionCount[0] >= perNotification else { continue }
            values[0] = Double(motionSequence)
            motionSequence &+= 1
            values[1] = Double(motionFrameStart)
            values[2] = rate
            motionBytes.removeAll(keepingCapacity: true)
            do {
                try encoder.encode(values, counts: motionCount, into: &motionBytes)
                send(.gaitwayMotionStream, motionBytes, at: tick)
            } catch {
                assertionFailure("gaitway-motion: \(error)")
            }
            motionCount[0] = 0
        }
    }

    /// BTHome v2 service data (bthome.io/format): battery, temperature, step count, packet id.
    func updateBroadcast() {
        broadcastCount &+= 1
        let fields = PayloadObject([
            "packet_id": .integer(Int64(broadcastCount)),
            "battery": .integer(Int64(batteryLevel)),
            "temperature": .number((body.skinTemperature * 100).rounded() / 100),
            "count": .integer(Int64(min(body.steps, 65535))),
        ])
        guard let data = encode("bthome-v2", fields, hints: ["count": 0x3D], advertised: true) else { return }
        var advertising = AdvertisingDataBuilder()
        try? advertising.addFlags([.leGeneralDiscoverable, .brEDRNotSupported])
        try? advertising.addServiceUUIDs([.heartRateService], complete: true)
        try? advertising.addServiceData(BluetoothUUID(0xFCD2), data: data)
        advertisingData = advertising.bytes
    }
}

/// The battery level a Battery Level read sees, shared with the GATT value provider.
final class BatteryGauge {
    var level: Double
    init(level: Double) { self.level = level }
    var percent: UInt8 { UInt8(max(0, min(100, level.rounded()))) }
}
