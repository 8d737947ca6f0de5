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
  for each of its T values, the i-th (1-based) at step s_i = steps[i-1] when
  the curve has "steps" (else s_i = i), it reports the value with
  trial.report(value, s_i) (a null value is not reported, but the step still
  costs its epochs) and, for i < T, asks trial.should_prune(); a pruned trial
  is told PRUNED, a trial that reaches its last value is told its last
  non-null value.
- Epochs are counted in steps, as cairn bench schedulers counts them: a trial
  pruned at its i-th value used s_i epochs, a full curve costs s_T (a curve
  recorded every 3rd epoch and pruned at its 2nd value ran 6 epochs).
  Hyperband's max_resource is the largest step in the file.
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
                    rec["_steps"] = steps_of(rec)
                    records.append(rec)
    return records


def order_for(records, r, n):
    keyed = sorted(range(len(records)),
                   key=lambda i: hashlib.sha256(f"{r}:{records[i]['id']}".encode()).hexdigest())
    return [records[i] for i in keyed[:n]]


def steps_of(rec):
    """The step of each value: the curve's "steps" (one increasing integer per
    value, as cairn reads it), or 1, 2, ..., T when absent or null."""
    values = rec["values"]
    steps = rec.get("steps")
    if steps is None:
        return list(range(1, len(values) + 1))
    where = f"curve {rec.get('id')!r}: field 'steps'"
    if not isinstance(steps, list):
        raise ValueError(f"{where}: expected a list of integers or null")
    if len(steps) != len(values):
        raise ValueError(f"{where}: has {len(steps)} entries but 'values' has {len(values)}")
    for i, s in enumerate(steps):
        if not isinstance(s, int) or isinstance(s, bool):
            raise ValueError(f"{where}: steps[{i}] is not an integer: {s!r}")
        if i > 0 and s <= steps[i - 1]:
            raise ValueError(f"{where}: steps[{i}] = {s} does not follow {steps[i - 1]}: steps must increase")
    if steps and steps[0] < 0:
        raise ValueError(f"{where}: steps[0] = {steps[0]}: Optuna's trial.report needs steps >= 0")
    return list(steps)


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
        steps = rec["_steps"]
        secs = step_seconds(rec)
        T = len(values)
        full += steps[-1] if steps else 0  # epochs in steps, as cairn counts them
        sec_full += sum(secs)
        t0 = time.perf_counter()
        trial = study.ask()
        spent += time.perf_counter() - t0
        pruned = False
        reached = 0  # the step of the last value consumed
        for i in range(1, T + 1):
            s = steps[i - 1]
            reached = s
            sec_used += secs[i - 1]
            v = values[i - 1]
            t0 = time.perf_counter()
            if v is not None:
                trial.report(float(v), s)
            # Not asked at the last value: a stop there would save nothing.
            if i < T and trial.should_prune():
                pruned = True
            spent += time.perf_counter() - t0
            if pruned:
                break
        used += reached
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
    # The largest step (not the number of values), as cairn's max_steps.
    max_steps = max([r["_steps"][-1] for r in records if r["_steps"]] + [1])
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
        "seed": seed,
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
