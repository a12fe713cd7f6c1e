import Testing
import WearMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SHOE detector, the ZUPT integrator and the freezing index on synthetic foot IMU
/// signals whose kinematics are known in closed form.
@Suite struct FootIMUTests {
    static let g = 9.80665
    static let rate = 100.0

    /// A walk of `strides` cycles: stance at rest for `stance` s, then a swing of `swing` s
    /// that moves the foot `length` m forward along `heading` (rad) with the smooth velocity
    /// profile v(t) = L/T·(1 − cos 2πt/T), lifts it `height`·(1 − cos 2πt/T)²/4 (acceleration
    /// zero at both ends, as a real swing's is continuous: a jump there would be half lost by any
    /// sampled integrator) and pitches it
    /// by `pitch`·sin(πt/T)² about its lateral axis. `bias` is added to every accelerometer
    /// sample (sensor frame).
    static func walk(strides: Int, stance: Double = 0.6, swing: Double = 0.4, length: Double = 1.3,
                     height: Double = 0.1, pitch: Double = 0, heading: Double = 0,
                     bias: SIMD3<Double> = .zero) -> [FootIMUSample] {
        var samples: [FootIMUSample] = []
        let dt = 1 / rate
        var t = 0.0
        let (ch, sh) = (cos(heading), sin(heading))
        for _ in 0..<strides {
            for _ in 0..<Int((stance * rate).rounded()) {
                samples.append(FootIMUSample(time: t, acceleration: SIMD3(0, 0, g) + bias, angularRate: .zero))
                t += dt
            }
            let n = Int((swing * rate).rounded())
            for k in 0..<n {
                let u = Double(k) * dt, w = 2 * Double.pi / swing
                let forward = length / swing * w * sin(w * u)
                let up = height / 2 * w * w * (cos(w * u) - cos(2 * w * u))
                // Navigation-frame specific force, then into the sensor frame: yaw (heading) then
                // pitch θ about the sensor's y axis.
                let theta = pitch * pow(sin(Double.pi * u / swing), 2)
                let thetaRate = pitch * 2 * sin(Double.pi * u / swing) * cos(Double.pi * u / swing) * Double.pi / swing
                let fx = forward * ch, fy = forward * sh, fz = up + g
                // Undo heading: along-heading and lateral components.
                let along = fx * ch + fy * sh, lateral = -fx * sh + fy * ch
                // Undo pitch (R_y(θ)ᵀ).
                let bx = cos(theta) * along - sin(theta) * fz
                let bz = sin(theta) * along + cos(theta) * fz
                samples.append(FootIMUSample(time: t, acceleration: SIMD3(bx, lateral, bz) + bias,
                                             angularRate: SIMD3(0, thetaRate, 0)))
                t += dt
            }
        }
        for _ in 0..<Int((stance * rate).rounded()) {
            samples.append(FootIMUSample(time: t, acceleration: SIMD3(0, 0, g) + bias, angularRate: .zero))
            t += dt
        }
        return samples
    }

    static func strides(_ samples: [FootIMUSample], parameters: FootStrideIntegrator.Parameters = .init())
        -> ([FootStrideIntegrator.Stride], [MetricRecord]) {
        var integrator = FootStrideIntegrator(parameters: parameters)
        var records: [MetricRecord] = []
        var strides: [FootStrideIntegrator.Stride] = []
        for sample in samples {
            if let stride = integrator.process(sample, into: &records) { strides.append(stride) }
        }
        return (strides, records)
    }

    @Test func detectorSeesRestAndMotion() {
        var detector = ZeroVelocityDetector()
        let rest = FootIMUSample(time: 0, acceleration: SIMD3(0.01, -0.02, Self.g), angularRate: SIMD3(0.01, 0, 0))
        var answers: [Bool] = []
        for _ in 0..<10 { answers.append(detector.isStationary(after: rest)) }
        #expect(answers.prefix(4).allSatisfy { !$0 })
        #expect(answers.suffix(6).allSatisfy { $0 })
        // A tilted sensor at rest is still at rest: the statistic is about |a| and ω, not axes.
        let tilted = FootIMUSample(time: 0, acceleration: SIMD3(0, Self.g * sin(0.5), Self.g * cos(0.5)), angularRate: .zero)
        for _ in 0..<5 { _ = detector.isStationary(after: tilted) }
        let tiltedAtRest = detector.isStationary(after: tilted)
        #expect(tiltedAtRest)
        // Rotating at 2 rad/s is motion on the first such sample.
        let spinning = FootIMUSample(time: 0, acceleration: SIMD3(0, 0, Self.g), angularRate: SIMD3(0, 2, 0))
        let spinningAtRest = detector.isStationary(after: spinning)
        #expect(!spinningAtRest)
        #expect(detector.statistic > detector.parameters.threshold)
    }

    @Test(arguments: [(1.3, 0.0, 0.0), (0.8, 0.0, 1.0), (1.5, 0.6, -2.0)])
    func strideLengthOfSyntheticSwing(length: Double, pitch: Double, heading: Double) {
        let (strides, records) = Self.strides(Self.walk(strides: 6, length: length, pitch: pitch, heading: heading))
        #expect(strides.count == 6)
        for stride in strides {
            #expect(abs(stride.length - length) / length < 0.01, "length \(stride.length) vs \(length)")
            #expect(abs(stride.clearance - 0.1) < 0.01, "clearance \(stride.clearance)")
        }
        for stride in strides.dropFirst() {
            #expect(abs(stride.speed! - length / 1.0) / length < 0.02, "speed \(stride.speed!)")
        }
        #expect(records.filter { $0.metric == .strideLength }.count == 6)
        #expect(records.filter { $0.metric == .gaitSpeed }.count == 5)
    }

    @Test func constantVelocitySwingAndAccelerometerBias() {
        // A swing whose middle is at constant velocity: accelerate over 0.1 s, coast, brake over
        // 0.1 s; length = v·(T − 0.1). An IMU cannot tell uniform motion from rest, so the foot
        // also rolls, φ = 0.3·sin(2πu/T) about its forward axis (a real swing always rotates);
        // and the accelerometer has a bias of 0.15 m/s² on x throughout.
        var samples: [FootIMUSample] = []
        let dt = 1 / Self.rate, bias = SIMD3(0.15, 0, 0)
        var t = 0.0
        func rest(_ seconds: Double) {
            for _ in 0..<Int((seconds * Self.rate).rounded()) {
                samples.append(FootIMUSample(time: t, acceleration: SIMD3(0, 0, Self.g) + bias, angularRate: .zero))
                t += dt
            }
        }
        let v = 3.0, swing = 0.5, w = 2 * Double.pi / swing
        rest(1)
        for k in 0..<50 {
            let u = Double(k) * dt
            let ax = k < 10 ? v / 0.1 : (k >= 40 ? -v / 0.1 : 0)
            let roll = 0.3 * sin(w * u), rollRate = 0.3 * w * cos(w * u)
            // R_x(φ)ᵀ·(ax, 0, g).
            let force = SIMD3(ax, Self.g * sin(roll), Self.g * cos(roll))
            samples.append(FootIMUSample(time: t, acceleration: force + bias, angularRate: SIMD3(rollRate, 0, 0)))
            t += dt
        }
        rest(1)
        let (strides, _) = Self.strides(samples)
        #expect(strides.count == 1)
        let expected = v * 0.4
        #expect(abs((strides.first?.length ?? 0) - expected) / expected < 0.02, "\(strides) vs \(expected)")
    }

    @Test func gapDropsTheStride() {
        var samples = Self.walk(strides: 3)
        // Remove 0.3 s in the middle of the second swing.
        let start = samples.firstIndex { $0.time >= 1.75 }!
        samples.removeSubrange(start..<(start + 30))
        let (strides, _) = Self.strides(samples)
        #expect(strides.count == 2)
        #expect(strides.allSatisfy { abs($0.length - 1.3) / 1.3 < 0.01 })
    }

    // MARK: Freezing index

    /// Vertical acceleration: walking (1 Hz, 3 m/s²) with a tremor (5 Hz, 2 m/s², no walking)
    /// from `freezeStart` for `freezeDuration` s, or rest for the whole of `rest`.
    static func fogSignal(duration: Double, freezes: [(Double, Double)], standing: Range<Double>? = nil) -> [FootIMUSample] {
        (0..<Int(duration * rate)).map { k in
            let t = Double(k) / rate
            var a = 0.0
            if freezes.contains(where: { t >= $0.0 && t < $0.0 + $0.1 }) {
                a = 2 * sin(2 * Double.pi * 5 * t)
            } else if standing?.contains(t) != true {
                a = 3 * sin(2 * Double.pi * 1 * t) + 0.5 * sin(2 * Double.pi * 2 * t)
            }
            return FootIMUSample(time: t, acceleration: SIMD3(0, 0, g + a), angularRate: .zero)
        }
    }

    static func episodes(_ samples: [FootIMUSample]) -> [MetricRecord] {
        var detector = FreezingIndexDetector(parameters: .init(sampleRate: rate))
        var records: [MetricRecord] = []
        for sample in samples { detector.process(sample, into: &records) }
        detector.finish(into: &records)
        return records
    }

    @Test func freezingEpisodesFoundWithTheirTimes() {
        let records = Self.episodes(Self.fogSignal(duration: 60, freezes: [(20, 6), (40, 3)]))
        #expect(records.count == 2)
        guard records.count == 2 else { return }
        for (record, truth) in zip(records, [(20.0, 6.0), (40.0, 3.0)]) {
            #expect(record.metric == .freezingEpisode)
            #expect(abs(record.time - truth.0) <= 1.5, "start \(record.time)")
            #expect(abs(record.end! - (truth.0 + truth.1)) <= 1.5, "end \(record.end!)")
            #expect(record.value == record.end! - record.time)
            #expect((0...1).contains(record.quality!))
        }
    }

    @Test func walkingAndStandingAreNotFreezing() {
        #expect(Self.episodes(Self.fogSignal(duration: 60, freezes: [], standing: 20..<40)).isEmpty)
    }
}
