#!/usr/bin/python3
"""Reference windows for tests/bridge/test-windows.c (spec §4), computed the
way the reference make_*.py do it, from signals defined by formula here and
in the C test:

  EEG  500 Hz, 60 s, µV: 40 sin(2π·10 t) + 15 sin(2π·23 t + 0.4) + 5 t
       → resample_ecgfm over the whole recording (FOG) to 200 Hz → two 30-s
       windows (6000 samples each).
  ECG  200 Hz, 60 s, mV: 0.8 sin(2π·1.3 t) + 0.3 sin(2π·7 t) + 0.2 sin(2π·60 t)
       + 0.1 t / 60 + 0.25
       → per 30-s epoch (ISRUC): resample_ecgfm 200→500 (15000), firwin(151,
       [0.05, 47], pass_zero=False, fs=500) filtfilt (padtype odd, padlen
       453), resample_ecgfm 500→100 (3000), mean/std normalisation.

Writes tests/fixtures/bridge/windows_eeg_labram.txt (2 × 6000) and
windows_ecg_hubert.txt (2 × 3000), %.9g one value per line.
"""
import os

import numpy as np
from scipy import signal
from scipy.interpolate import interp1d


def resample_ecgfm(x, f_in, f_out):
    n_in = x.shape[-1]
    n_out = int(n_in * (f_out / f_in))
    pos = np.arange(n_in) * (n_out - 1) / (n_in - 1)
    return interp1d(pos, x, axis=-1)(np.arange(n_out))


def eeg(t):
    return 40 * np.sin(2 * np.pi * 10 * t) + 15 * np.sin(2 * np.pi * 23 * t + 0.4) + 5 * t


def ecg(t):
    return (0.8 * np.sin(2 * np.pi * 1.3 * t) + 0.3 * np.sin(2 * np.pi * 7 * t)
            + 0.2 * np.sin(2 * np.pi * 60 * t) + 0.1 * t / 60 + 0.25)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "bridge")
    os.makedirs(out, exist_ok=True)
    # float32 samples as the C test writes them (the EDF's 16-bit steps are
    # far below the tolerance).
    x_eeg = eeg(np.arange(60 * 500) / 500.0).astype(np.float32).astype(np.float64)
    y_eeg = resample_ecgfm(x_eeg, 500, 200)
    w_eeg = np.stack([y_eeg[0:6000], y_eeg[6000:12000]])

    x_ecg = ecg(np.arange(60 * 200) / 200.0).astype(np.float32).astype(np.float64)
    taps = signal.firwin(151, [0.05, 47], pass_zero=False, fs=500)
    w_ecg = []
    for k in range(2):
        e = x_ecg[k * 6000:(k + 1) * 6000]
        e = resample_ecgfm(e, 200, 500)
        e = signal.filtfilt(taps, [1.0], e, padtype="odd", padlen=3 * 151)
        e = resample_ecgfm(e, 500, 100)
        e = (e - e.mean()) / e.std()
        w_ecg.append(e)
    w_ecg = np.stack(w_ecg)
    np.savetxt(os.path.join(out, "windows_eeg_labram.txt"), w_eeg.reshape(-1), fmt="%.9g")
    np.savetxt(os.path.join(out, "windows_ecg_hubert.txt"), w_ecg.reshape(-1), fmt="%.9g")
    print("eeg", w_eeg.shape, "ecg", w_ecg.shape)


if __name__ == "__main__":
    main()
