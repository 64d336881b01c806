'use strict';
// The timing loop shared by the Node peer runners of bench/compare.
//
// A runner calls run({peer, version, sync, load}) where
//   load(workloadDir, n) -> {evalEvent(ev) -> number | Promise<number>}
// returns the decisions for one event. The protocol matches
// switchboard_workload (bench/workload_driver.cc):
//   1. read events.jsonl: the lines and their parsed objects, before timing;
//   2. load the rules (timed apart: load_ms);
//   3. warm up on the first --warmup events (JIT), decisions not counted;
//   4. passes (--passes, default preparsed,withparse), each over all events:
//        preparsed  evalEvent(object)
//        withparse  evalEvent(JSON.parse(line))
//      one event at a time (awaited when async), process.hrtime.bigint()
//      around each for p50/p99/p99.9, the pass's wall time for events/s.
// Output: one JSON line on stdout, a summary line on stderr.
//
//   node RUNNER --workload DIR --n N [--warmup W] [--limit L] [--passes P]
const fs = require('fs');
const path = require('path');

function options(argv) {
  const o = { workload: '/tmp/switchboard-workload', n: 100, warmup: 5000, limit: 0, passes: 'preparsed,withparse' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in o) || i + 1 >= argv.length) throw new Error('bad argument ' + argv[i]);
    o[key] = typeof o[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return o;
}

function kb(field) {
  try {
    const m = new RegExp('^' + field + ':\\s+(\\d+)', 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch (e) {
    return null;
  }
}

// Quantiles as switchboard_workload takes them: sorted[floor(p * (n - 1))].
function stats(ns, count, totalNs, decisions) {
  const s = Float64Array.from(ns.subarray(0, count)).sort();
  const q = (p) => +(s[Math.min(count - 1, Math.floor(p * (count - 1)))] / 1e3).toFixed(4);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += s[i];
  return {
    events_per_s: Math.round(count / (totalNs / 1e9)),
    mean_us: +(sum / count / 1e3).toFixed(4),
    p50_us: q(0.5), p99_us: q(0.99), p999_us: q(0.999),
    max_us: +(s[count - 1] / 1e3).toFixed(3),
    total_s: +(totalNs / 1e9).toFixed(4),
    decisions,
  };
}

async function pass(engine, sync, count, get, ns) {
  const now = process.hrtime.bigint;
  let decisions = 0;
  const start = now();
  if (sync) {
    for (let i = 0; i < count; i++) {
      const t = now();
      decisions += engine.evalEvent(get(i));
      ns[i] = Number(now() - t);
    }
  } else {
    for (let i = 0; i < count; i++) {
      const t = now();
      decisions += await engine.evalEvent(get(i));
      ns[i] = Number(now() - t);
    }
  }
  return { decisions, totalNs: Number(now() - start) };
}

async function run(adapter) {
  const o = options(process.argv.slice(2));
  let lines = fs.readFileSync(path.join(o.workload, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (o.limit > 0) lines = lines.slice(0, o.limit);
  const objects = lines.map((l) => JSON.parse(l));
  const count = lines.length;
  const t0 = process.hrtime.bigint();
  const engine = await adapter.load(o.workload, o.n);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const ns = new Float64Array(count);
  await pass(engine, adapter.sync, Math.min(o.warmup, count), (i) => objects[i], ns);
  const out = { peer: adapter.peer, version: adapter.version, n_rules: o.n, events: count, load_ms: +loadMs.toFixed(1), node: process.version };
  const names = o.passes.split(',');
  for (const name of names) {
    const get = name === 'preparsed' ? (i) => objects[i] : name === 'withparse' ? (i) => JSON.parse(lines[i]) : null;
    if (get === null) throw new Error('unknown pass ' + name);
    const r = await pass(engine, adapter.sync, count, get, ns);
    out[name] = stats(ns, count, r.totalNs, r.decisions);
  }
  out.decisions = out[names[0]].decisions;
  out.decisions_agree_between_passes = names.every((n) => out[n].decisions === out.decisions);
  out.vmhwm_kb = kb('VmHWM');
  process.stdout.write(JSON.stringify(out) + '\n');
  const p = out[names[0]];
  process.stderr.write(`${out.peer} N=${o.n}: ${p.events_per_s} ev/s, p50 ${p.p50_us} us, p99 ${p.p99_us} us, decisions ${out.decisions}, VmHWM ${out.vmhwm_kb} kB\n`);
}

// Runs `adapter` and exits (1 on any error, with the stack on stderr).
function main(adapter) {
  run(adapter).then(() => process.exit(0), (e) => {
    process.stderr.write(String((e && e.stack) || e) + '\n');
    process.exit(1);
  });
}

function rules(workload, n, format) {
  return JSON.parse(fs.readFileSync(path.join(workload, `rules_${n}.${format}.json`), 'utf8'));
}

// The installed version of an npm package (some hide package.json behind
// "exports": walk up from its entry point).
function version(name) {
  let dir = path.dirname(require.resolve(name));
  for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === name) return pkg.version;
    }
  }
  return 'unknown';
}

module.exports = { main, rules, version };
