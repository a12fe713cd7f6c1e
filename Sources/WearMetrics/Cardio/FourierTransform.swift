#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The discrete Fourier transform X[k] = Σₙ x[n] e^(−2πi kn/N) of any length, by the
/// Cooley-Tukey decomposition over N's prime factors (Cooley & Tukey, Math Comput 19:297, 1965;
/// the mixed-radix form of Singleton, IEEE Trans Audio Electroacoust 17:93, 1969): a length
/// N = p·m splits into p interleaved transforms of length m, joined by twiddled butterflies of
/// size p. Cost O(N Σ pᵢ); the lengths spectra use here (2⁴·3·5² = 1200 for 5 minutes at
/// 4 Hz) factor into small primes. Allocates its work arrays per call (once per spectrum).
enum FourierTransform {
    /// Transforms (`re`, `im`) in place.
    static func forward(_ re: inout [Double], _ im: inout [Double]) {
        let n = re.count
        guard n > 1 else { return }
        var outRe = [Double](repeating: 0, count: n), outIm = [Double](repeating: 0, count: n)
        transform(re, im, offset: 0, stride: 1, count: n, into: &outRe, &outIm, at: 0)
        re = outRe
        im = outIm
    }

    /// The transform of x[offset + j·stride], j < count, written to out[at ..< at + count].
    private static func transform(_ re: [Double], _ im: [Double], offset: Int, stride: Int, count n: Int,
                                  into outRe: inout [Double], _ outIm: inout [Double], at base: Int) {
        if n == 1 {
            outRe[base] = re[offset]
            outIm[base] = im[offset]
            return
        }
        let p = smallestFactor(n), m = n / p
        // p sub-transforms of the elements q, q + p, q + 2p, ... (q < p), each of length m,
        // into out[base + q·m ..< base + (q+1)·m].
        for q in 0..<p {
            transform(re, im, offset: offset + q * stride, stride: stride * p, count: m, into: &outRe, &outIm, at: base + q * m)
        }
        // Butterflies: X[k + r·m] = Σ_q W_n^{q(k + r m)} Y_q[k], k < m, r < p.
        var sumsRe = [Double](repeating: 0, count: p), sumsIm = [Double](repeating: 0, count: p)
        var termsRe = [Double](repeating: 0, count: p), termsIm = [Double](repeating: 0, count: p)
        for k in 0..<m {
            for q in 0..<p {
                let angle = -2 * Double.pi * Double(q * k) / Double(n)
                let (c, s) = (cos(angle), sin(angle))
                let yRe = outRe[base + q * m + k], yIm = outIm[base + q * m + k]
                termsRe[q] = yRe * c - yIm * s
                termsIm[q] = yRe * s + yIm * c
            }
            for r in 0..<p {
                var sumRe = 0.0, sumIm = 0.0
                for q in 0..<p {
                    // e^(−2πi q r m / n) = e^(−2πi q r / p).
                    let angle = -2 * Double.pi * Double((q * r) % p) / Double(p)
                    let (c, s) = (cos(angle), sin(angle))
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
