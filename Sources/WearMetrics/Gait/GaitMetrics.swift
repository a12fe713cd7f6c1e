// The gait metrics WearMetrics computes from pressure insoles, one constant each. Every
// definition, method and reference is on the constant; Gait/README.md has the table.

extension Metric {
    // MARK: Per foot, per stride (time = the stride's initial contact)

    /// Stride time: from one initial contact (IC) of a foot to its next, s. Events from
    /// ``FootStrideDetector`` (hysteresis on the insole's total force).
    public static let strideTime = Metric("stride_time", unit: "s")
    /// Stance time: IC to the same foot's toe-off (TO), s.
    public static let stanceTime = Metric("stance_time", unit: "s")
    /// Swing time: TO to the next IC of the same foot, s.
    public static let swingTime = Metric("swing_time", unit: "s")
    /// Stance share: stance time / stride time × 100, %. Healthy walking ≈ 60–62 %
    /// (Perry & Burnfield, *Gait Analysis*, 2nd ed., 2010), running < 50 %.
    public static let stancePercent = Metric("stance_pct", unit: "%")
    /// Largest total force under the foot during the stance, N.
    public static let peakForce = Metric("peak_force", unit: "N")
    /// Impulse: the force-time integral of the stance (trapezoidal rule over the frames, from IC
    /// to TO), N·s. For walking ≈ body weight × stride time / 2 per foot (momentum balance).
    public static let impulse = Metric("impulse", unit: "N.s")
    /// Average loading rate: the force rise from 20 % to 80 % of the wearer's stance-force level
    /// divided by the time it takes, N/s. The 20–80 % average vertical loading rate of Milner et
    /// al. (Med Sci Sports Exerc 38:323, 2006), with the stride's own impact peak replaced by the
    /// running stance-peak estimate (``FootStrideDetector``) so that it is known while the force
    /// rises; not comparable with force-plate AVLR in absolute terms (insoles read lower forces).
    public static let loadingRate = Metric("loading_rate", unit: "N/s")
    /// Strike index: the centre of pressure (CoP) at contact, along the foot from the heel, as a
    /// % of foot length (Cavanagh & Lafortune, J Biomech 13:397, 1980). The CoP is the
    /// force-weighted mean of the cell positions (``InsoleCellLayout``) at the first stance frame;
    /// foot length is the layout's heel-to-toe span.
    public static let strikeIndex = Metric("strike_index", unit: "%")
    /// Strike pattern from the strike index, as Cavanagh & Lafortune (1980) divide the foot
    /// into thirds: 0 rearfoot (< 33.3 %), 1 midfoot, 2 forefoot (> 66.7 %). Dimensionless code.
    public static let strikePattern = Metric("strike_pattern", unit: "1")
    /// CoP path length: the distance the CoP travels over the stance (sum of the distances
    /// between successive frames' CoPs), as a % of foot length.
    public static let copPathLength = Metric("cop_path_length", unit: "%")
    /// CoP progression: the CoP's forward displacement from the first to the last stance frame,
    /// as a % of foot length (heel-to-toe roll-over: positive).
    public static let copProgression = Metric("cop_progression", unit: "%")

    // MARK: Per wearer, per stride (both feet on one clock; time = the stride's IC)

    /// Step time: from the other foot's IC to this foot's IC, s (the step that ends at this
    /// stride's IC).
    public static let stepTime = Metric("step_time", unit: "s")
    /// Double support: the time both feet are on the ground within the stride (initial plus
    /// terminal double support), as a % of stride time. ≈ 20–25 % in healthy walking
    /// (Perry & Burnfield 2010); 0 in running.
    public static let doubleSupport = Metric("double_support", unit: "%")
    /// Single support: this foot's stance time minus the double support, i.e. the other foot's
    /// swing, s.
    public static let singleSupportTime = Metric("single_support_time", unit: "s")
    /// Flight time: the time neither foot is on the ground within the stride, s (running).
    public static let flightTime = Metric("flight_time", unit: "s")
    /// Ground contact time: the stance time of a running stride, s.
    public static let groundContactTime = Metric("ground_contact_time", unit: "s")
    /// Duty factor: ground contact time / stride time × 100, % (Minetti, Proc R Soc B 265:1227,
    /// 1998; Folland et al., Med Sci Sports Exerc 49:1412, 2017); < 50 % means a flight phase.
    public static let dutyFactor = Metric("duty_factor", unit: "%")

    // MARK: Per wearer, per bout (time = the bout's first IC, end = its last)

    /// A walking bout: value its duration, s. Bout rule in ``GaitBoutRule``.
    public static let walkingBout = Metric("walking_bout", unit: "s")
    /// A running bout (strides with a flight phase): value its duration, s.
    public static let runningBout = Metric("running_bout", unit: "s")
    /// Both feet loaded and still, no stride, for at least ``FootStrideDetector/Configuration/maximumStance``:
    /// value its duration, s.
    public static let standing = Metric("standing", unit: "s")
    /// Steps in the bout (initial contacts of either foot that end a stride), count.
    public static let stepCount = Metric("step_count", unit: "1")
    /// Cadence: steps per minute, 120 / mean stride time (two steps per stride), /min.
    public static let cadence = Metric("cadence", unit: "/min")
    /// Mean stride time of the bout's inner strides (first and last of each foot dropped), s.
    public static let strideTimeMean = Metric("stride_time_mean", unit: "s")
    /// Stride-time coefficient of variation, SD / mean × 100 over the inner strides of each foot,
    /// averaged over the feet, % (Hausdorff, Hum Mov Sci 26:555, 2007: ~1–3 % healthy).
    public static let strideTimeCV = Metric("stride_time_cv", unit: "%")
    /// Detrended fluctuation analysis exponent α of the left foot's stride intervals (Peng et al.,
    /// Chaos 5:82, 1995; Hausdorff et al., J Appl Physiol 78:349, 1995): ≈ 0.75–1 healthy, → 0.5
    /// with age and disease. Only for bouts of ≥ ``DetrendedFluctuation/minimumCount`` strides.
    public static let dfaAlpha = Metric("dfa_alpha", unit: "1")
    /// Symmetry indices, (L − R) / (0.5 (L + R)) × 100 of the bout's mean left and right values
    /// (Robinson, Herzog & Nigg, J Manipulative Physiol Ther 10:172, 1987), %; 0 is symmetric.
    public static let strideTimeSymmetry = Metric("stride_time_si", unit: "%")
    public static let stanceTimeSymmetry = Metric("stance_time_si", unit: "%")
    public static let swingTimeSymmetry = Metric("swing_time_si", unit: "%")
    public static let stepTimeSymmetry = Metric("step_time_si", unit: "%")
    public static let singleSupportSymmetry = Metric("single_support_si", unit: "%")
    /// Contact time balance: left ground contact time / (left + right) × 100, % (50 is balanced;
    /// the "GCT balance" of running watches). Running bouts.
    public static let contactTimeBalance = Metric("contact_time_balance", unit: "%")

    /// Every gait metric of the insole analysis, for queries that list metrics.
    public static let gait: [Metric] = [
        .strideTime, .stanceTime, .swingTime, .stancePercent, .peakForce, .impulse, .loadingRate,
        .strikeIndex, .strikePattern, .copPathLength, .copProgression,
        .stepTime, .doubleSupport, .singleSupportTime, .flightTime, .groundContactTime, .dutyFactor,
        .walkingBout, .runningBout, .standing, .stepCount, .cadence, .strideTimeMean, .strideTimeCV, .dfaAlpha,
        .strideTimeSymmetry, .stanceTimeSymmetry, .swingTimeSymmetry, .stepTimeSymmetry, .singleSupportSymmetry,
        .contactTimeBalance,
    ]
}
