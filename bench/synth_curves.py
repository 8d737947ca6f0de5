#!/usr/bin/python3
"""Synthetic learning curves for checking early-stopping rules on curves of a
kind the development files do not hold (docs/schedulers.md, "Synthetic
NAS-like curves", says what each parameter assumes and how it was calibrated).

Kinds (one task per file):
  nas-cosine : NAS-Bench-201-like, 200 epochs, cosine LR, CIFAR-10 val acc (%)
  nas-step   : same architectures' statistics, step decay x0.1 at epochs 100, 150
  lcbench    : LCBench-like MLP on a tabular task, 50 epochs, cosine LR, val acc (%)

Usage: synth_curves.py KIND N SEED OUT.jsonl.gz [--seeds-per-arch K] [key=value ...]
key=value overrides an entry of P below (nas-*) or of LC (lcbench); P's
defaults are the calibrated ones.
"""
import gzip
import json
import math
import sys

import numpy as np

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]

P = dict(
    # architecture quality: final = top - X, X ~ lognormal(log(x_med), x_sig)
    top=94.4, x_med=5.0, x_sig=0.85,
    p_never=0.06,        # never learn: stay near 10 %
    p_late=0.05,         # learn late: stuck near 10 % for d ~ U(late_lo, late_hi) epochs
    late_lo=5, late_hi=60,
    jump=9.0, jump_sig=0.03,   # cosine: pre-anneal level = final - jump_i (pp)
    tau_med=10.0, tau_sig=0.8,  # learning-speed time constant (epochs)
    speed_corr=0.9,      # correlation between log-speed and quality
    noise_med=0.3, noise_sig=0.4,  # high-LR noise sd (pp), per arch
    noise_late=0.12,     # noise sd at LR -> 0
    ar=0.5,              # AR(1) coefficient of the noise
    p_dip=0.002, dip=6.0,  # per-epoch probability / mean size of a high-LR dip
    seed_sd=0.25,        # seed-to-seed sd of the final (pp), same arch
    anneal_q=2.5,        # cosine: gain follows (1 - lr)^q
    start_lo=0.25, start_hi=0.35,  # epoch-0 level as a fraction of the way from chance to pre-anneal level
)


def arch_string(rng):
    e = rng.integers(0, len(OPS), 6)
    o = [OPS[i] for i in e]
    return f"|{o[0]}~0|+|{o[1]}~0|{o[2]}~1|+|{o[3]}~0|{o[4]}~1|{o[5]}~2|"


def ar_noise(rng, T, phi):
    e = rng.standard_normal(T)
    x = np.empty(T)
    x[0] = e[0]
    s = math.sqrt(1 - phi * phi)
    for t in range(1, T):
        x[t] = phi * x[t - 1] + s * e[t]
    return x


def latent_arch(rng):
    """Per-architecture latents shared by its seeds."""
    u = rng.random()
    kind = "never" if u < P["p_never"] else ("late" if u < P["p_never"] + P["p_late"] else "normal")
    z = rng.standard_normal()  # quality score: low z = good
    X = min(P["x_med"] * math.exp(P["x_sig"] * z), 80.0)
    final = P["top"] - X
    # speed: better archs tend to learn faster (corr speed_corr)
    zs = P["speed_corr"] * z + math.sqrt(1 - P["speed_corr"] ** 2) * rng.standard_normal()
    tau = P["tau_med"] * math.exp(P["tau_sig"] * zs)
    jump_f = math.exp(P["jump_sig"] * rng.standard_normal())
    noise = P["noise_med"] * math.exp(P["noise_sig"] * rng.standard_normal())
    delay = int(rng.integers(P["late_lo"], P["late_hi"] + 1)) if kind == "late" else 0
    if kind == "late":
        final -= 0.02 * delay * rng.random()  # late starters lose a little
    return dict(kind=kind, final=final, tau=tau, jump_f=jump_f, noise=noise, delay=delay,
                arch=arch_string(rng))


def lr_cosine(t, T):
    return 0.5 * (1 + np.cos(np.pi * t / T))


def lr_step(t, T):
    return np.where(t < 100, 1.0, np.where(t < 150, 0.1, 0.01))


def nas_curve(rng, a, schedule, T=200):
    t = np.arange(1, T + 1, dtype=float)
    final = a["final"] + P["seed_sd"] * rng.standard_normal()
    chance = 10.0
    if a["kind"] == "never":
        # flat near chance; a few hover a bit above it and fall back
        v = chance + 0.3 * ar_noise(rng, T, 0.3) + np.abs(rng.normal(0, 0.6)) * (rng.random(T) < 0.1)
        return np.clip(v, 0, 100)
    lr = lr_cosine(t, T) if schedule == "cosine" else lr_step(t, T)
    J = P["jump"] * a["jump_f"] * max(final - chance, 0) / (P["top"] - chance)
    if schedule == "step":
        J1, J2 = 0.85 * J, 0.15 * J
        pre = final - J
        ann = J1 * (1 - np.exp(-np.clip(t - 100, 0, None) / 1.5)) * (t > 100) \
            + J2 * (1 - np.exp(-np.clip(t - 150, 0, None) / 1.5)) * (t > 150)
        # mild overfitting drift between the two decays for some archs
        d = rng.normal(-0.3, 0.4)
        drift = d * np.clip((t - 100) / 50, 0, 1) * (t > 100)  # held after epoch 150
        ann = ann + drift
    else:
        pre = final - J
        ann = J * (1 - lr) ** P["anneal_q"]
    # rise from about chance to the pre-anneal level
    start = chance + (pre - chance) * rng.uniform(P["start_lo"], P["start_hi"])
    ts = np.clip(t - a["delay"], 0, None)
    rise = pre - (pre - start) * np.exp(-ts / a["tau"])
    base = np.where(t <= a["delay"], chance, rise)
    base = base + ann
    # noise: larger at high LR and early, small when annealed
    early = 1 + 1.0 * np.exp(-ts / 8.0)
    sd = a["noise"] * np.sqrt(lr) * early + P["noise_late"]
    sd = np.where(t <= a["delay"], 0.3, sd)
    v = base + sd * ar_noise(rng, T, P["ar"])
    dips = (rng.random(T) < P["p_dip"] * lr) & (t > a["delay"])
    v = v - dips * rng.exponential(P["dip"], T) * np.sqrt(lr)
    return np.clip(v, 0, 100)


LC = dict(floor=52.0, top=86.5, x_med=6.0, x_sig=1.0, p_div=0.12, tau_med=4.0, tau_sig=0.7,
          noise_med=0.8, noise_sig=0.5, jump=1.2, p_overfit=0.2)


def lc_curve(rng, T=50):
    t = np.arange(1, T + 1, dtype=float)
    lr = lr_cosine(t, T)
    if rng.random() < LC["p_div"]:
        # diverged / predicts the majority class
        v = LC["floor"] + 0.2 * ar_noise(rng, T, 0.5) * (rng.random() < 0.5)
        return np.clip(v, 0, 100), dict(kind="diverged")
    z = rng.standard_normal()
    X = min(LC["x_med"] * math.exp(LC["x_sig"] * z), LC["top"] - LC["floor"] - 0.5)
    final = LC["top"] - X
    tau = LC["tau_med"] * math.exp(LC["tau_sig"] * (0.3 * z + 0.95 * rng.standard_normal()))
    J = LC["jump"] * math.exp(0.5 * rng.standard_normal())
    pre = final - J
    start = LC["floor"] + (pre - LC["floor"]) * rng.uniform(0.0, 0.7)
    base = pre - (pre - start) * np.exp(-(t - 1) / tau) + J * (1 - lr) ** 2
    if rng.random() < LC["p_overfit"]:
        # peaks then declines (overfitting); the final is below the peak
        peak_t = rng.uniform(10, 40)
        base = base - rng.uniform(0.5, 4.0) * np.clip((t - peak_t) / (T - peak_t), 0, None)
    noise = LC["noise_med"] * math.exp(LC["noise_sig"] * rng.standard_normal())
    sd = noise * (0.3 + 0.7 * np.sqrt(lr)) * (1 + np.exp(-(t - 1) / 5))
    v = base + sd * ar_noise(rng, T, 0.3)
    return np.clip(v, 0, 100), dict(kind="normal")


def main(argv):
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return
    if len(argv) < 4 or argv[0] not in ("nas-cosine", "nas-step", "lcbench"):
        sys.exit(__doc__)
    if not (argv[1].isdigit() and argv[2].isdigit()):
        sys.exit(f"synth_curves.py: N and SEED must be non-negative integers, got {argv[1]!r} {argv[2]!r}")
    kind, n, seed, out = argv[0], int(argv[1]), int(argv[2]), argv[3]
    spa = 1
    rest = argv[4:]
    if "--seeds-per-arch" in rest:
        i = rest.index("--seeds-per-arch")
        spa = int(rest[i + 1])
        rest = rest[:i] + rest[i + 2:]
    params = LC if kind == "lcbench" else P
    for kv in rest:
        k, sep, v = kv.partition("=")
        if not sep or k not in params:
            sys.exit(f"synth_curves.py: unknown parameter {kv!r} for {kind}; expected key=value "
                     f"with a key of {sorted(params)}")
        params[k] = float(v)
    rng = np.random.default_rng(seed)
    task = f"{kind}-g{seed}" + (f"-s{spa}" if spa > 1 else "")
    opener = gzip.open if out.endswith(".gz") else open
    with opener(out, "wt", encoding="utf-8") as f:
        k = 0
        while k < n:
            if kind in ("nas-cosine", "nas-step"):
                a = latent_arch(rng)
                for s in range(spa):
                    if k >= n:
                        break
                    v = nas_curve(rng, a, "cosine" if kind == "nas-cosine" else "step")
                    rec = {"id": f"synth/{task}/{k}", "params": {"arch": a["arch"]},
                           "metric": "val_acc", "mode": "max",
                           "values": [round(float(x), 3) for x in v], "seconds": None,
                           "seed": 777 + 111 * s, "latent_kind": a["kind"]}
                    f.write(json.dumps(rec) + "\n")
                    k += 1
            else:
                v, info = lc_curve(rng)
                params = {"lr": float(10 ** rng.uniform(-4, -1)), "batch_size": int(2 ** rng.integers(4, 10)),
                          "num_layers": int(rng.integers(1, 6)), "max_units": int(2 ** rng.integers(6, 11)),
                          "dropout": float(rng.uniform(0, 1)), "weight_decay": float(10 ** rng.uniform(-5, -1))}
                rec = {"id": f"synth/{task}/{k}", "params": params, "metric": "val_acc", "mode": "max",
                       "values": [round(float(x), 3) for x in v], "seconds": None,
                       "latent_kind": info["kind"]}
                f.write(json.dumps(rec) + "\n")
                k += 1


if __name__ == "__main__":
    main(sys.argv[1:])
