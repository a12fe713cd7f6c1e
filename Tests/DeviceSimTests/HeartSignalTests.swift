import Testing
@testable import DeviceSim

/// PPG, SpO2 and skin temperature: ranges, determinism, and the responses they promise.
@Suite struct HeartSignalTests {
    static func ppg(seconds: Double, intensity: Double, motion: Double, seed: UInt64,
                    configuration: PPGSynthesizer.Configuration = .init()) -> (samples: [UInt32], beats: [HeartBeat]) {
        var heart = HeartModel(configuration: .init(persona: HeartPersona()), seed: seed, initialIntensity: intensity)
        var ppg = PPGSynthesizer(configuration: configuration, seed: seed)
        var samples: [UInt32] = [], beats: [HeartBeat] = []
        let count = Int(seconds * configuration.sampleRate)
        samples.reserveCapacity(count)
        for _ in 0..<count {
            samples.append(ppg.nextSample(heart: &heart, intensity: intensity, motion: motion, stepFrequency: 1.8) {
                beats.append($0)
            })
        }
        return (samples, beats)
    }

    @Test func ppgFitsTheStreamAndPulsesOncePerBeat() {
        let (samples, beats) = Self.ppg(seconds: 60, intensity: 0, motion: 0, seed: 4)
        #expect(samples.allSatisfy { $0 <= 0xFF_FFFF })
        let mean = Double(samples.reduce(0) { $0 + UInt64($1) }) / Double(samples.count)
        #expect(abs(mean - 1_000_000) < 20_000)
        // Raw counts fall at systole: count local minima deeper than half the pulse amplitude
        // below the local mean (a crude detector, enough for a sanity check).
        var troughs = 0
        for index in 12..<(samples.count - 12) {
            let window = samples[(index - 12)...(index + 12)]
            let value = samples[index]
            if value == window.min()!, Double(window.max()!) - Double(value) > 5_000 { troughs += 1 }
        }
        #expect(abs(troughs - beats.count) <= 2, "\(troughs) troughs, \(beats.count) beats")
    }

    @Test func ppgIsDeterministic() {
        let first = Self.ppg(seconds: 20, intensity: 0.4, motion: 0.5, seed: 77).samples
        #expect(first == Self.ppg(seconds: 20, intensity: 0.4, motion: 0.5, seed: 77).samples)
        #expect(first != Self.ppg(seconds: 20, intensity: 0.4, motion: 0.5, seed: 78).samples)
    }

    @Test func ppgClampsToTwentyFourBits() {
        let loud = PPGSynthesizer.Configuration(dcLevel: 16_700_000, perfusionIndex: 0.05, motionArtefact: 20)
        let samples = Self.ppg(seconds: 10, intensity: 1, motion: 2, seed: 1, configuration: loud).samples
        #expect(samples.allSatisfy { $0 <= 0xFF_FFFF })
        #expect(samples.contains(0xFF_FFFF))
    }

    @Test func spo2StaysNormalAndDesaturatesOnCue() {
        var calm = SpO2Model(seed: 8)
        var readings = (0..<3600).map { _ in calm.advance(by: 1) }
        #expect((96...99).contains(calm.baseline))
        #expect(readings.allSatisfy { (93...100).contains($0) })
        var apnoeic = SpO2Model(configuration: .init(baseline: 97, desaturationsPerHour: 30), seed: 8)
        var events = 0, wasDesaturating = false
        readings = (0..<3600).map { _ in
            let value = apnoeic.advance(by: 1)
            if apnoeic.isDesaturating, !wasDesaturating { events += 1 }
            wasDesaturating = apnoeic.isDesaturating
            return value
        }
        #expect((15...45).contains(events), "\(events) events in an hour at 30/h")
        #expect(readings.min()! < 93)
        var same = SpO2Model(configuration: .init(baseline: 97, desaturationsPerHour: 30), seed: 8)
        #expect((0..<3600).map { _ in same.advance(by: 1) } == readings)
    }

    @Test func skinTemperatureDipsThenRisesWithExercise() {
        var skin = SkinTemperatureModel(configuration: .init(baseline: 33.5, drift: 0, noise: 0), seed: 1)
        #expect(skin.temperature == 33.5)
        var atThreeMinutes = 0.0
        for second in 1...1800 {
            let value = skin.advance(by: 1, intensity: 0.7)
            if second == 180 { atThreeMinutes = value }
        }
        #expect(atThreeMinutes < 33.5, "vasoconstriction first: \(atThreeMinutes) °C")
        #expect(skin.temperature > 33.5, "then heat dissipation: \(skin.temperature) °C")
        var resting = SkinTemperatureModel(seed: 12)
        let day = (0..<8640).map { _ in resting.advance(by: 10, intensity: 0) }
        #expect(day.allSatisfy { (31...36).contains($0) })
    }
}
