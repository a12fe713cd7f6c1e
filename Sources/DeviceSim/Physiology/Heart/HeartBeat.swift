/// One heartbeat as the simulated heart produces it: the ground truth a wristband's firmware
/// reports (RR intervals, heart rate) and its PPG pulse is built from.
public struct HeartBeat: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A sinus beat.
        case normal
        /// A premature (ectopic) beat, earlier than the sinus rhythm would have fired.
        case ectopic
        /// The beat after an ectopic one, ending a full compensatory pause: the sinus node was not
        /// reset, so the ectopic and this interval together last two sinus cycles.
        case compensatory
    }

    /// Seconds since the model started.
    public var time: Double
    /// Seconds since the previous beat (for the first beat, since the start).
    public var rr: Double
    public var kind: Kind
    /// Respiratory phase at this beat, radians in [0, 2π); 0 is the start of inspiration.
    public var respirationPhase: Double
    /// Breathing frequency at this beat, Hz.
    public var respirationRate: Double

    public init(time: Double, rr: Double, kind: Kind = .normal, respirationPhase: Double = 0,
                respirationRate: Double = 0.25) {
        self.time = time
        self.rr = rr
        self.kind = kind
        self.respirationPhase = respirationPhase
        self.respirationRate = respirationRate
    }

    /// Instantaneous heart rate of this interval, beats per minute.
    public var instantaneousHeartRate: Double { 60 / rr }
}
