'use strict';
// Not an engine: the floor for rules hosted in JavaScript. Each rule of
// rules_N.jre.json becomes one predicate built with new Function, so V8
// JIT-compiles plain comparisons; per event, the predicates of its type run.
const h = require('./harness');

const OP = { equal: '===', lessThan: '<', lessThanInclusive: '<=', greaterThan: '>', greaterThanInclusive: '>=' };

function predicate(rule) {
  const tests = rule.conditions.all.map((c) => {
    const v = 'e[' + JSON.stringify(c.fact) + ']';
    return c.operator === 'in'
      ? '(' + c.value.map((x) => `${v} === ${JSON.stringify(x)}`).join(' || ') + ')'
      : `${v} ${OP[c.operator]} ${JSON.stringify(c.value)}`;
  });
  return new Function('e', 'return ' + tests.join(' && ') + ';');
}

h.main({
  peer: 'js-baseline (new Function)',
  version: process.version,
  sync: true,
  load(workload, n) {
    const byType = new Map();
    for (const [type, list] of Object.entries(h.rules(workload, n, 'jre'))) byType.set(type, list.map(predicate));
    return {
      evalEvent(ev) {
        const preds = byType.get(ev.type);
        if (preds === undefined) return 0;
        let hits = 0;
        for (let i = 0; i < preds.length; i++) if (preds[i](ev)) hits++;
        return hits;
      },
    };
  },
});
