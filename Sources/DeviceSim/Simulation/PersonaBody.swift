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
    /// The wrist's accelerometer reading (a band's gaitway-motion stream).
    var wrist: WristMotion
    /// The stages of each `sleep` segment of the activity timeline, in order.
    public let nights: [Hypnogram]
    /// gaitpdb forces to replay instead of the gait model, when the scenario says so.
    let gaitReplay: GaitpdbReplay?
    /// RR intervals to replay instead of the heart model, when the scenario says so.
    /// RR intervals to replay instead of the heart model (until they end, without `loop`).
    var rrReplay: RRReplay?
    /// A recorded PPG waveform to stream instead of the synthetic one, when the scenario says so.
    var ppgReplay: PPGReplay?

    /// Where the models are: they have been advanced up to here.
    public private(set) var time = 0.0
    public private(set) var intensity = 0.0
    /// Steps since the start (heel strikes of either foot).
    public private(set) var steps = 0
    /// Distance walked or run, metres.
    public private(set) var distance = 0.0
    /// The last beat, for the rate of a replayed RR series.
    var lastBeat: HeartBeat?
    /// The heart model's next beat, drawn but later than `time`.
    var upcomingBeat: HeartBeat?
    /// Beats that happened but are not yet in the PPG synthesizer, oldest first from
    /// `ppgBeatsStart`. The wristband samples the waveform at its own clock's instants
    /// (``ppgSample(at:)``), which may trail the models; each sample takes the beats up to its
    /// instant, so the waveform is built from exactly the beats the ground truth lists.
    var ppgBeats: [HeartBeat] = []
    var ppgBeatsStart = 0
    /// Whether a device worn senses the heart (a wristband). Without one nothing reads the
    /// heart, PPG, SpO2 or skin models, so they are not run.
    let hasHeartSensor: Bool
    var segmentIndex = -1
    var stepFrequency = 0.0
    var lastHeelStrike = [Double](repeating: -1, count: 2)

    /// Who hears of each beat and gait event as it happens (the devices worn).
    var onBeatSinks: [(HeartBeat) -> Void] = []
    var onGaitEventSinks: [(GaitEvent) -> Void] = []

    /// - Parameter ppgRate: the worn wristband's nominal PPG sample rate, Hz (its synthesizer's
    ///   noise processes step once per sample of it).
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
        ppg = PPGSynthesizer(configuration: .init(sampleRate: ppgRate), seed: spec.seed &+ 3)
        spo2 = SpO2Model(seed: spec.seed &+ 4)
        skin = SkinTemperatureModel(seed: spec.seed &+ 5)
        wrist = WristMotion(random: ModelRandom.heart(seed: spec.seed &+ 6, stream: 0x3157))
        var sleepRandom = ModelRandom.heart(seed: spec.seed &+ 7, stream: 0x534C_4545_50)  // "SLEEP"
        nights = spec.activity.filter { $0.kind == .sleep }.map {
            Hypnogram(start: $0.start, end: $0.end, random: &sleepRandom)
        }

        var gaitReplay: GaitpdbReplay?
        var rrReplay: RRReplay?
        var ppgReplay: PPGReplay?
        for replay in spec.replay {
            switch replay.kind {
            case .gaitpdb:
                let bytes = try SimulationFiles.read(replay.path)
                do {
                    // `offset` is the recording time played at simulation time 0, so the
                    // recording's first sample falls `offset` seconds before it.
                    gaitReplay = GaitpdbReplay(try GaitpdbRecording(parsing: bytes), start: -replay.offset,
                                               loops: replay.loop)
                } catch {
                    throw SimulationError("\(replay.declaredPath): \(error)")
                }
            case .rrIntervals:
                do {
                    rrReplay = RRReplay(intervals: try ReplaySpec.readRRIntervals(path: replay.path),
                                        loops: replay.loop, offset: replay.offset)
                } catch {
                    throw SimulationError("\(error)")
                }
            case let .ppg(column, sampleRate):
                do {
                    let recording = try ReplaySpec.readPPG(path: replay.path, column: column, sampleRate: sampleRate)
                    ppgReplay = PPGReplay(times: recording.times, values: recording.values,
                                          loops: replay.loop, offset: replay.offset)
                } catch {
                    throw SimulationError("\(error)")
                }
            }
        }
        self.gaitReplay = gaitReplay
        self.rrReplay = rrReplay
        self.ppgReplay = ppgReplay
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
        // Heart: every beat up to newTime. Beats the PPG has not needed for a while go into its
        // synthesizer now (no wristband samples that far back), so the queue stays short when
        // no band samples (none worn, not subscribed, rebooting).
        movePPGBeats(upTo: time - Self.ppgSamplingLag)
        if var replay = rrReplay, !replay.isFinished {
            replay.beats(upTo: newTime) { beatHappened($0) }
            // The series ended (no `loop`): the heart model carries on from its last beat.
            if replay.isFinished { heart.resume(after: replay.lastBeat, intensity: intensity) }
            rrReplay = replay
        }
        if rrReplay.map(\.isFinished) ?? true {
            heart.sleepStage = sleepStage(at: time)
            // 5 % down over the first 5 hours in bed, then flat.
            let inBed = nights.first { $0.contains(time) }.map { time - $0.start } ?? 0
            heart.nocturnalRateTrend = 1 - 0.05 * min(inBed / (5 * 3600), 1)
            while true {
                let beat = upcomingBeat ?? heart.nextBeat(intensity: intensity)
                guard beat.time <= newTime else {
                    upcomingBeat = beat
                    break
                }
                upcomingBeat = nil
                beatHappened(beat)
            }
        }
        let dt = newTime - time
        _ = spo2.advance(by: dt, intensity: intensity)
        _ = skin.advance(by: dt, intensity: intensity)
    }

    func beatHappened(_ beat: HeartBeat) {
        lastBeat = beat
        ppgBeats.append(beat)
        for sink in onBeatSinks { sink(beat) }
    }

    /// How far before the models' time a wristband may still ask for a PPG sample, seconds:
    /// a device samples the step it was just advanced over, at instants moved by at most a few
    /// standard deviations of its `jitter` (≤ 100 ms).
    static let ppgSamplingLag = 2.0

    /// Adds the beats up to `limit` to the PPG synthesizer.
    func movePPGBeats(upTo limit: Double) {
        guard ppgBeatsStart < ppgBeats.count, ppgBeats[ppgBeatsStart].time <= limit else { return }
        repeat {
            ppg.add(ppgBeats[ppgBeatsStart])
            ppgBeatsStart += 1
        } while ppgBeatsStart < ppgBeats.count && ppgBeats[ppgBeatsStart].time <= limit
        // The queue never has to be empty to shrink (a person without a band always keeps the
        // last two seconds of beats in it).
        if ppgBeatsStart == ppgBeats.count {
            ppgBeats.removeAll(keepingCapacity: true)
            ppgBeatsStart = 0
        } else if ppgBeatsStart >= 32 {
            ppgBeats.removeFirst(ppgBeatsStart)
            ppgBeatsStart = 0
        }
    }

    /// The wrist PPG a sensor reads at simulation time `instant` (a wristband's clock tick, plus
    /// its jitter), in ADC counts: the recorded waveform when the scenario replays one, else the
    /// synthesizer's, built from every beat up to `instant`. `instant` must not be more than
    /// ``ppgSamplingLag`` before ``time``; a little after it (jitter) is fine, as a beat shows in
    /// the waveform only a pulse arrival time (over 0.15 s) after it happens.
    func ppgSample(at instant: Double) -> UInt32 {
        if let counts = ppgReplay?.counts(at: instant) { return counts }
        movePPGBeats(upTo: instant)
        return ppg.sample(at: instant, motion: min(1, intensity * 1.2), stepFrequency: stepFrequency)
    }

    /// What a band's accelerometer on this person's wrist reads at simulation time `instant` (a
    /// tick of its clock), g in the band's axes (``WristMotion``). `instant` is at or a little
    /// before ``time``: the arm is paced by the latest heel strikes.
    func wristSample(at instant: Double) -> (x: Double, y: Double, z: Double) {
        let activity: WristMotion.Activity
        let kind = spec.activity.indices.contains(segmentIndex) ? spec.activity[segmentIndex].kind : .rest
        switch kind {
        case .sleep: activity = .inBed(sleepStage(at: instant) ?? .wake)
        case .rest, .stand: activity = .still
        case .walk(let speed): activity = .walk(speed: speed ?? 1.3)
        case .run(let speed): activity = .run(speed: speed)
        }
        // A stop is still once the feet are: no heel strike for 2 s.
        let lastStrike = max(lastHeelStrike[0], lastHeelStrike[1])
        let moving: WristMotion.Activity = switch activity {
        case .walk, .run: lastStrike >= 0 && instant - lastStrike < 2 ? activity : .still
        default: activity
        }
        return wrist.sample(at: instant, activity: moving, lastLeftStrike: lastHeelStrike[0], lastStrike: lastStrike,
                            stepFrequency: stepFrequency)
    }

    /// The sleep stage at scenario time `time`, nil out of bed (not in a `sleep` segment).
    public func sleepStage(at time: Double) -> SleepStage? {
        nights.first { $0.contains(time) }?.stage(at: time)
    }

    /// The current heart rate in bpm, as a strap would report it.
    public var heartRate: Double {
        if let replay = rrReplay, !replay.isFinished, let last = lastBeat { return 60 / last.rr }
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
