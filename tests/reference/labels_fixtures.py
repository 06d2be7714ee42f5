#!/usr/bin/python3
"""Fixtures for the label-file tests (tests/labels), derived independently of the C code.

Run with Debian's python3 (standard library only) from the project root:
    /usr/bin/python3 tests/reference/labels_fixtures.py [../shared/data] [tests/fixtures/labels]

Writes into tests/fixtures/labels:
  sc4001ec_expected.txt   Sleep-EDF SC4001EC-Hypnogram.edf: epochs per stage (30 s) from the stage annotation
                          durations summed per stage, read straight from the EDF+ bytes (TALs, EDF+ spec 2.2),
                          and the sleep statistics computed here from that epoch sequence.
  dreams_expected.txt     DREAMS Hypnogram_excerpt3.txt: values per R&K code at 5 s, and the 30 s majority
                          resampling (ties -> '?', and with a minimum purity of 0.75).
  *.csv, *.tsv, *.txt     small hand-designed label files for parser edge cases (BOM, CRLF, blank lines,
                          comments, quoted fields) and error cases; written here so their exact bytes are
                          reproducible.
Only counts and statistics are written from the shared data, never the data themselves.
"""
import collections
import os
import sys

data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
out = sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/labels"
os.makedirs(out, exist_ok=True)

STAGE_OF_TEXT = {
    "Sleep stage W": "W", "Sleep stage 1": "N1", "Sleep stage 2": "N2", "Sleep stage 3": "N3",
    "Sleep stage 4": "N4", "Sleep stage R": "R", "Movement time": "MT", "Sleep stage ?": "?",
}
ORDER = ["W", "N1", "N2", "N3", "N4", "R", "MT"]
SLEEP = {"N1", "N2", "N3", "N4", "R"}


def read_edf_tals(path):
    """(onset, duration, text) of every annotation in an EDF+ file, time-keeping TALs excluded."""
    raw = open(path, "rb").read()
    ns = int(raw[252:256])
    nrec = int(raw[236:244])
    labels = [raw[256 + 16 * i:256 + 16 * (i + 1)].decode("latin-1").strip() for i in range(ns)]
    spr_off = 256 + ns * (16 + 80 + 8 + 8 + 8 + 8 + 8 + 80)
    spr = [int(raw[spr_off + 8 * i:spr_off + 8 * (i + 1)]) for i in range(ns)]
    rec_bytes = 2 * sum(spr)
    body = raw[256 * (ns + 1):]
    events = []
    for r in range(nrec):
        pos = r * rec_bytes
        for i in range(ns):
            seg = body[pos:pos + 2 * spr[i]]
            pos += 2 * spr[i]
            if labels[i] != "EDF Annotations":
                continue
            # The first TAL of a record is its time-keeping TAL, whose first annotation is empty; empty texts
            # are dropped below, so only real annotations remain.
            for tal in seg.split(b"\x00"):
                if not tal:
                    continue
                parts = tal.split(b"\x14")
                head = parts[0]
                onset_text, _, dur_text = head.partition(b"\x15")
                onset = float(onset_text)
                duration = float(dur_text) if dur_text else 0.0
                texts = [t.decode("utf-8") for t in parts[1:] if t]
                for t in texts:
                    events.append((onset, duration, t))
    return events


def summary(epochs, epoch_length):
    scored = [i for i, s in enumerate(epochs) if s != "?"]
    sleep = [i for i, s in enumerate(epochs) if s in SLEEP]
    rem = [i for i, s in enumerate(epochs) if s == "R"]
    res = collections.OrderedDict()
    res["n_epochs"] = len(epochs)
    res["n_unknown"] = sum(1 for s in epochs if s == "?")
    for st in ORDER:
        res["epochs_" + st] = sum(1 for s in epochs if s == st)
    tib = (scored[-1] - scored[0] + 1) * epoch_length if scored else 0.0
    tst = len(sleep) * epoch_length
    res["time_in_bed"] = tib
    res["total_sleep_time"] = tst
    res["sleep_efficiency"] = tst / tib if tib > 0 else 0.0
    if sleep:
        onset, last = sleep[0], sleep[-1]
        res["sleep_period_time"] = (last - onset + 1) * epoch_length
        res["sleep_onset_latency"] = (onset - scored[0]) * epoch_length
        res["rem_latency"] = (rem[0] - onset) * epoch_length if rem else -1.0
        period = epochs[onset:last + 1]
        res["waso"] = sum(1 for s in period if s == "W") * epoch_length
        res["n_awakenings"] = sum(1 for k, s in enumerate(period) if s == "W" and (k == 0 or period[k - 1] != "W"))
    else:
        res["sleep_period_time"] = 0.0
        res["sleep_onset_latency"] = -1.0
        res["rem_latency"] = -1.0
        res["waso"] = 0.0
        res["n_awakenings"] = 0
    return res


def write_kv(name, pairs):
    with open(os.path.join(out, name), "w") as f:
        for k, v in pairs.items():
            f.write("%s %s\n" % (k, repr(float(v)) if isinstance(v, float) else v))


# ---- Sleep-EDF SC4001EC ----
hyp = os.path.join(data, "edf-corpus", "valid", "SC4001EC-Hypnogram.edf")
if os.path.exists(hyp):
    events = [e for e in read_edf_tals(hyp) if e[2] in STAGE_OF_TEXT]
    seconds = collections.Counter()
    for onset, duration, text in events:
        seconds[STAGE_OF_TEXT[text]] += duration
    end = max(o + d for o, d, _ in events)
    # Every duration is a multiple of 30 s: the epoch count per stage is exact.
    assert all(d % 30 == 0 and o % 30 == 0 for o, d, _ in events)
    epochs = ["?"] * int(end // 30)
    for onset, duration, text in events:
        for k in range(int(onset // 30), int((onset + duration) // 30)):
            epochs[k] = STAGE_OF_TEXT[text]
    res = summary(epochs, 30.0)
    # Cross-check the epoch sequence against the summed durations.
    for st in ORDER:
        assert res["epochs_" + st] == seconds[st] / 30, st
    assert res["n_unknown"] == seconds["?"] / 30
    res["n_stage_annotations"] = len(events)
    res["end_seconds"] = float(end)
    write_kv("sc4001ec_expected.txt", res)
else:
    print("no %s: sc4001ec_expected.txt not regenerated" % hyp)

# ---- DREAMS excerpt 3 ----
RK = {5: "W", 4: "R", 3: "N1", 2: "N2", 1: "N3", 0: "N4"}
txt = os.path.join(data, "dreams", "Hypnogram_excerpt3.txt")
if os.path.exists(txt):
    lines = [l.strip() for l in open(txt, encoding="ascii")]
    codes = [int(l) for l in lines if l and not l.startswith("[")]
    stages = [RK.get(c, "?") for c in codes]
    counts = collections.Counter(stages)

    def resample(values, k, min_purity):
        res = []
        for i in range(0, len(values), k):
            window = values[i:i + k] + ["?"] * max(0, i + k - len(values))
            c = collections.Counter(window).most_common()
            best, n = c[0]
            if (len(c) > 1 and c[1][1] == n) or best == "?" or n / k < min_purity:
                best = "?"
            res.append(best)
        return res

    with open(os.path.join(out, "dreams_expected.txt"), "w") as f:
        f.write("n_values %d\n" % len(stages))
        for st in ORDER + ["?"]:
            f.write("count_%s %d\n" % (st, counts.get(st, 0)))
        f.write("resample30 %s\n" % " ".join(resample(stages, 6, 0.0)))
        f.write("resample30_purity75 %s\n" % " ".join(resample(stages, 6, 0.75)))
else:
    print("no %s: dreams_expected.txt not regenerated" % txt)


# ---- Parser edge cases (exact bytes) ----
def write_bytes(name, data_bytes):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data_bytes)


# BOM, CRLF, comment lines, blank lines, quoted fields with a comma and a doubled quote, spaces around fields,
# column order different from the usual one, and an extra column.
write_bytes("edge.csv", (
    "\ufeff# scored by hand\r\n"
    "\r\n"
    "label,onset,duration,scorer\r\n"
    "W,0,30,\"Smith, J\"\r\n"
    "  \"Sleep stage 1\" , 30 , 60 ,x\r\n"
    "\r\n"
    "# a comment between rows\r\n"
    "N2,90,30,\"say \"\"hi\"\"\"\r\n"
    "\"REM\",120,30,\r\n"
    "?,150,30,y").encode("utf-8"))

# BIDS events.tsv: trial_type label column, n/a, a confidence column, a value column that must not be taken.
write_bytes("events.tsv", (
    "onset\tduration\ttrial_type\tvalue\tconfidence\n"
    "0\t30\tW\t5\t0.9\n"
    "30\t30\tN1\t3\tn/a\n"
    "60\tn/a\tN2\t2\t0.25\n"
    "\n"
    "90\t30\tN3\t1\t1\n").encode("utf-8"))

# DREAMS style with CRLF and a header line.
write_bytes("dreams_small.txt", b"[Hypnogram]\r\n5\r\n5\r\n3\r\n2\r\n-1\r\n1\r\n0\r\n4\r\n")

# Error cases: the unknown stage sits on line 14 on purpose (header on line 1, a comment, 11 good rows).
rows = ["onset,duration,label", "# night 1"] + ["%d,30,%s" % (30 * i, s) for i, s in
                                                 enumerate(["W", "W", "N1", "N2", "N2", "N3", "N3", "N2", "R", "R",
                                                            "W"])]
rows.append("330,30,N5")
rows.append("360,30,W")
write_bytes("bad_stage.csv", ("\n".join(rows) + "\n").encode("ascii"))
write_bytes("bad_negative.tsv", b"onset\tduration\tstage\n0\t30\tW\n30\t-30\tN1\n")
write_bytes("bad_missing_column.csv", b"onset,label\n0,W\n30,N1\n")
write_bytes("bad_quote.csv", b"onset,duration,label\n0,30,W\n30,30,\"N1\n60,30,N2\n")
write_bytes("bad_dreams.txt", b"[Hypnogram]\n5\n5\nx3\n")
print("fixtures written to", out)
