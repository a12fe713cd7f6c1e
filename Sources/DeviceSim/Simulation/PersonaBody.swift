import BLEWire

/// One simulated person: the gait and heart models driven by the persona's activity
/// timeline. The devices the person wears sample it; it does not know about BLE.
///
/// Simulation time is seconds since the start of the run; `epoch` turns it into the
/// capture clock for ground truth.
public final class PersonaBody {
    public let spec: PersonaSpec
    var gait: GaitModel
    var heart: HeartModel
    var ppg: PPGSynthesizer
    var spo2: SpO2Model
    var skin: SkinTemperatureModel
    /// gaitpdb forces to replay instead of the gait model, when the scenario says so.
    let gaitReplay: GaitpdbReplay?
    /// RR intervals to replay instead of the heart model, when the scenario says so.
    let rrReplay: [Double]
    var rrReplayIndex = 0
    var replayBeatTime = 0.0

    /// Where the models are: they have been advanced up to here.
    public private(set) var time = 0.0
    public private(set) var intensity = 0.0
    /// Steps since the start (heel strikes of either foot).
    public private(set) var steps = 0
    /// Distance walked or run, metres.
    public private(set) var distance = 0.0
    /// The last beat, for the rate of a replayed RR series.
    var lastBeat: HeartBeat?
    /// PPG samples produced but not yet taken by the wristband.
    var ppgSamples: [UInt32] = []
    let ppgRate: Double
    /// Whether a device worn senses the heart (a wristband). Without one nothing reads the
    /// heart, PPG, SpO2 or skin models, so they stay where they are.
    let hasHeartSensor: Bool
    var segmentIndex = -1
    var stepFrequency = 0.0
    var lastHeelStrike = [Double](repeating: -1, count: 2)

    /// Who hears of each beat and gait event as it happens (the devices worn).
    var onBeatSinks: [(HeartBeat) -> Void] = []
    var onGaitEventSinks: [(GaitEvent) -> Void] = []

    public init(spec: PersonaSpec, ectopicPerMinute: Double = 0, ppgRate: Double = 50, hasHeartSensor: Bool = true)
        throws(SimulationError) {
        self.spec = spec
        self.hasHeartSensor = hasHeartSensor
        let mass = spec.weight
        var style: GaitStyle
        if spec.gait.shuffle > 0.3 || spec.gait.freezing != nil {
            style = .parkinsonian(bodyMass: mass, height: spec.height)
        } else {
            style = .healthy(bodyMass: mass, height: spec.height)
        }
        if let cadence = spec.gait.cadence { style.cadence = cadence }
        if let stride = spec.gait.strideLength { style.strideLength = stride }
        if let stance = spec.gait.stanceShare { style.stanceShare = stance }
        if let cv = spec.gait.variability { style.strideTimeCV = cv }
        if let alpha = spec.gait.dfaAlpha { style.strideTimeAlpha = alpha }
        style.asymmetry = spec.gait.asymmetry
        style.shuffle = spec.gait.shuffle
        style.strike = switch spec.gait.strike {
        case .heel: .heel
        case .midfoot: .midfoot
        case .forefoot: .forefoot
        }
        if let freezing = spec.gait.freezing {
            style.freezing = .init(perMinute: freezing.perMinute, meanDuration: freezing.meanDuration)
        }
        if let limp = spec.gait.limp {
            style.limp = .init(foot: limp.side == .left ? .left : .right, severity: limp.severity)
        }
        gait = GaitModel(style: style, seed: spec.seed &+ 1)

        let persona = HeartPersona(age: spec.age, sex: spec.sex == .male ? .male : .female,
                                   restingHeartRate: spec.heart.restingHeartRate,
                                   maximumHeartRate: spec.heart.maximumHeartRate, fitness: spec.heart.fitness)
        var configuration = HeartModel.Configuration(persona: persona)
        if let lf = spec.heart.lowFrequencyPower, let hf = spec.heart.highFrequencyPower, lf + hf > 0 {
            // Scenario powers are in ms², the model's in s².
            configuration.variability.restingPower = (lf + hf) / 1_000_000
            if hf > 0 { configuration.variability.lfHfRatio = lf / hf }
        }
        if let frequency = spec.heart.lowFrequency { configuration.variability.lowFrequency = frequency }
        if let breathing = spec.heart.respirationRate { configuration.variability.restingRespirationRate = breathing }
        if ectopicPerMinute > 0 {
            // Per minute -> per beat at the resting rate (close enough at every rate for a fault script).
            configuration.ectopicBeatProbability = min(0.5, ectopicPerMinute / persona.restingHeartRate)
        }
        let initial = Self.intensity(of: spec.activity.first?.kind ?? .rest)
        heart = HeartModel(configuration: configuration, seed: spec.seed &+ 2, initialIntensity: initial)
        self.ppgRate = ppgRate
        ppg = PPGSynthesizer(configuration: .init(sampleRate: ppgRate), seed: spec.seed &+ 3)
        spo2 = SpO2Model(seed: spec.seed &+ 4)
        skin = SkinTemperatureModel(seed: spec.seed &+ 5)

        var gaitReplay: GaitpdbReplay?
        var rrReplay: [Double] = []
        for replay in spec.replay {
            switch replay.kind {
            case .gaitpdb:
                let bytes = try SimulationFiles.read(replay.path)
                do {
                    gaitReplay = GaitpdbReplay(try GaitpdbRecording(parsing: bytes), start: replay.offset, loops: replay.loop)
                } catch {
                    throw SimulationError("\(replay.declaredPath): \(error)")
                }
            case .rrIntervals:
                do { rrReplay = try ReplaySpec.readRRIntervals(path: replay.path) } catch {
                    throw SimulationError("\(error)")
                }
            case .ppg:
                break  // Recorded PPG replay is not wired to the stream yet (see Simulators/README.md).
            }
        }
        self.gaitReplay = gaitReplay
        self.rrReplay = rrReplay
    }

    /// Exercise intensity (fraction of heart-rate reserve) of each activity.
    static func intensity(of activity: ActivitySegment.Kind) -> Double {
        switch activity {
        case .sleep: 0
        case .rest: 0.03
        case .stand: 0.08
        case .walk(let speed): 0.2 + 0.15 * min(max((speed ?? 1.3) - 0.8, 0), 1.4)
        case .run(let speed): min(0.95, 0.5 + 0.08 * max(speed - 2, 0))
        }
    }

    static func gaitActivity(of activity: ActivitySegment.Kind) -> GaitActivity {
        switch activity {
        case .sleep, .rest, .stand: .stand
        case .walk(let speed): .walk(speed: speed)
        case .run(let speed): .run(speed: speed)
        }
    }

    /// The activity segment at `time`, and how far into its transition ramp we are.
    func targetIntensity(at time: Double) -> Double {
        let segments = spec.activity
        guard let index = segments.lastIndex(where: { $0.start <= time }) else {
            return Self.intensity(of: segments.first?.kind ?? .rest)
        }
        let segment = segments[index]
        let target = Self.intensity(of: segment.kind)
        guard index > 0, segment.transition > 0, time < segment.start + segment.transition else { return target }
        let previous = Self.intensity(of: segments[index - 1].kind)
        let progress = (time - segment.start) / segment.transition
        return previous + (target - previous) * progress
    }

    /// Brings every model forward to `newTime`.
    public func advance(to newTime: Double) {
        guard newTime > time else { return }
        // Activity changes for the gait model.
        if let index = spec.activity.lastIndex(where: { $0.start <= newTime }), index != segmentIndex {
            segmentIndex = index
            let segment = spec.activity[index]
            gait.setActivity(Self.gaitActivity(of: segment.kind), at: max(segment.start, time))
        }
        intensity = targetIntensity(at: newTime)
        // Read before `gait.advance` starts: the closure must not touch `gait` (exclusivity).
        let strideLength = gait.style.strideLength
        gait.advance(to: newTime) { event in
            if event.kind == .heelStrike {
                steps += 1
                let foot = event.foot.rawValue
                if lastHeelStrike[foot] >= 0 {
                    let strideTime = event.time - lastHeelStrike[foot]
                    if strideTime > 0.2 && strideTime < 3 {
                        stepFrequency = 2 / strideTime
                        distance += strideLength / 2
                    }
                }
                lastHeelStrike[foot] = event.time
            }
            for sink in onGaitEventSinks { sink(event) }
        }
        defer { time = newTime }
        guard hasHeartSensor else { return }
        // Heart: beats up to newTime, through the PPG (which pulls beats as it needs them).
        let motion = min(1, intensity * 1.2)
        while ppg.nextSampleTime <= newTime {
            if rrReplay.isEmpty {
                let sample = ppg.nextSample(heart: &heart, intensity: intensity, motion: motion,
                                            stepFrequency: stepFrequency) { beat in
                    beatHappened(beat)
                }
                ppgSamples.append(sample)
            } else {
                while replayBeatTime <= ppg.nextSampleTime {
                    let rr = rrReplay[rrReplayIndex % rrReplay.count]
                    rrReplayIndex += 1
                    replayBeatTime += rr
                    let beat = HeartBeat(time: replayBeatTime, rr: rr)
                    ppg.add(beat)
                    beatHappened(beat)
                }
                ppgSamples.append(ppg.nextSample(motion: motion, stepFrequency: stepFrequency))
            }
        }
        let dt = newTime - time
        _ = spo2.advance(by: dt, intensity: intensity)
        _ = skin.advance(by: dt, intensity: intensity)
    }

    func beatHappened(_ beat: HeartBeat) {
        lastBeat = beat
        for sink in onBeatSinks { sink(beat) }
    }

    /// PPG samples produced since the last call (only a wristband takes them).
    func takePPGSamples() -> [UInt32] {
        defer { ppgSamples.removeAll(keepingCapacity: true) }
        return ppgSamples
    }

    /// The current heart rate in bpm, as a strap would report it.
    public var heartRate: Double {
        if !rrReplay.isEmpty, let last = lastBeat { return 60 / last.rr }
        return heart.heartRate
    }

    public var oxygenSaturation: Double { spo2.saturation }
    public var skinTemperature: Double { skin.temperature }

    /// One foot's sample at `time` (model, or recorded forces when replaying).
    func footSample(_ foot: Foot, at time: Double) -> GaitFootSample {
        gait.sample(foot, at: time)
    }
}

/// A run could not be set up: a scenario's data file is unreadable, a spec is missing.
public struct SimulationError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
