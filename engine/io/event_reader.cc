// EventReader (include/switchboard/event_reader.h): one JSON Lines line ->
// an Event, with simdjson's On-Demand API over a reused, padded copy of the
// line. The fast path for plain lines (ReaderOptions::fast_path) is
// event_reader_fast.cc; both share the member table of event_reader_impl.h.
//
// A member that depends on the event's type (agent.* built-ins, route.timeout
// built-ins) and comes before "type" in the line has its value checked and
// skipped; a second pass over the (rewound) document reads it once the type
// is known.
#include "switchboard/event_reader.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/check/checked_ruleset.h"
#include "engine/check/rule_env.h"
#include "engine/common/event_access.h"
#include "engine/common/suggest.h"
#include "engine/common/time_util.h"
#include "engine/io/event_reader_impl.h"
#include "engine/plan/ruleset_access.h"
#include "simdjson.h"
#include "switchboard/ruleset.h"

namespace switchboard {

using ::switchboard::check::CheckedRuleset;
using ::switchboard::check::EventAttribute;
using ::switchboard::check::IsGlobalEventType;
using ::switchboard::check::kRouteTimeoutEvent;

using io::Cat;
using io::kMaxDepth;
using io::Member;
using io::MemberView;
using io::Shape;
using io::ShapeOf;

namespace {

namespace od = simdjson::ondemand;

std::string_view JsonTypeName(od::json_type t) {
  switch (t) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a bool";
    case od::json_type::null:
      return "null";
  }
  return "a value";
}

absl::Status Malformed(simdjson::error_code e, int max_depth = kMaxDepth) {
  switch (e) {
    case simdjson::UTF8_ERROR:
      return absl::InvalidArgumentError("invalid UTF-8");
    case simdjson::DEPTH_ERROR:
      return absl::InvalidArgumentError(
          Cat("JSON nested deeper than ", static_cast<size_t>(max_depth)));
    default:
      return absl::InvalidArgumentError(
          Cat("malformed JSON: ", simdjson::error_message(e)));
  }
}

// Checks that `v` is well-formed JSON (the On-Demand parser only looks at
// what it is asked for), consuming it.
simdjson::error_code Validate(od::value v, int depth, int max_depth) {
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  switch (t) {
    case od::json_type::array: {
      if (depth > max_depth) return simdjson::DEPTH_ERROR;
      od::array a;
      if (auto e = v.get_array().get(a)) return e;
      for (auto element : a) {
        od::value x;
        if (auto e = element.get(x)) return e;
        if (auto e = Validate(x, depth + 1, max_depth)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::object: {
      if (depth > max_depth) return simdjson::DEPTH_ERROR;
      od::object o;
      if (auto e = v.get_object().get(o)) return e;
      for (auto field : o) {
        od::field f;
        if (auto e = std::move(field).get(f)) return e;
        std::string_view key;
        if (auto e = f.unescaped_key().get(key)) return e;
        if (auto e = Validate(f.value(), depth + 1, max_depth)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      // Numbers of any size are fine where they are ignored; only their
      // syntax is checked.
      od::number_type nt;
      if (auto e = v.get_number_type().get(nt)) return e;
      double d;
      auto e = v.get_double().get(d);
      return e == simdjson::NUMBER_ERROR ? simdjson::SUCCESS : e;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null;
      if (auto e = v.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

// A line that is not JSON at all ("not json"): its start, quoted (up to
// 24 bytes, cut at a UTF-8 boundary; FormatBadLine escapes control
// characters).
absl::Status NotJson(std::string_view line) {
  constexpr size_t kShown = 24;
  std::string_view shown = line;
  bool cut = false;
  if (shown.size() > kShown) {
    size_t n = kShown;
    while (n > 0 && (static_cast<unsigned char>(line[n]) & 0xC0) == 0x80) --n;
    shown = line.substr(0, n);
    cut = true;
  }
  return absl::InvalidArgumentError(
      Cat("malformed JSON: a line must be one JSON object, got '", shown,
          cut ? "...'" : "'"));
}

// Whether the scalar document `doc`, whose first byte says `t`, is a valid
// JSON value of that type.
bool ScalarDocumentIsValid(od::document& doc, od::json_type t) {
  switch (t) {
    case od::json_type::null: {
      bool is_null = false;
      return doc.is_null().get(is_null) == simdjson::SUCCESS && is_null;
    }
    case od::json_type::boolean: {
      bool b;
      return doc.get_bool().get(b) == simdjson::SUCCESS;
    }
    case od::json_type::number: {
      double d;
      const simdjson::error_code e = doc.get_double().get(d);
      return e == simdjson::SUCCESS || e == simdjson::NUMBER_OUT_OF_RANGE;
    }
    case od::json_type::string: {
      std::string_view str;
      return doc.get_string().get(str) == simdjson::SUCCESS;
    }
    default:
      return true;
  }
}

}  // namespace

namespace {

absl::Status WrongType(const MemberView& m, od::json_type got) {
  return absl::InvalidArgumentError(Cat("member '", m.name, "' must be ",
                                        m.type_text, ", got ",
                                        JsonTypeName(got)));
}

absl::Status MemberError(const MemberView& m, std::string_view what) {
  return absl::InvalidArgumentError(Cat("member '", m.name, "': ", what));
}

}  // namespace

absl::Status EventReader::Impl::TooLong(const MemberView& m,
                                        size_t size) const {
  return MemberError(m, Cat("string of ", size, " bytes (the limit is ",
                            options.max_string_bytes, ")"));
}

namespace {

// A member error from simdjson: malformed JSON in general, a range error for
// numbers.
absl::Status NumberError(const MemberView& m, simdjson::error_code e) {
  if (e == simdjson::NUMBER_ERROR || e == simdjson::NUMBER_OUT_OF_RANGE) {
    return MemberError(m, "number out of range or malformed");
  }
  return Malformed(e);
}

absl::StatusOr<int64_t> ReadInt(const MemberView& m, od::value v,
                                std::string_view what) {
  // Fast path: a plain integer (get_int64 fails on fractions, exponents and
  // out-of-range values, which the checks below then name).
  int64_t fast;
  if (v.get_int64().get(fast) == simdjson::SUCCESS) return fast;
  od::number_type nt;
  if (auto e = v.get_number_type().get(nt)) return NumberError(m, e);
  const std::string at = what.empty() ? std::string() : Cat(" ", what);
  if (nt == od::number_type::floating_point_number) {
    return MemberError(m, Cat("expected an integer", at,
                              ", got a number with a fraction or an "
                              "exponent"));
  }
  const std::string out_of_range = Cat("integer", at, " out of range (int64)");
  if (nt == od::number_type::unsigned_integer) {
    return MemberError(m, out_of_range);
  }
  int64_t i;
  if (auto e = v.get_int64().get(i)) {
    // A negative integer below INT64_MIN reads as signed, then not as int64.
    if (e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_OUT_OF_RANGE) {
      return MemberError(m, out_of_range);
    }
    return NumberError(m, e);
  }
  return i;
}

}  // namespace

absl::Status EventReader::Impl::ReadStringList(const MemberView& m, od::value v,
                                               Event* out) {
  od::array a;
  if (auto e = v.get_array().get(a)) return Malformed(e);
  strings.clear();
  size_t n = 0;
  for (auto element : a) {
    od::value x;
    if (auto e = element.get(x)) return Malformed(e);
    od::json_type t;
    if (auto e = x.type().get(t)) return Malformed(e);
    if (t != od::json_type::string) {
      return MemberError(m, Cat("must be ", m.type_text, ": element ", n,
                                " is ", JsonTypeName(t)));
    }
    if (n >= options.max_elements) {
      return MemberError(
          m, Cat("more than ", options.max_elements, " elements (the limit)"));
    }
    std::string_view s;
    if (auto e = x.get_string().get(s)) return Malformed(e);
    if (s.size() > options.max_string_bytes) return TooLong(m, s.size());
    strings.emplace_back(s);
    ++n;
  }
  internal::EventAccess::AppendAttribute(*out, m.name, Event::Kind::kStringList,
                                         m.schema_index)
      ->strings = std::move(strings);
  return absl::OkStatus();
}

absl::Status EventReader::Impl::ReadIntMap(const MemberView& m, od::value v,
                                           Event* out) {
  od::object o;
  if (auto e = v.get_object().get(o)) return Malformed(e);
  ints.clear();
  for (auto field : o) {
    od::field f;
    if (auto e = std::move(field).get(f)) return Malformed(e);
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return Malformed(e);
    if (ints.size() >= options.max_elements) {
      return MemberError(
          m, Cat("more than ", options.max_elements, " entries (the limit)"));
    }
    if (key.size() > options.max_string_bytes) return TooLong(m, key.size());
    std::string what = Cat("'", key, "'");
    for (const auto& [k, unused] : ints) {
      if (k == key) return MemberError(m, Cat("duplicate key ", what));
    }
    od::json_type t;
    if (auto e = f.value().type().get(t)) return Malformed(e);
    if (t != od::json_type::number) {
      return MemberError(
          m, Cat("must be ", m.type_text, ": ", what, " is ", JsonTypeName(t)));
    }
    absl::StatusOr<int64_t> i = ReadInt(m, f.value(), Cat("at ", what));
    if (!i.ok()) return i.status();
    ints.emplace_back(std::string(key), *i);
  }
  internal::EventAccess::AppendAttribute(*out, m.name, Event::Kind::kIntMap,
                                         m.schema_index)
      ->ints = std::move(ints);
  return absl::OkStatus();
}

absl::Status EventReader::Impl::ReadValue(const MemberView& m,
                                          const cel::Type& type, od::value v,
                                          Event::Attribute* out, int depth,
                                          std::string& path) {
  od::json_type t;
  if (auto e = v.type().get(t)) return Malformed(e);
  const auto mismatch = [&]() {
    if (path.empty()) return WrongType(m, t);
    return absl::InvalidArgumentError(Cat("member '", m.name, "' must be ",
                                          m.type_text, ": element ", path,
                                          " is ", JsonTypeName(t)));
  };
  const std::string_view at = path;
  const bool dyn = type.is_dyn();
  switch (t) {
    case od::json_type::null: {
      if (!dyn && type.kind() != cel::TypeKind::kNull) return mismatch();
      bool is_null;
      if (auto e = v.is_null().get(is_null)) return Malformed(e);
      if (!is_null) return Malformed(simdjson::N_ATOM_ERROR);
      out->kind = Event::Kind::kNull;
      return absl::OkStatus();
    }
    case od::json_type::boolean: {
      if (!dyn && type.kind() != cel::TypeKind::kBool) return mismatch();
      bool b;
      if (auto e = v.get_bool().get(b)) return Malformed(e);
      out->kind = Event::Kind::kBool;
      out->bool_value = b;
      return absl::OkStatus();
    }
    case od::json_type::number: {
      bool as_int = type.kind() == cel::TypeKind::kInt;
      if (dyn) {
        od::number_type nt;
        if (auto e = v.get_number_type().get(nt)) return NumberError(m, e);
        as_int = nt == od::number_type::signed_integer;
      } else if (!as_int && type.kind() != cel::TypeKind::kDouble) {
        return mismatch();
      }
      if (as_int) {
        absl::StatusOr<int64_t> i =
            ReadInt(m, v, at.empty() ? "" : Cat("at element ", at));
        if (!i.ok()) return i.status();
        out->kind = Event::Kind::kInt;
        out->int_value = *i;
        return absl::OkStatus();
      }
      double d;
      if (auto e = v.get_double().get(d)) return NumberError(m, e);
      if (!std::isfinite(d)) return MemberError(m, "number out of range");
      out->kind = Event::Kind::kDouble;
      out->double_value = d;
      return absl::OkStatus();
    }
    case od::json_type::string: {
      const cel::TypeKind k = type.kind();
      if (!dyn && k != cel::TypeKind::kString &&
          k != cel::TypeKind::kDuration && k != cel::TypeKind::kTimestamp) {
        return mismatch();
      }
      std::string_view s;
      if (auto e = v.get_string().get(s)) return Malformed(e);
      if (s.size() > options.max_string_bytes) return TooLong(m, s.size());
      if (k == cel::TypeKind::kDuration) {
        absl::StatusOr<absl::Duration> d = switchboard::ParseDuration(s);
        if (!d.ok()) {
          return MemberError(m,
                             Cat(at.empty() ? "" : Cat("element ", at, ": "),
                                 std::string_view(d.status().message().data(),
                                                  d.status().message().size()),
                                 " (a duration is a string such as \"90s\" or "
                                 "\"1h30m\")"));
        }
        out->kind = Event::Kind::kDuration;
        out->duration_value = *d;
        return absl::OkStatus();
      }
      if (k == cel::TypeKind::kTimestamp) {
        absl::StatusOr<absl::Time> time = switchboard::ParseTimestamp(s);
        if (!time.ok()) {
          return MemberError(
              m, Cat(at.empty() ? "" : Cat("element ", at, ": "),
                     std::string_view(time.status().message().data(),
                                      time.status().message().size())));
        }
        out->kind = Event::Kind::kTimestamp;
        out->time_value = *time;
        return absl::OkStatus();
      }
      out->kind = Event::Kind::kString;
      out->string_value.assign(s);
      return absl::OkStatus();
    }
    case od::json_type::array: {
      if (!dyn && type.kind() != cel::TypeKind::kList) return mismatch();
      if (depth > options.max_depth) {
        return Malformed(simdjson::DEPTH_ERROR, options.max_depth);
      }
      const cel::Type elem = dyn ? cel::Type::Dyn() : type.elem();
      od::array a;
      if (auto e = v.get_array().get(a)) return Malformed(e);
      out->kind = Event::Kind::kList;
      const size_t path_size = path.size();
      size_t n = 0;
      for (auto element : a) {
        od::value x;
        if (auto e = element.get(x)) return Malformed(e);
        if (n >= options.max_elements) {
          return MemberError(m, Cat("more than ", options.max_elements,
                                    " elements (the limit)"));
        }
        path.append(Cat("[", n, "]"));
        if (absl::Status st = ReadValue(
                m, elem, x, &out->elements.emplace_back(), depth + 1, path);
            !st.ok()) {
          return st;
        }
        path.resize(path_size);
        ++n;
      }
      return absl::OkStatus();
    }
    case od::json_type::object: {
      if (!dyn && !(type.kind() == cel::TypeKind::kMap &&
                    (type.key().kind() == cel::TypeKind::kString ||
                     type.key().is_dyn()))) {
        return mismatch();
      }
      if (depth > options.max_depth) {
        return Malformed(simdjson::DEPTH_ERROR, options.max_depth);
      }
      const cel::Type value_type = dyn ? cel::Type::Dyn() : type.value();
      od::object o;
      if (auto e = v.get_object().get(o)) return Malformed(e);
      out->kind = Event::Kind::kMap;
      const size_t path_size = path.size();
      for (auto field : o) {
        od::field f;
        if (auto e = std::move(field).get(f)) return Malformed(e);
        std::string_view key;
        if (auto e = f.unescaped_key().get(key)) return Malformed(e);
        if (out->elements.size() >= options.max_elements) {
          return MemberError(m, Cat("more than ", options.max_elements,
                                    " entries (the limit)"));
        }
        if (key.size() > options.max_string_bytes) {
          return TooLong(m, key.size());
        }
        for (const Event::Attribute& entry : out->elements) {
          if (entry.name == key) {
            return MemberError(m, Cat("duplicate key '", key, "'",
                                      path.empty() ? "" : Cat(" in ", path)));
          }
        }
        path.append(Cat("['", key, "']"));
        Event::Attribute& entry = out->elements.emplace_back();
        entry.name.assign(key);
        if (absl::Status st =
                ReadValue(m, value_type, f.value(), &entry, depth + 1, path);
            !st.ok()) {
          return st;
        }
        path.resize(path_size);
      }
      return absl::OkStatus();
    }
  }
  return mismatch();
}

absl::Status EventReader::Impl::ReadScalarDyn(const MemberView& m,
                                              od::json_type t, od::value v,
                                              Event* out) {
  switch (t) {
    case od::json_type::null:
      return ReadMember(m, Shape::kNull, v, out);
    case od::json_type::boolean:
      return ReadMember(m, Shape::kBool, v, out);
    case od::json_type::string:
      return ReadMember(m, Shape::kString, v, out);
    case od::json_type::number: {
      od::number_type nt;
      if (auto e = v.get_number_type().get(nt)) return NumberError(m, e);
      return ReadMember(
          m,
          nt == od::number_type::signed_integer ? Shape::kInt : Shape::kDouble,
          v, out);
    }
    case od::json_type::array:
    case od::json_type::object: {
      std::string path;
      return ReadValue(m, cel::Type::Dyn(), v,
                       internal::EventAccess::AppendAttribute(
                           *out, m.name, Event::Kind::kNull, m.schema_index),
                       1, path);
    }
  }
  return WrongType(m, t);
}

absl::Status EventReader::Impl::ReadMember(const MemberView& m, Shape shape,
                                           od::value v, Event* out) {
  od::json_type t;
  if (auto e = v.type().get(t)) return Malformed(e);
  // The JSON type each shape wants.
  od::json_type want = od::json_type::string;
  switch (shape) {
    case Shape::kIgnore:
      if (auto e = Validate(v, 1, options.max_depth)) {
        return Malformed(e, options.max_depth);
      }
      return absl::OkStatus();
    case Shape::kUnsupported:
      // The check stage refuses such schemas; a hand-made Ruleset cannot
      // reach here.
      return MemberError(
          m, Cat("events cannot carry values of type ", m.type_text));
    case Shape::kDyn:
      return ReadScalarDyn(m, t, v, out);
    case Shape::kValue: {
      std::string path;
      return ReadValue(m, *m.type, v,
                       internal::EventAccess::AppendAttribute(
                           *out, m.name, Event::Kind::kNull, m.schema_index),
                       1, path);
    }
    case Shape::kInt:
    case Shape::kDouble:
      want = od::json_type::number;
      break;
    case Shape::kBool:
      want = od::json_type::boolean;
      break;
    case Shape::kNull:
      want = od::json_type::null;
      break;
    case Shape::kStringList:
      want = od::json_type::array;
      break;
    case Shape::kIntMap:
      want = od::json_type::object;
      break;
    case Shape::kTime:
    case Shape::kType:
    case Shape::kString:
    case Shape::kDuration:
    case Shape::kTimestamp:
      want = od::json_type::string;
      break;
  }
  if (t != want) return WrongType(m, t);

  switch (shape) {
    case Shape::kInt: {
      absl::StatusOr<int64_t> i = ReadInt(m, v, "");
      if (!i.ok()) return i.status();
      internal::EventAccess::AppendAttribute(*out, m.name, Event::Kind::kInt,
                                             m.schema_index)
          ->int_value = *i;
      return absl::OkStatus();
    }
    case Shape::kDouble: {
      double d;
      if (auto e = v.get_double().get(d)) return NumberError(m, e);
      if (!std::isfinite(d)) return MemberError(m, "number out of range");
      internal::EventAccess::AppendAttribute(*out, m.name, Event::Kind::kDouble,
                                             m.schema_index)
          ->double_value = d;
      return absl::OkStatus();
    }
    case Shape::kBool: {
      bool b;
      if (auto e = v.get_bool().get(b)) return Malformed(e);
      internal::EventAccess::AppendAttribute(*out, m.name, Event::Kind::kBool,
                                             m.schema_index)
          ->bool_value = b;
      return absl::OkStatus();
    }
    case Shape::kNull: {
      bool is_null;
      if (auto e = v.is_null().get(is_null)) return Malformed(e);
      if (!is_null) return Malformed(simdjson::N_ATOM_ERROR);
      internal::EventAccess::AppendAttribute(*out, m.name, Event::Kind::kNull,
                                             m.schema_index);
      return absl::OkStatus();
    }
    case Shape::kStringList:
      return ReadStringList(m, v, out);
    case Shape::kIntMap:
      return ReadIntMap(m, v, out);
    default:
      break;
  }

  // Strings.
  std::string_view s;
  if (auto e = v.get_string().get(s)) return Malformed(e);
  if (s.size() > options.max_string_bytes) return TooLong(m, s.size());
  switch (shape) {
    case Shape::kTime: {
      absl::StatusOr<absl::Time> time = switchboard::ParseTimestamp(s);
      if (!time.ok())
        return MemberError(m, std::string_view(time.status().message().data(),
                                               time.status().message().size()));
      out->set_time(*time);
      time_known = true;
      return absl::OkStatus();
    }
    case Shape::kType:
      if (s.empty()) return MemberError(m, "must not be empty");
      type.assign(s);
      type_known = true;
      return absl::OkStatus();
    case Shape::kDuration: {
      absl::StatusOr<absl::Duration> d = switchboard::ParseDuration(s);
      if (!d.ok()) {
        return MemberError(m, Cat(std::string_view(d.status().message().data(),
                                                   d.status().message().size()),
                                  " (a duration is a string such as "
                                  "\"90s\" or \"1h30m\")"));
      }
      internal::EventAccess::AppendAttribute(
          *out, m.name, Event::Kind::kDuration, m.schema_index)
          ->duration_value = *d;
      return absl::OkStatus();
    }
    case Shape::kTimestamp: {
      absl::StatusOr<absl::Time> time = switchboard::ParseTimestamp(s);
      if (!time.ok())
        return MemberError(m, std::string_view(time.status().message().data(),
                                               time.status().message().size()));
      internal::EventAccess::AppendAttribute(
          *out, m.name, Event::Kind::kTimestamp, m.schema_index)
          ->time_value = *time;
      return absl::OkStatus();
    }
    default:
      internal::EventAccess::AppendAttribute(*out, m.name, Event::Kind::kString,
                                             m.schema_index)
          ->string_value.assign(s);
      return absl::OkStatus();
  }
}

absl::Status EventReader::Impl::ReadObject(od::object object, bool second_pass,
                                           Event* out, bool* deferred) {
  size_t position = 0;
  for (auto field : object) {
    od::field f;
    if (auto e = std::move(field).get(f)) return Malformed(e);
    // The guess is checked against the raw key (no unescaping, no copy);
    // on a miss the key is unescaped and looked up.
    int found = -1;
    std::string_view key;  // unescaped, when the guess missed
    if (position < key_guess.size()) {
      const int guess = key_guess[position];
      if (guess >= 0 && members[guess].plain_name &&
          f.key().unsafe_is_equal(members[guess].name)) {
        found = guess;
      }
    }
    if (found < 0) {
      if (auto e = f.unescaped_key().get(key)) return Malformed(e);
      auto it = index.find(absl::string_view(key.data(), key.size()));
      if (it != index.end()) {
        found = it->second;
        if (position < key_guess.size()) key_guess[position] = found;
      }
    }
    ++position;
    if (found < 0) {
      if (second_pass) continue;  // checked in the first pass
      if (options.report_unknown_members) unknown.emplace_back(key);
      if (auto e = Validate(f.value(), 1, options.max_depth)) {
        return Malformed(e, options.max_depth);
      }
      continue;
    }
    Member& m = members[found];
    if (second_pass) {
      if (!m.depends_on_type() || m.deferred != generation) continue;
    } else {
      if (m.seen == generation) {
        return absl::InvalidArgumentError(
            Cat("duplicate member '", m.name, "'"));
      }
      m.seen = generation;
      if (m.depends_on_type() && !type_known) {
        *deferred = true;
        m.deferred = generation;
        if (auto e = Validate(f.value(), 1, options.max_depth)) {
          return Malformed(e, options.max_depth);
        }
        continue;
      }
    }
    Shape shape = m.shape;
    // The type is known here whenever it matters.
    const bool agent = m.depends_on_type() && type.size() > 6 &&
                       std::string_view(type).substr(0, 6) == "agent.";
    const bool route_timeout =
        m.depends_on_type() && type == kRouteTimeoutEvent;
    if (m.depends_on_type()) {
      if (agent && m.agent_shape != Shape::kIgnore) {
        shape = m.agent_shape;
      } else if (m.route_timeout_only && !route_timeout) {
        shape = Shape::kIgnore;
      }
    }
    const MemberView view{
        m.name,
        shape == m.agent_shape && agent ? m.agent_type_text : m.type_text,
        m.schema_index, m.type};
    if (absl::Status s = ReadMember(view, shape, f.value(), out); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status EventReader::Impl::Read(std::string_view line, Event* out) {
  if (!warnings.empty()) warnings.clear();
  if (line.size() > options.max_line_bytes) {
    return TooLongLine(line.size());
  }
  // The fast path accepts no line that ReadFull rejects: it takes only '{'
  // after JSON spaces first (so no byte order mark and no blank line) and
  // no byte below 0x20 but spaces (so no NUL).
  if (options.fast_path && ReadFast(line, out)) return absl::OkStatus();
  return ReadFull(line, out);
}

absl::Status EventReader::Impl::Read(std::string_view line, CompactEvent* out) {
  if (!warnings.empty()) warnings.clear();
  if (line.size() > options.max_line_bytes) {
    return TooLongLine(line.size());
  }
  if (options.fast_path && ReadFast(line, out)) return absl::OkStatus();
  absl::Status status = ReadFull(line, &scratch);
  // On error too: `out` holds the partial event, as Next(Event*) leaves it.
  out->Assign(scratch);
  return status;
}

absl::Status EventReader::Impl::ReadFull(std::string_view line, Event* out) {
  // Emptied first: on an early error below, `out` holds an empty event (not
  // the fast path's partial one, nor an older line's), into either form.
  out->Reset("", absl::InfinitePast());
  if (std::memchr(line.data(), '\0', line.size()) != nullptr) {
    return absl::InvalidArgumentError("NUL byte in the line");
  }
  if (line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") {
    line.remove_prefix(3);  // a byte order mark: ignored
  }
  if (IsBlankLine(line)) return absl::InvalidArgumentError("empty line");

  buffer.resize(line.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(buffer.data(), line.data(), line.size());
  std::memset(buffer.data() + line.size(), 0, simdjson::SIMDJSON_PADDING);
  if (auto e =
          parser.iterate(buffer.data(), line.size(), buffer.size()).get(doc)) {
    return Malformed(e);
  }
  od::json_type top;
  if (auto e = doc.type().get(top)) return Malformed(e);
  if (top != od::json_type::object) {
    // The type is a guess from the first byte ("not json" looks like
    // null): say "got null" only for a valid JSON value.
    if (top != od::json_type::array && !ScalarDocumentIsValid(doc, top)) {
      return NotJson(line);
    }
    return absl::InvalidArgumentError(
        Cat("a line must be one JSON object, got ", JsonTypeName(top)));
  }
  od::object object;
  if (auto e = doc.get_object().get(object)) return Malformed(e);

  if (++generation == 0) {  // wrapped: forget every mark
    for (Member& m : members) m.seen = m.deferred = 0;
    generation = 1;
  }
  out->Reset("", absl::InfinitePast());
  unknown.clear();
  internal::EventAccess::SetSchemaTag(
      *out, ruleset);  // the attributes carry schema indexes
  type.clear();
  type_known = false;
  time_known = false;
  bool deferred = false;
  if (absl::Status s = ReadObject(object, false, out, &deferred); !s.ok()) {
    return s;
  }
  if (!doc.current_location().error()) {  // tokens left after the object
    return absl::InvalidArgumentError(
        "unexpected text after the JSON object (one object per line)");
  }
  if (!time_known) return absl::InvalidArgumentError("missing member 'time'");
  if (!type_known) return absl::InvalidArgumentError("missing member 'type'");
  if (deferred) {
    doc.rewind();
    if (auto e = doc.get_object().get(object)) return Malformed(e);
    if (absl::Status s = ReadObject(object, true, out, &deferred); !s.ok()) {
      return s;
    }
  }
  out->set_type(type);
  if (options.require_session_key && !IsGlobalEventType(type)) {
    const bool has_key = key_member >= 0
                             ? members[key_member].seen == generation
                             : out->Find(session_key) != nullptr;
    if (!has_key) {
      return absl::InvalidArgumentError(
          Cat("missing the session key '", session_key,
              "' (every event but channel.down, channel.up and agent.* needs "
              "one)"));
    }
  }
  if (!unknown.empty() && KnownType(type)) {
    for (const std::string& name : unknown) {
      warnings.push_back(Cat("member '", name,
                             "' is not in the event schema (type '", type, "')",
                             common::DidYouMean(name, member_names)));
    }
  }
  return absl::OkStatus();
}

bool EventReader::Impl::KnownType(std::string_view t) const {
  if (IsGlobalEventType(t)) return true;
  for (const check::EventPattern& p : known_types) {
    if (p.Matches(t)) return true;
  }
  return false;
}

EventReader::EventReader(const Ruleset& public_ruleset,
                         const ReaderOptions& options)
    : impl_(std::make_unique<Impl>()) {
  const CheckedRuleset& ruleset = plan::RulesetAccess::Checked(public_ruleset);
  Impl& impl = *impl_;
  impl.options = options;
  impl.ruleset = &ruleset;
  impl.session_key = ruleset.session.key;
  for (size_t i = 0; i < ruleset.event_attributes.size(); ++i) {
    const EventAttribute& a = ruleset.event_attributes[i];
    Member& m = impl.AddMember(a.name);
    m.schema_index = static_cast<int32_t>(i);
    m.type_text = a.type.DebugString();
    m.type = &a.type;
    m.shape = ShapeOf(a.type);
    if (a.builtin) {
      if (a.name == "type") {
        m.shape = Shape::kType;
      } else if (a.name == "time") {
        m.shape = Shape::kTime;
      } else if (a.name == "queue" || a.name == "waited") {
        m.route_timeout_only = true;
      }
    }
  }
  // Built-ins that are not attributes of the CEL event type.
  const std::pair<std::string_view, Shape> agent_members[] = {
      {"agent", Shape::kString},
      {"skills", Shape::kIntMap},
      {"capacity", Shape::kIntMap},
      {"ready", Shape::kBool},
  };
  for (const auto& [name, shape] : agent_members) {
    Member& m = impl.AddMember(name);
    m.agent_shape = shape;
    m.agent_type_text = shape == Shape::kString ? "string"
                        : shape == Shape::kBool ? "bool"
                                                : "map(string, int)";
  }
  // Every schema's time and type, even a hand-built one without them.
  impl.AddMember("time").shape = Shape::kTime;
  impl.AddMember("type").shape = Shape::kType;
  for (Member& m : impl.members) {
    m.fast_shape = m.depends_on_type() ? Shape::kUnsupported : m.shape;
    m.plain_name = m.name.find_first_of("\"\\") == std::string::npos;
    if (m.shape == Shape::kTime) m.type_text = "an RFC 3339 timestamp string";
    if (m.shape == Shape::kType) m.type_text = "string";
  }
  impl.BuildKeyTable();
  if (options.report_unknown_members) {
    // Lines with unknown members take the full parser, which notes them.
    impl.options.fast_path = false;
    for (const io::Member& m : impl.members) {
      impl.member_names.push_back(m.name);
    }
    for (const check::Rule& rule : ruleset.rules) {
      const check::Trigger& t = rule.trigger;
      for (const check::EventPattern& p : t.events) {
        impl.known_types.push_back(p);
      }
      if (t.kind == check::TriggerKind::kAfter) {
        impl.known_types.push_back(t.since);
        for (const check::EventPattern& p : t.unless) {
          impl.known_types.push_back(p);
        }
      }
      for (const check::Action& action : rule.actions) {
        if (const auto* emit = std::get_if<check::EmitAction>(&action.detail)) {
          impl.known_types.push_back({emit->type, false});
        }
      }
    }
    impl.known_types.push_back({std::string(kRouteTimeoutEvent), false});
    for (const check::Queue& q : ruleset.queues) {
      for (const std::string& type : q.ends_on) {
        impl.known_types.push_back({type, false});
      }
    }
  }
  if (auto it = impl.index.find(impl.session_key); it != impl.index.end()) {
    const Member& m = impl.members[it->second];
    if (!m.depends_on_type() && m.shape != Shape::kIgnore &&
        m.shape != Shape::kTime && m.shape != Shape::kType &&
        m.shape != Shape::kUnsupported) {
      impl.key_member = it->second;
    }
  }
}

EventReader::~EventReader() = default;

absl::Status EventReader::Next(std::string_view line, Event* out) {
  return impl_->Read(line, out);
}

absl::Status EventReader::Next(std::string_view line, CompactEvent* out) {
  return impl_->Read(line, out);
}

const std::vector<std::string>& EventReader::warnings() const {
  return impl_->warnings;
}

bool EventReader::IsBlankLine(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace switchboard
