#!/usr/bin/python3
"""Plots a synthetic (or any) PSG night for a visual check — a development tool.

    python3 tests/reference/plot_night.py night.edf -o /tmp/night-plots [--epochs-per-stage 2]

Reads an EDF+ file (signals and "Sleep stage X" annotations) with a small numpy
EDF reader and writes PNGs: a night overview (hypnogram, heart rate, chin EMG
RMS, frontal delta and occipital alpha power per epoch) and, for each stage, a
few 30-s epochs paged the way a PSG viewer shows them, plus 6-s close-ups of
ECG and PPG. Needs python3-numpy and python3-matplotlib; never run by tests.
Keep the PNGs out of git.
"""
import argparse
import os
import re

import numpy as np

STAGE_NAMES = ["W", "N1", "N2", "N3", "R"]
STAGE_Y = {"W": 4, "R": 3, "N1": 2, "N2": 1, "N3": 0}


def read_edf(path):
    """Returns (channels, annotations); channels: list of dicts with label,
    unit, rate, data (physical float64); annotations: list of (onset, duration, text)."""
    with open(path, "rb") as f:
        raw = f.read()
    hdr = raw[:256].decode("latin-1")
    n_header = int(hdr[184:192])
    n_records = int(hdr[236:244])
    rec_dur = float(hdr[244:252])
    ns = int(hdr[252:256])
    h = raw[256:n_header].decode("latin-1")

    def field(offset, width):
        return [h[offset * ns + i * width: offset * ns + (i + 1) * width].strip() for i in range(ns)]

    labels = field(0, 16)
    units = field(16 + 80, 8)
    pmin = [float(x) for x in field(16 + 80 + 8, 8)]
    pmax = [float(x) for x in field(16 + 80 + 16, 8)]
    dmin = [int(x) for x in field(16 + 80 + 24, 8)]
    dmax = [int(x) for x in field(16 + 80 + 32, 8)]
    spr = [int(x) for x in field(16 + 80 + 40 + 80, 8)]
    bdf = raw[0] == 255
    bps = 3 if bdf else 2
    rec_bytes = sum(spr) * bps
    body = np.frombuffer(raw[n_header:n_header + rec_bytes * n_records], dtype=np.uint8)
    body = body.reshape(n_records, rec_bytes)
    channels, annotations = [], []
    offset = 0
    for i in range(ns):
        chunk = body[:, offset:offset + spr[i] * bps]
        offset += spr[i] * bps
        if labels[i] in ("EDF Annotations", "BDF Annotations"):
            for rec in chunk:
                text = bytes(rec).decode("utf-8", "replace")
                for tal in text.split("\x00"):
                    parts = tal.split("\x14")
                    if len(parts) < 3:
                        continue
                    m = re.match(r"([+-][0-9.]+)(?:\x15([0-9.]+))?", parts[0])
                    if not m:
                        continue
                    for t in parts[1:]:
                        if t:
                            annotations.append((float(m.group(1)), float(m.group(2) or 0), t))
            continue
        if bdf:
            b = chunk.reshape(-1, 3).astype(np.int32)
            d = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
            d = np.where(d >= 1 << 23, d - (1 << 24), d)
        else:
            d = chunk.reshape(-1).view("<i2").astype(np.float64)
        gain = (pmax[i] - pmin[i]) / (dmax[i] - dmin[i])
        channels.append(dict(label=labels[i], unit=units[i], rate=spr[i] / rec_dur,
                             data=(np.asarray(d, dtype=np.float64) - dmin[i]) * gain + pmin[i]))
    return channels, annotations


def stages_from_annotations(annotations, n_epochs):
    stages = np.full(n_epochs, -1)
    for onset, duration, text in annotations:
        m = re.match(r"Sleep stage (W|N1|N2|N3|R|1|2|3|4)$", text)
        if not m:
            continue
        s = {"1": "N1", "2": "N2", "3": "N3", "4": "N3"}.get(m.group(1), m.group(1))
        first = int(round(onset / 30.0))
        for e in range(first, min(n_epochs, first + max(1, int(round(duration / 30.0))))):
            stages[e] = STAGE_NAMES.index(s)
    return stages


def band_power(x, rate, lo, hi):
    spec = np.abs(np.fft.rfft(x - x.mean())) ** 2
    f = np.fft.rfftfreq(len(x), 1.0 / rate)
    return spec[(f >= lo) & (f < hi)].sum() / len(x) ** 2 * 2


def find(channels, name):
    for c in channels:
        if c["label"] == name:
            return c
    raise KeyError(name)


def overview(channels, stages, beats, out):
    import matplotlib.pyplot as plt
    n = len(stages)
    t = np.arange(n) * 30 / 3600
    fig, ax = plt.subplots(5, 1, figsize=(14, 11), sharex=True)
    ax[0].step(t, [STAGE_Y[STAGE_NAMES[s]] if s >= 0 else np.nan for s in stages], where="post", color="k")
    ax[0].set_yticks([0, 1, 2, 3, 4], ["N3", "N2", "N1", "R", "W"])
    rem = stages == 4
    ax[0].scatter(t[rem], np.full(rem.sum(), 3), s=4, color="r")
    ax[0].set_title("hypnogram")
    hr = np.full(n, np.nan)
    if len(beats) > 2:
        rr = np.diff(beats)
        for e in range(n):
            sel = (beats[1:] >= e * 30) & (beats[1:] < (e + 1) * 30)
            if sel.sum() > 3:
                hr[e] = 60.0 / rr[sel].mean()
    ax[1].plot(t, hr, lw=0.8)
    ax[1].set_ylabel("HR (bpm)")
    emg = find(channels, "EMG Chin")
    r = int(emg["rate"])
    rms = [np.sqrt(np.mean(emg["data"][e * 30 * r:(e + 1) * 30 * r] ** 2)) for e in range(n)]
    ax[2].semilogy(t, rms, lw=0.8)
    ax[2].set_ylabel("chin EMG RMS (uV)")
    f4 = find(channels, "EEG F4-M1")
    o2 = find(channels, "EEG O2-M1")
    r = int(f4["rate"])
    delta = [band_power(f4["data"][e * 30 * r:(e + 1) * 30 * r], r, 0.5, 2.0) for e in range(n)]
    alpha = [band_power(o2["data"][e * 30 * r:(e + 1) * 30 * r], r, 8.0, 12.0) for e in range(n)]
    ax[3].semilogy(t, delta, lw=0.8)
    ax[3].set_ylabel("F4 delta power")
    ax[4].semilogy(t, alpha, lw=0.8)
    ax[4].set_ylabel("O2 alpha power")
    ax[4].set_xlabel("hours")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "overview.png"), dpi=80)
    plt.close(fig)


# Display gain per trace, in physical units per trace spacing (like a viewer's sensitivity).
SCALES = {"uV": 150.0, "mV": 2.5, "L/s": 1.5, "au": 3.0, "%": 10.0, "": 4.0}


def epoch_page(channels, start, title, path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(16, 11))
    n = len(channels)
    for i, c in enumerate(channels):
        r = c["rate"]
        a, b = int(start * r), int((start + 30) * r)
        x = c["data"][a:b]
        tt = start + np.arange(len(x)) / r
        scale = SCALES.get(c["unit"], 4.0)
        if c["label"].startswith("EMG"):
            scale = 60.0
        if c["unit"] in ("%", ""):
            x = x - np.median(x)
        ax.plot(tt, n - i - x / scale * 0.9 if c["label"].startswith(("EEG", "EOG")) else n - i + x / scale * 0.9,
                lw=0.5, color="k")
        ax.text(start - 0.3, n - i, "%s\n%g %s" % (c["label"], scale, c["unit"]), ha="right", va="center", fontsize=8)
    ax.set_yticks([])
    ax.set_xlim(start, start + 30)
    for s in range(0, 31):
        ax.axvline(start + s, color="0.85", lw=0.4, zorder=0)
    ax.set_title(title + " (EEG/EOG negative up)")
    fig.tight_layout()
    fig.savefig(path, dpi=70)
    plt.close(fig)


def cardio_zoom(channels, start, title, path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(3, 1, figsize=(12, 7), sharex=True)
    for a, name in zip(ax, ["ECG II", "Pleth", "Resp Flow"]):
        c = find(channels, name)
        r = c["rate"]
        x = c["data"][int(start * r):int((start + 6) * r)]
        a.plot(start + np.arange(len(x)) / r, x, lw=0.9)
        a.set_ylabel("%s (%s)" % (name, c["unit"]))
        a.grid(alpha=0.3)
    ax[0].set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def r_peaks(ecg):
    """Simple R detection for the overview: local maxima above 60 % of the
    99th percentile, at least 0.3 s apart."""
    x, r = ecg["data"], ecg["rate"]
    thr = 0.6 * np.percentile(x, 99.5)
    cand = np.where((x[1:-1] > thr) & (x[1:-1] >= x[:-2]) & (x[1:-1] > x[2:]))[0] + 1
    peaks, last = [], -1e9
    for i in cand:
        if i - last > 0.3 * r:
            peaks.append(i)
            last = i
        elif x[i] > x[last]:
            peaks[-1] = i
            last = i
    return np.array(peaks) / r


def plot_all(channels, stages, beats, out, per_stage, seed=0):
    import matplotlib
    matplotlib.use("Agg")
    os.makedirs(out, exist_ok=True)
    overview(channels, stages, beats, out)
    rng = np.random.default_rng(seed)
    for s, name in enumerate(STAGE_NAMES):
        idx = np.where(stages == s)[0]
        # Prefer epochs inside a run of the same stage, not at transitions.
        inner = [e for e in idx if 0 < e < len(stages) - 1 and stages[e - 1] == s and stages[e + 1] == s]
        pool = inner if inner else list(idx)
        if not pool:
            continue
        for k, e in enumerate(sorted(rng.choice(pool, size=min(per_stage, len(pool)), replace=False))):
            epoch_page(channels, e * 30, "%s  epoch %d (%.2f h)" % (name, e, e * 30 / 3600),
                       os.path.join(out, "epoch-%s-%d.png" % (name, k)))
            if k == 0:
                cardio_zoom(channels, e * 30 + 10, "%s epoch %d: ECG, PPG, flow" % (name, e),
                            os.path.join(out, "cardio-%s.png" % name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("edf")
    ap.add_argument("-o", "--out", default="night-plots")
    ap.add_argument("--epochs-per-stage", type=int, default=2)
    args = ap.parse_args()
    channels, annotations = read_edf(args.edf)
    duration = len(channels[0]["data"]) / channels[0]["rate"]
    stages = stages_from_annotations(annotations, int(duration // 30))
    beats = r_peaks(find(channels, "ECG II"))
    plot_all(channels, stages, beats, args.out, args.epochs_per_stage)
    print("wrote plots to", args.out)


if __name__ == "__main__":
    main()
