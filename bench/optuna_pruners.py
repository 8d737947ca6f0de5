#!/usr/bin/python3
"""Optuna's pruners on a replay curve file: the peer of `cairn bench schedulers`.

Runs Optuna's MedianPruner, SuccessiveHalvingPruner, HyperbandPruner and
NopPruner on the same trial orders as Cairn's scheduler benchmark and prints
the same JSON shape (see docs/replay.md for the protocol and the metrics).

    /usr/bin/python3 bench/optuna_pruners.py --curves FILE --trials 200 \
        --repeats 5 --seed 0 --json

Protocol (fixed so that the numbers are reproducible):
- Orders: for repeat r in seed..seed+repeats-1, the file's configurations
  sorted by the hex SHA-256 digest of "<r>:<id>" (ties in file order), first n.
- Trials run one after another with an in-memory study (fixed study name,
  since Hyperband assigns brackets by hashing it). Trial t replays order[t]:
  for each step s = 1..T it reports the value with trial.report(value, s)
  (a null value is not reported, but the step still costs an epoch) and, for
  s < T, asks trial.should_prune(); a pruned trial is told PRUNED, a trial that
  reaches step T is told its last non-null value.
"""

import argparse
import gzip
import hashlib
import json
import math
import sys
import time

import optuna

STUDY_NAME = "optuna-pruners"


def read_curves(path):
    """The file's curves that ran to their end: a curve whose "state" says it
    was cut short (a Cairn export's stopped or failed trial) has no final value
    and is left out, as cairn bench schedulers leaves it out."""
    opener = gzip.open if path.endswith(".gz") else open
    records = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                if rec.get("state", "completed") == "completed":
                    records.append(rec)
    return records


def order_for(records, r, n):
    keyed = sorted(range(len(records)),
                   key=lambda i: hashlib.sha256(f"{r}:{records[i]['id']}".encode()).hexdigest())
    return [records[i] for i in keyed[:n]]


def final_value(values):
    """The last non-null value, or None when the curve has none."""
    for v in reversed(values):
        if v is not None and math.isfinite(v):
            return v
    return None


def step_seconds(rec):
    """Per-step seconds; one unit per step when the file has no timings."""
    s = rec.get("seconds")
    n = len(rec["values"])
    if isinstance(s, list):
        return [float(x) for x in s]
    if isinstance(s, (int, float)):
        return [float(s)] * n
    return [1.0] * n


def make_pruner(name, max_steps):
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    if name == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_steps)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(name)


def run_study(order, pruner_name, direction, max_steps, study_name):
    """Replays `order` under one pruner; returns the per-study metrics."""
    pruner = make_pruner(pruner_name, max_steps)
    spent = 0.0
    t0 = time.perf_counter()
    study = optuna.create_study(study_name=study_name, direction=direction,
                                pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0))
    spent += time.perf_counter() - t0
    used = full = 0
    sec_used = sec_full = 0.0
    found = []
    for rec in order:
        values = rec["values"]
        secs = step_seconds(rec)
        T = len(values)
        full += T
        sec_full += sum(secs)
        t0 = time.perf_counter()
        trial = study.ask()
        spent += time.perf_counter() - t0
        pruned = False
        for s in range(1, T + 1):
            used += 1
            sec_used += secs[s - 1]
            v = values[s - 1]
            t0 = time.perf_counter()
            if v is not None:
                trial.report(float(v), s)
            if s < T and trial.should_prune():
                pruned = True
            spent += time.perf_counter() - t0
            if pruned:
                break
        final = final_value(values)
        t0 = time.perf_counter()
        if pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        elif final is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, final)
        spent += time.perf_counter() - t0
        if not pruned and final is not None:
            found.append(final)
    return used, full, sec_used, sec_full, found, spent


def regret_of(order, found, direction):
    finals = [v for v in (final_value(r["values"]) for r in order) if v is not None]
    pick = max if direction == "maximize" else min
    best, worst = pick(finals), (min if pick is max else max)(finals)
    if not found:
        regret = abs(best - worst)
    else:
        regret = abs(best - pick(found))
    spread = abs(best - worst)
    return regret, (regret / spread if spread > 0 else 0.0)


def bench(records, n, repeats, seed, pruners, study_name=STUDY_NAME):
    mode = records[0].get("mode", "max")
    direction = "maximize" if mode in ("max", "maximize") else "minimize"
    max_steps = max(len(r["values"]) for r in records)
    rows = []
    for name in pruners:
        acc = dict(used=0.0, full=0.0, saved=0.0, regret=0.0, regret_norm=0.0, found=0.0,
                   seconds=0.0, sec_used=0.0, sec_full=0.0)
        for r in range(seed, seed + repeats):
            order = order_for(records, r, n)
            used, full, sec_used, sec_full, found, spent = run_study(
                order, name, direction, max_steps, study_name)
            regret, regret_norm = regret_of(order, found, direction)
            acc["used"] += used
            acc["full"] += full
            acc["saved"] += 1.0 - used / full if full else 0.0
            acc["regret"] += regret
            acc["regret_norm"] += regret_norm
            acc["found"] += 1.0 if regret == 0 else 0.0
            acc["seconds"] += spent
            acc["sec_used"] += sec_used
            acc["sec_full"] += sec_full
        k = float(repeats)
        rows.append({
            "name": "optuna-" + name,
            "saved_fraction": round(acc["saved"] / k, 4),
            "regret": round(acc["regret"] / k, 6),
            "regret_norm": round(acc["regret_norm"] / k, 6),
            "found_best": round(acc["found"] / k, 4),
            "epochs_used": round(acc["used"] / k, 1),
            "epochs_full": round(acc["full"] / k, 1),
            "seconds": round(acc["seconds"] / k, 3),
            "seconds_saved_fraction": round(
                1.0 - acc["sec_used"] / acc["sec_full"] if acc["sec_full"] else 0.0, 4),
        })
    return {
        "curves": None,
        "n": n,
        "repeats": repeats,
        "workers": 1,
        "metric": records[0].get("metric", ""),
        "mode": "max" if direction == "maximize" else "min",
        "optuna": optuna.__version__,
        "schedulers": rows,
    }


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--curves", required=True, help="curve file (.jsonl or .jsonl.gz)")
    p.add_argument("--trials", type=int, default=200, help="configurations per study (n)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=0, help="first repeat's order seed")
    p.add_argument("--pruners", default="median,successive_halving,hyperband,none",
                   help="comma-separated subset of median,successive_halving,hyperband,none")
    p.add_argument("--study-name", default=STUDY_NAME,
                   help="Optuna study name (Hyperband's brackets depend on it)")
    p.add_argument("--json", action="store_true", help="print JSON (the default output)")
    args = p.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        records = read_curves(args.curves)
    except (OSError, ValueError) as e:
        print(f"{args.curves}: {e}", file=sys.stderr)
        return 2
    if not records:
        print(f"{args.curves}: no curves", file=sys.stderr)
        return 2
    if args.trials <= 0 or args.repeats <= 0:
        print("--trials and --repeats must be positive", file=sys.stderr)
        return 2
    out = bench(records, min(args.trials, len(records)), args.repeats, args.seed,
                [s for s in args.pruners.split(",") if s], args.study_name)
    out["curves"] = args.curves
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
