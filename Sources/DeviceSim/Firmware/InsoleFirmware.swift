import BLEHost
import BLEWire
import ProtocolSpecs

/// One pressure insole (one foot): 8 or 16 force cells and an optional 6-axis IMU sampled
/// on the insole's own clock, packed several frames per notification into the Insole
/// Stream (gaitway-insole.yaml), plus Running Speed and Cadence computed on the shoe,
/// Battery and Device Information.
public final class InsoleFirmware: DeviceFirmware {
    let body: PersonaBody
    let foot: Foot
    let cellMap: InsoleCellMap
    let gauge: BatteryGauge
    /// Device-clock index of the next sample.
    var nextSample: Int64 = 1
    /// The Insole Stream encoder, prepared once from gaitway-insole.yaml (nil when this
    /// device does not stream it).
    var streamEncoder: PayloadFlatEncoder?
    /// Values of the notification being filled, in the encoder's layout order: the three
    /// header values (set when it is sent), then each frame's forces and IMU values. Sized
    /// once for the most frames a notification carries; `framesFilled` frames are in it.
    var streamValues: [Double] = []
    var framesFilled = 0
    /// The encoder's `counts` (frames in the notification), kept to avoid an array per send.
    var frameCount = [0]
    var streamBytes: [UInt8] = []
    /// The Insole Stream characteristic, looked up once.
    var streamCharacteristic: GATTCharacteristicHandles?
    var framesStart: UInt32 = 0
    var lastForces: InsoleForces
    /// Draws the sampling jitter (its own stream, so jitter leaves every other draw alone).
    var jitterRandom: ModelRandom
    var lastBatteryLevel: UInt8 = 255
    /// RSC Measurement encoders for walking and running (the status is a flag bit, which a
    /// flat encoder fixes), prepared with the stream.
    var rscWalking: PayloadFlatEncoder?
    var rscRunning: PayloadFlatEncoder?
    var rscBytes: [UInt8] = []
    /// What the advert says, recorded once a second and encoded when the advert is read.
    var advertised = (battery: UInt8(0), streaming: false, steps: 0)

    /// Largest force one 12-bit cell can carry at the spec's 0.5 N per count.
    static let fullScale = 2047.5

    /// `(force * 2).rounded() / 2` without the libm call: exact below 2^52 (the fraction
    /// `x - trunc(x)` is), and a zero's sign, which differs, is lost to `max(_, 0)` after.
    @inline(__always)
    static func halfSteps(_ force: Double) -> Double {
        let x = force * 2
        guard abs(x) < 4_503_599_627_370_496 else { return x.rounded() / 2 }
        let whole = Int64(x)
        let fraction = x - Double(whole)
        // Without branches: which way a force rounds is a coin toss (see PayloadFlatEncoder).
        return Double(whole + (fraction >= 0.5 ? 1 : 0) - (fraction <= -0.5 ? 1 : 0)) / 2
    }

    /// What both insoles of the wearer's pair advertise (gaitway-advert `pair_id`), nil when
    /// the wearer has one insole only.
    let pairID: UInt32?

    init(spec: DeviceSpec, body: PersonaBody, catalog: ProtocolCatalog, faults: [FaultSpec], epoch: Double,
         pairID: UInt32? = nil) throws(SimulationError) {
        self.body = body
        self.pairID = pairID
        foot = spec.role == .rightInsole ? .right : .left
        guard let geometry = catalog.spec(named: "gaitway-insole")?.geometry?.layout(cells: spec.cells),
              let map = InsoleCellMap(layout: geometry, foot: foot) else {
            throw SimulationError("gaitway-insole.yaml has no \(spec.cells)-cell geometry")
        }
        cellMap = map
        lastForces = InsoleForces(count: spec.cells)
        jitterRandom = ModelRandom.heart(seed: spec.seed, stream: 0x1177)
        let gauge = BatteryGauge(level: spec.firmware.batteryLevel)
        self.gauge = gauge
        let services: [GATTService] = [
            .gaitwayInsole(),
            // RSC Feature: stride length, total distance, walking/running status (bits 0-2).
            .runningSpeedAndCadence(features: 0x0007, sensorLocation: 0x07),  // 7 = in shoe
            .battery { gauge.percent },
            .deviceInformation(manufacturer: "Gaitway", model: "GW-Insole-\(spec.cells) (simulated)",
                               serialNumber: spec.firmware.address.description, hardwareRevision: "1",
                               firmwareRevision: "1.0.0", softwareRevision: "sim"),
        ]
        super.init(spec: spec, catalog: catalog, services: services,
                   advertisedServices: [.runningSpeedAndCadenceService], faults: faults, epoch: epoch)
        prepareStream()
        let side = foot == .left ? "left" : "right"
        // `unowned`, not `weak`: a weak reference gives the firmware a side table, and then
        // every retain of it (the simulation loop takes several per connection event) goes
        // the slow way. The body only runs while its devices do: `Simulation` makes a
        // person's devices together, and whatever runs them holds all of them.
        body.onGaitEventSinks.append { [unowned self] event in
            guard event.foot == self.foot, !self.isRebooting else { return }
            let kind: String? = switch event.kind {
            case .heelStrike: "heel_strike"
            case .toeOff: "toe_off"
            default: nil
            }
            if let kind { self.truth?.record(.gait(kind: kind, device: self.address, foot: side, time: self.epoch + event.time)) }
        }
    }

    var frameLength: Int { spec.cells * 3 / 2 + (spec.imu ? 12 : 0) }

    var framesPerNotification: Int {
        let fit = max(1, (maximumValueLength - 9) / frameLength)
        return min(fit, maximumFramesPerNotification)
    }

    var maximumFramesPerNotification: Int { max(1, spec.firmware.framesPerNotification ?? 4) }

    /// Forces, then the IMU's six values.
    var valuesPerFrame: Int { spec.cells + (spec.imu ? 6 : 0) }

    override func produce(from: Double, to: Double) {
        body.advance(to: to)
        gauge.level = battery
        let rate = spec.firmware.sampleRate
        // Samples due on the insole's own clock in (from, to]. After a reboot or a clock
        // jump the counter moved under us: sampling restarts from `from`.
        let firstDue = Int64((clock.deviceSeconds(at: from) * rate).rounded(.down)) + 1
        let lastDue = Int64((clock.deviceSeconds(at: to) * rate).rounded(.down))
        if nextSample < firstDue || nextSample > lastDue + 1 { nextSample = firstDue }
        // Nobody subscribed: the samples are not taken (nor their jitter drawn).
        if !isSubscribedAnywhere { nextSample = max(nextSample, lastDue + 1) }
        // What no sample changes, asked once per call rather than per sample.
        let perNotification = framesPerNotification
        while nextSample <= lastDue {
            let time = clock.simulationTime(atDeviceSeconds: Double(nextSample) / rate)
            sample(at: time, framesPerNotification: perNotification)
            nextSample += 1
        }
        let startSecond = clock.deviceSeconds(at: from).rounded(.down)
        let endSecond = clock.deviceSeconds(at: to).rounded(.down)
        if endSecond > startSecond { everySecond(at: clock.simulationTime(atDeviceSeconds: endSecond)) }
    }

    /// The stream's shape (foot, cell count, IMU) is fixed per device, so one flat encoder
    /// serves every notification; the template only gives that shape. The RSC encoders are
    /// prepared here too.
    func prepareStream() {
        var frame = PayloadObject(["forces": .array(Array(repeating: .number(0), count: spec.cells))])
        var layout = ["sequence", "timestamp", "frame_interval", "frames[]", "frames[].forces[\(spec.cells)]"]
        if spec.imu {
            for axis in Self.imuAxes {
                frame[axis] = .number(0)
                layout.append("frames[]." + axis)
            }
        }
        let template = PayloadObject([
            "foot": .text(foot == .left ? "left" : "right"), "sequence": .integer(0), "timestamp": .integer(0),
            "frame_interval": .number(0.01), "frames": .array([.object(frame)]),
        ])
        streamEncoder = flatEncoder("gaitway-insole", template: template, hints: streamHints, layout: layout)
        streamValues = Array(repeating: 0, count: 3 + maximumFramesPerNotification * valuesPerFrame)
        streamCharacteristic = database.characteristic(.gaitwayInsoleStream)
        rscWalking = prepareRSC(running: false)
        rscRunning = prepareRSC(running: true)
    }

    static let imuAxes = ["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z"]

    var streamHints: [String: Int] { ["cells_16": spec.cells == 16 ? 1 : 0, "imu_present": spec.imu ? 1 : 0] }

    /// One frame at device-clock tick `time`, sent once `framesPerNotification` are in.
    func sample(at time: Double, framesPerNotification: Int) {
        // The instant the ADC really sampled: the clock tick plus the firmware's scheduling
        // jitter (`jitter`, a standard deviation); the timestamp sent stays the tick's.
        let instant = spec.firmware.jitter > 0 ? time + spec.firmware.jitter * jitterRandom.normal() : time
        let motion = body.footSample(foot, at: instant)
        // The frame is built in `lastForces` itself: a stuck cell keeps the value it had.
        let cellFault = faults.cellFault(at: time)
        let stuck = cellFault.stuck.flatMap { $0 < spec.cells ? ($0, lastForces[$0]) : nil }
        if let replay = body.gaitReplay, spec.cells == 8 {
            lastForces = replay.forces(foot, at: instant)
        } else {
            cellMap.spread(motion, into: &lastForces)
        }
        if let (cell, value) = stuck { lastForces[cell] = value }
        if let saturated = cellFault.saturated, saturated < spec.cells { lastForces[saturated] = Self.fullScale }
        guard streamEncoder != nil else { return }

        if framesFilled == 0 { framesStart = clock.millis(at: time) }
        let cells = spec.cells, imu = spec.imu
        let first = 3 + framesFilled * valuesPerFrame
        streamValues.withUnsafeMutableBufferPointer { values in
            for cell in 0..<cells {
                // Round to the 0.5 N step here, as the cell's ADC would.
                values[first + cell] = min(max(Self.halfSteps(lastForces[cell]), 0), Self.fullScale)
            }
            guard imu else { return }
            let accelLimit = 156.9064 * 32767 / 32768, gyroLimit = 2000.0 * 32767 / 32768
            values[first + cells] = min(max(motion.accel.x, -accelLimit), accelLimit)
            values[first + cells + 1] = min(max(motion.accel.y, -accelLimit), accelLimit)
            values[first + cells + 2] = min(max(motion.accel.z, -accelLimit), accelLimit)
            values[first + cells + 3] = min(max(motion.gyro.x, -gyroLimit), gyroLimit)
            values[first + cells + 4] = min(max(motion.gyro.y, -gyroLimit), gyroLimit)
            values[first + cells + 5] = min(max(motion.gyro.z, -gyroLimit), gyroLimit)
        }
        framesFilled += 1
        if framesFilled >= framesPerNotification { sendFrames(at: time) }
    }

    /// Sends the frames filled so far as one Insole Stream notification.
    func sendFrames(at time: Double) {
        guard let encoder = streamEncoder else { return }
        let valueCount = 3 + framesFilled * valuesPerFrame
        frameCount[0] = framesFilled
        framesFilled = 0
        streamBytes.removeAll(keepingCapacity: true)
        let header = (Double(nextSequence()), Double(framesStart), (1_000_000 / spec.firmware.sampleRate).rounded() / 1_000_000)
        do {
            try streamValues.withUnsafeMutableBufferPointer { (values) throws(PayloadEncodingError) in
                (values[0], values[1], values[2]) = header
                try encoder.encode(UnsafeBufferPointer(rebasing: values[..<valueCount]), counts: frameCount, into: &streamBytes)
            }
        } catch {
            assertionFailure("gaitway-insole: \(error)")
            return
        }
        if let streamCharacteristic { send(streamCharacteristic, streamBytes, at: time) }
    }

    /// Running Speed and Cadence Measurement, once a second (RSC Service 1.0, §3.1).
    func everySecond(at time: Double) {
        let cadence = body.stepFrequency * 60
        let running: Bool = if case .run = body.gait.activity { true } else { false }
        let speed = cadence > 0 ? body.gait.style.strideLength * cadence / 120 : 0
        if let encoder = running ? rscRunning : rscWalking {
            rscBytes.removeAll(keepingCapacity: true)
            do {
                try encoder.encode([(speed * 256).rounded() / 256, min(cadence.rounded(), 255),
                                    (body.gait.style.strideLength * 100).rounded() / 100,
                                    (body.distance * 10).rounded() / 10], into: &rscBytes)
                send(.rscMeasurement, rscBytes, at: time)
            } catch {
                assertionFailure("rsc-measurement: \(error)")
            }
        }
        if batteryLevel != lastBatteryLevel {
            lastBatteryLevel = batteryLevel
            send(.batteryLevel, [batteryLevel], at: time)
        }
        advertised = (batteryLevel, isSubscribedAnywhere, body.steps)
        advertisementStale = true
    }

    func prepareRSC(running: Bool) -> PayloadFlatEncoder? {
        let template = PayloadObject([
            "motion": .text(running ? "running" : "walking"), "speed": .number(0), "cadence": .integer(0),
            "stride_length": .number(0), "total_distance": .number(0),
        ])
        return flatEncoder("rsc-measurement", template: template,
                           layout: ["speed", "cadence", "stride_length", "total_distance"])
    }

    /// Manufacturer data (gaitway-advert.yaml, company 0xFFFF, the SIG's test id): which
    /// foot, battery, whether it streams, steps, the pair it belongs to; so a gateway sees an insole's state from its
    /// adverts without connecting (CSS Part A, §1.4).
    override func makeAdvertisingData() -> [UInt8]? {
        var fields = PayloadObject([
            "device_kind": .text(foot == .left ? "insole_left" : "insole_right"),
            "battery_level": .integer(Int64(advertised.battery)),
            "charging": .bool(false),
            "streaming": .bool(advertised.streaming),
            "step_count": .integer(Int64(min(advertised.steps, Int(UInt32.max)))),
        ])
        if let pairID { fields["pair_id"] = .integer(Int64(pairID)) }
        guard let data = encode("gaitway-advert", fields, advertised: true) else { return nil }
        var advertising = AdvertisingDataBuilder()
        try? advertising.addFlags([.leGeneralDiscoverable, .brEDRNotSupported])
        try? advertising.addServiceUUIDs([.runningSpeedAndCadenceService], complete: true)
        try? advertising.addManufacturerData(companyID: 0xFFFF, data: data)
        return advertising.bytes
    }
}
