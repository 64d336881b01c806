'use strict';
// GoRules zen-engine (Rust core, N-API binding, async evaluate). One JDM
// graph per event type: request -> decision table with hit policy
// "collect" (one row per rule) -> response; the collected rows are the
// decisions. Decisions are precompiled with ZenDecisionContent where the
// binding has it.
const { ZenEngine, ZenDecisionContent } = require('@gorules/zen-engine');
const h = require('./harness');

h.main({
  peer: 'zen-engine',
  version: h.version('@gorules/zen-engine'),
  sync: false,
  load(workload, n) {
    const engine = new ZenEngine();
    const byType = new Map();
    for (const [type, graph] of Object.entries(h.rules(workload, n, 'zen'))) {
      const bytes = Buffer.from(JSON.stringify(graph));
      byType.set(type, engine.createDecision(
        typeof ZenDecisionContent === 'function' ? new ZenDecisionContent(bytes) : bytes));
    }
    return {
      async evalEvent(ev) {
        const decision = byType.get(ev.type);
        return decision === undefined ? 0 : (await decision.evaluate(ev)).result.length;
      },
    };
  },
});
