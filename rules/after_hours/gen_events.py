#!/usr/bin/env python3
"""Generates a realistic event stream for the after_hours rule pack.

Conversations (conversation.started with a topic, message.received,
conversation.closed) at a Berlin contact center over three stretches of
days that show what the calendars must get right:
  - Fri 2026-10-23 to Tue 2026-10-27: a weekend and the end of daylight
    saving time (Sunday 2026-10-25, 03:00 CEST becomes 02:00 CET), so 08:00
    in Berlin is 06:00 UTC on Friday and 07:00 UTC on Monday;
  - Wed 2026-12-23 to Sun 2026-12-27: Christmas (24-26 December closed);
  - Wed 2026-12-30 to Sat 2027-01-02: New Year's Eve (08:00-12:00 only)
    and New Year's Day (closed).
Most traffic falls in the day, some in the evening and at night, with
outages (topic 'outage') for the on-call line that works until 02:00. The
phone system stamps its events in Berlin time (+01:00 / +02:00), the chat
in UTC; a few chat messages arrive late, on purpose. Besides the random
traffic, fixed probes sit on the edges (07:59 / 08:00, 19:59 / 20:00, the
last 15 minutes before closing, 01:59 / 02:00 on the on-call line).

Deterministic (fixed seed), standard library only:
    python3 gen_events.py > events.jsonl
"""

import datetime
import json
import random

SEED = 2026
UTC = datetime.timezone.utc
DAYS = ([datetime.date(2026, 10, 23) + datetime.timedelta(days=i) for i in range(5)] +
        [datetime.date(2026, 12, 23) + datetime.timedelta(days=i) for i in range(5)] +
        [datetime.date(2026, 12, 30) + datetime.timedelta(days=i) for i in range(4)])
TOPICS = [("billing", 30), ("delivery", 25), ("account", 15), ("outage", 6),
          ("returns", 14), (None, 10)]


def last_sunday(year, month):
    d = datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
    return d - datetime.timedelta(days=(d.weekday() + 1) % 7)


def berlin_offset(utc):
    """Europe/Berlin's UTC offset at a UTC instant (EU rules since 1996)."""
    start = datetime.datetime.combine(last_sunday(utc.year, 3), datetime.time(1), UTC)
    end = datetime.datetime.combine(last_sunday(utc.year, 10), datetime.time(1), UTC)
    return datetime.timedelta(hours=2 if start <= utc < end else 1)


def from_berlin(day, hour, minute, second=0):
    """The UTC instant of a Berlin wall-clock time (the earlier one when the
    hour repeats)."""
    local = datetime.datetime.combine(day, datetime.time(0), UTC) + datetime.timedelta(
        hours=hour, minutes=minute, seconds=second)
    for h in (2, 1):
        utc = local - datetime.timedelta(hours=h)
        if berlin_offset(utc) == datetime.timedelta(hours=h):
            return utc
    return local - datetime.timedelta(hours=1)  # in the spring gap


def ts_utc(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_berlin(t):
    off = berlin_offset(t)
    return (t + off).strftime("%Y-%m-%dT%H:%M:%S") + "+%02d:00" % (off.seconds // 3600)


def main():
    rng = random.Random(SEED)
    out = []  # (time, seq, event)
    count = [0]

    def conversation(start, channel, topic, messages):
        """One conversation from `start` (UTC): started, messages, closed."""
        count[0] += 1
        cid = "c-%05d" % count[0]
        stamp = ts_berlin if channel == "voice" else ts_utc

        def ev(t, type_, **attrs):
            e = {"time": stamp(t), "type": type_, "conversation": cid,
                 "channel": channel}
            e.update(attrs)
            out.append((t, len(out), e))

        attrs = {"topic": topic} if topic else {}
        ev(start, "conversation.started", **attrs)
        t = start
        for gap in messages:
            t += datetime.timedelta(seconds=gap)
            ev(t, "message.received")
        t += datetime.timedelta(seconds=rng.randint(60, 900))
        ev(t, "conversation.closed")

    # Random traffic: Berlin hours weighted towards the day; fewer contacts
    # on Sundays and holidays.
    hour_weights = [2, 1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 9, 8, 9, 9, 8, 8, 7,
                    6, 5, 4, 3, 3, 2]
    for day in DAYS:
        quiet = day.weekday() == 6 or (day.month, day.day) in (
            (12, 24), (12, 25), (12, 26), (1, 1))
        for _ in range(rng.randint(28, 38) if quiet else rng.randint(55, 70)):
            hour = rng.choices(range(24), hour_weights)[0]
            start = from_berlin(day, hour, rng.randint(0, 59), rng.randint(0, 59))
            channel = rng.choices(["chat", "voice", "whatsapp", "email"], [45, 35, 12, 8])[0]
            topic = rng.choices([t for t, _ in TOPICS], [w for _, w in TOPICS])[0]
            n = 0 if channel == "voice" else rng.randint(1, 4)
            conversation(start, channel, topic, [rng.randint(20, 400) for _ in range(n)])

    # Fixed probes on the edges of the calendars.
    probes = [
        # Friday before the DST change: 08:00 Berlin is 06:00 UTC.
        (datetime.date(2026, 10, 23), 7, 59, "voice", "billing", []),
        (datetime.date(2026, 10, 23), 8, 0, "voice", "billing", []),
        (datetime.date(2026, 10, 23), 19, 50, "chat", "delivery", [60, 240]),
        (datetime.date(2026, 10, 23), 20, 0, "voice", "delivery", []),
        # Saturday: open 09:00-14:00; closing soon from 13:45.
        (datetime.date(2026, 10, 24), 13, 40, "chat", "returns", [200, 400]),
        (datetime.date(2026, 10, 24), 23, 30, "voice", "outage", []),
        # The night of the DST change: 01:30 on the late shift, 02:30 (twice
        # on the wall clock; the first one here) after it.
        (datetime.date(2026, 10, 25), 1, 30, "voice", "outage", []),
        (datetime.date(2026, 10, 25), 2, 30, "voice", "outage", []),
        # Monday after the DST change: 08:00 Berlin is now 07:00 UTC.
        (datetime.date(2026, 10, 26), 7, 59, "chat", "account", [30]),
        (datetime.date(2026, 10, 26), 8, 0, "chat", "account", [30]),
        (datetime.date(2026, 10, 26), 19, 44, "whatsapp", "billing", [60, 300, 600]),
        (datetime.date(2026, 10, 26), 21, 15, "voice", "outage", []),
        # Christmas Eve is closed all day; the on-call line still works.
        (datetime.date(2026, 12, 24), 10, 0, "voice", "billing", []),
        (datetime.date(2026, 12, 24), 10, 5, "chat", "outage", [40]),
        (datetime.date(2026, 12, 26), 3, 0, "voice", "outage", []),
        # New Year's Eve: 08:00-12:00 only.
        (datetime.date(2026, 12, 31), 11, 40, "chat", "billing", [120, 300, 400]),
        (datetime.date(2026, 12, 31), 12, 0, "voice", "billing", []),
        (datetime.date(2027, 1, 1), 1, 59, "voice", "outage", []),
        (datetime.date(2027, 1, 1), 2, 0, "voice", "outage", []),
        (datetime.date(2027, 1, 2), 9, 0, "voice", "delivery", []),
    ]
    for day, h, m, channel, topic, gaps in probes:
        conversation(from_berlin(day, h, m), channel, topic, gaps)

    out.sort(key=lambda e: (e[0], e[1]))
    arrival = [t for t, _, _ in out]
    msgs = [i for i, e in enumerate(out) if e[2]["type"] == "message.received"]
    for i in rng.sample(msgs, 5):  # the chat gateway delivered these late
        arrival[i] += datetime.timedelta(seconds=rng.randint(5, 25))
    for i in sorted(range(len(out)), key=lambda i: (arrival[i], i)):
        print(json.dumps(out[i][2], separators=(",", ":")))


if __name__ == "__main__":
    main()
