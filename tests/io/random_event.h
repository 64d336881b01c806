// Random events for the tests of Event's other forms (the packed form,
// CompactEvent): every kind, nested lists and maps, extreme values, schema
// indexes and tags, built through the readers' door; and Describe, an
// event's every meaningful member as text, to compare two events.
#ifndef SWITCHBOARD_TESTS_IO_RANDOM_EVENT_H_
#define SWITCHBOARD_TESTS_IO_RANDOM_EVENT_H_

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "engine/common/event_access.h"
#include "switchboard/event.h"

namespace switchboard::testing::random_event {

using Attribute = Event::Attribute;
using Kind = Event::Kind;

// The members `kind` makes meaningful, as text (nested elements included).
inline std::string Describe(const Attribute& a) {
  std::string out = a.name + ":" + std::to_string(static_cast<int>(a.kind)) +
                    "@" + std::to_string(a.schema_index) + "=";
  switch (a.kind) {
    case Kind::kNull:
      break;
    case Kind::kBool:
      out += a.bool_value ? "true" : "false";
      break;
    case Kind::kInt:
      out += std::to_string(a.int_value);
      break;
    case Kind::kDouble: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%a", a.double_value);
      out += buf;
      break;
    }
    case Kind::kString:
      out += "'" + a.string_value + "'";
      break;
    case Kind::kDuration:
      out += absl::FormatDuration(a.duration_value);
      break;
    case Kind::kTimestamp:
      out += absl::FormatTime(a.time_value);
      break;
    case Kind::kStringList:
      for (const std::string& s : a.strings) out += "'" + s + "',";
      break;
    case Kind::kIntMap:
      for (const auto& [k, v] : a.ints)
        out += k + "=" + std::to_string(v) + ",";
      break;
    case Kind::kList:
    case Kind::kMap:
      out += "[";
      for (const Attribute& e : a.elements) out += Describe(e) + ";";
      out += "]";
      break;
  }
  return out;
}

inline std::string Describe(const Event& e) {
  std::string out = e.type() + " " + absl::FormatTime(e.time()) + " tag " +
                    std::to_string(reinterpret_cast<uintptr_t>(
                        internal::EventAccess::SchemaTag(e)));
  for (const Attribute& a : e) out += "\n  " + Describe(a);
  return out;
}

inline Attribute Scalar(std::mt19937_64& rng, int depth);

inline std::vector<Attribute> Elements(std::mt19937_64& rng, int depth,
                                       bool keyed) {
  std::vector<Attribute> out(rng() % 4);
  int k = 0;
  for (Attribute& a : out) {
    a = Scalar(rng, depth + 1);
    a.name = keyed ? "k" + std::to_string(k++) : "";
  }
  return out;
}

inline Attribute Scalar(std::mt19937_64& rng, int depth) {
  Attribute a;
  const int kinds = depth < 3 ? 11 : 9;
  a.kind = static_cast<Kind>(rng() % kinds);
  switch (a.kind) {
    case Kind::kNull:
      break;
    case Kind::kBool:
      a.bool_value = rng() % 2 == 0;
      break;
    case Kind::kInt: {
      const int64_t v[] = {0, -1, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max(),
                           static_cast<int64_t>(rng())};
      a.int_value = v[rng() % 5];
      break;
    }
    case Kind::kDouble: {
      const double v[] = {0.0,       -0.0,
                          1.5,       1e308,
                          -4.9e-324, std::numeric_limits<double>::quiet_NaN()};
      a.double_value = v[rng() % 6];
      break;
    }
    case Kind::kString:
      a.string_value = std::string(rng() % 40, 'x') + "\n\"\xc3\xa9";
      break;
    case Kind::kDuration: {
      const absl::Duration v[] = {
          absl::ZeroDuration(),           absl::Seconds(90),
          -absl::Nanoseconds(1500000001), absl::InfiniteDuration(),
          -absl::InfiniteDuration(),      absl::Hours(24 * 365 * 500)};
      a.duration_value = v[rng() % 6];
      break;
    }
    case Kind::kTimestamp: {
      const absl::Time v[] = {
          absl::UnixEpoch(), absl::InfiniteFuture(), absl::InfinitePast(),
          absl::FromUnixNanos(1795000000123456789),
          absl::FromUnixSeconds(-62135596800) - absl::Nanoseconds(1)};
      a.time_value = v[rng() % 5];
      break;
    }
    case Kind::kStringList:
      a.strings.assign(rng() % 4, "label");
      break;
    case Kind::kIntMap:
      for (int i = 0, n = static_cast<int>(rng() % 4); i < n; ++i) {
        a.ints.push_back({"skill" + std::to_string(i), i * 7 - 3});
      }
      break;
    case Kind::kList:
      a.elements = Elements(rng, depth, false);
      break;
    case Kind::kMap:
      a.elements = Elements(rng, depth, true);
      break;
  }
  return a;
}

// Builds a random event through the public setters (and the readers' door
// for schema indexes).
inline void Fill(std::mt19937_64& rng, Event* e) {
  e->Reset(rng() % 5 == 0 ? "" : "cart.updated",
           absl::FromUnixNanos(static_cast<int64_t>(rng() >> 2)));
  if (rng() % 2 == 0) {
    internal::EventAccess::SetSchemaTag(
        *e, reinterpret_cast<const void*>(uintptr_t{0x1234567890}));
  }
  for (int i = 0, n = static_cast<int>(rng() % 9); i < n; ++i) {
    Attribute a = Scalar(rng, 0);
    Attribute* slot = internal::EventAccess::AppendAttribute(
        *e, "attr" + std::to_string(i), a.kind,
        static_cast<int32_t>(rng() % 3) - 1);
    slot->bool_value = a.bool_value;
    slot->int_value = a.int_value;
    slot->double_value = a.double_value;
    slot->string_value = a.string_value;
    slot->duration_value = a.duration_value;
    slot->time_value = a.time_value;
    slot->strings = a.strings;
    slot->ints = a.ints;
    slot->elements = a.elements;
  }
}

}  // namespace switchboard::testing::random_event

#endif  // SWITCHBOARD_TESTS_IO_RANDOM_EVENT_H_
