#!/usr/bin/env python3
"""Validates a FHIR Bundle of Observations (JSON on standard input) with fhir.resources.

Used by Tests/CollectorTests/ReferenceTests.swift: the collector's FHIR output checked by a model
library nobody here wrote. fhir.resources 8 models R5 at its top level and R4B in
fhir.resources.R4B; R4B's Bundle, Observation, Quantity and SampledData are R4's (R4B changed
other resources), so R4B is the closest R4 model it ships.

Prints one JSON line: {"observations": N, "sampled": N, "quantities": N, "codes": [...]};
exits 1 with the validation errors on standard error when the bundle is not valid.
"""
import json
import sys

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation


def main() -> int:
    raw = sys.stdin.read()
    try:
        bundle = Bundle.model_validate_json(raw)
    except Exception as error:  # pydantic.ValidationError, with every failing path
        print(f"Bundle invalid: {error}", file=sys.stderr)
        return 1
    if bundle.type != "searchset":
        print(f"Bundle type {bundle.type!r}, expected searchset", file=sys.stderr)
        return 1
    observations = sampled = quantities = 0
    codes = set()
    for entry in bundle.entry or []:
        resource = entry.resource
        if not isinstance(resource, Observation):
            print(f"entry is a {type(resource).__name__}, not an Observation", file=sys.stderr)
            return 1
        observations += 1
        if resource.valueSampledData is not None:
            sampled += 1
            data = resource.valueSampledData.data.split(" ")
            float(data[0])
        if resource.valueQuantity is not None:
            quantities += 1
            if resource.valueQuantity.system is not None and resource.valueQuantity.system != "http://unitsofmeasure.org":
                print(f"unit system {resource.valueQuantity.system}", file=sys.stderr)
                return 1
        for coding in resource.code.coding or []:
            codes.add(f"{coding.system}|{coding.code}")
    print(json.dumps({"observations": observations, "sampled": sampled, "quantities": quantities,
                      "codes": sorted(codes)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
