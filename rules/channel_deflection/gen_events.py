#!/usr/bin/env python3
"""Generates a realistic event stream for the channel_deflection rule pack.

One business day (Monday 2026-11-23, 07:00 to 20:00 UTC) of a voice hotline
and a web chat. Callers are identified by the IVR (customer.identified with
whatsapp_opt_in and caller_country), queue (call.queued on voice with the
telephony system's estimated_wait, longer at the morning and afternoon
peaks), and are answered (call.answered), hang up (call.ended) or are
deflected and continue on WhatsApp or SMS. Web visitors open the chat
(chat.requested). The messaging providers have outages, reported by the
global events channel.down / channel.up:
  - WhatsApp is down 10:40-12:20 (deflections fall back to SMS),
  - SMS is down 11:30-11:55 as well (both down: call backs instead),
  - chat is down 15:10-15:45 (chats continue by e-mail).
A few IVR events reach the engine late, on purpose.

Deterministic (fixed seed), standard library only:
    python3 gen_events.py > events.jsonl
"""

import datetime
import json
import random

SEED = 4242
DAY = datetime.datetime(2026, 11, 23, tzinfo=datetime.timezone.utc)
OUTAGES = [("whatsapp", "10:40", "12:20"), ("sms", "11:30", "11:55"),
           ("chat", "15:10", "15:45")]
COUNTRIES = ["DE", "DE", "DE", "AT", "CH", "NL", "FR"]


def at(hhmm, seconds=0):
    h, m = map(int, hhmm.split(":"))
    return DAY + datetime.timedelta(hours=h, minutes=m, seconds=seconds)


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def peak_wait(rng, t):
    """The telephony system's estimated wait in seconds at time t."""
    hour = t.hour + t.minute / 60
    base = 90
    if 9 <= hour < 11.5:               # the morning peak
        base = 330
    elif 13.5 <= hour < 15.5:          # the afternoon peak
        base = 260
    elif 11.5 <= hour < 13.5:
        base = 160
    return max(15, int(rng.gauss(base, base * 0.35)))


def main():
    rng = random.Random(SEED)
    out = []  # (time, seq, event)

    def emit(t, ev):
        out.append((t, len(out), ev))

    for channel, down, up in OUTAGES:
        emit(at(down), {"time": ts(at(down)), "type": "channel.down",
                        "channel": channel, "provider_status": "major_outage"})
        emit(at(up), {"time": ts(at(up)), "type": "channel.up",
                      "channel": channel})

    # Calls: arrivals weighted by hour, 07:00-19:59.
    weights = [2, 5, 9, 10, 8, 6, 6, 8, 9, 7, 5, 4, 2]
    for n in range(330):
        hour = 7 + rng.choices(range(13), weights)[0]
        t = DAY + datetime.timedelta(hours=hour, seconds=rng.randint(0, 3599))
        cid = "call-%04d" % (n + 1)

        def ev(type_, when, **attrs):
            e = {"time": ts(when), "type": type_, "conversation": cid,
                 "channel": "voice"}
            e.update(attrs)
            emit(when, e)

        if rng.random() < 0.85:        # the IVR recognised the caller
            attrs = {"caller_country": rng.choice(COUNTRIES)}
            if rng.random() < 0.9:
                attrs["whatsapp_opt_in"] = rng.random() < 0.55
            ev("customer.identified", t, **attrs)
        t += datetime.timedelta(seconds=rng.randint(15, 50))
        est = peak_wait(rng, t)
        ev("call.queued", t, estimated_wait="%ds" % est)
        # The actual wait scatters around the estimate.
        actual = max(5, int(est * rng.uniform(0.5, 1.4)))
        patience = rng.randint(60, 900)
        if est > 300 and rng.random() < 0.6:
            # Took the messaging offer: hangs up shortly after it.
            end = t + datetime.timedelta(seconds=rng.randint(20, 60))
            ev("call.ended", end, reason="deflected")
        elif patience < actual:
            ev("call.ended", t + datetime.timedelta(seconds=patience),
               reason="abandoned")
        else:
            answered = t + datetime.timedelta(seconds=actual)
            ev("call.answered", answered, agent="a-%02d" % rng.randint(1, 24))
            ev("call.ended", answered + datetime.timedelta(
                seconds=rng.randint(90, 900)), reason="completed")

    # Chats: chat.requested, a couple of messages, chat.ended.
    for n in range(170):
        t = DAY + datetime.timedelta(hours=7 + rng.randint(0, 12),
                                     seconds=rng.randint(0, 3599))
        cid = "chat-%04d" % (n + 1)
        emit(t, {"time": ts(t), "type": "chat.requested", "conversation": cid,
                 "channel": "chat", "page": rng.choice(["/help", "/orders", "/"])})
        for _ in range(rng.randint(0, 2)):
            t += datetime.timedelta(seconds=rng.randint(20, 240))
            emit(t, {"time": ts(t), "type": "message.received",
                     "conversation": cid, "channel": "chat"})
        t += datetime.timedelta(seconds=rng.randint(60, 600))
        emit(t, {"time": ts(t), "type": "chat.ended", "conversation": cid,
                 "channel": "chat"})

    out.sort(key=lambda e: (e[0], e[1]))
    # A few customer.identified events arrive late (the CRM look-up is slow):
    # they are delivered up to 20 s after later events.
    arrival = [t for t, _, _ in out]
    ids = [i for i, e in enumerate(out) if e[2]["type"] == "customer.identified"]
    for i in rng.sample(ids, 5):
        arrival[i] += datetime.timedelta(seconds=rng.randint(5, 20))
    for i in sorted(range(len(out)), key=lambda i: (arrival[i], i)):
        print(json.dumps(out[i][2], separators=(",", ":")))


if __name__ == "__main__":
    main()
