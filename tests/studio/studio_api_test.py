#!/usr/bin/env python3
"""The studio's API, `switchboard studio` as a real process (ctest;
docs/studio.md).

    studio_api_test.py SWITCHBOARD [unittest arguments]

Every test copies a rule pack of rules/ to a temporary folder, starts its
own `switchboard studio` on it on loopback (port 0: the address is the line
it prints on stdout), bounds every wait, and kills what it started at the
end. Python 3 standard library only.
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

SWITCHBOARD = None  # set from argv
SOURCE = os.environ.get("SWITCHBOARD_SOURCE_DIR",
                        os.path.join(os.path.dirname(__file__), "..", ".."))
PACK = "cart_abandonment"
START_SECONDS = 20
REQUEST_SECONDS = 60


class Studio:
    """One `switchboard studio` process."""

    def __init__(self, test, args, preexec=None):
        self.proc = subprocess.Popen(
            [SWITCHBOARD, "studio"] + args, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, preexec_fn=preexec)
        test.addCleanup(self.kill)
        line = _readline(self.proc.stdout, START_SECONDS)
        if not line.startswith("http://"):
            self.kill()
            raise AssertionError("no address on stdout: %r; stderr: %s" %
                                 (line, self.proc.stderr.read().decode()))
        hostport = line.strip()[len("http://"):].rstrip("/")
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)

    def request(self, method, path, body=None, headers=None, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=REQUEST_SECONDS)
        try:
            h = {"Content-Type": "application/json"}
            h.update(headers or {})
            data = raw if raw is not None else (
                None if body is None else json.dumps(body).encode())
            conn.request(method, path, body=data, headers=h)
            res = conn.getresponse()
            payload = res.read()
            try:
                return res.status, json.loads(payload)
            except ValueError:
                return res.status, payload
        finally:
            conn.close()

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=START_SECONDS)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            if f and not f.closed:
                f.close()


def _readline(stream, seconds):
    """A line of `stream` within `seconds` (or '' after them)."""
    import select
    ready, _, _ = select.select([stream], [], [], seconds)
    return stream.readline().decode() if ready else ""


def read(path):
    with open(path) as f:
        return f.read()


def files_of(folder):
    return [{"name": n, "text": read(os.path.join(folder, n))}
            for n in sorted(os.listdir(folder))
            if n.endswith((".yaml", ".yml")) and not n.startswith(".")]


class StudioApiTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="studio-api-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.rules = os.path.join(self.tmp, "rules")
        pack = os.path.join(SOURCE, "rules", PACK)
        os.mkdir(self.rules)
        for name in os.listdir(pack):
            if name.endswith(".yaml"):
                shutil.copy(os.path.join(pack, name), self.rules)
        self.events = os.path.join(pack, "events.jsonl")

    def start(self, *extra, rules=None, preexec=None):
        return Studio(self, [rules or self.rules, "--events", self.events] +
                      list(extra), preexec=preexec)

    def run_cli(self, rules):
        out = subprocess.run([SWITCHBOARD, "run", rules, "--events",
                              self.events], capture_output=True, timeout=60)
        return [line for line in out.stdout.decode().splitlines() if line]

    def test_state_lists_the_rule_files(self):
        s = self.start()
        status, state = s.request("GET", "/api/state")
        self.assertEqual(status, 200)
        self.assertEqual(state["rules"], self.rules)
        self.assertTrue(state["folder"])
        self.assertEqual(state["events"], self.events)
        self.assertEqual([f["name"] for f in state["files"]], ["cart.yaml"])
        self.assertEqual(state["files"][0]["text"],
                         read(os.path.join(self.rules, "cart.yaml")))

    def test_check_reports_a_typo_with_its_hint(self):
        s = self.start()
        files = files_of(self.rules)
        status, ok = s.post("/api/check", {"files": files})
        self.assertEqual(status, 200)
        self.assertTrue(ok["ok"])
        self.assertEqual(len(ok["rules"]), 6)
        text = files[0]["text"]
        line = text[:text.index("    priority: 100")].count("\n") + 1
        files[0]["text"] = text.replace("    priority: 100", "    priorty: 100")
        status, bad = s.post("/api/check", {"files": files})
        self.assertEqual(status, 200)
        self.assertFalse(bad["ok"])
        self.assertEqual(bad["errors"], 1)
        d = [d for d in bad["diagnostics"] if d["severity"] == "error"][0]
        self.assertEqual(d["name"], "cart.yaml")
        self.assertEqual(d["file"], os.path.join(self.rules, "cart.yaml"))
        self.assertEqual((d["line"], d["column"]), (line, 5))
        self.assertIn("unknown key 'priorty'", d["message"])
        self.assertEqual(d["hint"], "did you mean 'priority'?")
        self.assertEqual(d["source_line"], "    priorty: 100")
        self.assertEqual(d["caret"], 4)

    def test_run_decides_as_switchboard_run(self):
        s = self.start()
        status, run = s.post("/api/run", {"files": files_of(self.rules)})
        self.assertEqual(status, 200)
        expected = self.run_cli(self.rules)
        self.assertGreater(len(expected), 0)
        self.assertEqual(len(run["decisions"]), len(expected))
        self.assertEqual(run["summary"]["decisions"], len(expected))
        # The same decisions, in the same order, with their explanations.
        for got, want in zip(run["decisions"], expected):
            d = dict(got["decision"])
            self.assertIn("explain", d)
            del d["explain"]
            self.assertEqual(d, json.loads(want))
            self.assertTrue(got["text"].startswith(d["time"]))
        summary = run["summary"]
        self.assertEqual(sum(r["decisions"] for r in
                             summary["decisions_by_rule"]), len(expected))
        self.assertIsInstance(summary["never_ran"], list)

    def test_run_takes_pasted_events_and_reports_bad_lines(self):
        s = self.start()
        events = ('{"time":"2026-11-23T10:00:00Z","type":"cart.updated",'
                  '"visitor":"v-1","cart_items":2,"cart_value":300.0}\n'
                  'not json\n'
                  '{"time":"2026-11-23T10:05:00Z","type":"page.viewed",'
                  '"visitor":"v-1"}\n')
        status, run = s.post("/api/run", {"files": files_of(self.rules),
                                          "events": events})
        self.assertEqual(status, 200)
        self.assertEqual(run["events_source"], "pasted")
        self.assertEqual(run["summary"]["bad_lines"], 1)
        self.assertTrue(run["bad_lines"][0].startswith("pasted:2: error:"))
        rules = {d["decision"]["rule"] for d in run["decisions"]}
        self.assertIn("high-value-cart", rules)
        self.assertIn("cart-abandonment-priority", rules)  # idle 90s fired

    def test_each_decision_carries_the_trace_of_its_trigger(self):
        s = self.start()
        status, run = s.post("/api/run", {"files": files_of(self.rules)})
        self.assertEqual(status, 200)
        traces = run["trace"]
        self.assertGreater(len(traces), 0)
        self.assertFalse(run["trace_truncated"])
        claimed = {}
        for got in run["decisions"]:
            d = got["decision"]
            self.assertIsInstance(got["trace"], int, d)
            record = traces[got["trace"]]
            claimed[got["trace"]] = claimed.get(got["trace"], 0) + 1
            self.assertEqual(record["session"], d["session"])
            self.assertEqual(record["trigger"], d["trigger"])
            self.assertEqual(record["time"], d["time"])
            outcomes = {r["rule"]: r["outcome"] for r in record["rules"]}
            self.assertEqual(outcomes.get(d["rule"]), "ran", record)
        # Every record belongs to a decision, and counts them all.
        self.assertEqual(sorted(claimed), list(range(len(traces))))
        for index, count in claimed.items():
            self.assertEqual(traces[index]["decisions"], count)

    def test_errors_of_triggers_without_a_decision_have_messages(self):
        s = self.start()
        files = files_of(self.rules)
        cart = next(f for f in files if f["name"] == "cart.yaml")
        cart["text"] = cart["text"].replace("rules:\n", (
            "rules:\n"
            "  - name: needs-items\n"
            "    on: page.viewed\n"
            "    if: event.cart_items > 0\n"
            "    then:\n"
            "      - tag: [browsing_with_items]\n"), 1)
        events = ('{"time":"2026-11-23T10:00:00Z","type":"page.viewed",'
                  '"visitor":"v-9"}\n')
        status, run = s.post("/api/run", {"files": files, "events": events})
        self.assertEqual(status, 200, run)
        self.assertEqual(run["decisions"], [])
        errors = {e["rule"]: e for e in run["summary"]["errors_by_rule"]}
        self.assertEqual(errors["needs-items"]["count"], 1)
        self.assertEqual(len(errors["needs-items"]["messages"]), 1)
        self.assertIn("cart_items", errors["needs-items"]["messages"][0])

    def test_run_of_a_broken_ruleset_answers_its_diagnostics(self):
        s = self.start()
        files = files_of(self.rules)
        files[0]["text"] = files[0]["text"].replace("on: cart.updated",
                                                    "on: [cart.updated")
        status, run = s.post("/api/run", {"files": files})
        self.assertEqual(status, 422)
        self.assertGreater(len(run["diagnostics"]), 0)

    def test_diff_against_the_files_on_disk(self):
        s = self.start()
        files = files_of(self.rules)
        status, same = s.post("/api/diff", {"files": files})
        self.assertEqual(status, 200)
        self.assertTrue(same["identical"])
        files[0]["text"] = files[0]["text"].replace("cart_value >= 250.0",
                                                    "cart_value >= 100.0")
        status, diff = s.post("/api/diff", {"files": files})
        self.assertEqual(status, 200)
        self.assertFalse(diff["identical"])
        self.assertGreater(diff["total"]["added"] + diff["total"]["changed"],
                           0)
        self.assertEqual(len(diff["differences"]),
                         diff["total"]["added"] + diff["total"]["removed"] +
                         diff["total"]["changed"])
        self.assertIn(diff["differences"][0]["change"],
                      ("added", "removed", "changed"))
        # As `switchboard diff` counts them.
        edited = os.path.join(self.tmp, "edited.yaml")
        with open(edited, "w") as f:
            f.write(files[0]["text"])
        cli = subprocess.run([SWITCHBOARD, "diff", self.rules, edited,
                              "--events", self.events], capture_output=True,
                             timeout=60)
        self.assertEqual(cli.returncode, 1)
        lines = [line for line in cli.stdout.decode().splitlines() if line]
        self.assertEqual(len(lines), len(diff["differences"]))

    def test_graph_is_an_svg_with_one_node_per_rule(self):
        s = self.start()
        status, graph = s.post("/api/graph", {"files": files_of(self.rules)})
        self.assertEqual(status, 200)
        self.assertTrue(graph["ok"])
        svg = graph["svg"]
        self.assertTrue(svg.startswith("<svg"))
        self.assertEqual(graph["rules"], 6)
        self.assertEqual(svg.count('data-testid="graph-node"'), 6)
        for rule in ("track-cart", "high-value-cart", "cart-abandonment",
                     "cart-reminder", "order-placed"):
            self.assertIn('data-rule="%s"' % rule, svg)
        import xml.dom.minidom
        xml.dom.minidom.parseString(svg)  # well-formed

    def test_save_writes_atomically_and_refuses_errors_unless_forced(self):
        s = self.start()
        path = os.path.join(self.rules, "cart.yaml")
        files = files_of(self.rules)
        good = files[0]["text"].replace("cart_help_personal", "cart_help_vip")
        status, saved = s.post("/api/save", {"files": [
            {"name": "cart.yaml", "text": good}]})
        self.assertEqual(status, 200, saved)
        self.assertEqual(saved["saved"], ["cart.yaml"])
        self.assertEqual(read(path), good)
        self.assertEqual(sorted(os.listdir(self.rules)), ["cart.yaml"])
        # Unchanged: not written again.
        status, again = s.post("/api/save", {"files": [
            {"name": "cart.yaml", "text": good}]})
        self.assertEqual((status, again["unchanged"]), (200, ["cart.yaml"]))
        broken = good.replace("priority: 100", "priorty: 100")
        status, refused = s.post("/api/save", {"files": [
            {"name": "cart.yaml", "text": broken}]})
        self.assertEqual(status, 422)
        self.assertEqual(read(path), good)
        self.assertEqual(refused["diagnostics"][0]["hint"],
                         "did you mean 'priority'?")
        status, forced = s.post("/api/save", {"files": [
            {"name": "cart.yaml", "text": broken}], "force": True})
        self.assertEqual(status, 200)
        self.assertTrue(forced["forced"])
        self.assertEqual(read(path), broken)

    def two_files(self):
        """Splits the pack into cart.yaml and extra.yaml (one more rule)."""
        with open(os.path.join(self.rules, "extra.yaml"), "w") as f:
            f.write("rules:\n"
                    "  - name: extra-tag\n"
                    "    on: order.placed\n"
                    "    then:\n"
                    "      - tag: [ordered]\n")
        return files_of(self.rules)

    def test_save_refuses_files_changed_on_disk_since_the_page_read_them(self):
        files = self.two_files()
        s = self.start()
        path = os.path.join(self.rules, "cart.yaml")
        first = files[0]["text"]
        # Another page (or an editor) saves cart.yaml meanwhile.
        theirs = first.replace("cart_help_personal", "cart_help_theirs")
        with open(path, "w") as f:
            f.write(theirs)
        mine = first.replace("cart_help_personal", "cart_help_mine")
        extra = files[1]["text"].replace("[ordered]", "[bought]")
        body = {"files": [
            {"name": "cart.yaml", "text": mine, "base": first},
            {"name": "extra.yaml", "text": extra, "base": files[1]["text"]}]}
        status, refused = s.post("/api/save", body)
        self.assertEqual(status, 409, refused)
        self.assertEqual(refused["conflicts"], ["cart.yaml"])
        self.assertIn("changed on disk", refused["error"])
        # Nothing written: neither the conflicting file nor the other one.
        self.assertEqual(read(path), theirs)
        self.assertEqual(read(os.path.join(self.rules, "extra.yaml")),
                         files[1]["text"])
        # Saving the text on disk again is no conflict; "overwrite" wins.
        status, same = s.post("/api/save", {"files": [
            {"name": "cart.yaml", "text": theirs, "base": first},
            {"name": "extra.yaml", "text": files[1]["text"]}]})
        self.assertEqual((status, same["unchanged"]),
                         (200, ["cart.yaml", "extra.yaml"]))
        body["overwrite"] = True
        status, saved = s.post("/api/save", body)
        self.assertEqual(status, 200, saved)
        self.assertEqual(saved["saved"], ["cart.yaml", "extra.yaml"])
        self.assertEqual(read(path), mine)
        # A base that is the text on disk saves without "overwrite".
        again = mine.replace("cart_help_mine", "cart_help_again")
        status, saved = s.post("/api/save", {"files": [
            {"name": "cart.yaml", "text": again, "base": mine},
            {"name": "extra.yaml", "text": extra, "base": extra}]})
        self.assertEqual((status, saved["saved"]), (200, ["cart.yaml"]))

    def test_save_writes_every_file_or_none(self):
        files = self.two_files()
        # The studio may write files of at most 64 KiB (RLIMIT_FSIZE, with
        # SIGXFSZ ignored: the write fails with EFBIG), so that the second
        # file's new text cannot be written, as on a full disk.
        limit = 64 * 1024

        def small_files():
            import resource
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        s = self.start(preexec=small_files)
        cart = files[0]["text"].replace("cart_help_personal", "cart_help_x")
        extra = files[1]["text"] + "# " + "x" * (2 * limit) + "\n"
        status, refused = s.post("/api/save", {"files": [
            {"name": "cart.yaml", "text": cart},
            {"name": "extra.yaml", "text": extra}]})
        self.assertEqual(status, 500, refused)
        self.assertIn("nothing saved", refused["error"])
        self.assertIn("extra.yaml", refused["error"])
        # cart.yaml, written first, was not replaced; no file left behind.
        self.assertEqual(read(os.path.join(self.rules, "cart.yaml")),
                         files[0]["text"])
        self.assertEqual(sorted(os.listdir(self.rules)),
                         ["cart.yaml", "extra.yaml"])
        # Both fit: both are saved.
        status, saved = s.post("/api/save", {"files": [
            {"name": "cart.yaml", "text": cart},
            {"name": "extra.yaml", "text": files[1]["text"] + "# ok\n"}]})
        self.assertEqual((status, saved["saved"]),
                         (200, ["cart.yaml", "extra.yaml"]))
        self.assertEqual(read(os.path.join(self.rules, "cart.yaml")), cart)

    def test_paths_outside_rules_are_refused(self):
        outside = os.path.join(self.tmp, "outside.yaml")
        with open(outside, "w") as f:
            f.write("secret: true\n")
        s = self.start()
        text = files_of(self.rules)[0]["text"]
        for name in ("../outside.yaml", outside, "/etc/passwd",
                     "rules/cart.yaml", "./cart.yaml", "cart.yaml/..", ""):
            for api in ("/api/save", "/api/check", "/api/run"):
                status, answer = s.post(api, {"files": [
                    {"name": name, "text": text}]})
                self.assertEqual(status, 403, (api, name, answer))
        self.assertEqual(read(outside), "secret: true\n")

    def test_a_symlink_is_not_saved_through(self):
        outside = os.path.join(self.tmp, "outside.yaml")
        shutil.copy(os.path.join(self.rules, "cart.yaml"), outside)
        os.remove(os.path.join(self.rules, "cart.yaml"))
        os.symlink(outside, os.path.join(self.rules, "cart.yaml"))
        before = read(outside)
        s = self.start()
        status, answer = s.post("/api/save", {"files": [
            {"name": "cart.yaml", "text": before + "# edited\n"}]})
        self.assertEqual(status, 403, answer)
        self.assertEqual(read(outside), before)

    def test_bodies_are_bounded(self):
        s = self.start("--max-body", "4096")
        status, _ = s.post("/api/check", None, raw=b"x" * 10000)
        self.assertEqual(status, 413)
        status, answer = s.post("/api/check", None, raw=b"{not json")
        self.assertEqual(status, 400)
        self.assertIn("error", answer)

    def test_cross_site_requests_are_refused(self):
        s = self.start()
        body = {"files": files_of(self.rules)}
        status, _ = s.post("/api/check", body,
                           headers={"Content-Type": "text/plain"})
        self.assertEqual(status, 415)
        status, _ = s.post("/api/check", body,
                           headers={"Origin": "http://evil.example"})
        self.assertEqual(status, 403)
        status, _ = s.post("/api/check", body,
                           headers={"Origin": "http://127.0.0.1:%d" % s.port})
        self.assertEqual(status, 200)
        status, _ = s.request("GET", "/api/state",
                              headers={"Host": "evil.example:%d" % s.port})
        self.assertEqual(status, 403)

    def test_the_page_and_its_assets_are_served(self):
        s = self.start()
        for path, needle in (("/", b"data-testid=\"diagnostics\""),
                             ("/studio.js", b"data-testid"),
                             ("/studio.css", b"#diagnostics")):
            status, body = s.request("GET", path)
            self.assertEqual(status, 200, path)
            self.assertIn(needle, body)
        status, _ = s.request("GET", "/codemirror/../../etc/passwd")
        self.assertIn(status, (400, 404))
        status, _ = s.request("GET", "/codemirror/lib/other.js")
        self.assertEqual(status, 404)

    def test_without_codemirror_the_editor_files_are_404(self):
        s = self.start("--codemirror", os.path.join(self.tmp, "none"))
        status, _ = s.request("GET", "/codemirror/lib/codemirror.js")
        self.assertEqual(status, 404)
        status, _ = s.request("GET", "/")
        self.assertEqual(status, 200)

    def test_a_broken_ruleset_starts(self):
        path = os.path.join(self.rules, "cart.yaml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("priority: 100", "priorty: 100"))
        s = self.start()
        status, state = s.request("GET", "/api/state")
        self.assertEqual(status, 200)
        status, check = s.post("/api/check", {"files": state["files"]})
        self.assertFalse(check["ok"])
        self.assertEqual(s.stop(), 0)

    def test_a_single_rule_file(self):
        s = self.start(rules=os.path.join(self.rules, "cart.yaml"))
        status, state = s.request("GET", "/api/state")
        self.assertFalse(state["folder"])
        self.assertEqual([f["name"] for f in state["files"]], ["cart.yaml"])
        status, run = s.post("/api/run", {"files": state["files"]})
        self.assertEqual(status, 200)
        self.assertEqual(len(run["decisions"]),
                         len(self.run_cli(os.path.join(self.rules,
                                                       "cart.yaml"))))

    def test_remote_addresses_need_allow_remote(self):
        out = subprocess.run([SWITCHBOARD, "studio", self.rules, "--http",
                              "0.0.0.0:0"], capture_output=True, timeout=20)
        self.assertEqual(out.returncode, 2)
        self.assertIn(b"--allow-remote", out.stderr)
        s = Studio(self, [self.rules, "--http", "0.0.0.0:0",
                          "--allow-remote"])
        status, _ = s.request("GET", "/api/state",
                              headers={"Host": "studio.example:%d" % s.port})
        self.assertEqual(status, 200)

    def test_sigterm_stops_cleanly(self):
        s = self.start()
        self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    SWITCHBOARD = os.path.abspath(sys.argv.pop(1))
    unittest.main()
