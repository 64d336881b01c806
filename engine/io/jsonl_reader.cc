// EventReader (engine/io/jsonl_reader.h): one JSON Lines line -> an Event,
// with simdjson's On-Demand API over a reused, padded copy of the line.
//
// Members are looked up in a table built once from the ruleset's event
// schema. A few members mean different things depending on the event's type
// (agent, skills, capacity, ready on agent.* events; queue and waited only
// on route.timeout); when such a member comes before "type" in the line, its
// value is checked and skipped, and a second pass over the (rewound)
// document reads it once the type is known.
//
// Before all that, a fast path (ReaderOptions::fast_path) reads flat lines
// of plain ASCII by hand, in one pass over the line: strings found 16 bytes
// at a time (SSE2), keys found in an open-addressing table hashed from
// their length and three bytes, the UTC timestamp form and plain decimals
// parsed by engine/io/fast_parse.h (the general parsers otherwise). Any
// line it cannot read, or that is not valid, goes to simdjson from scratch.
#include "engine/io/jsonl_reader.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "engine/check/checked_ruleset.h"
#include "engine/check/rule_env.h"
#include "engine/common/time_util.h"
#include "engine/io/fast_parse.h"
#include "simdjson.h"

namespace switchboard {
namespace {

namespace od = simdjson::ondemand;

// String concatenation for messages (absl::StrCat here takes only
// absl::string_view, which is not std::string_view in this abseil build).
void AppendPiece(std::string* s, std::string_view v) { s->append(v); }
void AppendPiece(std::string* s, const char* v) { s->append(v); }
void AppendPiece(std::string* s, const std::string& v) { s->append(v); }
void AppendPiece(std::string* s, size_t n) { s->append(std::to_string(n)); }
template <typename... Pieces>
std::string Cat(const Pieces&... pieces) {
  std::string s;
  (AppendPiece(&s, pieces), ...);
  return s;
}

// Deepest nesting accepted in any value (ignored members included), unless
// ReaderOptions::max_depth says otherwise.
constexpr int kMaxDepth = 64;

// How a member's value is read.
enum class Shape : uint8_t {
  kIgnore,
  kTime,
  kType,
  kString,
  kInt,
  kDouble,
  kBool,
  kNull,
  kDuration,
  kTimestamp,
  kStringList,
  kIntMap,
  kDyn,
  kUnsupported,
};

struct Member {
  std::string name;
  Shape shape = Shape::kIgnore;  // on ordinary events
  std::string type_text;         // the schema's type, for messages
  // On agent.* events, when not kIgnore (wins over `shape`).
  Shape agent_shape = Shape::kIgnore;
  // Read on route.timeout events only (queue, waited).
  bool route_timeout_only = false;
  uint32_t seen = 0;  // the line generation that last had this member
  // The line generation whose first pass deferred this member (read in the
  // second pass only then, so that no member is appended twice).
  uint32_t deferred = 0;
  // Index in the ruleset's event_attributes, or -1 (Event::schema_index).
  int32_t schema_index = -1;
  // The name has no '"' and no '\': a raw JSON key can be compared with
  // it byte for byte (raw_json_string::unsafe_is_equal).
  bool plain_name = false;

  std::string agent_type_text;  // for messages, with agent_shape
  // The shape the fast path reads: `shape`, or kUnsupported (the full
  // parser decides) when the member depends on the event's type.
  Shape fast_shape = Shape::kIgnore;

  bool depends_on_type() const {
    return agent_shape != Shape::kIgnore || route_timeout_only;
  }
};

// What messages say of a member: its name and the type it should have.
struct MemberView {
  std::string_view name;
  std::string_view type_text;
  int32_t schema_index = -1;  // Event::Attribute::schema_index
};

Shape ShapeOf(const cel::Type& type) {
  switch (type.kind()) {
    case cel::TypeKind::kDyn:
      return Shape::kDyn;
    case cel::TypeKind::kNull:
      return Shape::kNull;
    case cel::TypeKind::kBool:
      return Shape::kBool;
    case cel::TypeKind::kInt:
      return Shape::kInt;
    case cel::TypeKind::kDouble:
      return Shape::kDouble;
    case cel::TypeKind::kString:
      return Shape::kString;
    case cel::TypeKind::kDuration:
      return Shape::kDuration;
    case cel::TypeKind::kTimestamp:
      return Shape::kTimestamp;
    case cel::TypeKind::kList:
      return type.elem().kind() == cel::TypeKind::kString ? Shape::kStringList
                                                          : Shape::kUnsupported;
    case cel::TypeKind::kMap:
      return type.key().kind() == cel::TypeKind::kString &&
                     type.value().kind() == cel::TypeKind::kInt
                 ? Shape::kIntMap
                 : Shape::kUnsupported;
    default:
      return Shape::kUnsupported;
  }
}

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

}  // namespace

struct EventReader::Impl {
  ReaderOptions options;
  const CheckedRuleset* ruleset = nullptr;  // Event::schema_tag
  std::string session_key;
  // The member of the session key when reading it always sets the
  // attribute (then `seen` tells whether the line had it), else -1.
  int key_member = -1;
  std::vector<Member> members;
  absl::flat_hash_map<std::string, int> index;
  // Interning of keys in the full parser: the member the i-th key of the
  // last line named (-1: none), checked by comparing names before the hash
  // map is asked. Lines of one stream usually list their keys in the same
  // order.
  std::vector<int> key_guess = std::vector<int>(32, -1);
  // The fast path's key lookup: an open-addressing table (linear probing,
  // -1 = empty) of member indexes by KeyHash, sized to a power of two at
  // least four times the members, so that a key costs a few byte loads and
  // one comparison of names (BuildKeyTable).
  struct KeySlot {
    const char* name = nullptr;  // the member's name (members never move
                                 // once the table is built)
    uint32_t size = 0;
    int32_t member = -1;  // -1: empty
  };
  std::vector<KeySlot> key_table;
  int key_shift = 32;  // KeyHash >> key_shift = the home slot

  static uint32_t KeyHash(const char* s, size_t n) {
    uint32_t h = static_cast<uint32_t>(n);
    if (n > 0) {
      h = h * 31 + static_cast<unsigned char>(s[0]);
      h = h * 31 + static_cast<unsigned char>(s[n / 2]);
      h = h * 31 + static_cast<unsigned char>(s[n - 1]);
    }
    return h * 0x9E3779B1u;  // Fibonacci hashing: the top bits are used
  }
  void BuildKeyTable();
  // The member named `key` (bytes as written in the line: a plain key), or
  // -1.
  inline int FindKey(std::string_view key) const;

  od::parser parser;
  od::document doc;
  std::string buffer;  // the line plus SIMDJSON_PADDING bytes
  std::string type;    // the line's type
  bool type_known = false;
  bool time_known = false;
  UtcDateCache date_cache;  // the fast path's timestamps
  // RFC 3339 text: the UTC fast path, else the general parser.
  bool ParseTime(std::string_view text, absl::Time* time) {
    if (FastParseUtcTimestamp(text, time, &date_cache)) return true;
    absl::StatusOr<absl::Time> parsed = switchboard::ParseTimestamp(text);
    if (!parsed.ok()) return false;
    *time = *parsed;
    return true;
  }
  uint32_t generation = 0;  // of the current line (Member::seen)
  std::vector<std::string> strings;
  std::vector<std::pair<std::string, int64_t>> ints;

  Member& AddMember(std::string_view name) {
    auto [it, inserted] =
        index.try_emplace(std::string(name), static_cast<int>(members.size()));
    if (inserted) members.emplace_back().name = std::string(name);
    return members[it->second];
  }

  absl::Status Read(std::string_view line, Event* out);
  // The fast path (ReaderOptions::fast_path): true when it read the whole
  // line into a valid event; false when the line is not plain or not valid
  // (the caller then runs the full parser on it, from scratch).
  bool ReadFast(std::string_view line, Event* out);
  absl::Status ReadObject(od::object object, bool second_pass, Event* out,
                          bool* deferred);
  absl::Status ReadMember(const MemberView& m, Shape shape, od::value v,
                          Event* out);
  absl::Status ReadScalarDyn(const MemberView& m, od::json_type t, od::value v,
                             Event* out);
  absl::Status ReadStringList(const MemberView& m, od::value v, Event* out);
  absl::Status ReadIntMap(const MemberView& m, od::value v, Event* out);
  absl::Status TooLong(const MemberView& m, size_t size) const;
};

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
  out->AppendAttribute(m.name, Event::Kind::kStringList, m.schema_index)
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
  out->AppendAttribute(m.name, Event::Kind::kIntMap, m.schema_index)->ints =
      std::move(ints);
  return absl::OkStatus();
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
      return ReadStringList(m, v, out);
    case od::json_type::object:
      return ReadIntMap(m, v, out);
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
      return MemberError(m, Cat("attributes of type ", m.type_text,
                                " are not supported in JSON input yet (only "
                                "list(string) and map(string, int))"));
    case Shape::kDyn:
      return ReadScalarDyn(m, t, v, out);
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
      out->AppendAttribute(m.name, Event::Kind::kInt, m.schema_index)
          ->int_value = *i;
      return absl::OkStatus();
    }
    case Shape::kDouble: {
      double d;
      if (auto e = v.get_double().get(d)) return NumberError(m, e);
      if (!std::isfinite(d)) return MemberError(m, "number out of range");
      out->AppendAttribute(m.name, Event::Kind::kDouble, m.schema_index)
          ->double_value = d;
      return absl::OkStatus();
    }
    case Shape::kBool: {
      bool b;
      if (auto e = v.get_bool().get(b)) return Malformed(e);
      out->AppendAttribute(m.name, Event::Kind::kBool, m.schema_index)
          ->bool_value = b;
      return absl::OkStatus();
    }
    case Shape::kNull: {
      bool is_null;
      if (auto e = v.is_null().get(is_null)) return Malformed(e);
      if (!is_null) return Malformed(simdjson::N_ATOM_ERROR);
      out->AppendAttribute(m.name, Event::Kind::kNull, m.schema_index);
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
      out->AppendAttribute(m.name, Event::Kind::kDuration, m.schema_index)
          ->duration_value = *d;
      return absl::OkStatus();
    }
    case Shape::kTimestamp: {
      absl::StatusOr<absl::Time> time = switchboard::ParseTimestamp(s);
      if (!time.ok())
        return MemberError(m, std::string_view(time.status().message().data(),
                                               time.status().message().size()));
      out->AppendAttribute(m.name, Event::Kind::kTimestamp, m.schema_index)
          ->time_value = *time;
      return absl::OkStatus();
    }
    default:
      out->AppendAttribute(m.name, Event::Kind::kString, m.schema_index)
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
    if (position < key_guess.size()) {
      const int guess = key_guess[position];
      if (guess >= 0 && members[guess].plain_name &&
          f.key().unsafe_is_equal(members[guess].name)) {
        found = guess;
      }
    }
    if (found < 0) {
      std::string_view key;
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
        m.schema_index};
    if (absl::Status s = ReadMember(view, shape, f.value(), out); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status EventReader::Impl::Read(std::string_view line, Event* out) {
  if (line.size() > options.max_line_bytes) {
    return absl::InvalidArgumentError(Cat("line too long: ", line.size(),
                                          " bytes (the limit is ",
                                          options.max_line_bytes, ")"));
  }
  // The fast path accepts no line that the checks below reject: it takes
  // only '{' after JSON spaces first (so no byte order mark and no blank
  // line) and no byte below 0x20 but spaces (so no NUL).
  if (options.fast_path && ReadFast(line, out)) return absl::OkStatus();
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
  out->set_schema_tag(ruleset);  // the attributes carry schema indexes
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
  return absl::OkStatus();
}

namespace {

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Bytes that may stand as they are in a plain string: printable ASCII but
// '"' and '\\'.
struct PlainBytes {
  bool ok[256] = {};
  constexpr PlainBytes() {
    for (int c = 0x20; c < 0x80; ++c) ok[c] = c != '"' && c != '\\';
  }
};
constexpr PlainBytes kPlainBytes;

// A plain JSON string at *p (the opening quote): printable ASCII, no
// escapes. Sets `out` to its bytes and moves *p past the closing quote.
// Looks at 16 bytes at a time while 16 remain in the line (the closing
// quote is usually among them: strings are short), then byte by byte.
inline bool ScanPlainString(const char** p, const char* end,
                            std::string_view* out) {
  const char* q = *p;
  if (q == end || *q != '"') return false;
  const char* begin = ++q;
  while (true) {
    if (end - q >= 16) {
      const size_t k = FirstSpecialOf16(q);
      q += k;
      if (k == 16) continue;
      break;
    }
    while (q < end && kPlainBytes.ok[static_cast<unsigned char>(*q)]) ++q;
    break;
  }
  if (q == end || *q != '"') return false;
  *out = std::string_view(begin, q - begin);
  *p = q + 1;
  return true;
}

// A JSON number at *p (RFC 8259 grammar). Sets `token` to its text and
// `integer` to whether it has neither fraction nor exponent.
bool ScanNumber(const char** p, const char* end, std::string_view* token,
                bool* integer) {
  const char* q = *p;
  const char* begin = q;
  const auto digit = [&](const char* x) {
    return x < end && *x >= '0' && *x <= '9';
  };
  if (q < end && *q == '-') ++q;
  if (!digit(q)) return false;
  if (*q == '0') {
    ++q;
  } else {
    while (digit(q)) ++q;
  }
  *integer = true;
  if (q < end && *q == '.') {
    ++q;
    if (!digit(q)) return false;
    while (digit(q)) ++q;
    *integer = false;
  }
  if (q < end && (*q == 'e' || *q == 'E')) {
    ++q;
    if (q < end && (*q == '+' || *q == '-')) ++q;
    if (!digit(q)) return false;
    while (digit(q)) ++q;
    *integer = false;
  }
  *token = std::string_view(begin, q - begin);
  *p = q;
  return true;
}

// An integer token of at most 18 digits (always within int64).
bool SmallInt(std::string_view token, int64_t* out) {
  const bool negative = !token.empty() && token[0] == '-';
  if (token.size() - (negative ? 1 : 0) > 18) return false;
  int64_t v = 0;
  for (size_t i = negative ? 1 : 0; i < token.size(); ++i) {
    v = v * 10 + (token[i] - '0');
  }
  *out = negative ? -v : v;
  return true;
}

}  // namespace

void EventReader::Impl::BuildKeyTable() {
  size_t size = 16;
  int bits = 4;
  while (size < 4 * members.size()) {
    size *= 2;
    ++bits;
  }
  key_table.assign(size, KeySlot());
  key_shift = 32 - bits;
  for (size_t i = 0; i < members.size(); ++i) {
    const std::string& name = members[i].name;
    size_t slot = KeyHash(name.data(), name.size()) >> key_shift;
    while (key_table[slot].member >= 0) slot = (slot + 1) & (size - 1);
    key_table[slot] = {name.data(), static_cast<uint32_t>(name.size()),
                       static_cast<int32_t>(i)};
  }
}

inline int EventReader::Impl::FindKey(std::string_view key) const {
  const size_t mask = key_table.size() - 1;
  size_t slot = KeyHash(key.data(), key.size()) >> key_shift;
  while (true) {
    const KeySlot& k = key_table[slot];
    if (k.member < 0) return -1;
    if (k.size == key.size() && SameBytes(k.name, key.data(), key.size())) {
      return k.member;
    }
    slot = (slot + 1) & mask;
  }
}

bool EventReader::Impl::ReadFast(std::string_view line, Event* out) {
  const char* p = line.data();
  const char* const end = p + line.size();
  // JSON's spaces are all <= ' ': one comparison for the usual non-space.
  const auto skip_space = [&] {
    while (p < end && static_cast<unsigned char>(*p) <= ' ' &&
           IsJsonSpace(*p)) {
      ++p;
    }
  };
  skip_space();
  if (p == end || *p != '{') return false;
  ++p;
  if (++generation == 0) {  // wrapped: forget every mark
    for (Member& m : members) m.seen = m.deferred = 0;
    generation = 1;
  }
  out->Reset("", absl::InfinitePast());
  out->set_schema_tag(ruleset);
  type_known = false;
  time_known = false;
  while (true) {
    if (p < end && *p != '"') skip_space();
    std::string_view key;
    if (!ScanPlainString(&p, end, &key)) return false;
    if (p < end && *p != ':') skip_space();
    if (p == end || *p != ':') return false;
    ++p;
    if (p < end && static_cast<unsigned char>(*p) <= ' ') skip_space();
    if (p == end) return false;
    // The value's token.
    enum class Token { kString, kNumber, kTrue, kFalse, kNull } token;
    std::string_view text;
    bool integer = false;
    const char c = *p;
    if (c == '"') {
      if (!ScanPlainString(&p, end, &text)) return false;
      if (text.size() > options.max_string_bytes) return false;
      token = Token::kString;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      if (!ScanNumber(&p, end, &text, &integer)) return false;
      token = Token::kNumber;
    } else if (end - p >= 4 && std::memcmp(p, "true", 4) == 0) {
      p += 4;
      token = Token::kTrue;
    } else if (end - p >= 5 && std::memcmp(p, "false", 5) == 0) {
      p += 5;
      token = Token::kFalse;
    } else if (end - p >= 4 && std::memcmp(p, "null", 4) == 0) {
      p += 4;
      token = Token::kNull;
    } else {
      return false;  // arrays, objects, anything else
    }
    // A value ends at ',' or '}', maybe after spaces.
    char next = p < end ? *p : '\0';
    if (next != ',' && next != '}') {
      if (!IsJsonSpace(next)) return false;
      skip_space();
      next = p < end ? *p : '\0';
    }

    const int found = FindKey(key);
    if (found >= 0) {
      Member& m = members[found];
      if (m.seen == generation) return false;
      m.seen = generation;
      Shape shape = m.fast_shape;
      if (shape == Shape::kDyn) {
        switch (token) {
          case Token::kString:
            shape = Shape::kString;
            break;
          case Token::kTrue:
          case Token::kFalse:
            shape = Shape::kBool;
            break;
          case Token::kNull:
            shape = Shape::kNull;
            break;
          case Token::kNumber:
            // "-0": which number type simdjson gives it is its business.
            if (text.size() >= 2 && text[0] == '-' && text[1] == '0') {
              return false;
            }
            shape = integer ? Shape::kInt : Shape::kDouble;
            break;
        }
      }
      switch (shape) {
        case Shape::kIgnore:
          break;
        case Shape::kTime: {
          if (token != Token::kString) return false;
          absl::Time time;
          if (!ParseTime(text, &time)) return false;
          out->set_time(time);
          time_known = true;
          break;
        }
        case Shape::kType:
          if (token != Token::kString || text.empty()) return false;
          out->set_type(text);
          type_known = true;
          break;
        case Shape::kString:
          if (token != Token::kString) return false;
          // The new attribute's string is empty: append, not assign.
          out->AppendAttribute(m.name, Event::Kind::kString, m.schema_index)
              ->string_value.append(text.data(), text.size());
          break;
        case Shape::kDuration: {
          if (token != Token::kString) return false;
          absl::StatusOr<absl::Duration> d = switchboard::ParseDuration(text);
          if (!d.ok()) return false;
          out->AppendAttribute(m.name, Event::Kind::kDuration, m.schema_index)
              ->duration_value = *d;
          break;
        }
        case Shape::kTimestamp: {
          if (token != Token::kString) return false;
          absl::Time time;
          if (!ParseTime(text, &time)) return false;
          out->AppendAttribute(m.name, Event::Kind::kTimestamp, m.schema_index)
              ->time_value = time;
          break;
        }
        case Shape::kInt: {
          int64_t i;
          if (token != Token::kNumber || !integer || !SmallInt(text, &i)) {
            return false;
          }
          out->AppendAttribute(m.name, Event::Kind::kInt, m.schema_index)
              ->int_value = i;
          break;
        }
        case Shape::kDouble: {
          if (token != Token::kNumber) return false;
          double d;
          if (!FastParseDecimal(text, &d)) {
            const auto [ptr, ec] =
                std::from_chars(text.data(), text.data() + text.size(), d);
            if (ec != std::errc() || ptr != text.data() + text.size() ||
                !std::isfinite(d)) {
              return false;
            }
          }
          out->AppendAttribute(m.name, Event::Kind::kDouble, m.schema_index)
              ->double_value = d;
          break;
        }
        case Shape::kBool:
          if (token != Token::kTrue && token != Token::kFalse) return false;
          out->AppendAttribute(m.name, Event::Kind::kBool, m.schema_index)
              ->bool_value = token == Token::kTrue;
          break;
        case Shape::kNull:
          if (token != Token::kNull) return false;
          out->AppendAttribute(m.name, Event::Kind::kNull, m.schema_index);
          break;
        default:  // lists, maps, unsupported: the full parser
          return false;
      }
    }
    ++p;  // past `next`
    if (next == ',') continue;
    if (next == '}') break;
    return false;
  }
  skip_space();
  if (p != end) return false;
  if (!time_known || !type_known) return false;
  if (options.require_session_key && !IsGlobalEventType(out->type())) {
    const bool has_key = key_member >= 0
                             ? members[key_member].seen == generation
                             : out->Find(session_key) != nullptr;
    if (!has_key) return false;
  }
  return true;
}

EventReader::EventReader(const CheckedRuleset& ruleset,
                         const ReaderOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  impl.options = options;
  impl.ruleset = &ruleset;
  impl.session_key = ruleset.session.key;
  for (size_t i = 0; i < ruleset.event_attributes.size(); ++i) {
    const EventAttribute& a = ruleset.event_attributes[i];
    Member& m = impl.AddMember(a.name);
    m.schema_index = static_cast<int32_t>(i);
    m.type_text = a.type.DebugString();
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

bool EventReader::IsBlankLine(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace switchboard
