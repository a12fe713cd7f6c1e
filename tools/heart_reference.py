#!/usr/bin/env python3
"""Reference heart-rate-variability and PPG analysis with NeuroKit2, for the heart model tests.

Usage:
    heart_reference.py rr FILE              RR intervals, one per line, in seconds
    heart_reference.py ppg FILE --rate HZ [--invert]
                                            PPG samples, one per line (ADC counts)
    heart_reference.py batch MANIFEST.json  several of the above in one run (NeuroKit2 takes
                                            ~1 s to import): [{"name", "kind": "rr"|"ppg",
                                            "path", "rate", "invert"}, ...] -> {name: result}

Prints JSON.

rr:  "time": nk.hrv_time (MeanNN, SDNN, RMSSD, pNN50 in ms / %), given the intervals directly
     as {"RRI": ms, "RRI_Time": s} so no rounding to a sampling grid happens.
     "frequency": nk.hrv_frequency with its defaults stated explicitly: the RR series is
     interpolated at 100 Hz (nk.intervals_process -> nk.signal_interpolate, method "quadratic"
     spline), mean removed, Welch PSD (scipy.signal.welch, Hann window, nperseg = N/2 from
     NeuroKit's default min_frequency = 4/duration, 50 % overlap, nfft = 2*nperseg, density
     scaling); band powers by the trapezoid rule over [low, high): LF 0.04-0.15 Hz,
     HF 0.15-0.4 Hz; normalize=False so powers are in ms^2.
     "peaks": frequency of the PSD maximum within LF and HF, from the same interpolated series
     and the same nk.signal_psd call that hrv_frequency makes.
ppg: nk.ppg_process (Elgendi et al. 2013 cleaning and systolic-peak detector, NeuroKit2's
     defaults); peak times in seconds, their count, and mean heart rate from the mean interval.
     --invert negates the signal first: a raw reflective sensor's counts fall at systole.
"""

import argparse
import json
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
import neurokit2 as nk  # noqa: E402  (after the warning filter: its import is noisy)

LF = (0.04, 0.15)
HF = (0.15, 0.4)
INTERPOLATION_RATE = 100


def analyse_rr(path):
    rr = np.loadtxt(path, ndmin=1)
    rri = rr * 1000.0
    rri_time = np.cumsum(rr)
    data = {"RRI": rri, "RRI_Time": rri_time}
    time_domain = nk.hrv_time(data)
    frequency = nk.hrv_frequency(
        data,
        psd_method="welch",
        interpolation_rate=INTERPOLATION_RATE,
        normalize=False,
        silent=True,
    )
    interpolated, _, rate = nk.intervals_process(
        rri, intervals_time=rri_time, interpolate=True, interpolation_rate=INTERPOLATION_RATE
    )
    psd = nk.signal_psd(interpolated, sampling_rate=rate, method="welch", normalize=False,
                        max_frequency=0.5)
    frequencies = psd["Frequency"].to_numpy()
    power = psd["Power"].to_numpy()

    def peak(band):
        where = (frequencies >= band[0]) & (frequencies < band[1])
        return float(frequencies[where][np.argmax(power[where])])

    def value(frame, column):
        return float(frame[column].iloc[0])

    return {
        "count": int(len(rr)),
        "time": {name: value(time_domain, "HRV_" + name) for name in ("MeanNN", "SDNN", "RMSSD", "pNN50")},
        "frequency": {
            "method": "welch",
            "interpolation_rate": INTERPOLATION_RATE,
            "LF": value(frequency, "HRV_LF"),
            "HF": value(frequency, "HRV_HF"),
            "LFHF": value(frequency, "HRV_LFHF"),
        },
        "peaks": {"LF": peak(LF), "HF": peak(HF)},
    }


def analyse_ppg(path, rate, invert):
    signal = np.loadtxt(path, ndmin=1)
    if invert:
        signal = -signal
    _, info = nk.ppg_process(signal, sampling_rate=rate)
    peaks = np.asarray(info["PPG_Peaks"], dtype=float) / rate
    intervals = np.diff(peaks)
    return {
        "count": int(len(peaks)),
        "peaks": [float(p) for p in peaks],
        "mean_heart_rate": float(60.0 / np.mean(intervals)) if len(intervals) else None,
    }


def run(job):
    if job["kind"] == "rr":
        return analyse_rr(job["path"])
    if job["kind"] == "ppg":
        return analyse_ppg(job["path"], float(job["rate"]), bool(job.get("invert", False)))
    raise ValueError(f"unknown kind {job['kind']!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["rr", "ppg", "batch"])
    parser.add_argument("path")
    parser.add_argument("--rate", type=float, help="PPG sampling rate, Hz")
    parser.add_argument("--invert", action="store_true", help="negate the PPG before analysis")
    arguments = parser.parse_args()
    if arguments.kind == "batch":
        with open(arguments.path) as manifest:
            jobs = json.load(manifest)
        result = {job["name"]: run(job) for job in jobs}
    elif arguments.kind == "ppg":
        if arguments.rate is None:
            parser.error("ppg needs --rate")
        result = analyse_ppg(arguments.path, arguments.rate, arguments.invert)
    else:
        result = analyse_rr(arguments.path)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
