#!/usr/bin/env python3
"""Reference stride times and stance shares of a PhysioNet gaitpdb walk, for the Swift tests of
WearMetrics' insole gait analysis (Tests/WearMetricsTests/GaitpdbReferenceTests.swift).

Deliberately a different method from the Swift one (which adapts its levels to each stance's
peak, with hysteresis, in a stream): the whole recording at once with numpy, one fixed
threshold per walk, 5 % of the subject's body weight as the insoles measure it (the mean of
left + right total force over the walk: over whole strides the feet carry body weight on
average), and a debounce that drops contact or no-contact runs shorter than 60 ms. IC and TO
are the threshold crossings, interpolated linearly between samples. A stride is IC to the next
IC of the same foot, with one TO in between, 0.4-3.0 s long. Both implementations aim at the same
physical event, the foot taking (or losing) load: a threshold low above zero. (At 10 % of body
weight this reference's stances are 1.5-3 points of stance share shorter on these walks: the
insoles' force rises and decays over tens of ms, so the level matters; the simulator's ground
truth in Tests/DeviceSimTests/GaitMetricsTruthTests.swift decides which level is closer to the
true contact.)

Usage: insole_gait_reference.py FILE -> one JSON object:
{"body_weight_n": .., "threshold_n": .., "left": {"strides": n, "stride_time_mean_s": ..,
 "stance_pct": .., "stride_list": [[ic, stride_time, stance_pct], ...], "ic": [...], "to": [...]},
 "right": {...}}. Exits 3 when numpy is missing.
"""
import json
import sys

try:
    import numpy as np
except ImportError as error:  # the Swift test turns this into a skip (or a failure when required)
    print(f"insole_gait_reference: numpy unavailable: {error}", file=sys.stderr)
    sys.exit(3)

THRESHOLD_OF_BODY_WEIGHT = 0.05
DEBOUNCE_S = 0.06


def runs(mask):
    """(start, end) index pairs of the runs of True in a boolean array (end exclusive)."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return edges[0::2], edges[1::2]


def debounce(mask, samples):
    """Flips runs (of either value) shorter than `samples`, inner ones only."""
    mask = mask.copy()
    for value in (False, True):  # first close short gaps in contact, then drop short contacts
        starts, ends = runs(mask == value)
        for s, e in zip(starts, ends):
            if e - s < samples and s > 0 and e < len(mask):
                mask[s:e] = not value
    return mask


def crossing(t, f, i, level):
    """Time where f crosses `level` between samples i-1 and i."""
    f0, f1 = f[i - 1], f[i]
    if f1 == f0:
        return float(t[i])
    p = min(max((level - f0) / (f1 - f0), 0.0), 1.0)
    return float(t[i - 1] + p * (t[i] - t[i - 1]))


def foot(t, f, threshold, dt):
    contact = debounce(f > threshold, int(round(DEBOUNCE_S / dt)))
    change = np.flatnonzero(np.diff(contact.astype(np.int8)))
    ics, tos = [], []
    for j in change:
        i = j + 1
        if contact[i]:
            ics.append(crossing(t, f, i, threshold))
        else:
            tos.append(crossing(t, f, i, threshold))
    ics, tos = np.array(ics), np.array(tos)
    strides, stances, starts = [], [], []
    for a, b in zip(ics[:-1], ics[1:]):
        inside = tos[(tos > a) & (tos < b)]
        if len(inside) == 1 and 0.4 <= b - a <= 3.0:
            starts.append(round(float(a), 4))
            strides.append(b - a)
            stances.append(100 * (inside[0] - a) / (b - a))
    return {"strides": len(strides),
            "stride_time_mean_s": float(np.mean(strides)) if strides else None,
            "stance_pct": float(np.mean(stances)) if stances else None,
            "stride_list": [[a, round(float(s), 4), round(float(p), 3)] for a, s, p in zip(starts, strides, stances)],
            "ic": [round(x, 4) for x in ics.tolist()], "to": [round(x, 4) for x in tos.tolist()]}


def main() -> None:
    data = np.loadtxt(sys.argv[1])
    t, left, right = data[:, 0], data[:, 17], data[:, 18]
    dt = float(np.median(np.diff(t)))
    body_weight = float(np.mean(left + right))
    threshold = THRESHOLD_OF_BODY_WEIGHT * body_weight
    print(json.dumps({"body_weight_n": body_weight, "threshold_n": threshold,
                      "left": foot(t, left, threshold, dt), "right": foot(t, right, threshold, dt)}))


if __name__ == "__main__":
    main()
