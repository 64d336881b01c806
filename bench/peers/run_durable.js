'use strict';
// durable_rules (npm `durable`, RETE in C, synchronous JS host). One
// ruleset per event type, one single-pattern rule per rule. An event posted
// as an *event* is consumed by one rule only, so each event is asserted as
// a *fact* (every matching rule's action runs once = one decision) and then
// retracted. Facts use durable's default session (it keeps at most 1,024
// sessions in memory per ruleset); `id` is a running number because durable
// refuses a fact it has seen. A fact no rule matches raises
// MessageNotHandledError, which is expected and ignored.
const durable = require('durable');
const h = require('./harness');

function notHandled(e) {
  return e && e.name === 'MessageNotHandledError';
}

h.main({
  peer: 'durable_rules',
  version: h.version('durable'),
  sync: true,
  load(workload, n) {
    const host = durable.getHost();
    let fired = 0;
    const count = (c) => { fired++; };  // durable requires an action of arity 1 or 2
    const rulesets = {};
    const byType = new Map();
    for (const [type, rules] of Object.entries(h.rules(workload, n, 'durable'))) {
      const name = 'rs_' + type.replace(/\./g, '_');
      Object.values(rules).forEach((r) => { r.run = count; });
      rulesets[name] = rules;
      byType.set(type, name);
    }
    host.registerRulesets(rulesets);
    let id = 0;
    return {
      evalEvent(ev) {
        const name = byType.get(ev.type);
        if (name === undefined) return 0;
        const before = fired;
        ev.id = ++id;
        try { host.assert(name, ev); } catch (e) { if (!notHandled(e)) throw e; }
        try { host.retract(name, ev); } catch (e) { if (!notHandled(e)) throw e; }
        return fired - before;
      },
    };
  },
});
