#!/usr/bin/env python3
"""Reference heart rate variability with NeuroKit2 0.2.13, for Tests/WearMetricsTests/HRVReferenceTests.

Usage:
    hrv_reference.py MANIFEST.json      {"name": [RR intervals in ms, ...], ...} -> JSON {"name": result}

Each result:
  "time":      nk.hrv_time on {"RRI": ms, "RRI_Time": s} (no rounding to a sampling grid):
               MeanNN, SDNN, RMSSD, pNN50.
  "nonlinear": nk.hrv_nonlinear on the same input: SD1, SD2.
  "frequency": the method WearMetrics' HRVFrequencyDomain states, configured in NeuroKit2's own
               functions: nk.intervals_process(interpolate=True, interpolation_rate=4,
               method="cubic" (scipy interp1d cubic spline), detrend="polynomial" with order 1),
               then nk.signal_power(method="welch", normalize=False) over LF 0.04-0.15 Hz and
               HF 0.15-0.4 Hz with NeuroKit2's default window (nperseg = N/2 here), Hann,
               50 % overlap, nfft = 2 nperseg, density scaling, trapezoid over [low, high).
  "fixpeaks":  nk.signal_fixpeaks(method="Kubios") (Lipponen & Tarvainen 2019) on the beat times
               (ms, so sampling_rate=1000): the indices it flags per kind, as interval positions,
               and the RMSSD of the intervals of its corrected peaks.
"""

import json
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
import neurokit2 as nk  # noqa: E402


def analyse(rri):
    rri = np.asarray(rri, dtype=float)
    rri_time = np.cumsum(rri) / 1000
    given = {"RRI": rri, "RRI_Time": rri_time}
    time = nk.hrv_time(given)
    nonlinear = nk.hrv_nonlinear(given)
    out = {
        "time": {k: float(time["HRV_" + k].iloc[0]) for k in ["MeanNN", "SDNN", "RMSSD", "pNN50"]},
        "nonlinear": {k: float(nonlinear["HRV_" + k].iloc[0]) for k in ["SD1", "SD2"]},
    }
    series, _, rate = nk.intervals_process(
        rri, intervals_time=rri_time, interpolate=True, interpolation_rate=4, detrend="polynomial", method="cubic"
    )
    power = nk.signal_power(
        series, frequency_band=[(0.04, 0.15), (0.15, 0.4)], sampling_rate=rate, method="welch",
        max_frequency=0.4, normalize=False,
    )
    out["frequency"] = {"LF": float(power.iloc[0, 0]), "HF": float(power.iloc[0, 1])}
    # Beat times in ms: the first beat at 0, then the end of each interval.
    peaks = np.concatenate([[0], np.round(np.cumsum(rri)).astype(int)])
    artifacts, corrected = nk.signal_fixpeaks(peaks, sampling_rate=1000, iterative=False, method="Kubios")
    # NeuroKit2 numbers a peak by its position; the interval ending at peak p is interval p - 1.
    out["fixpeaks"] = {
        kind: sorted(int(i) - 1 for i in artifacts[kind] if int(i) >= 1)
        for kind in ["ectopic", "missed", "extra", "longshort"]
    }
    corrected_rri = np.diff(np.asarray(corrected, dtype=float))
    out["fixpeaks"]["rmssd"] = float(np.sqrt(np.mean(np.diff(corrected_rri) ** 2)))
    return out


def main():
    with open(sys.argv[1]) as handle:
        manifest = json.load(handle)
    print(json.dumps({name: analyse(rri) for name, rri in manifest.items()}))


if __name__ == "__main__":
    main()
