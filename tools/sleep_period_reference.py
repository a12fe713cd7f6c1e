#!/usr/bin/env python3
"""Reference sleep period time (SPT) window of a wrist recording, for the sleep model's tests.

Usage: sleep_period_reference.py FILE.csv FS_HZ [--skdh-sleep] [--no-nonwear]

FILE.csv has lines `time,x,y,z` (Unix seconds; acceleration in g; a header line is skipped).
Prints one JSON object: {"start", "end" (Unix s, or null), "package", "threshold" (degrees),
"epochs" (5 s z-angle epochs), "nonwear_epochs", "duration_min", "mode"}.

The detector is scikit-digital-health's total sleep opportunity (TSO) window, its version of
van Hees et al. 2018 (Sci Rep 8:12975) HDCZA: `skdh.sleep.tso.get_total_sleep_opportunity`,
called on the whole recording at its own rate with the defaults of `skdh.sleep.Sleep`
(30 min rest blocks, 60 min gaps, threshold = 15 x 10th percentile clamped to [0.1, 1.0] deg,
movement non-wear at 0.001 g, no temperature). "threshold" and "nonwear_epochs" are recomputed
with skdh's own helpers in the same steps. With --skdh-sleep it instead runs skdh's full
`Sleep` process (noon-to-noon UTC day windows, resampled to 20 Hz) and reports the first day
that has a TSO window. --no-nonwear turns skdh's movement non-wear check off (plain HDCZA).
Exits 3 when skdh is missing.
"""
import json
import sys

try:
    import numpy as np
    from importlib.metadata import version
    from skdh.sleep.tso import get_total_sleep_opportunity, compute_tso_threshold
    from skdh.sleep.utility import compute_z_angle, compute_absolute_difference
    from skdh.utility import moving_mean, moving_median, moving_sd
except ImportError as error:  # the Swift test turns this into a skip (or a failure when required)
    print(f"sleep_period_reference: scikit-digital-health unavailable: {error}", file=sys.stderr)
    sys.exit(3)

PACKAGE = f"scikit-digital-health=={version('scikit-digital-health')}"
# skdh.sleep.Sleep defaults (skdh/sleep/sleep.py, Sleep.__init__)
PARAMS = dict(min_rest_block=30, max_act_break=60, tso_min_thresh=0.1, tso_max_thresh=1.0,
              tso_perc=10, tso_factor=15.0, int_wear_temp=0.0, int_wear_move=0.001)


def read_csv(path):
    with open(path) as f:
        first = f.readline()
    header = not first.strip()[:1].lstrip("+-").replace(".", "", 1).isdigit()
    data = np.loadtxt(path, delimiter=",", skiprows=1 if header else 0, ndmin=2)
    return data[:, 0], np.ascontiguousarray(data[:, 1:4])


def intermediates(fs, accel):
    """The threshold and movement non-wear count, by the steps of skdh/sleep/tso.py."""
    n5 = int(5 * fs)
    acc_rmd = moving_median(accel, n5, skip=1, axis=0)
    z = moving_mean(compute_z_angle(acc_rmd), n5, n5)
    dz_rmd = moving_median(compute_absolute_difference(z), 12 * 5, skip=1)
    threshold = compute_tso_threshold(dz_rmd, PARAMS["tso_min_thresh"], PARAMS["tso_max_thresh"],
                                      PARAMS["tso_perc"], PARAMS["tso_factor"])
    sd = moving_sd(moving_mean(acc_rmd, n5, n5, axis=0), 360, 1, axis=0, return_previous=False)
    nonwear = (sd < PARAMS["int_wear_move"]).any(axis=1).sum() if PARAMS["int_wear_move"] > 0 else 0
    return float(threshold), int(z.size), int(nonwear)


def core(time, accel, fs):
    start, end, _, _ = get_total_sleep_opportunity(
        fs, time, accel, None, np.array([0]), np.array([time.size]), plot_fn=lambda _: None,
        idx_start=0, add_active_time=0.0, **PARAMS)
    threshold, epochs, nonwear = intermediates(fs, accel)
    return dict(start=start, end=end, threshold=threshold, epochs=epochs,
                nonwear_epochs=nonwear, mode="tso-core")


def full_sleep(time, accel, fs):
    import warnings
    from skdh.preprocessing import GetDayWindowIndices
    from skdh.sleep import Sleep
    days = GetDayWindowIndices(bases=[12], periods=[24]).predict(time=time, fs=fs)["day_ends"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sleep = Sleep(internal_wear_move_thresh=PARAMS["int_wear_move"])
        out = sleep.predict(time=time, accel=accel, fs=fs, day_ends=days)
    for start, minutes in zip(out["TSO Start Timestamp"], out["TSO Duration"]):
        if start == start:  # not NaN
            return dict(start=float(start), end=float(start) + 60.0 * float(minutes),
                        mode="skdh.sleep.Sleep")
    return dict(start=None, end=None, mode="skdh.sleep.Sleep")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    time, accel = read_csv(sys.argv[1])
    fs = float(sys.argv[2])
    if "--no-nonwear" in sys.argv[3:]:
        PARAMS["int_wear_move"] = 0.0
    result = (full_sleep if "--skdh-sleep" in sys.argv[3:] else core)(time, accel, fs)
    for key in ("start", "end"):
        result[key] = None if result[key] is None else float(result[key])
    result["duration_min"] = None if result["start"] is None else (result["end"] - result["start"]) / 60
    result["package"] = PACKAGE
    print(json.dumps(result))


if __name__ == "__main__":
    main()
