#!/usr/bin/env python3
"""Check that tshark decodes a heart-rate capture to what its peripheral sent.

    python3 tools/check_hr_reference.py CAPTURE EXPECTED.jsonl [--tshark PATH]

CAPTURE and EXPECTED come from tools/hr_capture.py (OUT.btsnoop --expected OUT.jsonl). Compares,
in order, the "fields" of every line tools/tshark_hr.py prints with the matching EXPECTED line
(exact equality: RR seconds are k/1024, exact in binary floating point). Prints one line per
mismatch and a closing "N passed, N failed"; exits 0 only if all match and the counts agree.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('capture')
    parser.add_argument('expected')
    parser.add_argument('--tshark', default='tshark')
    args = parser.parse_args()

    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tshark_hr.py')
    result = subprocess.run([sys.executable, script, args.capture, '--tshark', args.tshark],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(result.stderr.strip(), file=sys.stderr)
        return 1
    shown = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    with open(args.expected) as f:
        expected = [json.loads(line) for line in f if line.strip()]

    passed = failed = 0
    for index, (tshark_line, sent) in enumerate(zip(shown, expected)):
        if tshark_line['fields'] == sent:
            passed += 1
        else:
            failed += 1
            print(f'notification {index} (frame {tshark_line["frame"]}): tshark shows '
                  f'{json.dumps(tshark_line["fields"])}, peripheral sent {json.dumps(sent)}')
    if len(shown) != len(expected):
        failed += 1
        print(f'tshark shows {len(shown)} heart rate measurements, peripheral sent '
              f'{len(expected)}')
    print(f'{passed} passed, {failed} failed')
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
