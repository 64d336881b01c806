#!/usr/bin/env python3
"""The studio's page in headless Chromium (ctest; docs/studio.md).

    studio_page_test.py SWITCHBOARD ARTEFACTS_DIR

Starts `switchboard studio` on a copy of a rule pack of rules/ with its
events, opens the page in Debian's `chromium --headless=new` and drives it
through the DevTools protocol (a WebSocket client on a raw socket: Python 3
standard library only):

  1. load: the page shows one data-testid="decision" per decision of
     `switchboard run RULES --events FILE`, each opening to its
     explanation;
  2. a typo typed into the editor shows its diagnostic, with the hint, in
     data-testid="diagnostics" and a marker in the editor's gutter;
  3. the typo removed, an edit saved with the Save button is the file on
     disk, and the diff against disk is empty again;
  4. data-testid="graph" holds an SVG with one node per rule.

A screenshot of the page at each step goes to ARTEFACTS_DIR (kept, not
compared). Exits 77 (ctest: skipped) when chromium is not installed. Every
wait is bounded; the browser and the studio are killed at the end.
"""

import base64
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77
SOURCE = os.environ.get("SWITCHBOARD_SOURCE_DIR",
                        os.path.join(os.path.dirname(__file__), "..", ".."))
PACK = "cart_abandonment"
TOTAL_SECONDS = 240  # the whole test, then SIGALRM fails it
WAIT_SECONDS = 30    # any one wait


class WebSocket:
    """A minimal WebSocket client (RFC 6455): text frames, no extensions."""

    def __init__(self, url):
        m = re.match(r"ws://([^/:]+):(\d+)(/.*)", url)
        host, port, path = m.group(1), int(m.group(2)), m.group(3)
        self.sock = socket.create_connection((host, port), timeout=WAIT_SECONDS)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n" % (path, host, port, key)
        ).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError("websocket handshake refused: %r" % head)

    def send(self, text):
        data = text.encode()
        header = bytearray([0x81])
        if len(data) < 126:
            header.append(0x80 | len(data))
        elif len(data) < 65536:
            header.append(0x80 | 126)
            header += struct.pack(">H", len(data))
        else:
            header.append(0x80 | 127)
            header += struct.pack(">Q", len(data))
        mask = os.urandom(4)
        header += mask
        self.sock.sendall(bytes(header) +
                          bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        out = bytearray()
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("websocket closed")
            out += chunk
        return bytes(out)

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            mask = self._exact(4) if b1 & 0x80 else None
            payload = self._exact(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if opcode == 0x9:  # ping
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()


class Page:
    """A page target of the browser, driven by DevTools commands."""

    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method,
                                 "params": params}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply["result"]

    def eval(self, expression):
        result = self.call("Runtime.evaluate", expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError("%s: %s" % (expression,
                                           result["exceptionDetails"]))
        return result["result"].get("value")

    def wait(self, expression, what, seconds=WAIT_SECONDS):
        deadline = time.time() + seconds
        error = None
        while time.time() < deadline:
            try:
                value = self.eval(expression)
            except RuntimeError as e:  # the page is not there yet
                value, error = None, e
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError("timed out waiting for %s (%s)%s" % (
            what, expression, "; last error: %s" % error if error else ""))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        print("screenshot:", path)

    def key(self, key, code, vk):
        for kind in ("rawKeyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=code,
                      windowsVirtualKeyCode=vk, nativeVirtualKeyCode=vk)


def read_line(stream, pattern, seconds):
    """The first line of `stream` matching `pattern` within `seconds`."""
    deadline = time.time() + seconds
    seen = []
    while time.time() < deadline:
        ready, _, _ = select.select([stream], [], [], deadline - time.time())
        if not ready:
            break
        line = stream.readline().decode(errors="replace")
        if not line:
            break
        seen.append(line)
        m = re.search(pattern, line)
        if m:
            return m
    raise AssertionError("no line matching %r; saw:\n%s" %
                         (pattern, "".join(seen[-20:])))


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("ok:", message)


def main():
    switchboard = os.path.abspath(sys.argv[1])
    artefacts = os.path.abspath(sys.argv[2])
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed: skipped")
        return SKIP
    os.makedirs(artefacts, exist_ok=True)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(
        TimeoutError("the page test took more than %d s" % TOTAL_SECONDS)))
    signal.alarm(TOTAL_SECONDS)

    tmp = tempfile.mkdtemp(prefix="studio-page-")
    procs = []
    try:
        rules = os.path.join(tmp, PACK)
        os.mkdir(rules)
        pack = os.path.join(SOURCE, "rules", PACK)
        for name in os.listdir(pack):
            if name.endswith(".yaml"):
                shutil.copy(os.path.join(pack, name), rules)
        events = os.path.join(pack, "events.jsonl")
        run = subprocess.run([switchboard, "run", rules, "--events", events],
                             capture_output=True, timeout=60, check=True)
        expected = len([l for l in run.stdout.splitlines() if l.strip()])
        rule_count = int(re.search(
            rb"(\d+) rules", subprocess.run(
                [switchboard, "check", rules], capture_output=True,
                timeout=60).stdout).group(1))

        studio = subprocess.Popen(
            [switchboard, "studio", rules, "--events", events],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True)
        procs.append(studio)
        url = read_line(studio.stdout, r"^(http://\S+)", WAIT_SECONDS).group(1)

        profile = os.path.join(tmp, "profile")
        browser = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-sync",
             "--user-data-dir=" + profile, "--remote-debugging-port=0",
             "--window-size=1400,900", url],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True)
        procs.append(browser)
        devtools = read_line(browser.stderr,
                             r"DevTools listening on (ws://[^/\s]+)",
                             WAIT_SECONDS).group(1)
        http_base = devtools.replace("ws://", "http://")
        target = None
        deadline = time.time() + WAIT_SECONDS
        while target is None and time.time() < deadline:
            with urllib.request.urlopen(http_base + "/json/list",
                                        timeout=WAIT_SECONDS) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if pages:
                target = pages[0]
            else:
                time.sleep(0.1)
        check(target is not None, "the browser opened the page")
        page = Page(target["webSocketDebuggerUrl"])
        page.call("Runtime.enable")
        page.call("Page.enable")

        # 1. Load: every decision of `switchboard run`.
        page.wait("document.body.dataset.runState === 'done'",
                  "the first run to finish")
        shown = page.eval(
            "document.querySelectorAll('[data-testid=decision]').length")
        check(shown == expected,
              "the page shows %d decisions, switchboard run made %d" %
              (shown, expected))
        # A decision opens to its explanation: the rules considered.
        page.eval("document.querySelector('[data-testid=decision]').click()")
        explained = page.wait(
            "(() => { const e = document.querySelector("
            "'[data-testid=explanation]'); return e && e.textContent; })()",
            "the first decision's explanation")
        check(" ran" in explained and "-> true" in explained and
              "undefined" not in explained,
              "the explanation: %s" % explained[:120])
        # ... and to the trace of its trigger: every rule it considered.
        traced = page.eval(
            "(() => { const e = document.querySelector("
            "'[data-testid=explanation] [data-testid=trace]');"
            " return e && e.textContent; })()")
        check(bool(traced) and "rules considered" in traced and
              " ran" in traced and "undefined" not in traced,
              "the trace: %s" % (traced or "")[:120])
        editor = page.eval("document.getElementById('editor-host')"
                           ".dataset.editor")
        check(editor == "codemirror", "the editor is CodeMirror")
        page.screenshot(os.path.join(artefacts, "1-loaded.png"))

        # 2. A typo typed into the editor: "priority:" -> "priorityy:".
        pos = page.eval("""(() => {
            const cm = document.querySelector('.CodeMirror').CodeMirror;
            const text = cm.getValue();
            const at = text.indexOf('priority: 100') + 'priority'.length;
            cm.focus();
            cm.setCursor(cm.posFromIndex(at));
            return cm.posFromIndex(at);
        })()""")
        page.call("Input.insertText", text="y")
        hint = page.wait("""(() => {
            const h = document.querySelector(
                '[data-testid=diagnostics] [data-testid=hint]');
            return h && h.textContent;
        })()""", "the typo's diagnostic")
        check(hint == "did you mean 'priority'?", "the hint: %s" % hint)
        where = page.eval("""(() => {
            const d = document.querySelector(
                '[data-testid=diagnostics] [data-testid=diagnostic]');
            return [d.dataset.line, d.dataset.column, d.textContent];
        })()""")
        check(int(where[0]) == pos["line"] + 1 and int(where[1]) == 5 and
              "unknown key 'priorityy'" in where[2],
              "the diagnostic's place and message: %s" % where)
        check(page.eval("document.querySelectorAll('.sb-marker').length") >= 1,
              "a marker in the editor's gutter")
        page.screenshot(os.path.join(artefacts, "2-typo.png"))

        # 3. Fix it (Backspace), change a message, Save, read the file back.
        page.key("Backspace", "Backspace", 8)
        page.wait("document.getElementById('check-status')"
                  ".classList.contains('ok')", "the fixed ruleset to check ok")
        page.eval("""(() => {
            const cm = document.querySelector('.CodeMirror').CodeMirror;
            const text = cm.getValue();
            const at = text.indexOf('cart_help_personal');
            cm.replaceRange('cart_help_vip', cm.posFromIndex(at),
                            cm.posFromIndex(at + 'cart_help_personal'.length));
        })()""")
        page.eval("document.querySelector('[data-testid=diff-button]').click()")
        page.wait("document.querySelectorAll('[data-testid=difference]')"
                  ".length > 0", "the diff against disk")
        page.screenshot(os.path.join(artefacts, "3-diff.png"))
        page.eval("document.querySelector('[data-testid=save-button]').click()")
        page.wait("document.getElementById('save-status').dataset.status"
                  " === '200'", "the save")
        with open(os.path.join(rules, "cart.yaml")) as f:
            saved = f.read()
        typed = page.eval("window.studio.text('cart.yaml')")
        check(saved == typed and "cart_help_vip" in saved and
              "priorityy" not in saved, "Save wrote the editor's text")
        page.eval("document.querySelector('[data-testid=diff-button]').click()")
        page.wait("(() => { const t = document.querySelector("
                  "'[data-testid=diff-total]'); return t && "
                  "t.dataset.identical === 'true'; })()",
                  "no difference once saved")
        page.screenshot(os.path.join(artefacts, "4-saved.png"))

        # 4. The graph: an SVG with one node per rule.
        page.eval("document.querySelector('[data-tab=graph]').click()")
        nodes = page.wait("(() => { const s = document.querySelector("
                          "'[data-testid=graph] svg'); return s && "
                          "s.querySelectorAll('[data-testid=graph-node]')"
                          ".length; })()", "the graph")
        check(nodes == rule_count,
              "the graph has %d rule nodes for %d rules" % (nodes, rule_count))
        page.screenshot(os.path.join(artefacts, "5-graph.png"))
        try:
            page.call("Browser.close")
        except (ConnectionError, OSError, RuntimeError):
            pass
        print("all steps passed")
        return 0
    finally:
        signal.alarm(0)
        for p in procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
