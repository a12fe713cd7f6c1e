extension InsoleGaitReport {
    /// The report for a terminal: the summary of each foot side by side, the two-foot figures,
    /// then one line per bout. (The per-stride list is in the JSON.)
    public var text: String {
        var out = "insole gait (\(layout)): \(samples) samples, \(Self.fixed(duration, 1)) s\n"
        func row(_ name: String, _ l: Double?, _ r: Double?, _ digits: Int) {
            out += Self.pad(name, 26) + Self.pad(Self.fixed(l, digits), 10, right: true)
                + Self.pad(Self.fixed(r, digits), 10, right: true) + "\n"
        }
        out += Self.pad("", 26) + Self.pad("left", 10, right: true) + Self.pad("right", 10, right: true) + "\n"
        row("strides", Double(left.strides), Double(right.strides), 0)
        row("stride time mean (s)", left.strideTimeMean, right.strideTimeMean, 3)
        row("stride time CV (%)", left.strideTimeCV, right.strideTimeCV, 2)
        row("stance (%)", left.stancePercent, right.stancePercent, 1)
        row("swing (%)", left.swingPercent, right.swingPercent, 1)
        row("step time mean (s)", left.stepTimeMean, right.stepTimeMean, 3)
        row("single support (s)", left.singleSupportTimeMean, right.singleSupportTimeMean, 3)
        row("peak force (N)", left.peakForceMean, right.peakForceMean, 0)
        row("impulse (N.s)", left.impulseMean, right.impulseMean, 0)
        row("loading rate (N/s)", left.loadingRateMean, right.loadingRateMean, 0)
        row("strike index (%)", left.strikeIndexMean, right.strikeIndexMean, 1)
        row("DFA alpha", left.dfaAlpha, right.dfaAlpha, 2)
        out += "double support: \(Self.fixed(doubleSupportPercent, 1)) %   cadence: \(Self.fixed(cadence, 1)) steps/min"
            + "   steps: \(stepCount)\n"
        out += "symmetry index (%): stride \(Self.fixed(symmetryIndex.strideTime, 2)), stance "
            + "\(Self.fixed(symmetryIndex.stanceTime, 2)), swing \(Self.fixed(symmetryIndex.swingTime, 2)), step "
            + "\(Self.fixed(symmetryIndex.stepTime, 2)), single support \(Self.fixed(symmetryIndex.singleSupportTime, 2))\n"
        for bout in bouts {
            out += "\(bout.mode.rawValue) bout \(Self.fixed(bout.start, 2))–\(Self.fixed(bout.end, 2)) s: \(bout.steps) steps, "
                + "stride \(Self.fixed(bout.strideTimeMean, 3)) s, CV \(Self.fixed(bout.strideTimeCV, 2)) %, "
                + "cadence \(Self.fixed(bout.cadence, 1))/min, DFA alpha \(Self.fixed(bout.dfaAlpha, 2))\n"
        }
        return out
    }

    /// `value` with `digits` decimals ("-" when nil), without Foundation's formatter.
    static func fixed(_ value: Double?, _ digits: Int) -> String {
        guard let value, value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return "\(value)" }
        let whole = Int64(scaled) / Int64(scale), fraction = Int64(scaled) % Int64(scale)
        var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let digitsText = String(fraction)
            text += "." + String(repeating: "0", count: digits - digitsText.count) + digitsText
        }
        return text
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
