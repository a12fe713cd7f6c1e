import Foundation
import ProtocolSpecs
import Testing
@testable import DeviceSim

@Suite struct GaitModelTests {
    static let gaCo01 = GaitStyle.healthy(bodyMass: 83, height: 1.80, speed: 1.075)

    /// (a) The model against the real control subjects it is dressed as (demographics.txt).
    @Test(arguments: ["GaCo01", "JuCo01"])
    func walkingMatchesARealControl(_ subject: String) throws {
        let real = GaitMeasures.of(try GaitData.recording(subject + "_01.txt"))
        let who = try #require(GaitData.subjects[subject])
        let model = GaitMeasures.of(.healthy(bodyMass: who.mass, height: who.height, speed: who.speed))
        print("\(subject) real:  \(real)")
        print("\(subject) model: \(model)")
        #expect(abs(model.strideMean / real.strideMean - 1) < 0.08)
        #expect(abs(model.stanceShare - real.stanceShare) < 0.04)
        #expect(model.strideCV > 0.01 && model.strideCV < 0.05)
        #expect(real.strideCV < 0.07)
        // Force-plate-shaped peaks (~1.1–1.2 BW); the insoles read a flatter curve (≈1.0–1.06).
        #expect(abs(model.firstPeak - real.firstPeak) < 0.15)
        #expect(abs(model.secondPeak - real.secondPeak) < 0.2)
        #expect(model.valley < model.firstPeak - 0.2)
        #expect(real.valley < real.firstPeak - 0.05)
        // Momentum balance: the mean total force of the model is body weight.
        #expect(abs(model.meanTotal / (who.mass * 9.80665) - 1) < 0.02)
    }

    @Test func parkinsonianPersonaIsMoreVariableAndFlatterLikeGaPt03() throws {
        let real = GaitMeasures.of(try GaitData.recording("GaPt03_01.txt"))
        let control = GaitMeasures.of(try GaitData.recording("GaCo01_01.txt"))
        let model = GaitMeasures.of(.parkinsonian(bodyMass: 50, height: 1.45, speed: 0.778))
        let healthy = GaitMeasures.of(Self.gaCo01)
        print("GaPt03 real:  \(real)")
        print("GaPt03 model: \(model)")
        #expect(real.strideCV > control.strideCV && model.strideCV > healthy.strideCV)
        #expect(model.strideCV > 0.04)
        #expect(abs(model.stanceShare - real.stanceShare) < 0.04)
        // Flat profile: the valley is close to the peaks, as in the patient's recording.
        #expect(real.valley / real.firstPeak > 0.9)
        #expect(model.valley / model.firstPeak > 0.85)
        #expect(model.valley / model.firstPeak > healthy.valley / healthy.firstPeak + 0.15)
    }

    @Test func runningHasOnePeakAndAFlightPhase() {
        var model = GaitModel(style: Self.gaCo01, seed: 3, activity: .run(speed: 3.5))
        var peak = 0.0, flight = 0, both = 0, samples = 0
        var sum = 0.0
        for i in 20_000..<80_000 { // 20–80 s at 1 kHz
            let t2 = Double(i) / 1000
            model.advance(to: t2) { _ in }
            let l = model.sample(.left, at: t2), r = model.sample(.right, at: t2)
            peak = max(peak, l.force, r.force)
            if !l.inStance && !r.inStance { flight += 1 }
            if l.inStance && r.inStance { both += 1 }
            sum += l.force + r.force
            samples += 1
        }
        let bw = model.bodyWeight
        print("running 3.5 m/s: peak \(peak / bw) BW, flight \(Double(flight) / Double(samples)), mean \(sum / Double(samples) / bw) BW")
        #expect(peak / bw > 2 && peak / bw < 3)
        #expect(Double(flight) / Double(samples) > 0.1)
        #expect(both == 0)
        #expect(abs(sum / Double(samples) / bw - 1) < 0.03)
    }

    @Test func walkToRunRampsOverSeveralStrides() {
        var model = GaitModel(style: Self.gaCo01, seed: 11, activity: .walk())
        model.setActivity(.run(speed: 3.2), at: 30)
        var strikes: [Double] = []
        model.advance(to: 45) { if $0.kind == .heelStrike && $0.foot == .left { strikes.append($0.time) } }
        let strides = zip(strikes.dropFirst(), strikes).map { $0 - $1 }
        let after = strides.enumerated().filter { strikes[$0.offset] >= 30 }.map(\.element)
        let walking = strides.enumerated().filter { strikes[$0.offset + 1] < 30 }.map(\.element)
        let walkMean = walking.reduce(0, +) / Double(walking.count)
        let runTarget = 120 / 166.0
        // The first stride after the switch is still mostly walking; the cadence reaches running within ~8 strides.
        #expect(after[0] > runTarget + 0.6 * (walkMean - runTarget))
        #expect(after[1] < after[0])
        #expect(abs(after[9] / runTarget - 1) < 0.1)
    }

    @Test func standWalkStandAndFreezing() {
        var model = GaitModel(style: Self.gaCo01, seed: 5, activity: .stand)
        model.setActivity(.walk(), at: 2)
        model.setActivity(.stand, at: 20)
        var events: [GaitEvent] = []
        for i in 0..<3000 {
            let t = Double(i) / 100
            model.advance(to: t) { events.append($0) }
            if t < 1.9 || t > 25 {
                // Standing: both feet loaded, about half body weight each.
                let l = model.sample(.left, at: t).force, r = model.sample(.right, at: t).force
                #expect(abs((l + r) / model.bodyWeight - 1) < 0.1)
            }
        }
        #expect(events.first!.time >= 2)
        #expect(events.last!.time < 25)
        #expect(events.filter { $0.kind == .heelStrike }.count > 20)
        #expect(events.map(\.time) == events.map(\.time).sorted())

        var frozen = GaitModel(style: .parkinsonian(bodyMass: 60, height: 1.6, freezing: .init(perMinute: 2, meanDuration: 4)),
                               seed: 9, activity: .walk())
        var log: [GaitEvent] = []
        frozen.advance(to: 600) { log.append($0) }
        let starts = log.indices.filter { log[$0].kind == .freezingStart }
        #expect(starts.count >= 5)
        for start in starts {
            guard let end = log[start...].firstIndex(where: { $0.kind == .freezingEnd }) else { continue }
            #expect(log[end].time - log[start].time >= 1)
            // Only the two steps that put both feet down: no stepping while frozen.
            let strikes = log[start..<end].filter { $0.kind == .heelStrike }
            #expect(strikes.count <= 2)
        }
    }

    /// (c) A heel-strike stance moves the CoP heel → toe over the cells; compared with the real controls.
    @Test func centreOfPressureRollsHeelToToe() throws {
        var model = GaitModel(style: Self.gaCo01, seed: 2, activity: .walk())
        let spec = try #require(try ProtocolCatalog.bundled().spec(named: "gaitway-insole"))
        let geometry = try #require(spec.geometry)
        let maps = [8, 16].compactMap { geometry.layout(cells: $0).flatMap { InsoleCellMap(layout: $0, foot: .left) } }
        #expect(maps.count == 2)
        var strikes: [(Double, Double)] = []
        var lastStrike: Double?
        model.advance(to: 20) { event in
            guard event.foot == .left else { return }
            if event.kind == .heelStrike { lastStrike = event.time }
            if event.kind == .toeOff, let strike = lastStrike { strikes.append((strike, event.time)) }
        }
        let (strike, off) = strikes.last!
        let phases = stride(from: 0.02, through: 0.98, by: 0.096).map { $0 }
        for map in maps {
            var ys: [Double] = []
            for p in phases {
                let sample = model.sample(.left, at: strike + p * (off - strike))
                var cells = InsoleForces(count: 0)
                map.spread(sample, into: &cells)
                #expect(abs(cells.total - sample.force) < 1e-9 * max(sample.force, 1))
                ys.append(try #require(map.centreOfPressure(cells)).y)
            }
            print("model CoP y (\(map.cellCount) cells):", ys.map { Int($0) })
            #expect(ys.first! < -550)
            #expect(ys.last! > 350)
            for k in 1..<ys.count { #expect(ys[k] > ys[k - 1] - 10) }
            if map.cellCount == 8 {
                for subject in ["GaCo01_01.txt", "JuCo01_01.txt"] {
                    let real = try Self.realCoP(GaitData.recording(subject), phases: phases)
                    print("real  CoP y \(subject):", real.map { Int($0) })
                    for k in phases.indices { #expect(abs(ys[k] - real[k]) < 160, "phase \(phases[k])") }
                }
            }
        }
    }

    /// Median CoP y of the left foot's stances at the given phases.
    static func realCoP(_ recording: GaitpdbRecording, phases: [Double]) -> [Double] {
        let map = InsoleCellMap.gaitpdb(.left)
        let events = recording.events(threshold: 100).filter { $0.foot == .left }
        var columns = Array(repeating: [Double](), count: phases.count)
        for (a, b) in zip(events, events.dropFirst()) where a.kind == .heelStrike && b.kind == .toeOff {
            let length = b.time - a.time
            guard length > 0.3, length < 1.5 else { continue }
            for (k, p) in phases.enumerated() {
                let index = Int(((a.time + p * length) / recording.interval).rounded())
                if let cop = map.centreOfPressure(recording.forces(.left, sample: index)) { columns[k].append(cop.y) }
            }
        }
        return columns.map { GaitMeasures.percentile($0, 0.5) }
    }

    @Test(arguments: StrikePattern.allCases)
    func strikePatternsStartWhereTheyShould(_ strike: StrikePattern) {
        var style = Self.gaCo01
        style.strike = strike
        var model = GaitModel(style: style, seed: 4, activity: .walk())
        var strikeTime = 0.0
        model.advance(to: 10) { if $0.kind == .heelStrike && $0.foot == .right { strikeTime = $0.time } }
        let landing = model.sample(.right, at: strikeTime + 0.02)
        switch strike {
        case .heel: #expect(landing.copY < -600)
        case .midfoot: #expect(landing.copY > -400 && landing.copY < 0)
        case .forefoot: #expect(landing.copY > 200)
        }
        #expect(landing.copX > 0)
    }

    /// (d) Same seed, same everything; another seed, other strides.
    @Test func deterministicFromTheSeed() {
        func run(_ seed: UInt64) -> [Double] {
            var model = GaitModel(style: .parkinsonian(bodyMass: 70, height: 1.7, freezing: .init(perMinute: 1, meanDuration: 3)),
                                  seed: seed, activity: .walk())
            var out: [Double] = []
            for i in 0..<6000 {
                let t = Double(i) / 100
                model.advance(to: t) { out.append($0.time) }
                let s = model.sample(.left, at: t)
                out += [s.force, s.copY, s.accel.z, s.gyro.y]
            }
            return out
        }
        #expect(run(42) == run(42))
        #expect(run(42) != run(43))
    }

    /// (e) IMU values stay within ±16 g and ±2000 °/s, and show heel strikes and swings.
    @Test(arguments: [GaitActivity.walk(), .run(speed: 6)])
    func imuIsPlausibleAndInRange(_ activity: GaitActivity) {
        var style = Self.gaCo01
        style.bodyMass = 120
        var model = GaitModel(style: style, seed: 8, activity: activity)
        var strikes: [Double] = []
        var maxAccel = 0.0, maxGyro = 0.0, spike = 0.0, swingRate = 0.0
        var flat: [Double] = []
        for i in 0..<40_000 { // 200 s at 200 Hz
            let t = Double(i) / 200
            model.advance(to: t) { if $0.kind == .heelStrike && $0.foot == .left { strikes.append($0.time) } }
            let s = model.sample(.left, at: t)
            let a = (s.accel * s.accel).sum().squareRoot()
            maxAccel = max(maxAccel, abs(s.accel.x), abs(s.accel.y), abs(s.accel.z))
            maxGyro = max(maxGyro, abs(s.gyro.x), abs(s.gyro.y), abs(s.gyro.z))
            if let last = strikes.last, t - last < 0.05, t > 10 { spike = max(spike, a) }
            if !s.inStance, t > 10 { swingRate = max(swingRate, abs(s.gyro.y)) }
            if s.inStance, t > 10, abs(s.gyro.y) < 2 { flat.append(a) }
        }
        print("IMU \(activity): max |accel| \(maxAccel / 9.80665) g, heel-strike peak \(spike / 9.80665) g, swing pitch rate \(swingRate) °/s")
        #expect(maxAccel <= 16 * 9.80665)
        #expect(maxGyro <= 2000)
        #expect(spike > 2 * 9.80665)
        #expect(swingRate > 150)
        #expect(abs(GaitMeasures.percentile(flat, 0.5) - 9.80665) < 1)
    }

    @Test func sixteenCellLayoutSumsToTheForce() throws {
        let spec = try #require(try ProtocolCatalog.bundled().spec(named: "gaitway-insole"))
        let layout = try #require(spec.geometry?.layout(cells: 16))
        let right = try #require(InsoleCellMap(layout: layout, foot: .right))
        var model = GaitModel(style: Self.gaCo01, seed: 1, activity: .walk())
        var cells = InsoleForces(count: 16)
        for i in 0..<3000 {
            let t = Double(i) / 100
            let sample = model.sample(.right, at: t)
            right.spread(sample, into: &cells)
            #expect(abs(cells.total - sample.force) <= 1e-9 * max(1, sample.force))
            for c in 0..<16 { #expect(cells[c] >= 0) }
        }
    }
}
