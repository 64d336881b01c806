#!/usr/bin/env python3
"""Generates a realistic event stream for the cart_abandonment rule pack.

One day (Monday 2026-11-23, UTC) of a web shop: about 260 visitors who browse
(page.view), fill a cart (cart.updated with cart_items and cart_value), go
quiet, come back, empty the cart (cart.cleared) or buy (order.placed). Some
carts pass 250. Visitors are busier in the evening. A handful of page views
reach the engine late (buffered by a mobile client), on purpose.

Deterministic (fixed seed), standard library only:
    python3 gen_events.py > events.jsonl
"""

import datetime
import json
import random

SEED = 20261123
DAY = datetime.datetime(2026, 11, 23, tzinfo=datetime.timezone.utc)
PAGES = ["/", "/search", "/c/shoes", "/c/jackets", "/c/kitchen", "/p/12034",
         "/p/88120", "/p/40711", "/p/5530", "/help/shipping", "/cart"]
# (price, weight): mostly cheap items, a few expensive ones.
PRICES = [(9.99, 6), (19.9, 8), (24.5, 6), (39.0, 5), (59.9, 4), (89.0, 3),
          (129.0, 2), (199.0, 1), (349.0, 1)]


def ts(t):
    """RFC 3339 in UTC, milliseconds when there are any."""
    if t.microsecond:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Visitor:
    def __init__(self, rng, vid, start, out):
        self.rng = rng
        self.vid = vid
        self.t = start
        self.out = out
        self.items = 0
        self.value = 0.0

    def emit(self, type_, **attrs):
        ev = {"time": ts(self.t), "type": type_, "visitor": self.vid,
              "channel": "web"}
        ev.update(attrs)
        self.out.append((self.t, ev))

    def wait(self, lo, hi):
        """Waits a random number of seconds (with milliseconds)."""
        self.t += datetime.timedelta(milliseconds=self.rng.randint(lo * 1000, hi * 1000))

    def browse(self, n, lo=4, hi=70):
        for _ in range(n):
            self.wait(lo, hi)
            self.emit("page.view", page=self.rng.choice(PAGES))

    def add(self, n=1, price=None):
        for _ in range(n):
            self.wait(5, 60)
            p = price or self.rng.choices([p for p, _ in PRICES],
                                          [w for _, w in PRICES])[0]
            self.items += 1
            self.value = round(self.value + p, 2)
            self.emit("cart.updated", cart_items=self.items, cart_value=self.value)

    def remove_one(self):
        self.wait(5, 60)
        self.items -= 1
        self.value = round(self.value * self.items / (self.items + 1), 2)
        self.emit("cart.updated", cart_items=self.items, cart_value=self.value)

    def clear(self):
        self.wait(5, 40)
        self.items, self.value = 0, 0.0
        self.emit("cart.cleared")

    def buy(self):
        self.wait(10, 60)
        self.emit("page.view", page="/checkout")
        self.wait(20, 80)
        self.emit("order.placed", order_id="o-%06d" % self.rng.randint(0, 999999))
        self.items, self.value = 0, 0.0


def visitor_start(rng):
    """A start time in the day, busier from 17:00 to 22:00 UTC."""
    hour = rng.choices(range(24), [1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5,
                                   6, 6, 5, 5, 6, 8, 9, 10, 10, 8, 5, 2])[0]
    return DAY + datetime.timedelta(hours=hour, seconds=rng.randint(0, 3599))


def main():
    rng = random.Random(SEED)
    out = []
    for n in range(260):
        v = Visitor(rng, "v-%04d" % (1000 + n), visitor_start(rng), out)
        v.emit("page.view", page=rng.choice(["/", "/search", "/c/shoes"]))
        kind = rng.choices(
            ["browse", "buy", "abandon", "abandon_return", "high_value",
             "high_value_buy", "clear", "hesitate_buy"],
            [30, 22, 16, 8, 6, 5, 6, 7])[0]
        if kind == "browse":            # no cart: idle fires, nothing to do
            v.browse(rng.randint(1, 6))
        elif kind == "buy":             # quick buyer: never quiet for 90 s
            v.browse(rng.randint(1, 3))
            v.add(rng.randint(1, 3))
            v.browse(rng.randint(0, 2), hi=50)
            v.buy()
        elif kind == "abandon":         # fills the cart and leaves for good
            v.browse(rng.randint(1, 3))
            v.add(rng.randint(1, 4))
            if rng.random() < 0.3 and v.items > 1:
                v.remove_one()
            v.browse(rng.randint(0, 2), hi=40)
        elif kind == "abandon_return":  # leaves, comes back 1-3 h later
            v.browse(rng.randint(1, 2))
            v.add(rng.randint(1, 2))
            v.wait(3600, 3 * 3600)
            v.browse(rng.randint(1, 2))
            if rng.random() < 0.5:
                v.add(1)
                v.buy()
            else:
                v.add(1)            # and leaves again: reminder 4 h later
        elif kind == "high_value":      # an expensive cart, then quiet
            v.browse(rng.randint(1, 3))
            v.add(1, price=rng.choice([189.0, 229.0, 279.0]))
            v.add(rng.randint(1, 2), price=rng.choice([59.9, 89.0, 129.0]))
            v.browse(rng.randint(0, 1), hi=60)
        elif kind == "high_value_buy":  # an expensive cart, bought after the offer
            v.browse(rng.randint(1, 2))
            v.add(1, price=349.0)
            v.wait(100, 400)            # quiet: the personal chat offer
            v.emit("chat.opened")
            v.wait(60, 600)
            v.buy()
        elif kind == "clear":           # fills, then empties the cart
            v.browse(rng.randint(1, 2))
            v.add(rng.randint(1, 3))
            v.browse(1, hi=50)
            v.clear()
            v.browse(rng.randint(0, 2))
        else:                           # hesitates (offer), then buys
            v.browse(rng.randint(1, 2))
            v.add(rng.randint(1, 3))
            v.wait(95, 300)
            v.browse(rng.randint(1, 2))
            v.buy()

    # A few page views delivered late by a mobile client: they arrive up to
    # 40 s after later events.
    out.sort(key=lambda e: e[0])
    arrival = [t for t, _ in out]
    views = [i for i, (_, e) in enumerate(out) if e["type"] == "page.view"]
    for i in rng.sample(views, 6):
        arrival[i] += datetime.timedelta(seconds=rng.randint(15, 40))
    order = sorted(range(len(out)), key=lambda i: (arrival[i], i))
    for i in order:
        print(json.dumps(out[i][1], separators=(",", ":")))


if __name__ == "__main__":
    main()
