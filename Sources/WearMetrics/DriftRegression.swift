/// The slope of the clock line: a weighted least-squares line through the bucket minima of
/// ``LowerEnvelope``, with exponential forgetting and a prior pulling the slope to zero.
///
/// - Forgetting: older minima weigh `e^(−Δx/τ)` less, so the estimate follows the slow
///   change of a crystal's rate with temperature (`τ` = ``timeConstant``).
/// - Prior: the slope is the posterior mean under a Gaussian prior of mean 0 (ridge
///   regression), `Cxy / (Cxx + ridge)` with `ridge = (scatter / prior sd)²`. With few
///   minima over a short span, a least-squares slope is mostly noise (two minima 10 s
///   apart, each ±1 ms, give ±140 ppm); the prior keeps it near zero until the data
///   outweigh it.
/// - Robustness: a minimum far off the line (more than ``huberScale``) weighs less
///   (Huber); one more than ``levelStep`` off is taken as a step of the whole level (a
///   small clock jump below the reporting threshold, a stepped gateway clock) and the
///   history is moved to meet it. A level step changes the mean of `y` only, never the
///   slope, so the drift estimate survives it.
/// - Segments: a reboot or jump moves the counter by an unknown amount but leaves the
///   crystal alone, so each segment has its own level (intercept) and all share the slope:
///   the co-moments are pooled within segments (the least-squares slope of a model with
///   one intercept per group), and only the means restart with a segment.
///
/// Running weighted means and co-moments (West 1979, "Updating mean and variance
/// estimates: an improved method", CACM 22(9)): stable, O(1), no stored points.
struct DriftRegression: Sendable {
    /// Minima within this of the line count fully.
    static let huberScale = 0.005
    /// Minima farther than this from the line move the history's level instead.
    static let levelStep = 0.05

    /// Forgetting time constant τ, device seconds.
    let timeConstant: Double
    /// `(scatter / prior standard deviation of the slope)²`, seconds².
    let ridge: Double
    /// The slope stays 0 until the minima span at least this many device seconds.
    let minimumSpan: Double

    /// Weight and means of the current segment's minima.
    private var weight = 0.0
    private var meanX = 0.0
    private var meanY = 0.0
    /// Co-moments about each segment's own means, summed over segments (decayed).
    private var comomentXX = 0.0
    private var comomentXY = 0.0
    private var hasSamples = false
    private var firstX = 0.0
    private var lastX = 0.0
    /// The current estimate of σ (gateway seconds per device second, minus one).
    private(set) var slope = 0.0

    init(timeConstant: Double, ridge: Double, minimumSpan: Double) {
        self.timeConstant = timeConstant
        self.ridge = ridge
        self.minimumSpan = minimumSpan
    }

    /// Whether the minima span enough device time for the slope to be estimated at all.
    var isEstimated: Bool { hasSamples && lastX - firstX >= minimumSpan }

    mutating func add(_ sample: OffsetSample) {
        var sampleWeight = 1.0
        if hasSamples {
            let decay = Self.exponentialDecay(max(0, sample.x - lastX) / timeConstant)
            weight *= decay
            comomentXX *= decay
            comomentXY *= decay
            lastX = max(lastX, sample.x)
        } else {
            hasSamples = true
            firstX = sample.x
            lastX = sample.x
        }
        if weight > 0 {
            let residual = sample.y - (meanY + slope * (sample.x - meanX))
            if abs(residual) > Self.levelStep {
                meanY += residual
            } else if abs(residual) > Self.huberScale {
                sampleWeight = Self.huberScale / abs(residual)
            }
        }
        weight += sampleWeight
        let dx = sample.x - meanX
        meanX += dx * sampleWeight / weight
        meanY += (sample.y - meanY) * sampleWeight / weight
        comomentXX += sampleWeight * dx * (sample.x - meanX)
        comomentXY += sampleWeight * dx * (sample.y - meanY)
        slope = isEstimated && comomentXX > 0 ? comomentXY / (comomentXX + ridge) : 0
    }

    /// Starts a new segment whose coordinates are the old ones with `x` shifted by `shift`
    /// (so that forgetting and the span count the time that passed). The slope and the
    /// pooled co-moments carry over; the new segment's level is learnt from its own minima.
    mutating func startSegment(shiftingXBy shift: Double) {
        firstX += shift
        lastX += shift
        weight = 0
        meanX = 0
        meanY = 0
    }

    /// `e^(−z)` for `z ≥ 0` without the C library (this module uses the standard library
    /// only): halve `z` until it is below 1/64, sum the Taylor series to the fifth power
    /// (error < 3·10⁻¹⁴), square back. Exact enough for a forgetting factor.
    static func exponentialDecay(_ z: Double) -> Double {
        guard z < 700 else { return 0 }
        var argument = z
        var halvings = 0
        while argument > 1.0 / 64 {
            argument *= 0.5
            halvings += 1
        }
        let a = -argument
        var result = 1 + a * (1 + a / 2 * (1 + a / 3 * (1 + a / 4 * (1 + a / 5))))
        for _ in 0 ..< halvings { result *= result }
        return result
    }
}
