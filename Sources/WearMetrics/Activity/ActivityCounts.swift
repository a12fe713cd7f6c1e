/// ActiGraph activity counts from raw acceleration, by the method ActiGraph published
/// (Neishabouri et al., "Quantification of acceleration as activity counts in ActiGraph
/// wearable", Sci Rep 12:11958, 2022), whose reference implementation is the Python package
/// `agcounts` (0.2.6; `get_counts(raw, freq, epoch)` with its defaults): the same integers, so
/// that counts from Gaitway feed the sleep and activity cut-points published for ActiGraph
/// (Cole-Kripke, Sadeh, Freedson) unchanged.
///
/// Per axis, streaming, one sample in g at a time:
/// 1. To 30 Hz (ActiGraph's legacy path): at 30 Hz as is; at 60 and 90 Hz every 2nd or 3rd
///    sample; at 40, 50, 70, 80 and 100 Hz zero-stuffed by L = 3, low-passed by the first-order
///    IIR y[n] = a·L·(u[n] + u[n−1]) − b·y[n−1] (a = π/(π + 2L), b = (π − 2L)/(π + 2L)) and
///    every M-th kept (M = rate·L/30). Rounded to 3 decimals.
/// 2. ActiGraph's band-pass (the 8th-order IIR of `agcounts`' coefficients, direct form II
///    transposed), its state started at the steady state of the first sample (scipy's
///    `lfilter_zi` scaled by it), scaled by (3/4096)/(2.6/256)·237.5.
/// 3. |x|, below 4 → 0, above 128 → 128, floored.
/// 4. To 10 Hz: each 3 samples' sum / 3, floored; an epoch's count: the sum of its 10·E values.
///
/// Only whole epochs are counted (a trailing part epoch gives none). Each axis is counted on
/// its own; ActiLife's vector magnitude is √(x² + y² + z²) of the three counts. Nothing is
/// allocated per sample.
public struct ActivityCounts: Sendable {
    /// The rates ActiGraph's legacy path takes, Hz.
    public static let supportedRates = [30, 40, 50, 60, 70, 80, 90, 100]
    public let rate: Int
    public let epochSeconds: Int
    private var axes: InlineArray<3, AxisCounts>

    /// `nil` for a rate not in ``supportedRates`` or an epoch not between 1 and 3600 s.
    public init?(rate: Int, epochSeconds: Int = 60) {
        guard Self.supportedRates.contains(rate), (1...3600).contains(epochSeconds) else { return nil }
        self.rate = rate
        self.epochSeconds = epochSeconds
        axes = InlineArray(repeating: AxisCounts(rate: rate, epochSeconds: epochSeconds))
    }

    /// One sample of the three axes, g; the counts of the epoch this sample completes, if it does.
    public mutating func add(_ x: Double, _ y: Double, _ z: Double) -> EpochCounts? {
        let a = axes[0].add(x), b = axes[1].add(y), c = axes[2].add(z)
        guard let a, let b, let c else { return nil }
        return EpochCounts(x: a, y: b, z: c)
    }

    /// The counts of one epoch, per input axis.
    public struct EpochCounts: Sendable, Equatable {
        public var x: Int
        public var y: Int
        public var z: Int
        public init(x: Int, y: Int, z: Int) {
            self.x = x
            self.y = y
            self.z = z
        }
        /// ActiLife's vector magnitude.
        public var vectorMagnitude: Double {
            (Double(x * x) + Double(y * y) + Double(z * z)).squareRoot()
        }
    }
}

/// One axis of ``ActivityCounts``.
struct AxisCounts: Sendable {
    // ActiGraph's band-pass: numerator and denominator (a₀ = 1), as agcounts gives them.
    static let numerator: InlineArray<8, Double> = [
        -0.009341062898525, -0.025470289659360, -0.004235264826105, 0.044152415456420,
        0.036493718347760, -0.011893961934740, -0.022917390623150, -0.006788163862310,
    ]
    static let denominator: InlineArray<8, Double> = [
        1.00000000000000000000, -3.63367395910957000000, 5.03689812757486000000, -3.09612247819666000000,
        0.50620507633883000000, 0.32421701566682000000, -0.15685485875559000000, 0.01949130205890000000,
    ]
    /// The filter's state for a constant input of 1 (what scipy's `lfilter_zi` solves for):
    /// the output settles at y = Σb / Σa, and z[i] = Σ_{j>i} (b[j] − a[j]·y).
    static let unitSteadyState: InlineArray<7, Double> = {
        var sumB = 0.0, sumA = 0.0
        for j in 0..<8 {
            sumB += numerator[j]
            sumA += denominator[j]
        }
        let y = sumB / sumA
        var state = InlineArray<7, Double>(repeating: 0)
        var tail = 0.0
        for i in stride(from: 6, through: 0, by: -1) {
            tail += numerator[i + 1] - denominator[i + 1] * y
            state[i] = tail
        }
        return state
    }()
    static let gain = (3.0 / 4096.0) / (2.6 / 256.0) * 237.5

    /// Upsampling L and downsampling M to 30 Hz (agcounts' `_factors`), and whether the
    /// low-pass runs (not at integer multiples of 30 Hz).
    let up: Int, down: Int, lowPass: Bool
    let lowPassGain: Double, lowPassB: Double
    /// The band-pass's coefficients, held by each axis (a static's lazy initialisation would be
    /// checked at every use in the per-sample loop).
    let b: InlineArray<8, Double> = Self.numerator, a: InlineArray<8, Double> = Self.denominator
    let epochTenths: Int

    private var previousInput = 0.0, previousOutput = 0.0
    /// Upsampled samples until the next one kept (every `down`-th, from the first).
    private var untilKept = 0
    private var started = false
    private var state = InlineArray<7, Double>(repeating: 0)
    private var tripleSum = 0.0, tripleCount = 0
    private var epochSum = 0.0, epochCount = 0

    init(rate: Int, epochSeconds: Int) {
        (up, down) = switch rate {
        case 40: (3, 4)
        case 50: (3, 5)
        case 60: (1, 2)
        case 70: (3, 7)
        case 80: (3, 8)
        case 90: (1, 3)
        case 100: (3, 10)
        default: (1, 1)
        }
        lowPass = ![30, 60, 90].contains(rate)
        let pi = Double.pi, l = Double(up)
        lowPassGain = pi / (pi + 2 * l) * l
        lowPassB = (pi - 2 * l) / (pi + 2 * l)
        epochTenths = epochSeconds * 10
    }

    /// One sample, g: the epoch's count when it completes one.
    mutating func add(_ value: Double) -> Int? {
        var completed: Int?
        for phase in 0..<up {
            var sample = phase == 0 ? value : 0
            if lowPass {
                let input = sample
                sample = lowPassGain * (input + previousInput) + -lowPassB * previousOutput
                previousInput = input
                previousOutput = sample
            }
            guard untilKept == 0 else {
                untilKept -= 1
                continue
            }
            untilKept = down - 1
            if let count = at30Hz((sample * 1000).rounded(.toNearestOrEven) / 1000) { completed = count }
        }
        return completed
    }

    /// One 30 Hz sample through the band-pass, trim and accumulation.
    private mutating func at30Hz(_ x: Double) -> Int? {
        if !started {
            for i in 0..<7 { state[i] = Self.unitSteadyState[i] * x }
            started = true
        }
        // Direct form II transposed, as scipy's lfilter runs it.
        let y = state[0] + b[0] * x
        for i in 0..<6 { state[i] = state[i + 1] + x * b[i + 1] - y * a[i + 1] }
        state[6] = x * b[7] - y * a[7]
        var magnitude = abs(Self.gain * y)
        if magnitude < 4 { magnitude = 0 }
        if magnitude > 128 { magnitude = 128 }
        tripleSum += magnitude.rounded(.down)
        tripleCount += 1
        guard tripleCount == 3 else { return nil }
        epochSum += (tripleSum / 3).rounded(.down)
        tripleSum = 0
        tripleCount = 0
        epochCount += 1
        guard epochCount == epochTenths else { return nil }
        defer {
            epochSum = 0
            epochCount = 0
        }
        return Int(epochSum)
    }
}
