#!/usr/bin/env python3
"""Reference sleep/wake scoring of 60 s ActiGraph count epochs, for SleepScoring's tests.

Usage: sleep_scoring_reference.py FILE.csv [FILE.csv ...]

FILE.csv has lines `time,counts` (ISO 8601 times such as 2025-03-01T23:00:00Z, one every 60 s
with no gaps; counts per epoch, a number; an optional header line `time,counts`). Prints one
JSON object per file, one per line, in the order given:

  package                "pyActigraphy==<version>"
  cole_kripke, sadeh     1 (sleep) / 0 (wake) per epoch, by the package, set up as below
  cole_kripke_rescored   the package's Cole-Kripke with its default Webster rescoring
  sadeh_rescored         the package's Webster rescoring (sleep.scoring.utils.rescore) of `sadeh`
  cole_kripke_raw_counts the package's Cole-Kripke "mean" on the counts as given (its own
                         scaling, counts / 30, no cap), no rescoring: for information
  cole_kripke_valid, sadeh_valid  [first, end) of the epochs whose window lies inside the
                         series; the package scores every epoch outside it as wake (see below)
  notes                  the differences from WearMetrics' SleepScoring that remain

Exits 3 when pyActigraphy is missing, 2 on bad input.

The reference is pyActigraphy (Hammad et al. 2021, PLoS Comput Biol 17:e1009514), its
`ScoringMixin.CK` and `ScoringMixin.Sadeh` (pyActigraphy/sleep/scoring_base.py; the same file
in 1.1 and 1.2.2) on a `pyActigraphy.io.BaseRaw` built from the CSV. Version 1.1, installed with
`pip install --no-deps`: 1.2.x requires `accelerometer`, which pins scikit-learn==1.0.1 (no
Python 3.11 wheel), and every version requires `stochastic`, whose only releases for 3.11 need
numpy < 2; pyActigraphy never imports stochastic. Choices, and why:

Cole-Kripke: `CK(settings="mean", threshold=1.0, rescoring=False)`.
  - settings="mean" is the only parameter set the package allows at 60 s epochs, and it is
    Cole et al.'s 1-minute mean-activity set: D = 0.001 (106 A-4 + 54 A-3 + 58 A-2 + 76 A-1
    + 230 A0 + 74 A+1 + 67 A+2) (a centred 9-epoch window with weights 106, 54, 58, 76, 230, 74,
    67, 0, 0), sleep when D < threshold = 1.0, as ours.
  - The package hard-codes its scaling: A = (sum of the counts in the minute) / 30 ("weights
    calculated for an average of 2-sec epochs"), with no cap. Ours is ActiLife's A = counts / 100,
    at most 300. The package takes no scale argument, so the series handed to it is
    min(max(counts, 0), 30000) * 0.3: the package's / 30 then gives our A (to rounding, which
    matters only where D is 1 to the last bit).
  - rescoring=False, because SleepScoring.coleKripke does not rescore (its `score(rescore:)`
    does it as a second step); the package's default rescoring=True is reported separately.
Sadeh: `Sadeh(offset=7.601, weights=[-0.065, -1.08, -0.056, -0.703], threshold=0.0)` (its
  defaults, the paper's constants) on min(max(counts, 0), 300), our cap (the package has none).
  What the package does not let one set: sleep when PS > 0 (ours: PS >= 0; equal only on an
  exact 0.0); NAT counts 50 < x < 100 (ours 50 <= x < 100: differs where a count is exactly 50);
  LG is ln(1 + the count of the NEXT epoch) (`data.shift(-1)`; ours and the paper: the scored
  epoch's); SD6 is pandas' rolling(6).std(), n - 1, as ours; MW5 the mean of the centred 11.
Edges: the package does not pad. Its pandas rolling windows need every epoch, so where a window
  reaches past either end the score is NaN and NaN < 1 / NaN > 0 is False: Cole-Kripke's first 4
  and last 4 epochs and Sadeh's first 5 and last 5 are wake. Ours counts epochs beyond the ends
  as zero activity (Cole-Kripke only needs the 2 after the epoch, so its last 2 and first 4
  epochs use padding). Compare inside cole_kripke_valid / sadeh_valid.
Webster (the *_rescored arrays, pyActigraphy/sleep/scoring/utils.py `rescore`): its rules 1-3
  rescore the first 1/3/4 epochs of a sleep run only when the run is at least that long (after
  >= 10 min of wake a 2-epoch run loses only its first epoch; ours loses both); its rules 4-5
  rescore everything between two wake runs of >= 10 (>= 20) epochs when that gap is <= 6 (<= 10)
  epochs, short wake runs inside the gap included (ours: only a sleep run whose own neighbours
  are such wake runs).
"""
import json
import sys

try:
    from importlib.metadata import version

    import numpy as np
    import pandas as pd
    from pyActigraphy.io import BaseRaw
    from pyActigraphy.sleep.scoring.utils import rescore
except ImportError as error:  # the Swift test turns this into a skip (or a failure when required)
    print(f"sleep_scoring_reference: pyActigraphy unavailable: {error}", file=sys.stderr)
    sys.exit(3)

PACKAGE = f"pyActigraphy=={version('pyActigraphy')}"
EPOCH = pd.Timedelta(seconds=60)
CK_HALF_BEFORE, CK_HALF_AFTER = 4, 4  # rolling(9, center=True): the 2 zero weights still need data
SADEH_HALF = 5  # rolling(11, center=True) and rolling(6); shift(-1) is inside the centred window


def read_csv(path):
    times, counts = [], []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            fields = [field.strip() for field in line.split(",")]
            if number == 1 and fields[:2] == ["time", "counts"]:
                continue
            if len(fields) < 2:
                raise ValueError(f"line {number}: expected time,counts")
            times.append(fields[0])
            counts.append(float(fields[1]))
    if not counts:
        raise ValueError("no epochs")
    index = pd.DatetimeIndex(pd.to_datetime(times, utc=True)).tz_convert(None)
    if len(index) > 1 and not (np.diff(index.asi8) == EPOCH.value).all():
        raise ValueError("epochs must be 60 s apart with no gaps")
    return pd.DatetimeIndex(index, freq=EPOCH if len(index) > 1 else None), np.asarray(counts)


def recording(index, values):
    data = pd.Series(values, index=index, dtype=float)
    return BaseRaw(name="csv", uuid=None, format="Pandas", axial_mode="mono-axial",
                   start_time=index[0], period=len(index) * EPOCH, frequency=EPOCH,
                   data=data, light=None)


def as_list(series, n):
    values = np.asarray(series, dtype=float)
    if values.size != n:
        raise RuntimeError(f"package returned {values.size} epochs for {n}")
    return [int(v) for v in values]


def valid(n, before, after):
    first = min(before, n)
    return [first, max(n - after, first)]


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    # Several files in one run: importing the package (numba, pandas, statsmodels) costs seconds.
    for path in sys.argv[1:]:
        try:
            index, counts = read_csv(path)
        except (OSError, ValueError) as error:
            print(f"sleep_scoring_reference: {path}: {error}", file=sys.stderr)
            sys.exit(2)
        print(json.dumps(score(index, counts)))


def score(index, counts):
    n = counts.size
    nonnegative = np.maximum(counts, 0.0)

    ck_input = recording(index, np.minimum(nonnegative, 30000.0) * 0.3)
    cole_kripke = as_list(ck_input.CK(settings="mean", threshold=1.0, rescoring=False), n)
    cole_kripke_rescored = as_list(ck_input.CK(settings="mean", threshold=1.0, rescoring=True), n)
    raw = recording(index, counts).CK(settings="mean", threshold=1.0, rescoring=False)
    sadeh_series = recording(index, np.minimum(nonnegative, 300.0)).Sadeh(
        offset=7.601, weights=np.array([-0.065, -1.08, -0.056, -0.703]), threshold=0.0)
    sadeh = as_list(sadeh_series, n)
    sadeh_rescored = [int(v) for v in np.asarray(sadeh) * rescore(np.asarray(sadeh), sleep_score=1)]

    result = {
        "package": PACKAGE,
        "cole_kripke": cole_kripke,
        "sadeh": sadeh,
        "cole_kripke_rescored": cole_kripke_rescored,
        "sadeh_rescored": sadeh_rescored,
        "cole_kripke_raw_counts": as_list(raw, n),
        "cole_kripke_valid": valid(n, CK_HALF_BEFORE, CK_HALF_AFTER),
        "sadeh_valid": valid(n, SADEH_HALF, SADEH_HALF),
        "notes": [
            "cole_kripke: CK(settings='mean', threshold=1.0, rescoring=False) on "
            "min(max(counts,0),30000)*0.3, so the package's A = sum/30 equals counts/100 capped at 300",
            "sadeh: Sadeh(offset=7.601, weights=[-0.065,-1.08,-0.056,-0.703], threshold=0.0) on "
            "min(max(counts,0),300); the package scores sleep when PS > 0, NAT as 50 < x < 100 and "
            "LG from the next epoch's count (data.shift(-1))",
            "edges: no padding; epochs outside cole_kripke_valid / sadeh_valid are NaN scores, "
            "so wake (0)",
            "rescored: the package's Webster rules (sleep.scoring.utils.rescore), its default for CK",
        ],
    }
    return result


if __name__ == "__main__":
    main()
