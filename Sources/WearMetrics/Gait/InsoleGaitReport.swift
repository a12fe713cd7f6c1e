/// What `gaitway analyze insole` prints for a recording: each foot's stride statistics, the
/// two-foot parameters, the bouts and every stride. JSON keys are snake_case with the unit in
/// the name; a value that could not be computed is left out.
///
/// Summaries are over every stride found (``WearerGait``), bout starts and ends included; the
/// ``bouts`` give the steady-state (inner-stride) figures of ``GaitBoutRule``.
public struct InsoleGaitReport: Sendable, Encodable {
    public struct Foot: Sendable, Encodable {
        public var strides: Int
        public var strideTimeMean: Double?
        public var strideTimeCV: Double?
        public var stancePercent: Double?
        public var swingPercent: Double?
        public var stanceTimeMean: Double?
        public var swingTimeMean: Double?
        public var stepTimeMean: Double?
        public var singleSupportTimeMean: Double?
        public var peakForceMean: Double?
        public var impulseMean: Double?
        public var loadingRateMean: Double?
        public var strikeIndexMean: Double?
        /// Strides per strike pattern (rearfoot, midfoot, forefoot).
        public var strikePatterns: [String: Int]
        public var dfaAlpha: Double?

        enum CodingKeys: String, CodingKey {
            case strides, strikePatterns = "strike_patterns", dfaAlpha = "dfa_alpha"
            case strideTimeMean = "stride_time_mean_s", strideTimeCV = "stride_time_cv_pct"
            case stancePercent = "stance_pct", swingPercent = "swing_pct"
            case stanceTimeMean = "stance_time_mean_s", swingTimeMean = "swing_time_mean_s"
            case stepTimeMean = "step_time_mean_s", singleSupportTimeMean = "single_support_time_mean_s"
            case peakForceMean = "peak_force_mean_n", impulseMean = "impulse_mean_ns"
            case loadingRateMean = "loading_rate_mean_n_per_s", strikeIndexMean = "strike_index_mean_pct"
        }
    }

    /// Robinson et al.'s (L − R) / (0.5 (L + R)) × 100 of the feet's means, %.
    public struct Symmetry: Sendable, Encodable {
        public var strideTime: Double?
        public var stanceTime: Double?
        public var swingTime: Double?
        public var stepTime: Double?
        public var singleSupportTime: Double?

        enum CodingKeys: String, CodingKey {
            case strideTime = "stride_time", stanceTime = "stance_time", swingTime = "swing_time"
            case stepTime = "step_time", singleSupportTime = "single_support_time"
        }
    }

    public struct Bout: Sendable, Encodable {
        public var mode: GaitMode
        public var start: Double
        public var end: Double
        public var steps: Int
        public var strideTimeMean: Double?
        public var strideTimeCV: Double?
        public var cadence: Double?
        public var dfaAlpha: Double?

        enum CodingKeys: String, CodingKey {
            case mode, start = "start_s", end = "end_s", steps, cadence = "cadence_spm", dfaAlpha = "dfa_alpha"
            case strideTimeMean = "stride_time_mean_s", strideTimeCV = "stride_time_cv_pct"
        }
    }

    public struct Stride: Sendable, Encodable {
        public var foot: FootSide
        public var ic: Double
        public var to: Double
        public var nextIC: Double
        public var strideTime: Double
        public var stanceTime: Double
        public var swingTime: Double
        public var stancePercent: Double
        public var peakForce: Double
        public var impulse: Double
        public var loadingRate: Double?
        public var strikeIndex: Double?
        public var strikePattern: String?
        public var copPathLength: Double?
        public var copProgression: Double?
        public var stepTime: Double?
        public var doubleSupportPercent: Double?
        public var singleSupportTime: Double?
        public var flightTime: Double?
        public var mode: GaitMode?
        public var quality: Double

        enum CodingKeys: String, CodingKey {
            case foot, ic = "ic_s", to = "to_s", nextIC = "next_ic_s", strideTime = "stride_time_s"
            case stanceTime = "stance_time_s", swingTime = "swing_time_s", stancePercent = "stance_pct"
            case peakForce = "peak_force_n", impulse = "impulse_ns", loadingRate = "loading_rate_n_per_s"
            case strikeIndex = "strike_index_pct", strikePattern = "strike_pattern"
            case copPathLength = "cop_path_length_pct", copProgression = "cop_progression_pct"
            case stepTime = "step_time_s", doubleSupportPercent = "double_support_pct"
            case singleSupportTime = "single_support_time_s", flightTime = "flight_time_s", mode, quality
        }
    }

    /// Where the samples came from (`gaitpdb`).
    public var layout: String
    public var samples: Int
    public var duration: Double
    public var left: Foot
    public var right: Foot
    public var doubleSupportPercent: Double?
    /// 120 / the mean of the feet's mean stride times.
    public var cadence: Double?
    /// Strides of both feet.
    public var stepCount: Int
    public var symmetryIndex: Symmetry
    public var bouts: [Bout]
    public var strides: [Stride]

    enum CodingKeys: String, CodingKey {
        case layout, samples, duration = "duration_s", left, right, doubleSupportPercent = "double_support_pct"
        case cadence = "cadence_spm", stepCount = "step_count", symmetryIndex = "symmetry_index_pct", bouts, strides
    }

    /// The report of strides and bouts that ``WearerGait`` found.
    public init(layout: String, samples: Int, duration: Double, strides found: [WearerStride], bouts boutsFound: [GaitBout]) {
        self.layout = layout
        self.samples = samples
        self.duration = duration
        var moments = [FootSide: FootBoutSummary]()
        var extras = [FootSide: (peak: StrideMoments, impulse: StrideMoments, loading: StrideMoments, strike: StrideMoments)]()
        var patterns = [FootSide: [String: Int]]()
        var times = [FootSide: [Double]]()
        for s in found {
            moments[s.foot, default: FootBoutSummary()].add(s)
            var e = extras[s.foot] ?? (StrideMoments(), StrideMoments(), StrideMoments(), StrideMoments())
            e.peak.add(s.stride.peakForce)
            e.impulse.add(s.stride.impulse)
            if let v = s.stride.loadingRate { e.loading.add(v) }
            if let v = s.stride.strikeIndex { e.strike.add(v) }
            extras[s.foot] = e
            if let p = s.stride.strikePattern { patterns[s.foot, default: [:]][Self.name(p), default: 0] += 1 }
            times[s.foot, default: []].append(s.stride.strideTime)
        }
        func foot(_ side: FootSide) -> Foot {
            let m = moments[side] ?? FootBoutSummary()
            let e = extras[side]
            let stance = m.stancePercent.meanIfAny
            return Foot(strides: m.strideTime.count, strideTimeMean: m.strideTime.meanIfAny,
                        strideTimeCV: m.strideTime.coefficientOfVariation, stancePercent: stance,
                        swingPercent: stance.map { 100 - $0 }, stanceTimeMean: m.stanceTime.meanIfAny,
                        swingTimeMean: m.swingTime.meanIfAny, stepTimeMean: m.stepTime.meanIfAny,
                        singleSupportTimeMean: m.singleSupportTime.meanIfAny, peakForceMean: e?.peak.meanIfAny,
                        impulseMean: e?.impulse.meanIfAny, loadingRateMean: e?.loading.meanIfAny,
                        strikeIndexMean: e?.strike.meanIfAny, strikePatterns: patterns[side] ?? [:],
                        dfaAlpha: DetrendedFluctuation.alpha(times[side] ?? []))
        }
        left = foot(.left)
        right = foot(.right)
        let l = moments[.left] ?? FootBoutSummary(), r = moments[.right] ?? FootBoutSummary()
        doubleSupportPercent = GaitBout.pooled(l.doubleSupport, r.doubleSupport)
        let means = [left.strideTimeMean, right.strideTimeMean].compactMap { $0 }
        cadence = means.isEmpty ? nil : 120 / (means.reduce(0, +) / Double(means.count))
        stepCount = found.count
        func si(_ path: KeyPath<FootBoutSummary, StrideMoments>) -> Double? {
            StrideMoments.symmetryIndex(left: l[keyPath: path].meanIfAny, right: r[keyPath: path].meanIfAny)
        }
        symmetryIndex = Symmetry(strideTime: si(\.strideTime), stanceTime: si(\.stanceTime), swingTime: si(\.swingTime),
                                 stepTime: si(\.stepTime), singleSupportTime: si(\.singleSupportTime))
        bouts = boutsFound.map {
            Bout(mode: $0.mode, start: $0.start, end: $0.end, steps: $0.steps, strideTimeMean: $0.strideTimeMean,
                 strideTimeCV: $0.strideTimeCV, cadence: $0.cadence, dfaAlpha: $0.dfaAlpha)
        }
        strides = found.map { w in
            let s = w.stride
            return Stride(foot: s.foot, ic: s.initialContact, to: s.toeOff, nextIC: s.nextContact,
                          strideTime: s.strideTime, stanceTime: s.stanceTime, swingTime: s.swingTime,
                          stancePercent: s.stancePercent, peakForce: s.peakForce, impulse: s.impulse,
                          loadingRate: s.loadingRate, strikeIndex: s.strikeIndex, strikePattern: s.strikePattern.map(Self.name),
                          copPathLength: s.copPathLength, copProgression: s.copProgression, stepTime: w.stepTime,
                          doubleSupportPercent: w.doubleSupportPercent, singleSupportTime: w.singleSupportTime,
                          flightTime: w.flightTime, mode: w.mode, quality: s.quality)
        }
    }

    static func name(_ pattern: FootStrikePattern) -> String {
        switch pattern {
        case .rearfoot: "rearfoot"
        case .midfoot: "midfoot"
        case .forefoot: "forefoot"
        }
    }
}
