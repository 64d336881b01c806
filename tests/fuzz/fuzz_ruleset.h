// The fixed ruleset that the event-reader and test-file fuzz targets run
// against: every attribute type the JSON Lines reader knows (int, double,
// string, bool, duration, timestamp, list(string), map(string, int), dyn, and
// one it refuses: list(int)), session fields, a calendar, channel fallbacks,
// queues with skills and relax steps, and rules using every trigger form
// (event types, prefixes, idle, after/since/unless, route.timeout) and every
// action, so that fuzzed events reach the whole engine.
#ifndef SWITCHBOARD_TESTS_FUZZ_FUZZ_RULESET_H_
#define SWITCHBOARD_TESTS_FUZZ_FUZZ_RULESET_H_

namespace switchboard::fuzz {

inline constexpr char kFuzzRuleset[] = R"yaml(
ruleset: fuzz
session:
  key: visitor
  expire: 2h
  fields:
    items: int = 0
    offered: bool = false
    intent: string
    last: timestamp
    score: double = 0.0
event:
  cart_items: int
  cart_value: double
  intent: string
  vip: bool
  wait: duration
  since: timestamp
  labels: list(string)
  skills_wanted: map(string, int)
  extra: dyn
  codes: list(int)
calendars:
  hours:
    timezone: Europe/Berlin
    weekly:
      mon-fri: ["08:00-20:00"]
      sat: ["22:00-02:00"]
    closed: ["2026-12-24"]
    special: {"2026-12-31": ["08:00-12:00"]}
channels:
  voice: {fallback: [whatsapp, sms]}
  chat: {fallback: [email]}
queues:
  billing: {skills: {billing: 2}, channels: [chat, voice, web]}
  general:
    skills: {}
    relax:
      - {after: 30s, skills: {}}
rules:
  - name: track
    priority: 100
    on: cart.*
    if: has(event.cart_items)
    then:
      - set: {items: "event.cart_items", last: "now", score: "session.score + 1.5"}
  - name: remember
    priority: 90
    on: message.received
    if: has(event.intent)
    then:
      - set: {intent: "event.intent"}
      - tag: [seen]
  - name: quiet
    on: {idle: 90s}
    if: session.items > 0 && !session.offered
    then:
      - offer: {channel: chat, message: help}
      - set: {offered: true}
  - name: reminder
    on: {after: 4h, since: cart.updated, unless: [order.placed]}
    then:
      - callback: {within: 30m}
  - name: escalate
    priority: 50
    on: message.received
    if:
      - has(event.intent) && event.intent == 'agent'
      - open('hours') || channel_up('voice')
    then:
      - handoff: {to: agent, reason: asked}
      - emit: {type: escalated, intent: "event.intent"}
  - name: route-billing
    on: escalated
    if: event.intent == 'agent' && queue('billing').waiting < 100
    final: true
    then:
      - route: {queue: billing, priority: 2, timeout: 5m}
  - name: route-general
    on: [escalated, call.queued]
    then:
      - route: {queue: general, timeout: 10m}
  - name: deflect
    on: call.queued
    if: (has(event.wait) && event.wait > duration('2m')) || (has(event.vip) && event.vip)
    then:
      - deflect: {to: voice, message: busy}
  - name: timeout
    on: route.timeout
    then:
      - callback: {within: 1h}
  - name: labels
    on: page.view
    if:
      - has(event.labels) && 'x' in event.labels
      - has(event.skills_wanted) && event.skills_wanted.size() > 0
      - has(event.since) && event.since < now
      - has(event.extra) && event.extra != null
      - has(event.cart_value) && event.cart_value / 2.0 > 1.0
    then:
      - tag: [page]
)yaml";

}  // namespace switchboard::fuzz

#endif  // SWITCHBOARD_TESTS_FUZZ_FUZZ_RULESET_H_
