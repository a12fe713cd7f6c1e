/// An interpolating cubic spline with not-a-knot end conditions (the third derivative is
/// continuous at the second and the second-to-last knot), the spline SciPy's
/// `interp1d(kind="cubic")` and MATLAB's `spline` fit; used to resample RR intervals onto an
/// even time grid for spectral analysis (Task Force 1996, §"Frequency domain methods").
///
/// Solved as a tridiagonal system in the knots' second derivatives (Thomas algorithm,
/// O(n)); with fewer than 4 knots it falls back to the lower-order polynomial through them.
struct CubicSpline {
    private let xs: [Double]
    private let ys: [Double]
    /// Second derivatives at the knots.
    private let m: [Double]

    /// `xs` strictly increasing, as many as `ys`, at least 2.
    init?(xs: [Double], ys: [Double]) {
        let n = xs.count
        guard n >= 2, ys.count == n else { return nil }
        for i in 1..<n where !(xs[i] > xs[i - 1]) { return nil }
        self.xs = xs
        self.ys = ys
        guard n >= 4 else {
            // 2 knots: a line; 3: the parabola through them (constant second derivative).
            if n == 3 {
                let d0 = (ys[1] - ys[0]) / (xs[1] - xs[0]), d1 = (ys[2] - ys[1]) / (xs[2] - xs[1])
                let second = 2 * (d1 - d0) / (xs[2] - xs[0])
                m = [second, second, second]
            } else {
                m = [0, 0]
            }
            return
        }
        var h = [Double](repeating: 0, count: n - 1)
        var slope = [Double](repeating: 0, count: n - 1)
        for i in 0..<(n - 1) {
            h[i] = xs[i + 1] - xs[i]
            slope[i] = (ys[i + 1] - ys[i]) / h[i]
        }
        // Rows i = 1...n-2: h[i-1] m[i-1] + 2(h[i-1]+h[i]) m[i] + h[i] m[i+1] = 6 (slope[i] - slope[i-1]).
        // Not-a-knot eliminates m[0] and m[n-1]:
        //   m[0] = ((h0 + h1) m1 - h0 m2) / h1,  m[n-1] = ((h[n-3] + h[n-2]) m[n-2] - h[n-2] m[n-3]) / h[n-3].
        let size = n - 2
        var lower = [Double](repeating: 0, count: size)
        var diagonal = [Double](repeating: 0, count: size)
        var upper = [Double](repeating: 0, count: size)
        var rhs = [Double](repeating: 0, count: size)
        for row in 0..<size {
            let i = row + 1
            lower[row] = h[i - 1]
            diagonal[row] = 2 * (h[i - 1] + h[i])
            upper[row] = h[i]
            rhs[row] = 6 * (slope[i] - slope[i - 1])
        }
        // First row: substitute m[0].
        let h0 = h[0], h1 = h[1]
        diagonal[0] += h0 * (h0 + h1) / h1
        upper[0] -= h0 * h0 / h1
        // Last row: substitute m[n-1].
        let a = h[n - 3], b = h[n - 2]
        diagonal[size - 1] += b * (a + b) / a
        lower[size - 1] -= b * b / a
        // Thomas algorithm (size >= 2 here: n >= 4).
        for row in 1..<size {
            let factor = lower[row] / diagonal[row - 1]
            diagonal[row] -= factor * upper[row - 1]
            rhs[row] -= factor * rhs[row - 1]
        }
        var inner = [Double](repeating: 0, count: size)
        inner[size - 1] = rhs[size - 1] / diagonal[size - 1]
        if size >= 2 {
            for row in stride(from: size - 2, through: 0, by: -1) {
                inner[row] = (rhs[row] - upper[row] * inner[row + 1]) / diagonal[row]
            }
        }
        var m = [Double](repeating: 0, count: n)
        for row in 0..<size { m[row + 1] = inner[row] }
        m[0] = ((h0 + h1) * m[1] - h0 * m[2]) / h1
        m[n - 1] = ((a + b) * m[n - 2] - b * m[n - 3]) / a
        self.m = m
    }

    /// The spline at `x`; outside the knots, the end pieces extended.
    func callAsFunction(_ x: Double) -> Double {
        var low = 0, high = xs.count - 1
        while high - low > 1 {
            let mid = (low + high) / 2
            if xs[mid] > x { high = mid } else { low = mid }
        }
        let h = xs[high] - xs[low]
        let t = x - xs[low], u = xs[high] - x
        return (m[low] * u * u * u + m[high] * t * t * t) / (6 * h)
            + (ys[low] / h - m[low] * h / 6) * u + (ys[high] / h - m[high] * h / 6) * t
    }

    /// `count` values at `start, start + step, ...`.
    func sampled(from start: Double, step: Double, count: Int) -> [Double] {
        (0..<count).map { self(start + Double($0) * step) }
    }
}
