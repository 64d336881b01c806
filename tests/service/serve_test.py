#!/usr/bin/env python3
"""`switchboard serve` as a real process (ctest; docs/serving.md).

    serve_test.py SWITCHBOARD [unittest arguments, e.g. -k Http]

Every test starts its own `switchboard serve` processes on loopback, on a
free port (--http 127.0.0.1:0; the port is read from the "listening on" line
the service prints once it takes input), bounds every wait, and kills what
it started when it ends (SIGKILL in tearDown when still running). No sleep
stands in for a readiness signal: the tests wait for the service's lines.

Python 3 standard library only.
"""

import http.client
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
from datetime import datetime, timedelta, timezone

SWITCHBOARD = None  # set from argv
TEST_SECONDS = 120  # per test, then SIGALRM fails it

RULES = """\
ruleset: live
session:
  key: visitor
  fields:
    items: int = 0
    offered: bool = false
event:
  items: int
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
"""


def rules_text(idle="1s", message="help"):
    return RULES.replace("IDLE", idle).replace("MESSAGE", message)


def rfc3339(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(text):
    return datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z") \
        if "." in text else datetime.strptime(text.replace("Z", "+0000"),
                                              "%Y-%m-%dT%H:%M:%S%z")


def event(visitor, items=None, type_="cart.updated", at=None):
    e = {"time": rfc3339(at or datetime.now(timezone.utc)), "type": type_,
         "visitor": visitor}
    if items is not None:
        e["items"] = items
    return json.dumps(e)


class Serve:
    """One `switchboard serve` process, its output read by threads."""

    def __init__(self, test, args, stdin=subprocess.PIPE, read_stdout=True,
                 env=None):
        self.proc = subprocess.Popen(
            [SWITCHBOARD, "serve"] + args, stdin=stdin,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, env=env)
        test.addCleanup(self.kill)
        self.lock = threading.Condition()
        self.out = []    # decision lines (str)
        self.err = []    # stderr lines
        self.out_times = []  # time.time() each decision line was read
        self.err_thread = threading.Thread(target=self._read_err, daemon=True)
        self.err_thread.start()
        self.out_thread = None
        self.conns = []
        if read_stdout:
            self.start_reading_stdout()
        self.port = None

    def start_reading_stdout(self):
        self.out_thread = threading.Thread(target=self._read_out, daemon=True)
        self.out_thread.start()

    def _read_out(self):
        for raw in self.proc.stdout:
            with self.lock:
                self.out.append(raw.decode().rstrip("\n"))
                self.out_times.append(time.time())
                self.lock.notify_all()

    def _read_err(self):
        for raw in self.proc.stderr:
            with self.lock:
                self.err.append(raw.decode().rstrip("\n"))
                self.lock.notify_all()

    def wait_for(self, predicate, timeout=10, what="a condition"):
        deadline = time.time() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting for {what}; stderr:\n" +
                        "\n".join(self.err))
                self.lock.wait(left)

    def wait_ready(self, timeout=30):
        """Waits for the line the service prints once it takes input."""
        def ready():
            return any("listening on http://" in l or
                       "reading events from stdin" in l for l in self.err)
        self.wait_for(ready, timeout, "the service to be ready")
        with self.lock:
            for l in self.err:
                m = re.search(r"listening on http://[^ ]*:(\d+)", l)
                if m:
                    self.port = int(m.group(1))
        return self

    def wait_decisions(self, predicate, timeout=10):
        self.wait_for(lambda: predicate([json.loads(l) for l in self.out]),
                      timeout, "decisions")
        with self.lock:
            return [json.loads(l) for l in self.out]

    def send(self, *lines):
        self.proc.stdin.write("".join(l + "\n" for l in lines).encode())
        self.proc.stdin.flush()

    def conn(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.conns.append(c)
        return c

    def request(self, method, path, body=None, headers=None, conn=None):
        c = conn or self.conn()
        h = {"Content-Type": "application/x-ndjson"}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode()
        if conn is None:
            c.close()
        return r.status, dict(r.getheaders()), data

    def post_events(self, lines, conn=None):
        return self.request("POST", "/v1/events",
                            "".join(l + "\n" for l in lines), conn=conn)

    def metrics(self):
        status, _, text = self.request("GET", "/metrics")
        assert status == 200, (status, text)
        return text

    def wait_exit(self, timeout=20):
        rc = self.proc.wait(timeout=timeout)
        if self.out_thread:
            self.out_thread.join(timeout)
        self.err_thread.join(timeout)
        return rc

    def kill(self):
        for c in self.conns:
            c.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if f:
                    f.close()
            except OSError:
                pass


def parse_prometheus(text):
    """A strict reader of the text format: returns {family: {"type", "help",
    "samples": [(name, labels, value)]}}, asserting the format."""
    families = {}
    sample_re = re.compile(
        r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')
    assert text.endswith("\n"), "the text ends with a newline"
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_ = line[7:].partition(" ")
            assert name not in families or "help" not in families[name], \
                f"HELP twice for {name}"
            families.setdefault(name, {"samples": []})["help"] = help_
        elif line.startswith("# TYPE "):
            name, _, type_ = line[7:].partition(" ")
            assert type_ in ("counter", "gauge", "histogram", "summary",
                             "untyped"), line
            f = families.setdefault(name, {"samples": []})
            assert "type" not in f and not f["samples"], \
                f"TYPE after samples or twice: {line}"
            f["type"] = type_
        elif line.startswith("#"):
            continue
        else:
            m = sample_re.match(line)
            assert m, f"not a sample line: {line!r}"
            name, labels_text, value = m.group(1), m.group(3), m.group(4)
            labels = {}
            if labels_text:
                pos = 0
                while pos < len(labels_text):
                    lm = label_re.match(labels_text, pos)
                    assert lm, f"bad labels: {line!r}"
                    labels[lm.group(1)] = lm.group(2)
                    pos = lm.end()
            v = float(value)  # +Inf, NaN and numbers parse
            family = name
            for suffix in ("_bucket", "_sum", "_count"):
                base = name[:-len(suffix)]
                if name.endswith(suffix) and families.get(base, {}).get(
                        "type") == "histogram":
                    family = base
            assert family in families and "type" in families[family] and \
                "help" in families[family], f"sample before HELP/TYPE: {line}"
            families[family]["samples"].append((name, labels, v))
    for name, f in families.items():
        if f["type"] == "counter":
            assert name.endswith("_total"), f"counter {name} without _total"
        if f["type"] == "histogram":
            buckets = [(s[1]["le"], s[2]) for s in f["samples"]
                       if s[0] == name + "_bucket"]
            assert buckets and buckets[-1][0] == "+Inf", name
            values = [v for _, v in buckets]
            assert values == sorted(values), f"{name} buckets not cumulative"
            count = [s[2] for s in f["samples"] if s[0] == name + "_count"]
            assert count == [values[-1]], f"{name}_count != +Inf bucket"
    return families


def value(families, name, **labels):
    """The value of sample `name` with `labels` (histogram samples too)."""
    for family in families.values():
        for sample_name, sample_labels, v in family["samples"]:
            if sample_name == name and all(sample_labels.get(k) == x
                                           for k, x in labels.items()):
                return v
    raise KeyError((name, labels))


class ServeTest(unittest.TestCase):
    def setUp(self):
        signal.signal(signal.SIGALRM, self._timeout)
        signal.alarm(TEST_SECONDS)
        self.addCleanup(signal.alarm, 0)
        self.dir = tempfile.mkdtemp(prefix="serve_test.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    @staticmethod
    def _timeout(signum, frame):
        raise TimeoutError(f"test took more than {TEST_SECONDS} s")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def serve(self, args, **kwargs):
        return Serve(self, args, **kwargs)


class StdinTest(ServeTest):
    def test_timer_fires_on_the_wall_clock_with_stdin_open(self):
        rules = self.write("live.yaml", rules_text(idle="1s"))
        s = self.serve([rules]).wait_ready()
        s.send(event("v-1", items=2))
        got = s.wait_decisions(lambda d: any(x["action"] == "offer" for x in d),
                               timeout=10)
        read_at = s.out_times[[x["action"] for x in got].index("offer")]
        tag, offer = got[0], got[1]
        self.assertEqual((tag["rule"], tag["action"]), ("track", "tag"))
        self.assertEqual((offer["rule"], offer["trigger"]), ("quiet", "idle"))
        deadline = parse_time(offer["time"])
        self.assertEqual(deadline - parse_time(tag["time"]), timedelta(seconds=1))
        # It came at its deadline, with no further event: not early, and
        # within the promised 100 ms (plus slack for a loaded CI machine).
        lateness = read_at - deadline.timestamp()
        self.assertGreaterEqual(lateness, -0.005)
        self.assertLess(lateness, 0.5, f"{lateness:.3f} s late")
        self.assertRegex(offer["id"], r"^[0-9a-f]{12}-\d+-0$")
        self.assertNotEqual(offer["id"], tag["id"])
        self.assertIsNone(s.proc.poll(), "still serving with stdin open")
        s.proc.stdin.close()
        self.assertEqual(s.wait_exit(), 0)

    def test_eof_without_http_fires_nothing_further_and_exits_0(self):
        rules = self.write("live.yaml", rules_text(idle="1h"))
        s = self.serve([rules]).wait_ready()
        s.send(event("v-1", items=2), "not json")
        s.proc.stdin.close()
        self.assertEqual(s.wait_exit(), 0)
        self.assertEqual([json.loads(l)["action"] for l in s.out], ["tag"])
        self.assertTrue(any(re.match(r"<stdin>:2: error: ", l) for l in s.err),
                        s.err)

    def test_with_event_time_stdin_makes_the_decisions_of_run(self):
        pack = os.path.join(os.environ.get("SWITCHBOARD_SOURCE_DIR", "."),
                            "rules", "cart_abandonment")
        events = os.path.join(pack, "events.jsonl")
        run = subprocess.run([SWITCHBOARD, "run", pack, "--events", events],
                             capture_output=True, timeout=60, check=True)
        with open(events, "rb") as f:
            s = self.serve([pack, "--clock", "event"], stdin=f).wait_ready()
            self.assertEqual(s.wait_exit(timeout=60), 0)
        served = [json.loads(l) for l in s.out]
        ids = [d.pop("id") for d in served]
        self.assertEqual(len(set(ids)), len(ids))
        expected = [json.loads(l) for l in run.stdout.decode().splitlines()]
        self.assertGreater(len(expected), 10)
        self.assertEqual(served, expected)

    def test_a_stdout_that_cannot_be_written_exits_3(self):
        rules = self.write("live.yaml", rules_text())
        with open("/dev/full", "wb") as full:
            p = subprocess.run([SWITCHBOARD, "serve", rules],
                               input=(event("v-1", items=1) + "\n").encode(),
                               stdout=full, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn(b"error writing the decisions", p.stderr)

    def test_sigterm_stops_cleanly_with_exit_0(self):
        rules = self.write("live.yaml", rules_text())
        s = self.serve([rules]).wait_ready()
        s.send(event("v-1", items=1))
        s.wait_decisions(lambda d: len(d) == 1)
        s.proc.send_signal(signal.SIGTERM)
        self.assertEqual(s.wait_exit(), 0)


class HttpTest(ServeTest):
    def start(self, *extra, idle="1s", read_stdout=True):
        rules = self.write("live.yaml", rules_text(idle=idle))
        return self.serve([rules, "--http", "127.0.0.1:0", "--no-stdin"] +
                          list(extra), read_stdout=read_stdout).wait_ready()

    def test_events_answer_their_decisions_and_bad_lines_are_named(self):
        s = self.start(idle="1h")
        status, headers, body = s.post_events(
            [event("a", items=2), event("b", items=3)])
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["Content-Type"], "application/x-ndjson")
        got = [json.loads(l) for l in body.splitlines()]
        self.assertEqual([(d["session"], d["action"]) for d in got],
                         [("a", "tag"), ("b", "tag")])
        self.assertEqual(len({d["id"] for d in got}), 2)
        # The same decisions went to stdout.
        self.assertEqual(s.wait_decisions(lambda d: len(d) == 2), got)
        # A bad line: 400 naming it; the good lines are processed.
        status, headers, body = s.post_events(
            [event("c", items=1), "{\"type\":\"cart.updated\"}", "",
             "oops", event("d", items=1)])
        self.assertEqual(status, 400, body)
        self.assertEqual(headers["X-Switchboard-Accepted"], "2")
        lines = body.splitlines()
        self.assertEqual(len(lines), 2, body)
        self.assertRegex(lines[0], r"^2: error: .*time")
        self.assertRegex(lines[1], r"^4: error: ")
        out = s.wait_decisions(lambda d: len(d) == 4)
        self.assertEqual([d["session"] for d in out[2:]], ["c", "d"])

    def test_limits_and_other_answers(self):
        s = self.start("--max-batch", "2", "--max-body", "4096")
        status, _, body = s.post_events([event("a")] * 3)
        self.assertEqual(status, 413, body)
        self.assertIn("the limit is 2", body)
        status, _, _ = s.request("POST", "/v1/events", "x" * 5000)
        self.assertEqual(status, 413)
        # A client's default content type is taken (urllib, curl -d) ...
        status, _, body = s.request(
            "POST", "/v1/events", event("a") + "\n",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200, body)
        # ... a form upload is not.
        upload = ("--x\r\nContent-Disposition: form-data; name=\"f\"; "
                  "filename=\"e.jsonl\"\r\n\r\n" + event("a") +
                  "\r\n--x--\r\n")
        status, _, body = s.request(
            "POST", "/v1/events", upload,
            headers={"Content-Type": "multipart/form-data; boundary=x"})
        self.assertEqual(status, 415, body)
        self.assertIn("--data-binary", body)
        self.assertEqual(s.request("GET", "/healthz")[0], 200)
        self.assertEqual(s.request("GET", "/nothing")[0], 404)
        # An event far ahead of the wall clock is refused, naming the limit.
        ahead = event("a", at=datetime.now(timezone.utc) + timedelta(hours=1))
        status, _, body = s.post_events([ahead])
        self.assertEqual(status, 400)
        self.assertIn("ahead of the wall clock", body)

    def test_late_means_more_than_a_second_behind_the_wall_clock(self):
        s = self.start(idle="1h")
        now = datetime.now(timezone.utc)
        status, _, body = s.post_events([
            event("a", items=1, at=now - timedelta(milliseconds=500)),
            event("b", items=1, at=now - timedelta(seconds=10))])
        self.assertEqual(status, 200, body)
        # Both are processed at the service's clock, the wall clock (to the
        # millisecond), not at the times they carry.
        for d in (json.loads(l) for l in body.splitlines()):
            self.assertGreaterEqual(parse_time(d["time"]),
                                    now - timedelta(milliseconds=1), d)
        m = parse_prometheus(s.metrics())
        self.assertEqual(value(m, "switchboard_events_late_total"), 1)
        self.assertEqual(value(m, "switchboard_events_total"), 2)

    def test_metrics_parse_as_prometheus_text(self):
        s = self.start(idle="300ms")
        conn = s.conn()  # keep-alive
        for i in range(5):
            status, _, _ = s.post_events([event(f"v-{i}", items=i)], conn=conn)
            self.assertEqual(status, 200)
        s.post_events(["bad"], conn=conn)
        s.wait_decisions(lambda d: sum(x["action"] == "offer" for x in d) == 4)
        status, headers, text = s.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        m = parse_prometheus(text)
        for name in ("switchboard_events_total",
                     "switchboard_events_rejected_total",
                     "switchboard_decisions_total", "switchboard_sessions",
                     "switchboard_timers_pending",
                     "switchboard_event_processing_seconds",
                     "switchboard_timers_fired_total",
                     "switchboard_events_late_total",
                     "switchboard_evaluation_errors_total",
                     "switchboard_sessions_evicted_total",
                     "switchboard_queue_events", "switchboard_queue_full_total",
                     "switchboard_http_requests_total"):
            self.assertIn(name, m)
        self.assertEqual(m["switchboard_event_processing_seconds"]["type"],
                         "histogram")
        self.assertEqual(value(m, "switchboard_events_total"), 5)
        self.assertEqual(value(m, "switchboard_events_rejected_total"), 1)
        self.assertEqual(value(m, "switchboard_decisions_total",
                               rule="track", action="tag"), 5)
        self.assertEqual(value(m, "switchboard_decisions_total",
                               rule="quiet", action="offer"), 4)
        self.assertEqual(value(m, "switchboard_sessions"), 5)
        self.assertEqual(value(m, "switchboard_timers_pending"), 0)
        self.assertEqual(value(m, "switchboard_event_processing_seconds_count"),
                         6)
        self.assertEqual(value(m, "switchboard_evaluation_errors_total",
                               rule="quiet"), 0)
        self.assertEqual(value(m, "switchboard_http_requests_total",
                               handler="events", code="200"), 5)

    def test_decisions_stream_as_server_sent_events(self):
        s = self.start(idle="500ms")
        sse = s.conn()
        sse.request("GET", "/v1/decisions")
        r = sse.getresponse()
        self.assertEqual(r.status, 200)
        self.assertTrue(r.getheader("Content-Type").startswith(
            "text/event-stream"))
        self.assertEqual(r.readline(), b": subscribed\n")
        status, _, body = s.post_events([event("a", items=1)])
        self.assertEqual(status, 200)
        made = [json.loads(l) for l in body.splitlines()]
        events = []
        while len(events) < 2:  # the tag, then the timer's offer
            fields = {}
            while True:
                line = r.readline().decode()
                self.assertTrue(line, "the stream ended")
                if line == "\n":
                    break
                if line.startswith(":"):
                    continue
                key, _, val = line.rstrip("\n").partition(": ")
                fields[key] = val
            if fields:
                events.append(fields)
        self.assertEqual(events[0]["event"], "decision")
        self.assertEqual(json.loads(events[0]["data"]), made[0])
        self.assertEqual(events[0]["id"], made[0]["id"])
        offer = json.loads(events[1]["data"])
        self.assertEqual((offer["action"], offer["trigger"]), ("offer", "idle"))
        self.assertEqual(events[1]["id"], offer["id"])
        sse.close()

    def test_a_slow_decision_stream_is_dropped_not_waited_for(self):
        s = self.start("--sse-buffer", "65536", "--no-stdout", idle="1h")
        slow = s.conn()
        slow.request("GET", "/v1/decisions")
        r = slow.getresponse()
        self.assertEqual(r.readline(), b": subscribed\n")
        # Never read again: the kernel's buffers fill, then its 64 KiB.
        conn = s.conn()
        dropped = 0
        for i in range(200):
            batch = [event(f"s-{i}-{k}", items=1) for k in range(500)]
            status, _, _ = s.post_events(batch, conn=conn)
            self.assertEqual(status, 200)  # never held back by the client
            m = parse_prometheus(s.metrics())
            dropped = value(m, "switchboard_sse_clients_dropped_total")
            if dropped:
                break
        self.assertEqual(dropped, 1)
        self.assertEqual(value(m, "switchboard_sse_clients"), 0)
        slow.close()

    def test_a_full_queue_answers_503_with_retry_after(self):
        # stdout is never read and its pipe is small: the engine thread
        # blocks writing decisions, the queue fills, requests get 503.
        s = self.start("--queue-events", "4", "--max-batch", "4", idle="1h",
                       read_stdout=False)
        import fcntl
        fcntl.fcntl(s.proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)
        results = []
        threads = []

        def post(i):
            try:
                results.append(s.post_events(
                    [event(f"q-{i}-{k}", items=1) for k in range(4)]))
            except OSError as e:
                results.append((0, {}, str(e)))

        refused = None
        for i in range(400):
            t = threading.Thread(target=post, args=(i,), daemon=True)
            t.start()
            threads.append(t)
            t.join(timeout=0.5)  # a blocked request is left waiting
            refused = next((r for r in results if r[0] == 503), None)
            if refused:
                break
        self.assertIsNotNone(refused, "no 503 from a full queue")
        self.assertEqual(refused[1].get("Retry-After"), "1")
        self.assertIn("queue is full", refused[2])
        # Reading stdout again unblocks the engine: the waiting ones finish.
        s.start_reading_stdout()
        for t in threads:
            t.join(timeout=30)
        self.assertTrue(all(r[0] in (200, 503) for r in results), results)
        m = parse_prometheus(s.metrics())
        self.assertGreaterEqual(value(m, "switchboard_queue_full_total"), 1)


class ReloadTest(ServeTest):
    def test_a_broken_ruleset_is_refused_and_the_running_one_stays(self):
        rules = self.write("live.yaml", rules_text(idle="3s", message="first"))
        s = self.serve([rules, "--http", "127.0.0.1:0", "--no-stdin"]
                       ).wait_ready()
        self.assertEqual(s.post_events([event("a", items=2)])[0], 200)
        # Broken: an unknown field, with a near name.
        self.write("live.yaml", rules_text().replace(
            "session.items > 0", "session.itmes > 0"))
        status, _, body = s.request("POST", "/v1/reload")
        self.assertEqual(status, 422, body)
        self.assertRegex(body, r"live\.yaml:\d+:\d+: error: unknown field "
                               r"'itmes' of session; did you mean 'items'\?")
        self.assertIn("running one stays", body)
        # The running rules still decide.
        status, _, body = s.post_events([event("b", items=1)])
        self.assertEqual(json.loads(body.splitlines()[0])["rule"], "track")
        # A good ruleset is taken; sessions survive: a's items (2), set before
        # the reload, make its idle timer offer under the new rules.
        self.write("live.yaml", rules_text(idle="3s", message="second"))
        status, _, body = s.request("POST", "/v1/reload")
        self.assertEqual(status, 200, body)
        self.assertIn("reloaded: ruleset 'live'", body)
        got = s.wait_decisions(lambda d: sum(x["action"] == "offer"
                                             for x in d) == 2)
        offers = {d["session"]: d["message"] for d in got
                  if d["action"] == "offer"}
        self.assertEqual(offers, {"a": "second", "b": "second"})

    def test_sighup_reloads_and_reports(self):
        rules = self.write("live.yaml", rules_text(idle="1h"))
        s = self.serve([rules]).wait_ready()
        self.write("live.yaml", "ruleset: live\nrules: [{name: x}]\n")
        s.proc.send_signal(signal.SIGHUP)
        s.wait_for(lambda: any("SIGHUP" in l for l in s.err), 10, "a report")
        self.assertTrue(any("error:" in l for l in s.err), s.err)
        self.assertTrue(any("running one stays" in l for l in s.err), s.err)
        s.send(event("a", items=1))
        self.assertEqual(s.wait_decisions(lambda d: len(d) == 1)[0]["rule"],
                         "track")
        self.write("live.yaml", rules_text(idle="1h").replace("[cart]",
                                                              "[cart2]"))
        s.proc.send_signal(signal.SIGHUP)
        s.wait_for(lambda: any("reloaded: ruleset" in l for l in s.err), 10,
                   "a reload")
        s.send(event("a", items=1))
        self.assertEqual(s.wait_decisions(lambda d: len(d) == 2)[1]["labels"],
                         ["cart2"])


# ---- state ---------------------------------------------------------------------

KILL_RULES = """\
ruleset: desk
session:
  key: visitor
  fields:
    items: int = 0
    nudges: int = 0
event:
  items: int
rules:
  - name: track
    priority: 10
    on: cart.updated
    then:
      - set: {items: "event.items"}
  - name: big
    on: cart.updated
    if: event.items > 3
    then: [{tag: [big]}]
  - name: quiet
    on: {idle: 40s}
    if: session.items > 0
    then:
      - offer: {channel: chat, message: help}
      - set: {nudges: "session.nudges + 1"}
  - name: no-order
    on: {after: 25s, since: cart.updated, unless: [order.placed]}
    then: [{callback: {within: 1h}}]
  - name: thanks
    on: order.placed
    if: session.nudges > 0
    then: [{tag: [converted]}]
"""


def kill_events(n, seed=7):
    rng = random.Random(seed)
    base = datetime(2026, 11, 23, 10, 0, 0, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        at = base + timedelta(seconds=i * 3)
        v = f"v-{rng.randrange(40)}"
        kind = rng.random()
        if kind < 0.6:
            out.append(event(v, items=rng.randrange(6), at=at))
        elif kind < 0.8:
            out.append(event(v, type_="page.view", at=at))
        else:
            out.append(event(v, type_="order.placed", at=at))
    return out


class StateTest(ServeTest):
    def by_id(self, lines, into):
        for line in lines:
            d = json.loads(line)
            if d["id"] in into:
                self.assertEqual(into[d["id"]], d, "one id, two decisions")
            into[d["id"]] = d
        return into

    def position(self, s):
        return int(value(parse_prometheus(s.metrics()),
                         "switchboard_input_position"))

    def test_kill_9_then_restart_goes_on_exactly_as_without_the_kill(self):
        rules = self.write("desk.yaml", KILL_RULES)
        state = os.path.join(self.dir, "state")
        events = kill_events(3000)
        batch = 20
        args = [rules, "--clock", "event", "--state", state, "--instance",
                "kt", "--http", "127.0.0.1:0", "--no-stdin",
                "--snapshot-every", "300ms"]
        first = self.serve(args).wait_ready()
        acked = 0
        in_flight = 0
        # The kill comes at a random moment once some requests were
        # acknowledged: while the client streams, from another thread.
        # SERVE_TEST_SEED=N replays a run's moment.
        seed = int(os.environ.get("SERVE_TEST_SEED", time.time_ns() % 2**32))
        print(f"kill test: SERVE_TEST_SEED={seed}", file=sys.stderr)
        rng = random.Random(seed)
        kill_after = rng.randrange(20, 100) * batch
        progress = threading.Condition()

        def killer():
            with progress:
                progress.wait_for(lambda: acked >= kill_after, timeout=60)
            time.sleep(rng.uniform(0, 0.004))
            first.proc.kill()

        k = threading.Thread(target=killer, daemon=True)
        k.start()
        conn = first.conn()
        try:
            while acked < len(events):
                chunk = events[acked:acked + batch]
                in_flight = len(chunk)
                status, _, body = first.post_events(chunk, conn=conn)
                self.assertEqual(status, 200, body)
                with progress:
                    acked += len(chunk)
                    in_flight = 0
                    progress.notify_all()
        except (OSError, http.client.HTTPException):
            pass
        k.join(timeout=60)
        self.assertEqual(first.wait_exit(), -signal.SIGKILL)
        self.assertLess(acked, len(events), "the kill came too late")
        decisions = self.by_id(first.out, {})

        second = self.serve(args).wait_ready()
        position = self.position(second)
        # Every acknowledged event survived; of the one in flight, some may.
        self.assertGreaterEqual(position, acked)
        self.assertLessEqual(position, acked + in_flight)
        conn = second.conn()
        for start in range(position, len(events), batch):
            status, _, _ = second.post_events(events[start:start + batch],
                                              conn=conn)
            self.assertEqual(status, 200)
        second.proc.send_signal(signal.SIGTERM)
        self.assertEqual(second.wait_exit(), 0)
        self.by_id(second.out, decisions)

        # The same events through one uninterrupted service.
        with tempfile.TemporaryFile() as f:
            f.write("".join(e + "\n" for e in events).encode())
            f.seek(0)
            whole = self.serve([rules, "--clock", "event", "--instance", "kt"],
                               stdin=f).wait_ready()
            self.assertEqual(whole.wait_exit(), 0)
        expected = self.by_id(whole.out, {})
        self.assertGreater(len(expected), 500)
        self.assertEqual(sorted(decisions), sorted(expected))
        self.assertEqual(decisions, expected)

    def test_a_pending_timer_survives_sigterm_and_a_restart(self):
        rules = self.write("live.yaml", rules_text(idle="2s"))
        state = os.path.join(self.dir, "state")
        s = self.serve([rules, "--state", state]).wait_ready()
        s.send(event("v-1", items=2))
        tag = s.wait_decisions(lambda d: len(d) == 1)[0]
        s.proc.send_signal(signal.SIGTERM)
        self.assertEqual(s.wait_exit(), 0)
        self.assertTrue(any(n.startswith("snapshot-")
                            for n in os.listdir(state)))
        again = self.serve([rules, "--state", state]).wait_ready()
        offer = again.wait_decisions(lambda d: len(d) == 1, timeout=10)[0]
        self.assertEqual((offer["session"], offer["action"]), ("v-1", "offer"))
        self.assertEqual(parse_time(offer["time"]) - parse_time(tag["time"]),
                         timedelta(seconds=2))
        prefix = tag["id"].split("-")[0]
        self.assertTrue(offer["id"].startswith(prefix + "-"))
        again.proc.stdin.close()
        self.assertEqual(again.wait_exit(), 0)

    def acked_then_killed(self, state, rules, n, extra=()):
        """Posts n events one request each (acknowledged), then SIGKILL."""
        s = self.serve([rules, "--clock", "event", "--state", state,
                        "--http", "127.0.0.1:0", "--no-stdin"] + list(extra)
                       ).wait_ready()
        conn = s.conn()
        for e in kill_events(n):
            self.assertEqual(s.post_events([e], conn=conn)[0], 200)
        s.proc.kill()
        s.wait_exit()
        return s

    def restart(self, state, rules, *extra):
        return self.serve([rules, "--clock", "event", "--state", state,
                           "--http", "127.0.0.1:0", "--no-stdin"] +
                          list(extra))

    def test_a_torn_journal_tail_is_reported_and_dropped(self):
        rules = self.write("desk.yaml", KILL_RULES)
        state = os.path.join(self.dir, "state")
        self.acked_then_killed(state, rules, 30)
        segment = max(n for n in os.listdir(state) if n.endswith(".log"))
        with open(os.path.join(state, segment), "ab") as f:
            f.write(b"\x40\x00\x00\x00\x12\x34")  # half a record header
        s = self.restart(state, rules).wait_ready()
        self.assertEqual(self.position(s), 30)
        self.assertTrue(any("not a whole record" in l for l in s.err), s.err)
        self.assertTrue(any(".tail-damaged-" in n for n in os.listdir(state)))

    def test_a_corrupt_snapshot_falls_back_to_the_one_before(self):
        rules = self.write("desk.yaml", KILL_RULES)
        state = os.path.join(self.dir, "state")
        events = kill_events(40)
        for part in (events[:20], events[20:]):  # two clean stops: 2 snapshots
            s = self.restart(state, rules).wait_ready()
            self.assertEqual(s.post_events(part)[0], 200)
            s.proc.send_signal(signal.SIGTERM)
            self.assertEqual(s.wait_exit(), 0)
        snapshots = sorted(n for n in os.listdir(state)
                           if n.startswith("snapshot-") and n.endswith(".bin"))
        self.assertEqual(len(snapshots), 2, os.listdir(state))
        with open(os.path.join(state, snapshots[-1]), "r+b") as f:
            f.seek(40)
            f.write(b"\xff\xff\xff\xff")
        s = self.restart(state, rules).wait_ready()
        self.assertTrue(any("cannot restore" in l for l in s.err), s.err)
        self.assertEqual(self.position(s), 40)

    def test_damage_before_acknowledged_events_refuses_the_start(self):
        rules = self.write("desk.yaml", KILL_RULES)
        state = os.path.join(self.dir, "state")
        self.acked_then_killed(state, rules, 30)
        segment = os.path.join(state, min(n for n in os.listdir(state)
                                          if n.endswith(".log")))
        with open(segment, "r+b") as f:
            f.seek(8 + 17 + 5)  # inside the first record's line
            f.write(b"#")
        s = self.restart(state, rules)
        self.assertEqual(s.wait_exit(), 1)
        self.assertTrue(any("damaged at byte 8" in l for l in s.err), s.err)
        self.assertTrue(any("--accept-state-loss" in l for l in s.err))
        s = self.restart(state, rules, "--accept-state-loss").wait_ready()
        self.assertTrue(any("lost" in l for l in s.err), s.err)
        self.assertEqual(self.position(s), 30)


if __name__ == "__main__":
    SWITCHBOARD = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
