#!/usr/bin/env python3
"""CLIPS (Debian `clips`, 6.30, RETE in C) as a peer of bench/compare.

rules_N.clp (bench/gen_workload.py) declares a template `event` and one
defrule per rule; each fired rule adds one to ?*decisions*. The events are
turned into CLIPS fact text here, before CLIPS starts (CLIPS reads no JSON).
Each pass runs in its own `clips` process and is timed inside CLIPS with
(time):
  preparsed  the events are (assert ...) calls compiled into deffunctions at
             load time: per event assert, (run), retract
  withparse  each event is one line of fact text: (readline), (assert-string),
             (run), retract -- CLIPS parses the text while timed
CLIPS has no clock fine enough for one event, so p50/p99 are null. Peak RSS
is that of the CLIPS processes (getrusage of the children). Prints one JSON
line (the protocol of harness.js) and a summary on stderr.

  run_clips.py --workload DIR --n N [--limit L] [--passes P] [--warmup W]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile

FUNCTION_SIZE = 500  # asserts per generated deffunction


def atom(value):
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


def fact(event):
    return "(event %s)" % " ".join(
        "(%s %s)" % (k, atom(v)) for k, v in event.items() if k != "time")


def version():
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", "clips"],
                              capture_output=True, text=True,
                              check=True).stdout.strip() or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_script(path):
    proc = subprocess.run(["clips", "-f", path], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            decisions, load_s, run_s = line.split()[1:4]
            return int(decisions), float(load_s), float(run_s)
    sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-2000:])
    raise SystemExit("clips failed on " + path)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--passes", default="preparsed,withparse")
    ap.add_argument("--warmup", type=int, default=0, help="ignored")
    args = ap.parse_args(argv)

    events = []
    with open(os.path.join(args.workload, "events.jsonl")) as f:
        for line in f:
            if line.strip():
                events.append(json.loads(line))
    if args.limit:
        events = events[:args.limit]
    rules = os.path.abspath(os.path.join(args.workload, "rules_%d.clp" % args.n))
    out = {"peer": "CLIPS", "version": version(), "n_rules": args.n,
           "events": len(events), "load_ms": None}
    passes = args.passes.split(",")
    with tempfile.TemporaryDirectory(prefix="switchboard-clips-") as tmp:
        facts = os.path.join(tmp, "events.facts")
        with open(facts, "w") as f:
            f.writelines(fact(e) + "\n" for e in events)
        compiled = os.path.join(tmp, "events.clp")
        functions = 0
        with open(compiled, "w") as f:
            for start in range(0, len(events), FUNCTION_SIZE):
                f.write("(deffunction feed-%d ()\n" % functions)
                for e in events[start:start + FUNCTION_SIZE]:
                    f.write("  (bind ?f (assert %s)) (run) (retract ?f)\n"
                            % fact(e))
                f.write(")\n")
                functions += 1
        for name in passes:
            body = ['(bind ?t0 (time))', '(load "%s")' % rules,
                    '(bind ?t1 (time))']
            if name == "preparsed":
                body += ['(load "%s")' % compiled, "(bind ?t2 (time))"]
                body += ["(feed-%d)" % k for k in range(functions)]
            elif name == "withparse":
                body += ['(open "%s" events "r")' % facts, "(bind ?t2 (time))",
                         "(bind ?line (readline events))",
                         "(while (neq ?line EOF) do (bind ?f (assert-string "
                         "?line)) (run) (retract ?f) (bind ?line (readline "
                         "events)))",
                         "(close events)"]
            else:
                raise SystemExit("unknown pass " + name)
            body += ["(bind ?t3 (time))",
                     '(printout t "RESULT " ?*decisions* " " (- ?t1 ?t0) " " '
                     '(- ?t3 ?t2) crlf)', "(exit)"]
            script = os.path.join(tmp, "drive_%s.clp" % name)
            with open(script, "w") as f:
                f.write("\n".join(body) + "\n")
            decisions, load_s, run_s = run_script(script)
            out["load_ms"] = round(load_s * 1000, 1)
            out[name] = {
                "events_per_s": round(len(events) / run_s) if run_s > 0 else None,
                "mean_us": round(run_s / max(1, len(events)) * 1e6, 4),
                "p50_us": None, "p99_us": None, "p999_us": None,
                "total_s": round(run_s, 4), "decisions": decisions}
    out["decisions"] = out[passes[0]]["decisions"]
    out["decisions_agree_between_passes"] = all(
        out[p]["decisions"] == out["decisions"] for p in passes)
    out["vmhwm_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps(out))
    sys.stderr.write("CLIPS N=%d: %s ev/s, decisions %d, peak RSS %d kB\n" % (
        args.n, out[passes[0]]["events_per_s"], out["decisions"],
        out["vmhwm_kb"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
