#!/usr/bin/env python3
"""Generates a realistic event stream for the response_time rule pack.

One day (Monday 2026-11-23, UTC) of an asynchronous support desk (e-mail,
WhatsApp, messenger, chat). Customers write (message.received with their
tier: standard, silver or gold, when the CRM knows it), agents or the bot
answer (reply.sent with author), and conversations end
(conversation.closed). The desk is staffed from 07:00 to 19:00; replies are
quick in the day, slower at the lunch dip, and messages written in the
evening or at night wait until the morning, so some go unanswered for over
15, 30 and 60 minutes. A few replies reach the engine late, on purpose.

Deterministic (fixed seed), standard library only:
    python3 gen_events.py > events.jsonl
"""

import datetime
import json
import random

SEED = 1500
DAY = datetime.datetime(2026, 11, 23, tzinfo=datetime.timezone.utc)
STAFFED = (7, 19)  # UTC hours with agents at the desk
AGENTS = ["a-%02d" % i for i in range(1, 13)]


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def reply_delay(rng, t, tier):
    """Seconds until the desk replies to a message written at t."""
    hour = t.hour + t.minute / 60
    if hour < STAFFED[0] or hour >= STAFFED[1]:
        # Nobody there: the first agent answers after 07:00 (next day).
        opens = t.replace(hour=STAFFED[0], minute=0, second=0)
        if hour >= STAFFED[1]:
            opens += datetime.timedelta(days=1)
        return int((opens - t).total_seconds()) + rng.randint(300, 3600)
    if rng.random() < 0.12:
        return rng.randint(35 * 60, 150 * 60)   # fell through the cracks
    mean = 1100 if 11.5 <= hour < 13.5 else 480  # the lunch dip
    if tier == "gold":
        mean //= 2                                # gold is answered first
    return max(20, int(rng.expovariate(1 / mean)))


def main():
    rng = random.Random(SEED)
    out = []  # (time, seq, event)

    def emit(t, ev):
        out.append((t, len(out), ev))

    weights = [1, 1, 1, 1, 1, 2, 3, 6, 9, 10, 10, 9, 8, 8, 8, 8, 7, 7, 6, 5, 4, 3, 2, 1]
    for n in range(330):
        t = DAY + datetime.timedelta(hours=rng.choices(range(24), weights)[0],
                                     seconds=rng.randint(0, 3599))
        cid = "conv-%04d" % (n + 1)
        channel = rng.choices(["email", "whatsapp", "messenger", "chat"], [35, 30, 15, 20])[0]
        tier = rng.choices(["standard", "silver", "gold"], [68, 20, 12])[0]
        known = rng.random() < 0.9

        def ev(type_, when, **attrs):
            e = {"time": ts(when), "type": type_, "conversation": cid,
                 "channel": channel}
            e.update(attrs)
            emit(when, e)

        rounds = rng.choices([1, 2, 3], [50, 35, 15])[0]
        for r in range(rounds):
            attrs = {"tier": tier} if known else {}
            ev("message.received", t, **attrs)
            if rng.random() < 0.3:  # a follow-up message: restarts the wait
                t += datetime.timedelta(seconds=rng.randint(30, 400))
                ev("message.received", t, **attrs)
            t += datetime.timedelta(seconds=reply_delay(rng, t, tier))
            author = "bot" if rng.random() < 0.15 else rng.choice(AGENTS)
            ev("reply.sent", t, author=author)
            if r + 1 < rounds:
                t += datetime.timedelta(seconds=rng.randint(120, 5400))
        if rng.random() < 0.8:
            t += datetime.timedelta(seconds=rng.randint(60, 1800))
            ev("conversation.closed", t)

    # Stop at midnight: what is still open shows up as pending timers.
    end = DAY + datetime.timedelta(days=1)
    out = [e for e in out if e[0] < end]
    out.sort(key=lambda e: (e[0], e[1]))
    arrival = [t for t, _, _ in out]
    replies = [i for i, e in enumerate(out) if e[2]["type"] == "reply.sent"]
    for i in rng.sample(replies, 5):  # the desk's webhook retried these
        arrival[i] += datetime.timedelta(seconds=rng.randint(5, 30))
    for i in sorted(range(len(out)), key=lambda i: (arrival[i], i)):
        print(json.dumps(out[i][2], separators=(",", ":")))


if __name__ == "__main__":
    main()
