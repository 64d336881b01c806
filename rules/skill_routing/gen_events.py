#!/usr/bin/env python3
"""Generates a realistic event stream for the skill_routing rule pack.

One day (Monday 2026-11-23, 06:00 to 21:00 UTC) of a support desk where a
bot answers first. Each conversation opens (conversation.started with
language and tier), the customer writes (message.received with the intent
the NLU detected, when it detected one, and a sentiment from -1 to 1) and
the bot answers (bot.replied). Conversations end (conversation.closed) when
the bot solved the case, or are handed to an agent after three bot turns,
on request (intent agent_request) or when the customer is upset. Agents log
in, take breaks and log out (the global agent.* events, with skills and
capacity per channel). Some escalated conversations later turn technical
(the pack transfers them). A few messages arrive late, on purpose. Also
writes roster.jsonl beside this file: the agents' logins.

Deterministic (fixed seed), standard library only:
    python3 gen_events.py > events.jsonl
"""

import datetime
import json
import os
import random

SEED = 777
DAY = datetime.datetime(2026, 11, 23, tzinfo=datetime.timezone.utc)
INTENTS = [("billing", 24), ("technical", 16), ("login", 8), ("outage", 4),
           ("sales_inquiry", 7), ("sales_pricing", 5), ("upgrade", 5),
           ("shipping", 10), ("cancel", 6), ("address_change", 5)]
TECH = ("technical", "login", "outage")
AGENTS = [  # id, skills, capacity per channel
    ("a-anna", {"billing": 3, "german": 5, "english": 3}, {"chat": 3, "voice": 1, "whatsapp": 3}),
    ("a-ben", {"billing": 2, "english": 5}, {"chat": 3, "email": 5}),
    ("a-chiara", {"technical": 4, "english": 4, "german": 2}, {"chat": 2, "email": 4, "whatsapp": 2}),
    ("a-dmitri", {"technical": 2, "english": 3}, {"chat": 2, "email": 4}),
    ("a-elif", {"sales": 3, "german": 5, "english": 4}, {"chat": 3, "voice": 1}),
    ("a-farid", {"vip": 1, "billing": 3, "technical": 3, "english": 5, "german": 3}, {"chat": 2, "voice": 1, "whatsapp": 2}),
    ("a-greta", {"billing": 1, "sales": 1, "german": 5}, {"chat": 3, "whatsapp": 3, "email": 5}),
]


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    rng = random.Random(SEED)
    out = []  # (time, seq, event)

    def emit(t, ev):
        out.append((t, len(out), ev))

    # The agents' shifts: an early and a late team, each with a break.
    for i, (agent, skills, capacity) in enumerate(AGENTS):
        start = DAY + datetime.timedelta(hours=6 if i % 2 == 0 else 12,
                                         minutes=rng.randint(0, 20))
        end = start + datetime.timedelta(hours=8, minutes=rng.randint(0, 30))
        pause = start + datetime.timedelta(hours=4, minutes=rng.randint(0, 30))
        emit(start, {"time": ts(start), "type": "agent.login", "agent": agent,
                     "skills": skills, "capacity": capacity})
        emit(pause, {"time": ts(pause), "type": "agent.not_ready",
                     "agent": agent, "reason": "break"})
        back = pause + datetime.timedelta(minutes=30)
        emit(back, {"time": ts(back), "type": "agent.ready", "agent": agent})
        emit(end, {"time": ts(end), "type": "agent.logout", "agent": agent})

    weights = [2, 4, 7, 9, 9, 8, 7, 8, 8, 7, 6, 5, 4, 3, 2]  # 06:00-20:59
    for n in range(300):
        t = DAY + datetime.timedelta(hours=6 + rng.choices(range(15), weights)[0],
                                     seconds=rng.randint(0, 3599))
        cid = "conv-%04d" % (n + 1)
        channel = rng.choices(["chat", "whatsapp", "email", "voice"], [50, 25, 15, 10])[0]
        language = rng.choices(["de", "en", "fr"], [55, 40, 5])[0]
        tier = rng.choices(["standard", "silver", "gold"], [70, 20, 10])[0]

        def ev(type_, **attrs):
            e = {"time": ts(t), "type": type_, "conversation": cid,
                 "channel": channel}
            e.update(attrs)
            emit(t, e)

        started = {}
        if rng.random() < 0.9:          # the web widget knows the language
            started["language"] = language
        if rng.random() < 0.8:          # and the CRM the tier
            started["tier"] = tier
        ev("conversation.started", **started)
        intent = rng.choices([i for i, _ in INTENTS], [w for _, w in INTENTS])[0]
        mood = rng.uniform(-0.6, 0.8)
        path = rng.choices(["solved", "three_turns", "asks_agent", "upset"],
                           [40, 30, 18, 12])[0]
        turns = {"solved": rng.randint(0, 2), "three_turns": 3,
                 "asks_agent": rng.randint(0, 2), "upset": rng.randint(0, 2)}[path]
        for turn in range(turns + 1):
            t += datetime.timedelta(seconds=rng.randint(8, 90))
            msg = {"sentiment": round(max(-1.0, min(1.0, mood - 0.1 * turn)), 2)}
            if rng.random() < 0.85:     # the NLU recognised the intent
                msg["intent"] = intent
            last = turn == turns
            if last and path == "asks_agent":
                msg["intent"] = "agent_request"
            elif last and path == "upset":
                msg["sentiment"] = round(rng.uniform(-1.0, -0.55), 2)
            elif not last and msg["sentiment"] < -0.5:
                msg["sentiment"] = -0.4     # upset only where the path says
            ev("message.received", **msg)
            if path == "solved" and last:
                break
            if not last:
                t += datetime.timedelta(seconds=rng.randint(2, 6))
                ev("bot.replied")
        if path != "solved" and intent not in TECH and rng.random() < 0.15:
            # With an agent (or still waiting), the topic turns technical:
            # the pack transfers the conversation to tech_support.
            t += datetime.timedelta(seconds=rng.randint(30, 240))
            ev("message.received", intent="technical", sentiment=0.0)
        if path == "solved":
            t += datetime.timedelta(seconds=rng.randint(2, 6))
            ev("bot.replied")
            t += datetime.timedelta(seconds=rng.randint(20, 120))
            ev("conversation.closed", resolved_by="bot")
        else:
            t += datetime.timedelta(seconds=rng.randint(300, 1800))
            ev("conversation.closed", resolved_by="agent")

    out.sort(key=lambda e: (e[0], e[1]))
    # A few customer messages arrive late (a slow messaging provider).
    arrival = [t for t, _, _ in out]
    msgs = [i for i, e in enumerate(out) if e[2]["type"] == "message.received"]
    for i in rng.sample(msgs, 5):
        arrival[i] += datetime.timedelta(seconds=rng.randint(3, 15))
    for i in sorted(range(len(out)), key=lambda i: (arrival[i], i)):
        print(json.dumps(out[i][2], separators=(",", ":")))
    # The roster: every agent's login of the day (skills, capacity per
    # channel), also part of the stream above.
    roster = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "roster.jsonl")
    with open(roster, "w") as f:
        for _, _, e in sorted(out, key=lambda e: (e[0], e[1])):
            if e["type"] == "agent.login":
                f.write(json.dumps(e, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
