extension Metric {
    // Heart rate variability over a window (HRVWindow: 5 min), of the artefact-corrected series.
    /// Mean NN interval.
    public static let meanNN = Metric("mean_nn", unit: "ms")
    /// Standard deviation of NN intervals (Task Force 1996).
    public static let sdnn = Metric("sdnn", unit: "ms")
    /// Root mean square of successive differences (Task Force 1996).
    public static let rmssd = Metric("rmssd", unit: "ms")
    /// Successive differences above 50 ms, % of intervals (NeuroKit2's denominator).
    public static let pnn50 = Metric("pnn50", unit: "%")
    /// Poincaré plot, across the line of identity (Brennan et al. 2001).
    public static let sd1 = Metric("sd1", unit: "ms")
    /// Poincaré plot, along the line of identity.
    public static let sd2 = Metric("sd2", unit: "ms")
    /// Power 0.04-0.15 Hz (Welch on a 4 Hz resampling; HRVFrequencyDomain).
    public static let lf = Metric("lf", unit: "ms2")
    /// Power 0.15-0.4 Hz.
    public static let hf = Metric("hf", unit: "ms2")
    public static let lfHF = Metric("lf_hf", unit: "1")
    /// 60,000 / mean NN over the window.
    public static let meanHeartRate = Metric("mean_heart_rate", unit: "/min")
    /// Intervals of the window judged artefacts (Lipponen & Tarvainen 2019) and corrected.
    public static let rrArtifacts = Metric("rr_artifacts", unit: "1")

    public static let cardio: [Metric] = [.meanNN, .sdnn, .rmssd, .pnn50, .sd1, .sd2, .lf, .hf, .lfHF, .meanHeartRate, .rrArtifacts]
}
