#!/usr/bin/env python3
"""Reference long-range correlation of a stride-interval series, for the gait model's tests.

Reads one interval (seconds) per line from the file named on the command line (or stdin) and
prints one JSON object: {"alpha": DFA exponent, "n": count, "mean": s, "cv": ratio}.
The DFA is NeuroKit2's (`nk.fractal_dfa`, Makowski et al., Behav Res Methods 53:1689, 2021),
first-order detrending, window sizes 16 to n/4 strides: the range Hausdorff et al. (J Appl
Physiol 80:1448, 1996) use for stride-interval alpha. Exits 3 when NeuroKit2 is missing.
"""
import json
import sys

try:
    import numpy as np
    import neurokit2 as nk
except ImportError as error:  # the Swift test turns this into a skip (or a failure when required)
    print(f"gait_reference: neurokit2 unavailable: {error}", file=sys.stderr)
    sys.exit(3)


def main() -> None:
    source = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    intervals = np.array([float(line) for line in source if line.strip()])
    if len(intervals) < 64:
        print("gait_reference: need at least 64 intervals", file=sys.stderr)
        sys.exit(2)
    top = max(len(intervals) // 4, 32)
    scales = np.unique(np.round(np.logspace(np.log10(16), np.log10(top), 12)).astype(int))
    alpha, _ = nk.fractal_dfa(intervals, scale=scales, overlap=True, integrate=True, order=1, show=False)
    print(json.dumps({"alpha": float(alpha), "n": int(len(intervals)), "mean": float(intervals.mean()),
                      "cv": float(intervals.std() / intervals.mean())}))


if __name__ == "__main__":
    main()
