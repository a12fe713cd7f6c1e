#!/usr/bin/env python3
"""Writes Simulators/data/ppg-neurokit-72bpm.csv, the PPG recording that
Simulators/replay-ppg.yaml plays on a wristband: 20 s of NeuroKit2's synthetic PPG
(neurokit2 0.2.13, `ppg_simulate`, its default noise and artefacts) at 72 bpm, sampled at
25 Hz, seed 7; one column `ppg` (no time column: the scenario gives `sample_rate: 25`),
values rounded to 4 decimals (arbitrary units, systolic peaks upward).

    .venv/bin/python tools/ppg_replay_data.py [OUTPUT]
"""
import sys

import neurokit2 as nk

output = sys.argv[1] if len(sys.argv) > 1 else "Simulators/data/ppg-neurokit-72bpm.csv"
ppg = nk.ppg_simulate(duration=20, sampling_rate=25, heart_rate=72, random_state=7)
with open(output, "w") as file:
    file.write("ppg\n")
    for value in ppg:
        file.write(f"{value:.4f}\n")
