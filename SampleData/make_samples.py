#!/usr/bin/env python3
"""Makes the example inputs in SampleData/ (numpy only, fixed seed).

Each sample is scored by a synthetic model whose miscalibration is known,
so the reports have something true to find:

- fraud_transactions.csv: 20,000 card transactions, about 1% fraud
  (labels legit/fraud, score column p_fraud); the model's slope is 1.25x
  too steep, the classic overconfident fraud model.
- spam_messages.tsv: 5,000 messages, about 15% spam (labels ham/spam,
  tab-separated, score column p_spam); an underconfident model
  (slope shrunk to 0.65x).
- news_topics_logits.jsonl: 4,000 articles in four topics given as raw
  logits (logit_world, logit_sports, logit_business, logit_tech), JSON Lines,
  logits sharpened by 1/0.6 and blurred by noise.
- fraud_downsampled_weighted.csv: 200,000 transactions of which every fraud
  and 1 in 20 legitimate ones were kept, each kept legitimate row carrying
  weight 20 (labels 0/1, columns prob and weight): the weighted metrics
  estimate the full population's.

- release/fraud_baseline.csv, release/fraud_candidate.csv: the same 30,000
  transactions (about 3% fraud, columns id, label, p_fraud) scored by the
  model in production (a noisier view of the risk, calibrated) and by a
  release candidate (a sharper view, but 2x overconfident): the candidate
  ranks better and is worse calibrated, a mixed verdict for
  `calib compare`. Drawn from a generator of their own, so the other
  files do not change; in a folder of their own, so that `calib audit
  SampleData/*.csv` audits the single-model samples only.

- multilabel/spam_categories.csv: 6,000 messages, five labels (spam,
  phishing, adult, promo, scam), one y_<label> (0/1) and p_<label> column
  each, for `calib audit --multilabel`; generator and folder of their own.

- distillation/digits_distillation.csv: 3,000 handwritten-digit images (classes 0-9)
  with the true label, a teacher's probabilities (t_0 ... t_9) and a
  distilled student's (p_0 ... p_9), six decimals each (SPEC section 13's
  soft targets): the teacher is unsure between look-alike digits, which no
  student can remove (the targets' entropy); the student is a blurred copy of
  the teacher that also under-rates class 7 (it reads many 7s as 1s), the part
  that is the student's fault (the KL). Drawn from a generator of its own, so
  the other files do not change; in a folder of its own, as the release pair,
  so that `calib audit SampleData/*.csv` audits the hard-label samples only.

- calib.json: the CI gates a team might keep for the fraud model
  (`calib audit … --config SampleData/calib.json`).
- class_weights.json: a hand-chosen class-weight table for the fraud model
  (`calib losses … --weights SampleData/class_weights.json`).

Run: python3 SampleData/make_samples.py   (rewrites the nine files)
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261122)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def binary_population(n, intercept, slope, noise, temperature):
    """True logits from a latent risk; the model sees the risk with noise and
    scales its slope by `temperature` (>1 overconfident, <1 underconfident)."""
    risk = rng.normal(size=n)
    labels = rng.random(n) < sigmoid(intercept + slope * risk)
    seen = risk + noise * rng.normal(size=n)
    return labels, sigmoid(intercept + temperature * slope * seen)


def fraud():
    labels, prob = binary_population(20_000, intercept=-6.2, slope=2.0, noise=0.35, temperature=1.25)
    path = os.path.join(HERE, "fraud_transactions.csv")
    with open(path, "w", newline="") as f:
        f.write("id,label,p_fraud\n")
        for i, (y, p) in enumerate(zip(labels, prob)):
            f.write(f"tx-{100000 + i},{'fraud' if y else 'legit'},{float(p)!r}\n")


def spam():
    labels, prob = binary_population(5_000, intercept=-2.0, slope=2.2, noise=0.3, temperature=0.65)
    path = os.path.join(HERE, "spam_messages.tsv")
    with open(path, "w", newline="") as f:
        f.write("id\tlabel\tp_spam\n")
        for i, (y, p) in enumerate(zip(labels, prob)):
            f.write(f"msg-{i + 1}\t{'spam' if y else 'ham'}\t{float(p)!r}\n")


def news():
    topics = ["world", "sports", "business", "tech"]
    n = 4_000
    prior = np.array([0.35, 0.30, 0.20, 0.15])
    labels = rng.choice(4, size=n, p=prior)
    true_logits = rng.normal(scale=1.0, size=(n, 4)) + np.log(prior)
    true_logits[np.arange(n), labels] += 2.2
    model_logits = true_logits / 0.6 + rng.normal(scale=0.4, size=(n, 4))
    path = os.path.join(HERE, "news_topics_logits.jsonl")
    with open(path, "w") as f:
        for i in range(n):
            row = {"id": f"article-{i + 1}", "label": topics[labels[i]]}
            for k, t in enumerate(topics):
                row[f"logit_{t}"] = float(model_logits[i, k])
            f.write(json.dumps(row) + "\n")


def downsampled():
    labels, prob = binary_population(200_000, intercept=-5.6, slope=1.9, noise=0.4, temperature=1.15)
    keep = labels | (rng.random(labels.size) < 1 / 20)
    path = os.path.join(HERE, "fraud_downsampled_weighted.csv")
    with open(path, "w", newline="") as f:
        f.write("id,label,prob,weight\n")
        for i in np.flatnonzero(keep):
            y = int(labels[i])
            f.write(f"{i + 1},{y},{float(prob[i])!r},{1 if y else 20}\n")


def gates():
    config = {
        "failOn": ["ece>0.05", "logLossSkill<0", "skippedRows>0"],
        "warnOn": ["recall[fraud]<0.5", "mce>0.3"],
        "minSegmentRows": 100,
    }
    with open(os.path.join(HERE, "calib.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def class_weights():
    # Fraud counted 40 times a legitimate transaction: between no weighting
    # and inverse frequency (about 84 on the fraud sample).
    with open(os.path.join(HERE, "class_weights.json"), "w") as f:
        json.dump({"legit": 1, "fraud": 40}, f)
        f.write("\n")


def release_pair():
    pair_rng = np.random.default_rng(20261130)
    n = 30_000
    intercept, slope = -4.3, 2.0
    risk = pair_rng.normal(size=n)
    labels = pair_rng.random(n) < sigmoid(intercept + slope * risk)
    shared = pair_rng.normal(size=n)
    # Baseline: sees the risk through more noise; calibrated for what it sees
    # (slope and intercept shrunk to match). Candidate: less noise, too steep.
    noisy = risk + 0.7 * shared + 0.5 * pair_rng.normal(size=n)
    shrink = 1 / np.sqrt(1 + 0.74 * slope**2 * np.pi / 8)
    baseline = sigmoid(shrink * (intercept + slope * noisy / (1 + 0.74)))
    sharp = risk + 0.3 * shared
    candidate = sigmoid(2.0 * (intercept + slope * sharp / 1.09))
    for name, prob in (("baseline", baseline), ("candidate", candidate)):
        os.makedirs(os.path.join(HERE, "release"), exist_ok=True)
        with open(os.path.join(HERE, "release", f"fraud_{name}.csv"), "w", newline="") as f:
            f.write("id,label,p_fraud\n")
            for i, (y, p) in enumerate(zip(labels, prob)):
                f.write(f"tx-{500000 + i},{'fraud' if y else 'legit'},{float(p)!r}\n")


def spam_categories():
    """multilabel/spam_categories.csv: 6,000 messages with five independent
    labels (y_spam, y_phishing, y_adult, y_promo, y_scam, 0/1) and one sigmoid
    score per label (p_<label>): phishing and scam messages are mostly spam
    too. Each label's model has a known fault: spam is calibrated, phishing
    overconfident (slope 1.8x), adult underconfident (0.6x), promo
    over-predicts (+0.8 on the logit), scam is rare and overconfident."""
    ml_rng = np.random.default_rng(20261201)
    n = 6_000
    # (intercept, slope, temperature, shift) per label.
    labels = {
        "spam": (-1.2, 2.0, 1.0, 0.0),
        "phishing": (-3.2, 2.2, 1.8, 0.0),
        "adult": (-2.6, 2.0, 0.6, 0.0),
        "promo": (-1.6, 1.6, 1.0, 0.8),
        "scam": (-4.2, 2.4, 1.5, 0.0),
    }
    shared = ml_rng.normal(size=n)
    columns = {}
    for name, (intercept, slope, temperature, shift) in labels.items():
        risk = 0.6 * shared + 0.8 * ml_rng.normal(size=n)
        y = ml_rng.random(n) < sigmoid(intercept + slope * risk)
        seen = risk + 0.3 * ml_rng.normal(size=n)
        columns[name] = (y, sigmoid(intercept + temperature * slope * seen + shift))
    os.makedirs(os.path.join(HERE, "multilabel"), exist_ok=True)
    with open(os.path.join(HERE, "multilabel", "spam_categories.csv"), "w", newline="") as f:
        f.write("id," + ",".join(f"y_{k}" for k in labels) + "," + ",".join(f"p_{k}" for k in labels) + "\n")
        for i in range(n):
            ys = ",".join("1" if columns[k][0][i] else "0" for k in labels)
            ps = ",".join(repr(float(columns[k][1][i])) for k in labels)
            f.write(f"msg-{100000 + i},{ys},{ps}\n")


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def rounded_distribution(p, digits=6):
    """Rows rounded to `digits` decimals, the largest entry absorbing the rounding so each row sums to 1."""
    r = np.round(p, digits)
    top = r.argmax(axis=1)
    r[np.arange(len(r)), top] += 1 - r.sum(axis=1)
    return np.round(r, digits)


def distillation():
    own = np.random.default_rng(17_2026)
    n, k = 3_000, 10
    labels = own.integers(0, k, size=n)
    # Look-alike digits share evidence: the teacher is genuinely unsure between them.
    alike = {1: 7, 7: 1, 3: 8, 8: 3, 4: 9, 9: 4, 5: 6, 6: 5, 0: 6, 2: 7}
    teacher = own.normal(scale=0.7, size=(n, k))
    teacher[np.arange(n), labels] += 4.5
    teacher[np.arange(n), [alike[y] for y in labels]] += 3.0 * own.random(n)
    t = rounded_distribution(softmax(teacher))
    student = teacher / 1.15 + own.normal(scale=0.45, size=(n, k))
    student[:, 7] -= 0.9
    student[:, 1] += 0.3
    p = rounded_distribution(softmax(student))
    os.makedirs(os.path.join(HERE, "distillation"), exist_ok=True)
    with open(os.path.join(HERE, "distillation", "digits_distillation.csv"), "w", newline="") as f:
        f.write("id,label," + ",".join(f"t_{c}" for c in range(k)) + "," + ",".join(f"p_{c}" for c in range(k)) + "\n")
        for i in range(n):
            f.write(f"img-{i + 1},{labels[i]}," + ",".join(f"{x:.6f}" for x in t[i]) + "," + ",".join(f"{x:.6f}" for x in p[i]) + "\n")


if __name__ == "__main__":
    gates()
    class_weights()
    fraud()
    spam()
    news()
    downsampled()
    release_pair()
    spam_categories()
    distillation()
