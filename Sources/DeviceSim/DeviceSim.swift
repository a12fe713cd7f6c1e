/// Device simulation: physiology and firmware models (issue 3).
