#!/usr/bin/python3
"""Reference values for core/dsp, computed with Debian's SciPy 1.10.1 / NumPy 1.24.

Run with Debian's python3 (SciPy 1.10 still has signal.cwt/ricker, removed in 1.15):
    /usr/bin/python3 tests/reference/dsp_fixtures.py tests/fixtures/dsp

Every output is a 1-D little-endian float64 .npy file (the C tests read them with
a small .npy reader). Every *input* signal is first rounded to float32 and then
handed to SciPy as float64, so the C side (float32 in, double internals) sees
exactly the numbers SciPy saw.

Files (<case> names are listed in the C tests):
  fir_<case>.npy               firwin taps
  iir_<case>_{b,a}.npy         butter / cheby1 / iirnotch transfer functions
  sos_<case>.npy               butter(..., output='sos') (n_sections*6)
  ff_<case>_{x,y}.npy          filtfilt / sosfiltfilt / lfilter input and output
  rs_<case>_{x,y}.npy          scipy.signal.resample
  rp_<case>_{x,y}.npy          scipy.signal.resample_poly
  lin_<case>_{x,y}.npy         resample_ecgfm (BioX-Bridge preprocessing: linspace + interp1d)
  cwt_x.npy, cwt_y.npy         signal.cwt(x, ricker, arange(0.1, 65)), (65, len(x)) row-major
  speccwt_x.npy, speccwt_y.npy spec_cwt of one channel: (3, L-2, 65) row-major, every 9th value
  pipe_ecg_{x,y}.npy           ISRUC ECG chain on one 30-s epoch: linear 200->500, FIR filtfilt, linear 500->100,
                               mean removal + lead_std_divide
  pipe_ppg_{x,y}.npy           WESAD PPG chain: FFT resample 64->125, cheby1 filtfilt, zscore
  norm_{x,zscore,lead}.npy     scipy.stats.zscore and mean removal + lead_std_divide, 3 x 400 channel-major
  epoch_labels.npy, epoch_out.npy  split_into_segments (FOG rule) on a label sequence: start,label pairs
  lab_{x,y}.npy                np.round(signal.resample(labels, n)).astype(int)
"""
import os
import sys

import numpy as np
import scipy
from scipy import signal
from scipy.interpolate import interp1d
from scipy.stats import zscore

assert scipy.__version__.startswith("1.10"), "run with Debian's scipy 1.10 (has signal.cwt)"

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/dsp"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20251002)


def save(name, arr):
    np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(np.asarray(arr, dtype="<f8").ravel()))


def f32(a):
    """Round to float32, return as float64 (what the C side gets)."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def biosignal(n, fs, f_list, noise=0.1, drift=0.0, offset=0.0):
    t = np.arange(n) / fs
    x = offset + drift * t
    for f, amp in f_list:
        x = x + amp * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    return f32(x + noise * rng.standard_normal(n))


# --- FIR design -----------------------------------------------------------------------------
fir_cases = {
    "bp151": signal.firwin(151, [0.05, 47], pass_zero=False, fs=500),  # the spec's ECG filter
    "lp31": signal.firwin(31, 0.3),
    "lp30": signal.firwin(30, 0.3),  # even length low-pass is allowed
    "hp41": signal.firwin(41, 30.0, pass_zero=False, fs=256),
    "bs61": signal.firwin(61, [45.0, 55.0], fs=256),
    "multi51": signal.firwin(51, [0.2, 0.4, 0.6], pass_zero=False),
    "kaiser41": signal.firwin(41, 0.25, window=("kaiser", 5.0)),
    "hann21": signal.firwin(21, [0.1, 0.5], pass_zero=False, window="hann"),
    "blackman25": signal.firwin(25, 0.4, window="blackman"),
}
for name, h in fir_cases.items():
    save("fir_" + name, h)

# --- IIR design -----------------------------------------------------------------------------
iir_cases = {
    "cheby1_ppg": signal.cheby1(4, 0.5, [0.5 / 62.5, 12 / 62.5], btype="band"),  # the spec's PPG filter
    "butter_lp4": signal.butter(4, 30.0, fs=256),
    "butter_hp2": signal.butter(2, 0.3, btype="highpass", fs=256),
    "butter_bp3": signal.butter(3, [0.5, 35.0], btype="bandpass", fs=200),
    "butter_bs2": signal.butter(2, [45.0, 55.0], btype="bandstop", fs=500),
    "butter_lp5": signal.butter(5, 0.1),
    "butter_lp1": signal.butter(1, 0.2),
    "cheby1_lp3": signal.cheby1(3, 1.0, 40.0, fs=250),
    "cheby1_hp4": signal.cheby1(4, 0.5, 1.0, btype="highpass", fs=100),
    "cheby1_bs2": signal.cheby1(2, 0.5, [0.2, 0.3], btype="bandstop"),
    "notch50": signal.iirnotch(50.0, 30.0, fs=256),
    "notch60": signal.iirnotch(60.0, 10.0, fs=500),
}
for name, (b, a) in iir_cases.items():
    save("iir_%s_b" % name, b)
    save("iir_%s_a" % name, a)

sos_cases = {
    "butter_bp4": signal.butter(4, [0.5, 40.0], btype="bandpass", fs=256, output="sos"),
    "butter_lp5": signal.butter(5, 0.1, output="sos"),
    "butter_hp3": signal.butter(3, 0.5, btype="highpass", fs=128, output="sos"),
    "cheby1_bp4": signal.cheby1(4, 0.5, [0.5, 12.0], btype="bandpass", fs=125, output="sos"),
}
for name, sos in sos_cases.items():
    save("sos_" + name, sos)

# --- filtfilt / lfilter ---------------------------------------------------------------------
# The spec's ECG step: 151-tap FIR on an 8-s stretch at 500 Hz.
x = biosignal(4000, 500.0, [(1.2, 1.0), (8.0, 0.3), (60.0, 0.2), (0.02, 2.0)], noise=0.05, offset=0.4)
save("ff_fir151_x", x)
save("ff_fir151_y", signal.filtfilt(fir_cases["bp151"], [1.0], x))
# The spec's PPG step: Cheby1 band-pass at 125 Hz, 30 s.
x = biosignal(3750, 125.0, [(1.1, 1.0), (2.2, 0.4), (0.1, 0.8), (25.0, 0.1)], noise=0.05, offset=-3.0)
save("ff_cheby1_x", x)
b, a = iir_cases["cheby1_ppg"]
save("ff_cheby1_y", signal.filtfilt(b, a, x))
# Butterworth with the other pad types and explicit padlen.
x = biosignal(600, 200.0, [(3.0, 1.0), (40.0, 0.5), (80.0, 0.3)], noise=0.1, drift=0.5)
save("ff_pad_x", x)
b, a = iir_cases["butter_bp3"]
save("ff_pad_odd_y", signal.filtfilt(b, a, x))
save("ff_pad_even_y", signal.filtfilt(b, a, x, padtype="even"))
save("ff_pad_constant_y", signal.filtfilt(b, a, x, padtype="constant", padlen=50))
save("ff_pad_none_y", signal.filtfilt(b, a, x, padtype=None))
save("ff_pad_odd0_y", signal.filtfilt(b, a, x, padlen=0))
# lfilter without initial state, and lfilter_zi.
b, a = iir_cases["butter_lp5"]
save("ff_lfilter_y", signal.lfilter(b, a, x))
save("ff_lfilter_zi", signal.lfilter_zi(b, a))
b, a = iir_cases["cheby1_ppg"]
save("ff_cheby1_zi", signal.lfilter_zi(b, a))


def exact_zi(b, a):
    """lfilter_zi in exact rational arithmetic from the float64 coefficients:
    zi[i] = sum_{j>i} (b[j] - a[j] G), G = sum(b) / sum(a). scipy's linear solve
    loses ~1e-6 relative on this narrow band-pass (sum(a) ~ 4e-8)."""
    from fractions import Fraction
    bf = [Fraction(v) for v in b]
    af = [Fraction(v) for v in a]
    g = sum(bf) / sum(af)
    acc, zi = Fraction(0), [0.0] * (len(b) - 1)
    for i in range(len(b) - 1, 0, -1):
        acc += bf[i] - af[i] * g
        zi[i - 1] = float(acc)
    return zi


save("ff_cheby1_zi_exact", exact_zi(b, a))
# Second-order sections.
x = biosignal(2000, 256.0, [(0.2, 2.0), (10.0, 1.0), (50.0, 0.5), (100.0, 0.2)], noise=0.2)
save("ff_sos_x", x)
save("ff_sos_bp4_y", signal.sosfiltfilt(sos_cases["butter_bp4"], x))
save("ff_sos_bp4_lfilt_y", signal.sosfilt(sos_cases["butter_bp4"], x))
save("ff_sos_lp5_y", signal.sosfiltfilt(sos_cases["butter_lp5"], x))
save("ff_sos_hp3_y", signal.sosfiltfilt(sos_cases["butter_hp3"], x))
b, a = iir_cases["notch50"]
save("ff_notch50_y", signal.filtfilt(b, a, x))

# --- FFT resample ---------------------------------------------------------------------------
rs_cases = [
    ("up_ppg", 640, 1250),    # 64 -> 125 Hz, 10 s: n_out = int(640 * 125 / 64)
    ("down_even", 1000, 600),  # even -> even, Nyquist bin folded (x2)
    ("down_odd", 1000, 377),
    ("up_odd_in", 999, 1500),
    ("up_even_in", 512, 1331),  # even input: Nyquist bin halved
    ("prime", 997, 1009),
    ("down_to_prime", 1200, 257),
    ("same", 300, 300),
    ("tiny", 5, 8),
]
for name, n_in, n_out in rs_cases:
    x = biosignal(n_in, 100.0, [(2.0, 1.0), (17.0, 0.5), (49.0, 0.3)], noise=0.2, offset=0.3)
    save("rs_%s_x" % name, x)
    save("rs_%s_y" % name, signal.resample(x, n_out))

# --- polyphase resample ---------------------------------------------------------------------
rp_cases = [
    ("up5_down2", 5, 2, 700, ("kaiser", 5.0)),
    ("up2_down5", 2, 5, 1000, ("kaiser", 5.0)),
    ("256_to_100", 25, 64, 2560, ("kaiser", 5.0)),
    ("down3", 1, 3, 901, ("kaiser", 5.0)),
    ("up3", 3, 1, 200, ("kaiser", 5.0)),
    ("gcd", 6, 4, 500, ("kaiser", 5.0)),  # reduced to 3/2
    ("hamming", 4, 3, 600, "hamming"),
]
for name, up, down, n_in, window in rp_cases:
    x = biosignal(n_in, 100.0, [(1.0, 1.0), (12.0, 0.5), (45.0, 0.3)], noise=0.2, offset=0.5)
    save("rp_%s_x" % name, x)
    save("rp_%s_y" % name, signal.resample_poly(x, up, down, window=window))


# --- linear resampling exactly as BioX-Bridge's make_*.py (resample_ecgfm) -------------------
def resample_ecgfm(feats, curr, desired):
    if curr == desired:
        return feats
    n_out = int(feats.shape[-1] * (desired / curr))
    xp = np.linspace(0, n_out - 1, feats.shape[-1])
    return interp1d(xp, feats, kind="linear")(np.arange(n_out))


lin_cases = [("200_500", 200, 500, 1000), ("500_100", 500, 100, 2500), ("700_500", 700, 500, 2101),
             ("500_130", 500, 130, 1500), ("500_200", 500, 200, 1503)]
for name, f_in, f_out, n in lin_cases:
    x = biosignal(n, float(f_in), [(1.0, 1.0), (7.0, 0.5)], noise=0.1)
    save("lin_%s_x" % name, x)
    save("lin_%s_y" % name, resample_ecgfm(x, f_in, f_out))

# --- ricker CWT (scipy 1.10 signal.cwt) and BioX-Bridge's spec_cwt ---------------------------
widths = np.arange(0.1, 65)
x = biosignal(100, 130.0, [(3.0, 1.0), (20.0, 0.5)], noise=0.3)
save("cwt_x", x)
save("cwt_y", signal.cwt(x, signal.ricker, widths))

x = biosignal(390, 130.0, [(5.0, 1.0), (30.0, 0.4)], noise=0.5)
x1 = x[1:] - x[:-1]
x2 = x1[1:] - x1[:-1]
spec = np.stack([signal.cwt(x[2:], signal.ricker, widths).T,
                 signal.cwt(x1[1:], signal.ricker, widths).T,
                 signal.cwt(x2, signal.ricker, widths).T])  # (3, 388, 65)
assert spec.shape == (3, 388, 65)
save("speccwt_x", x)
save("speccwt_y", spec.ravel()[::9])

# --- normalisation --------------------------------------------------------------------------
x = np.stack([biosignal(400, 100.0, [(2.0, 3.0)], noise=1.0, offset=5.0),
              biosignal(400, 100.0, [(9.0, 0.01)], noise=0.001, offset=-2.0),
              f32(np.full(400, 1.5))])  # constant lead -> zeros
save("norm_x", x)
with np.errstate(invalid="ignore", divide="ignore"):
    z = zscore(x, axis=-1)
z[2] = 0.0  # scipy gives NaN for a constant channel; BioX-Bridge's lead_std_divide gives 0
save("norm_zscore", z)
c = x - x.mean(axis=-1, keepdims=True)
std = c.std(axis=-1, keepdims=True)
lead = c / np.where(std == 0, 1, std)
lead[np.broadcast_to(std == 0, lead.shape)] = 0
save("norm_lead", lead)

# --- labels: FFT-resampled + rounded, then FOG-style epoching ----------------------------------
runs = []
while sum(len(r) for r in runs) < 8000:
    runs.append(np.full(int(rng.integers(150, 1800)), int(rng.integers(0, 3))))
labels = np.concatenate(runs)[:8000]
save("lab_x", labels)
lab = np.round(signal.resample(labels, 2080)).astype(int)  # 500 Hz -> 130 Hz
save("lab_y", lab)


def split_labels(labels, sf, seconds, step_seconds, min_ratio):
    seg = int(seconds * sf)
    step = int(step_seconds * sf)
    n_seg = (len(labels) - seg) // step + 1
    res = []
    for i in range(max(n_seg, 0)):
        s = labels[i * step:i * step + seg]
        u, cnt = np.unique(s, return_counts=True)
        j = np.argmax(cnt)
        if cnt[j] / len(s) >= min_ratio:
            res += [i * step, u[j]]
    return res


save("epoch_labels", lab)
epochs = split_labels(lab, 130.0, 3, 0.3, 0.8)
n_windows = (len(lab) - 390) // 39 + 1
assert 5 < len(epochs) // 2 < n_windows, "fixture should keep some windows and drop others"
save("epoch_out", epochs)

# --- whole preprocessing chains of the spec (section 4.1 ECG, 4.2 PPG) --------------------------
x = biosignal(6000, 200.0, [(1.1, 1.0), (2.2, 0.3), (15.0, 0.2), (0.03, 1.5), (50.0, 0.1)], noise=0.05, offset=0.2)
save("pipe_ecg_x", x)
e = resample_ecgfm(x, 200, 500)
e = signal.filtfilt(fir_cases["bp151"], [1.0], e)
e = resample_ecgfm(e, 500, 100)
e = e - e.mean(axis=-1, keepdims=True)
std = e.std(axis=-1, keepdims=True)
save("pipe_ecg_y", e / std)

x = biosignal(1280, 64.0, [(1.2, 1.0), (2.4, 0.5), (0.2, 0.7), (20.0, 0.1)], noise=0.05, offset=30.0)
save("pipe_ppg_x", x)
p = signal.resample(x, int(len(x) * 125 / 64))
b, a = signal.cheby1(4, 0.5, [0.5 / 62.5, 12 / 62.5], btype="band")
save("pipe_ppg_y", zscore(signal.filtfilt(b, a, p)))

total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
print("wrote %d files, %.0f kB" % (len(os.listdir(out)), total / 1024))
