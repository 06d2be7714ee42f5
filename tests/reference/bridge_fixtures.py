#!/usr/bin/python3
"""Reference values for core/bridge's position-search maths and metrics.

Run with Debian's python3 (numpy 1.24, scikit-learn 1.2.1):
    /usr/bin/python3 tests/reference/bridge_fixtures.py tests/fixtures/bridge

Writes plain-text fixtures (one number per whitespace-separated token, %.17g)
so the C tests need no parser beyond strtod:
  metrics_<case>_{true,pred}.txt, metrics_<case>_expected.txt
      accuracy balanced_accuracy cohen_kappa f1_macro f1_weighted
  logreg_<case>_{X,y,shape}.txt, logreg_<case>_folds.txt (StratifiedKFold test fold per sample),
  logreg_<case>_cv.txt (5 fold macro-F1 scores of cross_val_score, then their mean)
  cka_{X,Y,shape}.txt, cka_expected.txt (Gram-form linear CKA, biased HSIC, as the authors' code)
"""
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, cohen_kappa_score, f1_score)
from sklearn.model_selection import StratifiedKFold, cross_val_score

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/bridge"
os.makedirs(out, exist_ok=True)


def save(name, arr):
    arr = np.asarray(arr).ravel()
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join("%.17g" % v for v in arr) + "\n")


rng = np.random.default_rng(20251002)

# --- metrics -----------------------------------------------------------------
metric_cases = {
    # 2 classes, imbalanced like sleep/wake
    "binary": (rng.choice(2, 200, p=[0.25, 0.75]), None),
    # 5 classes; class 4 never predicted
    "five": (rng.choice(5, 300), "drop4"),
    # 3 classes; class 2 predicted but absent from the truth
    "absent": (rng.choice(2, 120), "add2"),
}
for name, (y_true, mode) in metric_cases.items():
    noise = rng.random(len(y_true)) < 0.35
    y_pred = np.where(noise, rng.choice(int(y_true.max()) + 1, len(y_true)), y_true)
    if mode == "drop4":
        y_pred = np.where(y_pred == 4, 3, y_pred)
    if mode == "add2":
        y_pred = np.where(rng.random(len(y_true)) < 0.1, 2, y_pred)
    save(f"metrics_{name}_true.txt", y_true)
    save(f"metrics_{name}_pred.txt", y_pred)
    save(f"metrics_{name}_expected.txt", [
        accuracy_score(y_true, y_pred),
        balanced_accuracy_score(y_true, y_pred),
        cohen_kappa_score(y_true, y_pred),
        f1_score(y_true, y_pred, average="macro"),
        f1_score(y_true, y_pred, average="weighted"),
    ])

# --- logistic-regression probe, as bridge_position_selector.py does it ---------
def blobs(n, p, k, sep, weights):
    y = rng.choice(k, n, p=weights)
    centres = rng.normal(0, sep, (k, p))
    # anisotropic, correlated features like pooled FM activations
    mix = rng.normal(0, 1, (p, p)) / np.sqrt(p)
    X = centres[y] + rng.normal(0, 1, (n, p)) @ mix * 1.5 + rng.normal(0.3, 0.1, p)
    return X, y


logreg_cases = {
    "binary": blobs(300, 20, 2, 0.12, [0.3, 0.7]),
    "three": blobs(400, 32, 3, 0.15, [0.5, 0.3, 0.2]),
    "five": blobs(500, 16, 5, 0.3, [0.1, 0.4, 0.2, 0.2, 0.1]),
}
for name, (X, y) in logreg_cases.items():
    X = X.astype(np.float32).astype(np.float64)  # features are stored as float32
    save(f"logreg_{name}_X.txt", X)
    save(f"logreg_{name}_y.txt", y)
    save(f"logreg_{name}_shape.txt", X.shape)
    folds = np.empty(len(y), dtype=int)
    for i, (_, test) in enumerate(StratifiedKFold(5).split(X, y)):
        folds[test] = i
    save(f"logreg_{name}_folds.txt", folds)
    scores = cross_val_score(LogisticRegression(max_iter=1000, random_state=0), X, y, cv=5, scoring="f1_macro")
    save(f"logreg_{name}_cv.txt", list(scores) + [scores.mean()])

# --- linear CKA, Gram form with the biased HSIC --------------------------------
def gram_linear(x):
    return x @ x.T


def center_gram(g):
    g = g.copy()
    means = np.mean(g, 0, dtype=np.float64)
    means -= np.mean(means) / 2
    g -= means[:, None]
    g -= means[None, :]
    return g


def cka(gx, gy):
    gx, gy = center_gram(gx), center_gram(gy)
    scaled_hsic = gx.ravel().dot(gy.ravel())
    return scaled_hsic / (np.linalg.norm(gx) * np.linalg.norm(gy))


X = rng.normal(0, 1, (150, 24)).astype(np.float32)
Y = (np.tanh(X[:, :12] @ rng.normal(0, 1, (12, 18))) + 0.5 * rng.normal(0, 1, (150, 18)) + 3.0).astype(np.float32)
save("cka_X.txt", X)
save("cka_Y.txt", Y)
save("cka_shape.txt", [150, 24, 18])
save("cka_expected.txt", [cka(gram_linear(X.astype(np.float64)), gram_linear(Y.astype(np.float64))),
                          cka(gram_linear(X.astype(np.float64)), gram_linear(X.astype(np.float64)))])
print("fixtures written to", out)
