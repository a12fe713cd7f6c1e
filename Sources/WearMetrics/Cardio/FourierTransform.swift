#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The discrete Fourier transform X[k] = Σₙ x[n] e^(−2πi kn/N) of one length N, by the
/// Cooley-Tukey decomposition over N's prime factors (Cooley & Tukey, Math Comput 19:297, 1965;
/// the mixed-radix form of Singleton, IEEE Trans Audio Electroacoust 17:93, 1969): a length
/// N = p·m splits into p interleaved transforms of length m, joined by twiddled butterflies of
/// size p. Cost O(N Σ pᵢ); the lengths spectra use here (2⁴·3·5² = 1200 for 5 minutes at
/// 4 Hz) factor into small primes.
///
/// A plan is made once per length: every twiddle factor of every stage is a power of
/// e^(−2πi/N), so one table of N cosines and sines serves them all, and the work arrays are
/// allocated with the plan. ``forward(_:_:)`` then allocates nothing and calls no `cos`/`sin`.
struct FourierTransform {
    let count: Int
    private var cosines: [Double]
    private var sines: [Double]
    private var outRe: [Double]
    private var outIm: [Double]
    /// Butterfly scratch, as long as the largest prime factor.
    private var termsRe: [Double], termsIm: [Double], sumsRe: [Double], sumsIm: [Double]

    init(count: Int) {
        self.count = count
        cosines = (0..<count).map { cos(-2 * Double.pi * Double($0) / Double(count)) }
        sines = (0..<count).map { sin(-2 * Double.pi * Double($0) / Double(count)) }
        outRe = [Double](repeating: 0, count: count)
        outIm = outRe
        var largest = 1, rest = count
        while rest > 1 {
            let p = Self.smallestFactor(rest)
            largest = max(largest, p)
            rest /= p
        }
        termsRe = [Double](repeating: 0, count: largest)
        termsIm = termsRe
        sumsRe = termsRe
        sumsIm = termsRe
    }

    /// Transforms (`re`, `im`), each ``count`` long, in place.
    mutating func forward(_ re: inout [Double], _ im: inout [Double]) {
        precondition(re.count == count && im.count == count, "a plan transforms one length")
        guard count > 1 else { return }
        transform(re, im, offset: 0, stride: 1, length: count, at: 0)
        swap(&re, &outRe)
        swap(&im, &outIm)
    }

    /// The transform of x[offset + j·stride], j < length, written to out[at ..< at + length].
    private mutating func transform(_ re: [Double], _ im: [Double], offset: Int, stride: Int, length n: Int, at base: Int) {
        if n == 1 {
            outRe[base] = re[offset]
            outIm[base] = im[offset]
            return
        }
        let p = Self.smallestFactor(n), m = n / p
        // p sub-transforms of the elements q, q + p, q + 2p, ... (q < p), each of length m,
        // into out[base + q·m ..< base + (q+1)·m].
        for q in 0..<p {
            transform(re, im, offset: offset + q * stride, stride: stride * p, length: m, at: base + q * m)
        }
        // Butterflies: X[k + r·m] = Σ_q W_n^{q(k + r m)} Y_q[k], k < m, r < p, where
        // W_n^j = e^(−2πi j/n) is entry j·(N/n) of the table.
        let scale = count / n
        for k in 0..<m {
            for q in 0..<p {
                let index = (q * k * scale) % count
                let (c, s) = (cosines[index], sines[index])
                let yRe = outRe[base + q * m + k], yIm = outIm[base + q * m + k]
                termsRe[q] = yRe * c - yIm * s
                termsIm[q] = yRe * s + yIm * c
            }
            for r in 0..<p {
                var sumRe = 0.0, sumIm = 0.0
                for q in 0..<p {
                    // e^(−2πi q r m / n) = e^(−2πi q r / p): entry ((q r) mod p)·(N/p).
                    let index = ((q * r) % p) * (count / p)
                    let (c, s) = (cosines[index], sines[index])
                    sumRe += termsRe[q] * c - termsIm[q] * s
                    sumIm += termsRe[q] * s + termsIm[q] * c
                }
                sumsRe[r] = sumRe
                sumsIm[r] = sumIm
            }
            for r in 0..<p {
                outRe[base + k + r * m] = sumsRe[r]
                outIm[base + k + r * m] = sumsIm[r]
            }
        }
    }

    static func smallestFactor(_ n: Int) -> Int {
        if n % 2 == 0 { return 2 }
        var f = 3
        while f * f <= n {
            if n % f == 0 { return f }
            f += 2
        }
        return n
    }
}
