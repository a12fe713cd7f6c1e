#!/usr/bin/env python3
"""Reference ActiGraph activity counts with agcounts 0.2.6, for Tests/WearMetricsTests/ActivityCountsReferenceTests.

Usage:
    counts_reference.py FILE RATE EPOCH   -> JSON {"counts": [[x, y, z], ...]}

FILE: a CSV without header, one sample per line, "x,y,z" in g, taken at RATE Hz. The counts
are agcounts' get_counts(raw, freq=RATE, epoch=EPOCH) with its defaults (fast=True,
use_mne=False: ActiGraph's legacy resampling), one row per whole epoch, in the file's column
order (Neishabouri et al., Sci Rep 12:11958, 2022).
"""

import json
import sys

import numpy as np
from agcounts.extract import get_counts


def main():
    path, rate, epoch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    raw = np.loadtxt(path, delimiter=",", ndmin=2)
    counts = get_counts(raw, freq=rate, epoch=epoch)
    json.dump({"counts": counts.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
