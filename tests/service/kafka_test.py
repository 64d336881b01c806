#!/usr/bin/env python3
"""`switchboard serve --kafka` and `switchboard produce` on librdkafka's mock
cluster (ctest; docs/scale-out.md).

    kafka_test.py SWITCHBOARD KAFKA_MOCK [unittest arguments, e.g. -k Kill]

KAFKA_MOCK is tests/service/kafka_mock.cc: `cluster` runs a mock cluster in
a process of its own on loopback (no broker, no network), `read` prints a
topic as a read_committed consumer sees it. Every test starts its own
cluster and its own `serve` processes, waits for the lines they print and
for their /metrics (never a bare sleep where a signal exists), bounds every
wait, and kills what it started when it ends.

The mock cluster's consumer group waits 3 s before its first assignment and
about session.timeout.ms - 1 s for members to rejoin at each rebalance; the
tests run the instances with session.timeout.ms=3000.

Python 3 standard library only.
"""

import collections
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_test import parse_prometheus, value  # noqa: E402

SWITCHBOARD = None  # set from argv
KAFKA_MOCK = None
TEST_SECONDS = 240  # per test, then SIGALRM fails it
# KAFKA_TEST_VERBOSE=1: the serve processes' stderr goes to the test's.
VERBOSE = bool(os.environ.get("KAFKA_TEST_VERBOSE"))
SOURCE = os.environ.get("SWITCHBOARD_SOURCE_DIR",
                        os.path.join(os.path.dirname(__file__), "..", ".."))
GROUP_SETTINGS = ["--kafka-config", "session.timeout.ms=3000",
                  "--kafka-config", "heartbeat.interval.ms=300"]

# A ruleset with every kind of trigger: an event, a prefix, an idle timer,
# an `after` timer with an `unless`, and a deflection that depends on the
# global channel events.
RULES = """\
ruleset: scale
session:
  key: visitor
  fields:
    items: int = 0
    offered: bool = false
event:
  items: int
channels:
  chat: {fallback: [email]}
rules:
  - name: track
    priority: 10
    on: cart.updated
    if: has(event.items)
    then:
      - set: {items: "event.items"}
      - tag: [cart]
  - name: quiet
    on: {idle: IDLE}
    if: session.items > 0 && !session.offered
    then:
      - offer: {channel: chat, message: MESSAGE}
      - set: {offered: true}
  - name: no-order
    on: {after: 5m, since: cart.updated, unless: [order.placed]}
    if: session.items > 2
    then:
      - deflect: {to: chat, message: reminder}
  - name: ordered
    on: order.placed
    then:
      - tag: [buyer]
"""

QUEUE_RULES = """\
ruleset: desk
session:
  key: conversation
queues:
  sales: {skills: {sales: 1}}
rules:
  - name: to-sales
    on: chat.started
    then:
      - route: {queue: sales}
"""


def rules_text(idle="90s", message="help"):
    return RULES.replace("IDLE", idle).replace("MESSAGE", message)


def rfc3339(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def make_events(n, sessions, seed, start=None, late=0.02):
    """`n` events of `sessions` visitors from `start`, a few seconds apart,
    some dated a little behind the ones before them (late), with chat going
    down and up now and then (global events)."""
    rnd = random.Random(seed)
    t = start or datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    out = []
    chat_down = False
    for i in range(n):
        t += timedelta(milliseconds=rnd.randint(0, 3000))
        at = t - timedelta(seconds=rnd.randint(1, 30)) \
            if rnd.random() < late else t
        if i % 400 == 399:
            chat_down = not chat_down
            out.append(json.dumps({"time": rfc3339(at), "type":
                                   "channel.down" if chat_down else
                                   "channel.up", "channel": "chat"}))
            continue
        v = f"v-{rnd.randrange(sessions)}"
        r = rnd.random()
        if r < 0.6:
            e = {"time": rfc3339(at), "type": "cart.updated", "visitor": v,
                 "items": rnd.randint(0, 6)}
        elif r < 0.85:
            e = {"time": rfc3339(at), "type": "page.view", "visitor": v}
        else:
            e = {"time": rfc3339(at), "type": "order.placed", "visitor": v}
        out.append(json.dumps(e))
    return out


def murmur2(data):
    """Kafka's murmur2 (the Java client's Utils.murmur2)."""
    m, h = 0x5bd1e995, (0x9747b28c ^ len(data)) & 0xffffffff
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & 0xffffffff
        k ^= k >> 24
        k = (k * m) & 0xffffffff
        h = ((h * m) & 0xffffffff) ^ k
    rest = data[4 * n4:]
    if len(rest) == 3:
        h ^= rest[2] << 16
    if len(rest) >= 2:
        h ^= rest[1] << 8
    if len(rest) >= 1:
        h ^= rest[0]
        h = (h * m) & 0xffffffff
    h ^= h >> 13
    h = (h * m) & 0xffffffff
    h ^= h >> 15
    return h


def partition_of(key, partitions):
    return (murmur2(key.encode()) & 0x7fffffff) % partitions


class Cluster:
    """A mock cluster in a helper process; stops when its stdin closes."""

    def __init__(self, test, *topics):
        args = [KAFKA_MOCK, "cluster"]
        for t in topics:
            args += ["--topic", t]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
        test.addCleanup(self.stop)
        line = self.proc.stdout.readline()
        assert line.startswith("bootstrap "), line
        self.bootstrap = line.split()[1]

    def command(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer == "ok", (text, answer)

    def errors(self, api, count, *codes):
        self.command(f"errors {api} {count} " + " ".join(map(str, codes)))

    def read(self, topic):
        """[(partition, offset, header, key, value)] of the topic."""
        out = subprocess.run([KAFKA_MOCK, "read", self.bootstrap, topic],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        records = []
        for line in out.stdout.splitlines():
            p, o, header, key, v = line.split("\t", 4)
            records.append((int(p), int(o), header, key, v))
        return records

    def decisions(self, topic="decisions"):
        return [json.loads(r[4]) for r in self.read(topic)]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc.stdout.close()


class Serve:
    """One `switchboard serve --kafka` process, its stderr read by a thread."""

    def __init__(self, test, cluster, rules, *extra, state=True, http=True,
                 group="g", events="events"):
        args = [SWITCHBOARD, "serve", rules, "--kafka", cluster.bootstrap,
                "--group", group, "--events-topic", events,
                "--decisions-topic", "decisions"] + GROUP_SETTINGS
        if state:
            args += ["--state-topic", "state"]
        if http:
            args += ["--http", "127.0.0.1:0"]
        self.proc = subprocess.Popen(args + list(extra),
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE,
                                     start_new_session=True)
        test.addCleanup(self.kill)
        test.instances.append(self)
        self.lock = threading.Condition()
        self.err = []
        self.port = None
        self.thread = threading.Thread(target=self._read_err, daemon=True)
        self.thread.start()

    def _read_err(self):
        for raw in self.proc.stderr:
            line = raw.decode().rstrip("\n")
            if VERBOSE:
                print(f"[serve {self.proc.pid}] {line}", file=sys.stderr)
            with self.lock:
                self.err.append(line)
                self.lock.notify_all()

    def wait_for(self, predicate, timeout=30, what="a condition"):
        deadline = time.time() + timeout
        with self.lock:
            while not predicate(self.err):
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; "
                                         "stderr:\n" + "\n".join(self.err))
                self.lock.wait(left)

    def wait_line(self, pattern, timeout=30, count=1):
        rx = re.compile(pattern)
        self.wait_for(lambda err: sum(bool(rx.search(l)) for l in err)
                      >= count, timeout, repr(pattern))
        with self.lock:
            return [l for l in self.err if rx.search(l)]

    def wait_started(self):
        self.wait_line(r"consuming '[^']*' as group")
        with self.lock:
            for l in self.err:
                m = re.search(r"listening on http://[^ ]*:(\d+)", l)
                if m:
                    self.port = int(m.group(1))
        return self

    def request(self, method, path, body=None):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=body, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metrics(self):
        status, text = self.request("GET", "/metrics")
        assert status == 200, (status, text)
        return parse_prometheus(text)

    def partitions(self):
        """{partition: next offset} of the partitions it serves now."""
        families = self.metrics()
        return {int(labels["partition"]): int(v) for _, labels, v in
                families["switchboard_kafka_offset"]["samples"]}

    def wait_exit(self, timeout=60):
        rc = self.proc.wait(timeout=timeout)
        self.thread.join(timeout)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc.stderr.close()


class KafkaTest(unittest.TestCase):
    def setUp(self):
        signal.signal(signal.SIGALRM, self._timeout)
        signal.alarm(TEST_SECONDS)
        self.addCleanup(signal.alarm, 0)
        self.instances = []  # every Serve started, for KAFKA_TEST_KEEP
        self.dir = tempfile.mkdtemp(prefix="kafka_test.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    @staticmethod
    def _timeout(signum, frame):
        raise TimeoutError(f"test took more than {TEST_SECONDS} s")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def write_events(self, name, lines):
        return self.write(name, "".join(l + "\n" for l in lines))

    def produce(self, cluster, rules, events, *extra, background=False):
        args = [SWITCHBOARD, "produce", rules, "--kafka", cluster.bootstrap,
                "--topic", "events", events] + list(extra)
        if background:
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True,
                                    start_new_session=True)
            def stop():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
                proc.stderr.close()
            self.addCleanup(stop)
            return proc
        out = subprocess.run(args, capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stderr

    def dry_run(self, rules, events):
        out = subprocess.run([SWITCHBOARD, "run", rules, "--events", events],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        return [json.loads(l) for l in out.stdout.splitlines()]

    def wait_caught_up(self, cluster, instances, timeout=90):
        """Waits until the instances together have applied every record of
        the events topic, each partition by exactly one of them."""
        ends = collections.Counter()
        for p, o, *_ in cluster.read("events"):
            ends[p] = max(ends[p], o + 1)
        deadline = time.time() + timeout
        while True:
            served = {}
            for s in instances:
                for p, offset in s.partitions().items():
                    self.assertNotIn(p, served, "a partition served twice")
                    served[p] = offset
            if all(served.get(p) == end for p, end in ends.items()):
                return
            self.assertLess(time.time(), deadline,
                            f"not caught up: {served} of {dict(ends)}")
            time.sleep(0.2)  # polling /metrics, bounded

    def assert_exactly_the_dry_run(self, cluster, expected):
        """The decisions topic holds the dry run's decisions, each once,
        with distinct ids, keyed by session, on the partition of its input."""
        # The last decisions may still be on their way when the offsets are
        # in: read until there are as many (bounded), then compare.
        deadline = time.time() + 30
        while True:
            records = cluster.read("decisions")
            if len(records) >= len(expected) or time.time() > deadline:
                break
            time.sleep(0.2)
        got = []
        ids = []
        for p, _, _, key, v in records:
            d = json.loads(v)
            self.assertEqual(key, d["session"])
            m = re.fullmatch(r"events-(\d+)-(\d+)-(\d+)", d["id"])
            self.assertIsNotNone(m, d["id"])
            self.assertEqual(p, int(m.group(1)) % self.decision_partitions)
            ids.append(d.pop("id"))
            got.append(d)
        self.assertEqual(len(ids), len(set(ids)), "an id twice")
        key = lambda d: json.dumps(d, sort_keys=True)  # noqa: E731
        got_c = collections.Counter(map(key, got))
        want_c = collections.Counter(map(key, expected))
        extra, missing = got_c - want_c, want_c - got_c
        by_key = collections.defaultdict(list)
        for d, i in zip(got, ids):
            by_key[key(d)].append(i)
        report = "".join(f"\n  extra {n}x {k} ids {by_key[k]}"
                         for k, n in list(extra.items())[:10]) + "".join(
            f"\n  missing {n}x {k}" for k, n in list(missing.items())[:10])
        if (extra or missing) and os.environ.get("KAFKA_TEST_KEEP"):
            keep = os.environ["KAFKA_TEST_KEEP"]
            os.makedirs(keep, exist_ok=True)
            for topic in ("events", "decisions", "state"):
                with open(os.path.join(keep, topic + ".tsv"), "w") as f:
                    for r in cluster.read(topic) if topic != "state" else []:
                        f.write("\t".join(map(str, r)) + "\n")
            for i, s in enumerate(self.instances):
                with open(os.path.join(keep, f"serve{i}.err"), "w") as f:
                    f.write("\n".join(s.err) + "\n")
        self.assertFalse(extra or missing,
                         f"{sum(extra.values())} decisions the dry run did "
                         f"not make (or twice), {sum(missing.values())} of "
                         f"the dry run missing:{report}")

    decision_partitions = 4


class ProduceTest(KafkaTest):
    def test_keys_by_session_with_murmur2_and_marks_every_partition(self):
        cluster = Cluster(self, "events:3")
        rules = self.write("scale.yaml", rules_text())
        lines = make_events(900, 50, seed=1)
        events = self.write_events("events.jsonl", lines)
        summary = self.produce(cluster, rules, events)
        self.assertIn("900 events (2 to every partition)", summary)
        records = cluster.read("events")
        sent = collections.Counter()
        last_time = max(json.loads(l)["time"] for l in lines)
        for p, _, header, key, v in records:
            if header == "clock":
                self.assertEqual(json.loads(v)["type"], "switchboard.clock")
                continue
            self.assertEqual(header, "-")
            e = json.loads(v)
            if e["type"].startswith("channel."):
                sent[v] += 1
                continue
            self.assertEqual(key, e["visitor"])
            self.assertEqual(p, partition_of(key, 3), key)
            sent[v] += 1
        for l in lines:  # every line once, global ones on all 3 partitions
            self.assertEqual(sent[l], 3 if "channel." in l else 1, l)
        for p in range(3):  # each partition's clock ends at the last time
            last = [r for r in records if r[0] == p][-1]
            self.assertEqual(
                datetime.strptime(json.loads(last[4])["time"],
                                  "%Y-%m-%dT%H:%M:%S.%fZ"),
                datetime.strptime(last_time, "%Y-%m-%dT%H:%M:%S.%fZ"))

    def test_a_late_event_is_preceded_by_a_mark_of_the_largest_time(self):
        cluster = Cluster(self, "events:2")
        rules = self.write("scale.yaml", rules_text())
        a = "v-1"
        b = next(f"v-{i}" for i in range(2, 100)
                 if partition_of(f"v-{i}", 2) != partition_of(a, 2))
        lines = [json.dumps({"time": "2026-11-23T10:00:00Z",
                             "type": "page.view", "visitor": a}),
                 json.dumps({"time": "2026-11-23T10:05:00Z",
                             "type": "page.view", "visitor": a}),
                 json.dumps({"time": "2026-11-23T10:01:00Z",
                             "type": "page.view", "visitor": b})]
        self.produce(cluster, rules, self.write_events("e.jsonl", lines),
                     "--mark-every", "1h")
        b_records = [r for r in cluster.read("events")
                     if r[0] == partition_of(b, 2)]
        self.assertEqual([(r[2], json.loads(r[4])["time"])
                          for r in b_records[-2:]],
                         [("clock", "2026-11-23T10:05:00Z"),
                          ("-", "2026-11-23T10:01:00Z")])

    def test_bad_lines_are_reported_and_skipped(self):
        cluster = Cluster(self, "events:2")
        rules = self.write("scale.yaml", rules_text())
        events = self.write_events("events.jsonl", [
            '{"time":"2026-11-23T10:00:00Z","type":"page.view","visitor":"a"}',
            '{"time":"2026-11-23T10:00:01Z","type":"page.view"}',
            'not json'])
        summary = self.produce(cluster, rules, events)
        self.assertIn(f"{events}:2: error:", summary)
        self.assertIn(f"{events}:3: error:", summary)
        self.assertIn("bad lines: 2", summary)

    def test_a_missing_topic_is_an_error(self):
        cluster = Cluster(self, "other:1")
        rules = self.write("scale.yaml", rules_text())
        events = self.write_events("events.jsonl", [
            '{"time":"2026-11-23T10:00:00Z","type":"page.view","visitor":"a"}'])
        out = subprocess.run(
            [SWITCHBOARD, "produce", rules, "--kafka", cluster.bootstrap,
             "--topic", "nowhere", events],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn("'nowhere'", out.stderr)


class ServeTest(KafkaTest):
    def test_one_instance_decides_what_the_dry_run_decides(self):
        cluster = Cluster(self, "events:4", "decisions:4", "state:4")
        rules = self.write("scale.yaml", rules_text())
        events = self.write_events("events.jsonl",
                                   make_events(3000, 200, seed=2))
        s = Serve(self, cluster, rules).wait_started()
        s.wait_line(r"assigned events\[3\]")
        self.produce(cluster, rules, events)
        self.wait_caught_up(cluster, [s])
        self.assert_exactly_the_dry_run(cluster, self.dry_run(rules, events))

    def test_fewer_decision_partitions_and_no_state_topic(self):
        cluster = Cluster(self, "events:4", "decisions:2")
        rules = self.write("scale.yaml", rules_text())
        events = self.write_events("events.jsonl",
                                   make_events(1500, 100, seed=3))
        s = Serve(self, cluster, rules, state=False).wait_started()
        s.wait_line(r"assigned events\[3\]")
        self.assertTrue(any("no state topic" in l for l in s.err))
        self.produce(cluster, rules, events)
        self.wait_caught_up(cluster, [s])
        self.decision_partitions = 2
        self.assert_exactly_the_dry_run(cluster, self.dry_run(rules, events))

    def test_a_ruleset_with_queues_takes_a_single_partition(self):
        cluster = Cluster(self, "events:2", "decisions:1", "one:1")
        rules = self.write("desk.yaml", QUEUE_RULES)
        s = Serve(self, cluster, rules)
        self.assertEqual(s.wait_exit(), 1)
        self.assertTrue(any("queues" in l and "single partition" in l
                            for l in s.err), s.err)
        # One partition: the agents have one owner.
        one = Serve(self, cluster, rules, events="one", state=False,
                    http=False)
        lines = [
            '{"time":"2026-11-23T10:00:00Z","type":"agent.login","agent":"a-1",'
            '"skills":{"sales":3}}',
            '{"time":"2026-11-23T10:00:01Z","type":"chat.started",'
            '"conversation":"c-1","channel":"chat"}']
        events = self.write_events("desk.jsonl", lines)
        out = subprocess.run(
            [SWITCHBOARD, "produce", rules, "--kafka", cluster.bootstrap,
             "--topic", "one", events], capture_output=True, text=True,
            timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        want = self.dry_run(rules, events)
        self.assertEqual([d["action"] for d in want], ["route", "assign"])
        deadline = time.time() + 30
        while len(cluster.read("decisions")) < 2:
            self.assertLess(time.time(), deadline)
            time.sleep(0.2)
        got = cluster.decisions()
        for d in got:
            d.pop("id")
        self.assertEqual(got, want)
        one.proc.send_signal(signal.SIGTERM)
        self.assertEqual(one.wait_exit(), 0)

    def test_a_missing_topic_is_refused_at_start(self):
        cluster = Cluster(self, "events:2")
        rules = self.write("scale.yaml", rules_text())
        s = Serve(self, cluster, rules)
        self.assertEqual(s.wait_exit(), 1)
        self.assertTrue(any("'decisions' does not exist" in l for l in s.err),
                        s.err)

    def test_wall_clock_fires_the_timer_of_an_idle_partition(self):
        cluster = Cluster(self, "events:2", "decisions:2", "state:2")
        rules = self.write("scale.yaml", rules_text(idle="1s"))
        s = Serve(self, cluster, rules, "--clock", "wall").wait_started()
        s.wait_line(r"assigned events\[1\]")
        now = datetime.now(timezone.utc)
        events = self.write_events("e.jsonl", [json.dumps(
            {"time": rfc3339(now), "type": "cart.updated", "visitor": "v-1",
             "items": 2})])
        self.produce(cluster, rules, events, "--mark-every", "1h",
                     "--until", rfc3339(now))
        deadline = time.time() + 20
        while not any(d["action"] == "offer" for d in cluster.decisions()):
            self.assertLess(time.time(), deadline, "no offer")
            time.sleep(0.1)
        # Processed at its time, or at the clock of a mark before it; the
        # timer fires 1 s later, moved by serve's clock marks.
        p = partition_of("v-1", 2)
        records = [r for r in cluster.read("events") if r[0] == p]
        at = next(i for i, r in enumerate(records) if r[2] == "-")
        times = [datetime.strptime(json.loads(r[4])["time"],
                                   "%Y-%m-%dT%H:%M:%S.%fZ")
                 for r in records[:at + 1]]
        offer = next(d for d in cluster.decisions() if d["action"] == "offer")
        self.assertEqual(offer["time"], rfc3339(
            (max(times) + timedelta(seconds=1)).replace(tzinfo=timezone.utc)))
        self.assertTrue(any(r[2] == "clock" for r in records[at + 1:]))
        f = s.metrics()
        self.assertGreaterEqual(value(f, "switchboard_kafka_clock_marks_written_total",
                                      partition=str(p)), 1)


class RebalanceTest(KafkaTest):
    def test_a_partition_moves_with_its_sessions_and_timers(self):
        cluster = Cluster(self, "events:4", "decisions:4", "state:4")
        rules = self.write("scale.yaml", rules_text(idle="10m"))
        lines = make_events(4000, 300, seed=4)
        first = self.write_events("first.jsonl", lines[:2000])
        second = self.write_events("second.jsonl", lines[2000:])
        a = Serve(self, cluster, rules).wait_started()
        a.wait_line(r"assigned events\[3\]")
        self.produce(cluster, rules, first)
        self.wait_caught_up(cluster, [a])
        pending = value(a.metrics(), "switchboard_timers_pending")
        self.assertGreater(pending, 0)
        # B joins: the group moves some partitions from A to B, each with
        # the snapshot A takes as it lets it go.
        b = Serve(self, cluster, rules).wait_started()
        moved = b.wait_line(r"assigned events\[\d\]: snapshot", timeout=60)
        for line in moved:
            p = re.search(r"events\[(\d)\]", line).group(1)
            a.wait_line(rf"revoked events\[{p}\]")
            self.assertRegex(line, r"\d+ sessions")
            self.assertNotRegex(line, r" 0 sessions")
        self.wait_caught_up(cluster, [a, b])
        f = b.metrics()
        self.assertGreater(value(f, "switchboard_timers_pending"), 0)
        self.assertGreater(value(f, "switchboard_sessions"), 0)
        self.produce(cluster, rules, second)
        self.wait_caught_up(cluster, [a, b])
        self.assert_exactly_the_dry_run(
            cluster, self.dry_run(rules, self.write_events("all.jsonl", lines)))

    def test_a_second_instance_joins_mid_stream_without_loss(self):
        cluster = Cluster(self, "events:4", "decisions:4", "state:4")
        rules = self.write("scale.yaml", rules_text())
        events = self.write_events("events.jsonl",
                                   make_events(12000, 500, seed=5))
        a = Serve(self, cluster, rules, "--snapshot-records", "700") \
            .wait_started()
        a.wait_line(r"assigned events\[3\]")
        producer = self.produce(cluster, rules, events, "--rate", "1500",
                                background=True)
        b = Serve(self, cluster, rules, "--snapshot-records", "700") \
            .wait_started()
        b.wait_line(r"assigned events\[\d\]", timeout=60)
        self.assertEqual(producer.wait(timeout=120), 0, producer.stderr.read())
        self.wait_caught_up(cluster, [a, b])
        self.assertTrue(b.partitions(), "B took no partition")
        self.assert_exactly_the_dry_run(cluster, self.dry_run(rules, events))


class KillTest(KafkaTest):
    def wait_decisions_of(self, cluster, partitions, timeout=30):
        """Waits until D holds a decision made by one of `partitions`."""
        deadline = time.time() + timeout
        while not any(int(d["id"].split("-")[1]) in partitions
                      for d in cluster.decisions()):
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)

    def test_sigkill_mid_stream_loses_and_repeats_nothing(self):
        """Two SIGKILLs at moments the seed picks: A while it works, then B
        soon after it took A's partitions (while it may still be replaying
        them); C and D take over, and D holds the dry run's decisions."""
        seed = int(os.environ.get("KAFKA_TEST_SEED", time.time_ns() % 100000))
        print(f"\nKillTest seed {seed} (KAFKA_TEST_SEED replays it)",
              file=sys.stderr)
        rnd = random.Random(seed)
        cluster = Cluster(self, "events:4", "decisions:4", "state:4")
        rules = self.write("scale.yaml", rules_text())
        events = self.write_events("events.jsonl",
                                   make_events(15000, 600, seed=seed))
        small = ["--snapshot-records", str(rnd.choice([300, 1000, 5000])),
                 "--commit-every", rnd.choice(["5ms", "20ms", "100ms"])]
        a = Serve(self, cluster, rules, *small).wait_started()
        b = Serve(self, cluster, rules, *small).wait_started()
        b.wait_line(r"assigned events\[\d\]", timeout=60)
        a.wait_line(r"assigned events\[\d\]", timeout=60)
        producer = self.produce(cluster, rules, events, "--rate", "2000",
                                background=True)
        # A dies while it works: after it made some decisions, at a moment
        # of the seed's choosing.
        a_parts = set(a.partitions())
        b_before = len(b.wait_line(r"assigned events\[\d\]"))
        self.wait_decisions_of(cluster, a_parts)
        time.sleep(rnd.uniform(0, 1.5))  # the moment of the kill, not a wait
        a.proc.send_signal(signal.SIGKILL)
        a.wait_exit()
        # B takes A's partitions; C joins; B dies soon after its takeover.
        b.wait_line(r"assigned events\[\d\]", count=b_before + len(a_parts),
                    timeout=60)
        c = Serve(self, cluster, rules, *small).wait_started()
        time.sleep(rnd.uniform(0, 1.0))  # the moment of the second kill
        b.proc.send_signal(signal.SIGKILL)
        b.wait_exit()
        d = Serve(self, cluster, rules, *small).wait_started()
        self.assertEqual(producer.wait(timeout=120), 0, producer.stderr.read())
        d.wait_line(r"assigned events\[\d\]", timeout=60)
        self.wait_caught_up(cluster, [c, d])
        self.assert_exactly_the_dry_run(cluster, self.dry_run(rules, events))
        suppressed = sum(
            v for s in (c, d) for _, _, v in
            s.metrics()["switchboard_kafka_decisions_suppressed_total"]
            ["samples"])
        print(f"KillTest: {suppressed} decisions found written already and "
              "not made twice", file=sys.stderr)

    def test_the_mock_shows_aborted_records_to_read_committed(self):
        """The measurement the design rests on (docs/scale-out.md): on
        librdkafka 2.0.2's mock cluster, a read_committed consumer sees the
        records of an aborted transaction. If this fails, the mock hides
        them now (a newer librdkafka): update the docs, the design holds
        either way."""
        cluster = Cluster(self, "t:1")
        out = subprocess.run([KAFKA_MOCK, "abort", cluster.bootstrap, "t",
                              "aborted"], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        values = [r[4] for r in cluster.read("t")]
        print(f"\nthe mock's read_committed consumer sees {values} after an "
              "aborted transaction", file=sys.stderr)
        self.assertEqual(values, ["aborted"])


class ZombieTest(KillTest):
    """A paused owner (a zombie). Known to fail about 1 run in 8 on
    librdkafka 2.0.2's mock cluster, which does not fence a producer whose
    transactional.id another instance initialised (docs/scale-out.md, "A
    paused owner"): CMakeLists.txt registers it as the ctest kafka_zombie,
    DISABLED until the records still in flight at the pause are accounted
    for. Run it by hand: kafka_test.py SWITCHBOARD MOCK -k ZombieTest."""

    def test_a_paused_instance_is_fenced_when_it_wakes(self):
        """A zombie: A stops (SIGSTOP) with a transaction open, the group
        gives its partitions to B, A continues (SIGCONT) and finds them lost
        (or its producer fenced, whichever it meets first); nothing it still
        had to write reaches D twice."""
        cluster = Cluster(self, "events:2", "decisions:2", "state:2")
        rules = self.write("scale.yaml", rules_text())
        events = self.write_events("events.jsonl",
                                   make_events(8000, 300, seed=9))
        slow = ["--commit-every", "500ms", "--snapshot-records", "700"]
        a = Serve(self, cluster, rules, *slow).wait_started()
        a.wait_line(r"assigned events\[1\]", timeout=60)
        producer = self.produce(cluster, rules, events, "--rate", "2000",
                                background=True)
        self.wait_decisions_of(cluster, {0, 1})
        a.proc.send_signal(signal.SIGSTOP)
        b = Serve(self, cluster, rules, *slow).wait_started()
        b.wait_line(r"assigned events\[\d\]", count=2, timeout=60)
        a.proc.send_signal(signal.SIGCONT)
        a.wait_line(r"(fenced|lost events\[\d\])", timeout=60)
        self.assertEqual(producer.wait(timeout=120), 0, producer.stderr.read())
        self.wait_caught_up(cluster, [b])
        self.decision_partitions = 2
        self.assert_exactly_the_dry_run(cluster, self.dry_run(rules, events))
        self.assertEqual(a.partitions(), {})


class ErrorsTest(KafkaTest):
    # Kafka API keys and error codes (librdkafka's rdkafka_protocol.h,
    # rdkafka.h).
    PRODUCE, FETCH, ADD_PARTITIONS_TO_TXN, END_TXN = 0, 1, 24, 26
    LEADER_NOT_AVAILABLE, NOT_LEADER, REQUEST_TIMED_OUT = 5, 6, 7
    COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR = 15, 16
    NOT_ENOUGH_REPLICAS, CONCURRENT_TRANSACTIONS = 19, 51
    INVALID_RECORD = 87

    def test_broker_errors_are_retried_not_lost(self):
        cluster = Cluster(self, "events:4", "decisions:4", "state:4")
        rules = self.write("scale.yaml", rules_text())
        events = self.write_events("events.jsonl",
                                   make_events(6000, 300, seed=6))
        s = Serve(self, cluster, rules, "--snapshot-records", "500") \
            .wait_started()
        s.wait_line(r"assigned events\[3\]")
        producer = self.produce(cluster, rules, events, "--rate", "3000",
                                background=True)
        for api, codes in [
                (self.PRODUCE, (self.NOT_LEADER, self.REQUEST_TIMED_OUT,
                                self.NOT_ENOUGH_REPLICAS)),
                (self.FETCH, (self.NOT_LEADER, self.LEADER_NOT_AVAILABLE)),
                (self.ADD_PARTITIONS_TO_TXN,
                 (self.CONCURRENT_TRANSACTIONS, self.COORDINATOR_NOT_AVAILABLE)),
                (self.END_TXN, (self.NOT_COORDINATOR,
                                self.CONCURRENT_TRANSACTIONS))]:
            cluster.errors(api, 6, *codes)
            time.sleep(0.3)  # spread the errors over the stream, not a wait
        self.assertEqual(producer.wait(timeout=120), 0, producer.stderr.read())
        self.wait_caught_up(cluster, [s])
        self.assert_exactly_the_dry_run(cluster, self.dry_run(rules, events))

    def test_a_failed_transaction_goes_back_to_the_last_snapshot(self):
        cluster = Cluster(self, "events:2", "decisions:2", "state:2")
        rules = self.write("scale.yaml", rules_text())
        events = self.write_events("events.jsonl",
                                   make_events(3000, 200, seed=7))
        self.produce(cluster, rules, events)
        # The events are in; the next Produce requests are serve's, and a
        # record refused for good makes its transaction abortable.
        cluster.errors(self.PRODUCE, 1, self.INVALID_RECORD)
        s = Serve(self, cluster, rules, "--snapshot-records", "300") \
            .wait_started()
        self.wait_caught_up(cluster, [s])
        s.wait_line(r"transaction failed")
        s.wait_line(r"rewound events\[\d\]")
        f = s.metrics()
        self.assertGreaterEqual(sum(
            v for _, labels, v in
            f["switchboard_kafka_transactions_total"]["samples"]
            if labels["result"] == "aborted"), 1)
        self.decision_partitions = 2
        self.assert_exactly_the_dry_run(cluster, self.dry_run(rules, events))


class OperationsTest(KafkaTest):
    def test_health_metrics_reload_and_a_clean_stop(self):
        cluster = Cluster(self, "events:2", "decisions:2", "state:2")
        rules = self.write("scale.yaml", rules_text(message="help"))
        a = Serve(self, cluster, rules).wait_started()
        # The mock group assigns after 3 s: not ready before.
        self.assertEqual(a.request("GET", "/healthz")[0], 503)
        a.wait_line(r"assigned events\[1\]")
        self.assertEqual(a.request("GET", "/healthz")[0], 200)
        status, text = a.request("POST", "/v1/events", b"{}")
        self.assertEqual(status, 404)
        self.assertIn("topic 'events'", text)
        lines = make_events(1000, 80, seed=8)
        self.produce(cluster, rules, self.write_events("a.jsonl", lines[:500]))
        self.wait_caught_up(cluster, [a])
        f = a.metrics()
        for p in ("0", "1"):
            self.assertEqual(value(f, "switchboard_kafka_lag_records",
                                   partition=p), 0)
            self.assertGreater(value(f, "switchboard_kafka_events_total",
                                     partition=p), 0)
            self.assertGreater(value(f, "switchboard_kafka_decisions_total",
                                     partition=p), 0)
        self.assertEqual(value(f, "switchboard_kafka_rebalances_total",
                               kind="assign"), 1)
        self.assertEqual(value(f, "switchboard_events_total"), 500 + 1)
        # Reload: refused when broken, or with queues over 2 partitions;
        # else every partition swaps at its next record.
        self.write("scale.yaml", "ruleset: [")
        self.assertEqual(a.request("POST", "/v1/reload")[0], 422)
        self.write("scale.yaml", QUEUE_RULES)
        status, text = a.request("POST", "/v1/reload")
        self.assertEqual(status, 422)
        self.assertIn("single partition", text)
        self.write("scale.yaml", rules_text(message="reloaded"))
        status, text = a.request("POST", "/v1/reload")
        self.assertEqual(status, 200, text)
        self.produce(cluster, rules, self.write_events("b.jsonl", lines[500:]))
        self.wait_caught_up(cluster, [a])
        offers = [d for d in cluster.decisions() if d["action"] == "offer"]
        self.assertIn("reloaded", {d["message"] for d in offers})
        f = a.metrics()
        self.assertEqual(value(f, "switchboard_reloads_total", result="ok"), 1)
        self.assertEqual(value(f, "switchboard_reloads_total",
                               result="refused"), 2)
        for p in ("0", "1"):  # a snapshot at each swap
            self.assertGreaterEqual(value(
                f, "switchboard_kafka_snapshot_age_seconds", partition=p), 0)
        # B waits; A stops cleanly: its last snapshots, then it leaves the
        # group, and B takes both partitions from them.
        b = Serve(self, cluster, rules).wait_started()
        b.wait_line(r"assigned events\[\d\]", timeout=60)
        a.proc.send_signal(signal.SIGTERM)
        self.assertEqual(a.wait_exit(), 0, a.err)
        b.wait_line(r"assigned events\[\d\]: snapshot", count=2, timeout=60)
        self.assertEqual(sorted(b.partitions()), [0, 1])
        self.wait_caught_up(cluster, [b])


if __name__ == "__main__":
    SWITCHBOARD = os.path.abspath(sys.argv.pop(1))
    KAFKA_MOCK = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
