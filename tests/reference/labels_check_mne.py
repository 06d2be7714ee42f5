#!/usr/bin/python3
"""Checks that EDF+ annotation files written by bioxbridge read back in MNE-Python.

Not part of the test suite (CI has no MNE); run by hand after changing the EDF+ writer:
    apt-get install python3-mne
    /usr/bin/python3 tests/reference/labels_check_mne.py FILE.edf [EXPECTED.csv]

Prints MNE's annotations (onset, duration, description). With EXPECTED.csv (the same hypnogram written by
`bx_labels_write_hypnogram` as CSV with merge_runs, or any onset,duration,label CSV) it also compares them and exits
non-zero on a difference: onsets and durations within 1e-4 s, descriptions equal after mapping the CSV's short names
to the Sleep-EDF texts.
"""
import csv
import sys

import mne

SLEEP_EDF = {"W": "Sleep stage W", "N1": "Sleep stage 1", "N2": "Sleep stage 2", "N3": "Sleep stage 3",
             "N4": "Sleep stage 4", "R": "Sleep stage R", "MT": "Movement time", "?": "Sleep stage ?"}

path = sys.argv[1]
annotations = mne.read_annotations(path)
rows = list(zip(annotations.onset, annotations.duration, annotations.description))
for onset, duration, text in rows:
    print("%.4f\t%.4f\t%s" % (onset, duration, text))
print("%d annotations, orig_time %s" % (len(rows), annotations.orig_time))

if len(sys.argv) > 2:
    with open(sys.argv[2], newline="") as f:
        expected = [(float(r["onset"]), float(r["duration"]), SLEEP_EDF.get(r["label"], r["label"]))
                    for r in csv.DictReader(f)]
    bad = len(expected) != len(rows)
    for (eo, ed, et), (o, d, t) in zip(expected, rows):
        if abs(eo - o) > 1e-4 or abs(ed - d) > 1e-4 or et != t:
            print("MISMATCH expected %r got %r" % ((eo, ed, et), (o, d, t)))
            bad = True
    print("MNE agrees" if not bad else "MNE DISAGREES (%d expected, %d read)" % (len(expected), len(rows)))
    sys.exit(1 if bad else 0)
