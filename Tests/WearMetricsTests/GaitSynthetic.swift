import Foundation
import GaitwayTestSupport
import WearMetrics

/// A walk (or run) with known events: left ICs at stride intervals T drawn around a mean with
/// a CV, right ICs half a stride later, each foot down for a stance share of its stride. The
/// stance force is a double hump, A (sin πp + 0.3 sin 3πp) over the stance phase p (walking;
/// the force-plate shape of Winter 2009) or 2.5 BW sin πp (running), spread over gaitpdb's 8
/// cells around a CoP that rolls heel to toe, plus Gaussian noise per cell (clipped at 0).
struct SyntheticGait {
    struct Stance {
        var contact: Double
        var toeOff: Double
    }

    var bodyWeight: Double
    var running: Bool
    var noise: Double
    /// Each foot's stances in time order.
    var stances: [FootSide: [Stance]] = [:]
    var random: SeededGenerator
    static let layout = [(-800.0), -400, -400, 0, 0, 400, 400, 800]

    init(seed: UInt64, duration: Double, strideMean: Double = 1.1, cv: Double = 0.02, stanceShare: Double = 0.62,
         bodyWeight: Double = 700, running: Bool = false, noise: Double = 2) {
        self.bodyWeight = bodyWeight
        self.running = running
        self.noise = noise
        random = SeededGenerator(seed: seed)
        print("SyntheticGait seed \(seed)")
        var t = 1.0
        while t < duration {
            let stride = strideMean * (1 + cv * Self.normal(&random))
            stances[.left, default: []].append(Stance(contact: t, toeOff: t + stanceShare * stride))
            let r = t + stride / 2
            stances[.right, default: []].append(Stance(contact: r, toeOff: r + stanceShare * stride))
            t += stride
        }
    }

    static func normal(_ g: inout SeededGenerator) -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &g), u2 = Double.random(in: 0..<1, using: &g)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// The stance phase of `foot` at `t` (nil in swing).
    func phase(_ foot: FootSide, at t: Double) -> Double? {
        let list = stances[foot] ?? []
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid].contact <= t { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let s = list[lo - 1]
        guard t < s.toeOff else { return nil }
        return (t - s.contact) / (s.toeOff - s.contact)
    }

    func force(_ foot: FootSide, at t: Double) -> Double {
        guard let p = phase(foot, at: t) else { return 0 }
        return running ? 2.5 * bodyWeight * sin(.pi * p) : bodyWeight * (sin(.pi * p) + 0.3 * sin(3 * .pi * p))
    }

    /// The 8 cells (N) at `t`, with noise.
    mutating func cells(_ foot: FootSide, at t: Double) -> [Double] {
        var cells = [Double](repeating: 0, count: 8)
        let total = force(foot, at: t)
        if let p = phase(foot, at: t) {
            let y = -750 + 1500 * p
            let weights = Self.layout.map { max(0, 1 - (($0 - y) / 600) * (($0 - y) / 600)) }
            let sum = weights.reduce(0, +)
            for i in 0..<8 { cells[i] = total * weights[i] / sum }
        }
        for i in 0..<8 { cells[i] = max(0, cells[i] + noise * Self.normal(&random)) }
        return cells
    }

    /// Every true event of `foot` of a kind, in order.
    func contacts(_ foot: FootSide) -> [Double] { (stances[foot] ?? []).map(\.contact) }
    func toeOffs(_ foot: FootSide) -> [Double] { (stances[foot] ?? []).map(\.toeOff) }
}

/// How detected events compare with true ones: each true event is matched to the nearest
/// detected one within `window`.
struct EventScore: CustomStringConvertible {
    var truths: Int
    var detected: Int
    var errors: [Double] = []
    var spurious = 0

    init(truth: [Double], detected: [Double], window: Double = 0.05) {
        truths = truth.count
        self.detected = detected.count
        for t in truth {
            if let d = detected.min(by: { abs($0 - t) < abs($1 - t) }), abs(d - t) <= window { errors.append(d - t) }
        }
        spurious = detected.filter { d in !truth.contains { abs($0 - d) <= window } }.count
    }

    var found: Double { truths > 0 ? Double(errors.count) / Double(truths) : 0 }
    var spuriousShare: Double { detected > 0 ? Double(spurious) / Double(detected) : 0 }
    var medianAbsoluteError: Double {
        let sorted = errors.map(abs).sorted()
        return sorted.isEmpty ? .infinity : sorted[sorted.count / 2]
    }

    var description: String {
        "found \(errors.count)/\(truths), spurious \(spurious)/\(detected), median |error| \(medianAbsoluteError * 1000) ms"
    }
}
