#!/usr/bin/python3
"""Optuna as the peer of `npm run bench:search`: asks Optuna's samplers for configs, and gets back the
figures the TypeScript side replayed from the table (so both sides use the same replay rule and the
same objective). One JSON object per line on stdin, one answer per line on stdout:

  {"op": "study", "sampler": "tpe"|"random", "seed": N, "direction": "minimize"|"maximize",
   "params": [{"name", "type", "choices"?, "low"?, "high"?, "step"?, "log"?, "when"?}, ...],
   "enqueue": [config, ...]}                 -> {"ok": true}
  {"op": "ask"}                              -> {"config": {...}}   (searched knobs only)
  {"op": "tell", "value": x|null, "violation": v}  -> {"ok": true}  (null: the trial failed)
  {"op": "version"}                          -> {"optuna": "3.1.0"}

The params come in condition order (a knob named in a `when` comes before the knobs it governs), so
define-by-run suggests exactly the knobs that are active. TPE gets the constraint (violation > 0 is
infeasible) through constraints_func, as Optuna's constrained TPE expects.
Run with Debian's python3-optuna: /usr/bin/python3 scripts/bench/optuna_driver.py
"""

import json
import sys
import warnings

warnings.filterwarnings("ignore")
import optuna  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def constraints(trial):
    return trial.user_attrs.get("constraint", [1.0])


def make_sampler(name, seed):
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, constraints_func=constraints)


def active(param, config):
    for knob, allowed in (param.get("when") or {}).items():
        values = allowed if isinstance(allowed, list) else [allowed]
        if config.get(knob) not in values:
            return False
    return True


def suggest(trial, params):
    config = {}
    for p in params:
        if not active(p, config):
            continue
        name, kind = p["name"], p["type"]
        if kind in ("categorical", "bool"):
            config[name] = trial.suggest_categorical(name, p["choices"])
        elif kind == "int":
            step = p.get("step") or 1
            config[name] = trial.suggest_int(name, int(p["low"]), int(p["high"]), step=step, log=bool(p.get("log")) and step == 1)
        else:
            step = p.get("step")
            if step:
                config[name] = trial.suggest_float(name, p["low"], p["high"], step=step)
            else:
                config[name] = trial.suggest_float(name, p["low"], p["high"], log=bool(p.get("log")))
    return config


def main():
    study = None
    params = []
    trial = None
    for line in sys.stdin:
        msg = json.loads(line)
        op = msg["op"]
        if op == "version":
            answer = {"optuna": optuna.__version__}
        elif op == "study":
            params = msg["params"]
            study = optuna.create_study(direction=msg["direction"], sampler=make_sampler(msg["sampler"], msg["seed"]))
            for config in msg.get("enqueue", []):
                study.enqueue_trial(config)
            answer = {"ok": True}
        elif op == "ask":
            trial = study.ask()
            answer = {"config": suggest(trial, params)}
        elif op == "tell":
            if msg["value"] is None:
                trial.set_user_attr("constraint", [1.0])
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                trial.set_user_attr("constraint", [float(msg["violation"])])
                study.tell(trial, msg["value"])
            answer = {"ok": True}
        else:
            answer = {"error": "unknown op " + op}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
