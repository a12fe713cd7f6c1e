#!/usr/bin/env python3
"""Reference oxygen desaturations with pobm 1.2.0, for Tests/WearMetricsTests/SpO2ReferenceTests.

Usage:
    spo2_reference.py SEED SECONDS     -> JSON {"signal": [...], "begin": [...], "end": [...], "odi": x}

A synthetic night at 1 Hz in whole percent, seeded: a baseline wandering around 96 %, with
dips of 1 to 9 % lasting 5 to 150 s at random intervals (some overlapping, some too short or
too long to count), and +-1 % noise; then pobm's DesaturationsMeasures (relative method,
ODI_Threshold=3, its defaults otherwise: desat_max_length=90, min_dist_meta_event=0,
desat_min_length=0) on it. begin/end are pobm's event starts and ends after its grouping of
overlapping events; odi its ODI (events per hour). pobm numbers events in an int8 array
(__group_meta_desat): more than 127 events in one call fail with an OverflowError, so the
nights the tests ask for are six hours.
"""

import json
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
# pobm 1.2.0 (2022) names np.RankWarning, which numpy 2 moved to np.exceptions.
if not hasattr(np, "RankWarning"):
    np.RankWarning = np.exceptions.RankWarning
from pobm.obm.desat import DesaturationsMeasures  # noqa: E402
from pobm._ResultsClasses import DesatMethodEnum  # noqa: E402


def night(seed, seconds):
    rng = np.random.default_rng(seed)
    baseline = 96 + np.cumsum(rng.normal(0, 0.02, seconds))
    baseline = np.clip(baseline, 93, 99)
    dip = np.zeros(seconds)
    t = int(rng.integers(20, 120))
    while t < seconds:
        depth = rng.uniform(1, 9)
        fall, stay, rise = (int(x) for x in rng.integers(3, 40, 3))
        length = min(fall + stay + rise, 150)
        shape = np.concatenate([np.linspace(0, 1, fall), np.ones(stay), np.linspace(1, 0, rise)])[:length]
        end = min(seconds, t + len(shape))
        dip[t:end] = np.maximum(dip[t:end], depth * shape[: end - t])
        t += int(rng.integers(10, 240))
    noise = rng.integers(-1, 2, seconds) * (rng.random(seconds) < 0.15)
    return np.clip(np.round(baseline - dip + noise), 50, 100)


def main():
    seed, seconds = int(sys.argv[1]), int(sys.argv[2])
    signal = night(seed, seconds)
    result = DesaturationsMeasures(ODI_Threshold=3, threshold_method=DesatMethodEnum.Relative).compute(signal)
    json.dump({
        "signal": [float(x) for x in signal],
        "begin": [int(x) for x in result.begin],
        "end": [int(x) for x in result.end],
        "odi": float(result.ODI),
    }, sys.stdout)


if __name__ == "__main__":
    main()
