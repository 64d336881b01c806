#!/usr/bin/env python3
"""The reference routing workload: events, rules for switchboard and its peers.

switchboard's own copy of the workload generator. For the same arguments it
writes byte-identical files to ../shared/bench/gen_workload.py (checked by
digest, see docs/performance.md), so figures measured from either copy are
comparable; it needs nothing outside this repository (python3 standard
library only).

Output, in --out (default /tmp/switchboard-workload):

  events.jsonl          --events events over --sessions sessions (JSON Lines)
  rules_N.yaml          the switchboard ruleset (YAML, CEL conditions)
  rules_N.jre.json      json-rules-engine rules, {type: [rule, ...]}
  rules_N.zen.json      GoRules zen-engine JDM graphs, {type: graph}
  rules_N.durable.json  durable_rules rulesets, {type: ruleset}
  rules_N.cel.json      CEL strings (cel-js), {type: [{name, expr, ...}]}
  rules_N.clp           CLIPS: one deftemplate, one defrule per rule
  expected_N.json       decision counts of the evaluator in this file
  manifest.json         parameters and the sha256 of every other file

for each N of --rules (default 10,100,1000; the N rules are the first N of a
fixed list of 1,000). Every engine gets the same semantics: an event is
checked against every rule whose `on` is its type, and each rule whose
condition holds is one decision. `--action route` (default) gives each rule
a `route` action, which switchboard makes exclusive per trigger (one route
per event, `route_decisions` in expected_N.json); `--action tag` gives a
`tag` action instead, so switchboard emits one decision per match and its
count equals the peers' (`decisions`).

Everything is a pure function of --seed, --events, --sessions and --rules:
the random draws happen in a fixed order, which is why the code below keeps
the draw order of the shared generator exactly (changing the order changes
every file).
"""

import argparse
import collections
import datetime
import hashlib
import json
import os
import random
import sys

DEFAULT_SEED = 20261123
RULE_POOL = 1000
QUEUES = 64
DAY_SECONDS = 86400
EPOCH = datetime.datetime(2026, 11, 23, tzinfo=datetime.timezone.utc)

# Weighted value tables: (value, weight). The order matters (draws walk it).
CHANNEL = [("chat", 30), ("web", 20), ("whatsapp", 15), ("voice", 15),
           ("email", 10), ("sms", 5), ("messenger", 5)]
INTENT = [("billing", 22), ("support", 18), ("sales", 14), ("shipping", 11),
          ("returns", 9), ("tech", 8), ("account", 7), ("cancel", 5),
          ("complaint", 4), ("other", 2)]
LANGUAGE = [("de", 35), ("en", 30), ("fr", 10), ("es", 8), ("it", 6),
            ("nl", 5), ("pl", 3), ("tr", 3)]
TIER = [("bronze", 45), ("silver", 30), ("gold", 17), ("platinum", 8)]
CSAT = [(1, 8), (2, 10), (3, 20), (4, 32), (5, 30)]
WORDS = {"channel": CHANNEL, "intent": INTENT, "language": LANGUAGE,
         "tier": TIER}

# The ruleset's `event:` schema, in its written order (`channel` is a
# built-in and not declared).
DECLARED = (("intent", "string"), ("language", "string"), ("tier", "string"),
            ("sentiment", "double"), ("cart_value", "double"),
            ("cart_items", "int"), ("turn", "int"), ("callers_ahead", "int"),
            ("csat", "int"))
KIND = dict(DECLARED, channel="string")

# Attributes each event type carries, besides time, type, conversation and
# channel; a rule on a type tests only these and channel.
CARRIES = collections.OrderedDict([
    ("conversation.started", ("intent", "language", "tier")),
    ("message.received", ("intent", "language", "tier", "sentiment",
                          "cart_value")),
    ("bot.turn", ("intent", "language", "sentiment", "turn")),
    ("cart.updated", ("language", "tier", "cart_items", "cart_value")),
    ("call.queued", ("intent", "language", "tier", "callers_ahead")),
    ("conversation.closed", ("tier", "sentiment", "csat")),
])

TRIGGER_SHARE = [("message.received", 35), ("conversation.started", 20),
                 ("cart.updated", 15), ("call.queued", 12), ("bot.turn", 10),
                 ("conversation.closed", 8)]
CONDITION_COUNT = [(2, 15), (3, 45), (4, 40)]
VOICE_STEP = [("call.queued", 50), ("bot.turn", 50)]
TEXT_STEP = [("message.received", 55), ("bot.turn", 20), ("cart.updated", 25)]

# Numeric thresholds per attribute (values events take too, so both sides of
# every boundary occur).
CUTS = {
    "sentiment": (-0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75),
    "cart_value": (0.0, 10.0, 25.0, 50.0, 100.0, 150.0, 250.0),
    "cart_items": (0, 1, 2, 3, 4, 6),
    "turn": (1, 2, 3, 4, 6),
    "callers_ahead": (0, 1, 2, 3, 5, 8, 13),
    "csat": (1, 2, 3, 4, 5),
}


def weighted(rng, table):
    """One value of `table`, drawn with one rng.random()."""
    x = rng.random() * sum(w for _, w in table)
    for value, w in table:
        x -= w
        if x < 0:
            return value
    return table[-1][0]


def cents(x):
    """Rounded to two decimals; -0.0 becomes 0.0."""
    return round(x, 2) + 0.0


# ------------------------------------------------------------------ events

class Session:
    """The sticky part of one conversation and the random walk of its state."""

    def __init__(self, rng, number, length):
        self.id = "c-%d" % number
        self.length = length
        self.channel = weighted(rng, CHANNEL)
        self.language = weighted(rng, LANGUAGE)
        self.tier = weighted(rng, TIER)
        self.intent = weighted(rng, INTENT)
        self.mood = rng.gauss(0.1, 0.4)
        self.prices = []
        self.turns = 0

    def event_type(self, rng, seq):
        if seq == 0:
            return "conversation.started"
        if seq == self.length - 1 and self.length >= 3:
            return "conversation.closed"
        return weighted(rng, VOICE_STEP if self.channel == "voice" else TEXT_STEP)

    def step(self, rng, seq):
        """The next event of the session (without its time)."""
        etype = self.event_type(rng, seq)
        if rng.random() < 0.2:
            self.intent = weighted(rng, INTENT)
        self.mood = min(1.0, max(-1.0, self.mood + rng.gauss(0, 0.25)))
        if etype == "cart.updated":
            if self.prices and rng.random() < 0.25:
                del self.prices[rng.randrange(len(self.prices))]
            else:
                self.prices.append(cents(rng.lognormvariate(3.3, 0.8)))
        elif etype == "bot.turn":
            self.turns += 1
        # Every value is drawn for every event, used or not (the draw order).
        values = {
            "intent": self.intent,
            "language": self.language,
            "tier": self.tier,
            "sentiment": cents(self.mood),
            "cart_value": cents(sum(self.prices)),
            "cart_items": len(self.prices),
            "turn": self.turns,
            "callers_ahead": min(30, int(rng.expovariate(0.25))),
            "csat": weighted(rng, CSAT),
        }
        event = {"time": None, "type": etype, "conversation": self.id,
                 "channel": self.channel}
        event.update((a, values[a]) for a in CARRIES[etype])
        return event


def make_events(seed, n_events, n_sessions):
    rng = random.Random(seed * 1000003 + 1)
    n_sessions = min(n_sessions, n_events)
    lengths = [1] * n_sessions
    for s in rng.choices(range(n_sessions), k=n_events - n_sessions):
        lengths[s] += 1
    timed = []
    for s in range(n_sessions):
        session = Session(rng, s + 1, lengths[s])
        t = rng.uniform(0, DAY_SECONDS * 0.9)
        for seq in range(session.length):
            timed.append((int(t), s, seq, session.step(rng, seq)))
            t += 1 + rng.expovariate(1 / 25.0)
    timed.sort(key=lambda item: item[:3])
    events = []
    for seconds, _, _, event in timed:
        stamp = EPOCH + datetime.timedelta(seconds=seconds)
        event["time"] = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        events.append(event)
    return events


# ------------------------------------------------------------------ rules

class Test:
    """One comparison of a rule: kind is eq, in, cmp or range.

    eq: attr == value;  in: attr in values;  cmp: attr OP value;
    range: lo <= attr < hi (value = lo, value2 = hi).
    """

    def __init__(self, kind, attr, value, op=None, value2=None):
        self.kind, self.attr, self.value = kind, attr, value
        self.op, self.value2 = op, value2


def word_for_rule(rng, attr):
    # Half as common as in traffic, half uniform: rare values get rules too.
    table = WORDS[attr]
    return weighted(rng, table) if rng.random() < 0.5 else rng.choice(table)[0]


def make_test(rng, attr):
    if KIND[attr] == "string":
        if rng.random() < 0.6:
            return Test("eq", attr, word_for_rule(rng, attr))
        want = 2 if rng.random() < 0.7 else 3
        values = []
        while len(values) < want:
            v = word_for_rule(rng, attr)
            if v not in values:
                values.append(v)
        return Test("in", attr, values)
    cuts = CUTS[attr]
    if rng.random() < 0.4:
        op = rng.choice(["<", "<=", ">", ">="])
        pool = {"<": cuts[1:], ">": cuts[:-1]}.get(op, cuts)
        return Test("cmp", attr, rng.choice(pool), op=op)
    i = rng.randrange(len(cuts) - 1)
    j = min(len(cuts) - 1, i + rng.choice([1, 1, 2]))
    return Test("range", attr, cuts[i], value2=cuts[j])


class Rule:
    """One generated rule: name, priority, on, tests, queue, route_priority."""
    __slots__ = ("name", "priority", "on", "tests", "queue", "route_priority")


def make_rules(seed):
    rng = random.Random(seed * 1000003 + 2)
    rules = []
    for index in range(RULE_POOL):
        on = weighted(rng, TRIGGER_SHARE)
        candidates = list(CARRIES[on]) + ["channel"]
        k = min(len(candidates), weighted(rng, CONDITION_COUNT))
        tests = [make_test(rng, a) for a in rng.sample(candidates, k)]
        rule = Rule()
        rule.name = "r%04d" % (index + 1)
        rule.priority = rng.randint(1, 100)
        rule.on = on
        rule.tests = tests
        rule.queue = "q%02d" % (index % QUEUES)
        rule.route_priority = rng.randint(1, 10)
        rules.append(rule)
    return rules


def rules_by_type(rules):
    """{type: [rules]} in CARRIES order, types without rules left out."""
    groups = collections.OrderedDict((t, []) for t in CARRIES)
    for r in rules:
        groups[r.on].append(r)
    return collections.OrderedDict((t, rs) for t, rs in groups.items() if rs)


# ------------------------------------------------------------------ formats

def number(attr, x):
    """A literal of the attribute's numeric type: 50.0 (double) or 3 (int)."""
    return repr(float(x)) if KIND[attr] == "double" else str(int(x))


def quoted(s, q):
    return q + s.replace("\\", "\\\\").replace(q, "\\" + q) + q


def cel(rule):
    out = []
    for t in rule.tests:
        ref = "event." + t.attr
        if t.kind == "eq":
            out.append("%s == %s" % (ref, quoted(t.value, "'")))
        elif t.kind == "in":
            out.append("%s in [%s]" % (
                ref, ", ".join(quoted(v, "'") for v in t.value)))
        elif t.kind == "cmp":
            out.append("%s %s %s" % (ref, t.op, number(t.attr, t.value)))
        else:
            out.append("%s >= %s && %s < %s" % (
                ref, number(t.attr, t.value), ref, number(t.attr, t.value2)))
    return " && ".join(out)


def yaml_text(rules, action, name):
    out = ["# generated by gen_workload.py -- do not edit",
           "ruleset: " + name, "session:", "  key: conversation", "event:"]
    out += ["  %s: %s" % pair for pair in DECLARED]
    if action == "route":
        out.append("queues:")
        out += ["  %s: {skills: {routing: 1}}" % q
                for q in sorted(set(r.queue for r in rules))]
    out.append("rules:")
    for r in rules:
        out += ["  - name: " + r.name,
                "    priority: %d" % r.priority,
                "    on: " + r.on,
                '    if: "%s"' % cel(r),
                "    then:"]
        if action == "route":
            out.append("      - route: {queue: %s, priority: %d}"
                       % (r.queue, r.route_priority))
        else:
            out.append("      - tag: [%s]" % r.queue)
    return "\n".join(out) + "\n"


JRE_OP = {"<": "lessThan", "<=": "lessThanInclusive", ">": "greaterThan",
          ">=": "greaterThanInclusive"}


def jre(rules):
    def conditions(r):
        out = []
        for t in r.tests:
            if t.kind == "eq":
                out.append({"fact": t.attr, "operator": "equal", "value": t.value})
            elif t.kind == "in":
                out.append({"fact": t.attr, "operator": "in",
                            "value": list(t.value)})
            elif t.kind == "cmp":
                out.append({"fact": t.attr, "operator": JRE_OP[t.op],
                            "value": t.value})
            else:
                out.append({"fact": t.attr, "operator": "greaterThanInclusive",
                            "value": t.value})
                out.append({"fact": t.attr, "operator": "lessThan",
                            "value": t.value2})
        return out
    return {etype: [{"name": r.name,
                     "conditions": {"all": conditions(r)},
                     "event": {"type": "route",
                               "params": {"rule": r.name, "queue": r.queue,
                                          "priority": r.route_priority}}}
                    for r in rs]
            for etype, rs in rules_by_type(rules).items()}


def zen_number(x):
    return repr(x) if isinstance(x, float) else str(x)


def zen_cell(t):
    if t.kind == "eq":
        return json.dumps(t.value)
    if t.kind == "in":
        return ", ".join(json.dumps(v) for v in t.value)
    if t.kind == "cmp":
        return "%s %s" % (t.op, zen_number(t.value))
    return "[%s..%s)" % (zen_number(t.value), zen_number(t.value2))


def zen(rules):
    graphs = {}
    for etype, rs in rules_by_type(rules).items():
        columns = []
        for r in rs:
            for t in r.tests:
                if t.attr not in columns:
                    columns.append(t.attr)
        rows = []
        for r in rs:
            row = {"_id": r.name}
            row.update(("in_" + c, "") for c in columns)
            row.update(("in_" + t.attr, zen_cell(t)) for t in r.tests)
            row["out_rule"] = json.dumps(r.name)
            row["out_queue"] = json.dumps(r.queue)
            row["out_priority"] = str(r.route_priority)
            rows.append(row)
        table = {
            "hitPolicy": "collect",
            "inputs": [{"id": "in_" + c, "name": c, "type": "expression",
                        "field": c} for c in columns],
            "outputs": [{"id": "out_" + f, "name": f, "type": "expression",
                         "field": f} for f in ("rule", "queue", "priority")],
            "rules": rows,
        }
        graphs[etype] = {
            "contentType": "application/vnd.gorules.decision",
            "nodes": [
                {"id": "request", "type": "inputNode", "name": "Request",
                 "position": {"x": 0, "y": 0}},
                {"id": "table", "type": "decisionTableNode",
                 "name": "routing_" + etype, "position": {"x": 300, "y": 0},
                 "content": table},
                {"id": "response", "type": "outputNode", "name": "Response",
                 "position": {"x": 600, "y": 0}},
            ],
            "edges": [
                {"id": "e1", "sourceId": "request", "targetId": "table",
                 "type": "edge"},
                {"id": "e2", "sourceId": "table", "targetId": "response",
                 "type": "edge"},
            ],
        }
    return graphs


DURABLE_OP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


def durable(rules):
    def terms(r):
        out = []
        for t in r.tests:
            if t.kind == "eq":
                out.append({t.attr: t.value})
            elif t.kind == "in":
                out.append({"$or": [{t.attr: v} for v in t.value]})
            elif t.kind == "cmp":
                out.append({DURABLE_OP[t.op]: {t.attr: t.value}})
            else:
                out.append({"$gte": {t.attr: t.value}})
                out.append({"$lt": {t.attr: t.value2}})
        return out
    return {etype: {r.name: {"all": [{"m": {"$and": terms(r)}}]} for r in rs}
            for etype, rs in rules_by_type(rules).items()}


def cel_json(rules):
    return {etype: [{"name": r.name, "expr": cel(r), "queue": r.queue,
                     "priority": r.route_priority} for r in rs]
            for etype, rs in rules_by_type(rules).items()}


def clips_text(rules):
    slots = ["type", "conversation", "channel"] + [a for a, _ in DECLARED]
    out = [";; generated by gen_workload.py -- do not edit",
           "(defglobal ?*decisions* = 0)",
           "(deftemplate event %s)" % " ".join("(slot %s)" % s for s in slots)]
    for r in rules:
        patterns = ["(type %s)" % quoted(r.on, '"')]
        for j, t in enumerate(r.tests):
            var = "?v%d" % j
            if t.kind == "eq":
                patterns.append("(%s %s)" % (t.attr, quoted(t.value, '"')))
            elif t.kind == "in":
                patterns.append("(%s %s)" % (
                    t.attr, "|".join(quoted(v, '"') for v in t.value)))
            elif t.kind == "cmp":
                patterns.append("(%s %s&:(%s %s %s))" % (
                    t.attr, var, t.op, var, number(t.attr, t.value)))
            else:
                patterns.append("(%s %s&:(>= %s %s)&:(< %s %s))" % (
                    t.attr, var, var, number(t.attr, t.value), var,
                    number(t.attr, t.value2)))
        out.append("(defrule %s (event %s) => (bind ?*decisions* "
                   "(+ ?*decisions* 1)))" % (r.name, " ".join(patterns)))
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ expected counts

def holds(t, event):
    v = event[t.attr]
    if t.kind == "eq":
        return v == t.value
    if t.kind == "in":
        return v in t.value
    if t.kind == "range":
        return t.value <= v < t.value2
    return {"<": v < t.value, "<=": v <= t.value, ">": v > t.value,
            ">=": v >= t.value}[t.op]


def expected(rules, events):
    """Decision counts by direct evaluation (independent of every engine)."""
    groups = rules_by_type(rules)
    per_rule = dict((r.name, 0) for r in rules)
    per_type = {}
    decisions = matched_events = 0
    for event in events:
        hits = [r for r in groups.get(event["type"], ())
                if all(holds(t, event) for t in r.tests)]
        if not hits:
            continue
        decisions += len(hits)
        matched_events += 1
        per_type[event["type"]] = per_type.get(event["type"], 0) + len(hits)
        for r in hits:
            per_rule[r.name] += 1
    return {
        "rules": len(rules),
        "events": len(events),
        "decisions": decisions,
        "route_decisions": matched_events,
        "decisions_per_type": per_type,
        "rules_never_matching": sorted(n for n, c in per_rule.items() if c == 0),
        "max_rule_priority": max((r.priority for r in rules), default=0),
    }


# ------------------------------------------------------------------ main

def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def write_json(path, obj):
    write(path, json.dumps(obj, indent=1) + "\n")


def main(argv):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/switchboard-workload")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--sessions", type=int, default=20000)
    ap.add_argument("--rules", default="10,100,1000",
                    help="comma-separated rule counts, each 1..%d" % RULE_POOL)
    ap.add_argument("--action", choices=["route", "tag"], default="route",
                    help="the action of every rule in rules_N.yaml")
    ap.add_argument("--no-expected", action="store_true",
                    help="do not write expected_N.json")
    args = ap.parse_args(argv)
    counts = [int(x) for x in args.rules.split(",") if x]
    if not all(1 <= n <= RULE_POOL for n in counts):
        ap.error("rule counts must be in 1..%d" % RULE_POOL)
    os.makedirs(args.out, exist_ok=True)

    events = make_events(args.seed, args.events, args.sessions)
    with open(os.path.join(args.out, "events.jsonl"), "w") as f:
        for e in events:
            f.write(json.dumps(e, separators=(",", ":")))
            f.write("\n")
    pool = make_rules(args.seed)
    for n in counts:
        rules = pool[:n]
        base = os.path.join(args.out, "rules_%d" % n)
        write(base + ".yaml", yaml_text(rules, args.action,
                                        "bench_routing_%d" % n))
        write_json(base + ".jre.json", jre(rules))
        write_json(base + ".zen.json", zen(rules))
        write_json(base + ".durable.json", durable(rules))
        write_json(base + ".cel.json", cel_json(rules))
        write(base + ".clp", clips_text(rules))
        if args.no_expected:
            continue
        exp = expected(rules, events)
        write_json(os.path.join(args.out, "expected_%d.json" % n), exp)
        sys.stderr.write(
            "N=%d: %d decisions (%.3f per event), %d route decisions, "
            "%d rules never match\n" % (
                n, exp["decisions"], exp["decisions"] / max(1, len(events)),
                exp["route_decisions"], len(exp["rules_never_matching"])))
    manifest = {"seed": args.seed, "events": len(events),
                "sessions": min(args.sessions, args.events), "rules": counts,
                "action": args.action, "files": {}}
    for name in sorted(os.listdir(args.out)):
        if name != "manifest.json":
            manifest["files"][name] = digest(os.path.join(args.out, name))
    write_json(os.path.join(args.out, "manifest.json"), manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
