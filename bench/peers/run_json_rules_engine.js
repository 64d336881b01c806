'use strict';
// json-rules-engine 7.x (pure JavaScript, async). One Engine per event type
// (the dispatch on `on` that every engine gets), the event object as the
// facts; every rule whose `all` conditions hold emits one event = one
// decision.
const { Engine } = require('json-rules-engine');
const h = require('./harness');

h.main({
  peer: 'json-rules-engine',
  version: h.version('json-rules-engine'),
  sync: false,
  load(workload, n) {
    const byType = new Map();
    for (const [type, list] of Object.entries(h.rules(workload, n, 'jre'))) {
      const engine = new Engine([], { allowUndefinedFacts: false });
      list.forEach((r) => engine.addRule(r));
      byType.set(type, engine);
    }
    return {
      async evalEvent(ev) {
        const engine = byType.get(ev.type);
        return engine === undefined ? 0 : (await engine.run(ev)).events.length;
      },
    };
  },
});
