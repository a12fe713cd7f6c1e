#!/usr/bin/env python3
"""Reference PPG beats with NeuroKit2 0.2.13, for Tests/WearMetricsTests/PPGReferenceTests.

Usage:
    ppg_reference.py CSV_FILE COLUMN RATE     -> JSON {"name": result, ...}

Cases: NeuroKit2's synthetic PPG, nk.ppg_simulate(duration=60, sampling_rate=25 and 100,
heart_rate=70, random_state=42), and CSV_FILE's COLUMN sampled at RATE Hz
(Simulators/data/ppg-neurokit-72bpm.csv). Each result:
  "rate":    sampling rate, Hz
  "signal":  the raw samples (so the Swift side analyses exactly these)
  "peaks":   nk.ppg_findpeaks(nk.ppg_clean(signal, method="elgendi"), method="elgendi") indices
  "bpm":     60000 / mean of the inter-peak intervals (ms)
  "quality": scipy.stats.skew of the cleaned signal (biased), Elgendi 2016's skewness SQI
"""

import json
import sys
import warnings

import numpy as np
import scipy.stats

warnings.filterwarnings("ignore")
import neurokit2 as nk  # noqa: E402


def analyse(signal, rate):
    signal = np.asarray(signal, dtype=float)
    cleaned = nk.ppg_clean(signal, sampling_rate=rate, method="elgendi")
    peaks = nk.ppg_findpeaks(cleaned, sampling_rate=rate, method="elgendi")["PPG_Peaks"]
    ibi = np.diff(peaks) / rate * 1000
    return {
        "rate": rate,
        "signal": signal.tolist(),
        "peaks": [int(p) for p in peaks],
        "bpm": float(60000 / np.mean(ibi)),
        "quality": float(scipy.stats.skew(cleaned)),
    }


def main():
    path, column, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
    out = {}
    for fs in (25, 100):
        sim = nk.ppg_simulate(duration=60, sampling_rate=fs, heart_rate=70, random_state=42)
        out[f"simulated-{fs}hz"] = analyse(sim, fs)
    import pandas as pd
    out["simulator-72bpm"] = analyse(pd.read_csv(path)[column].to_numpy(), rate)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
