// The state of an EventReader (include/switchboard/event_reader.h), shared
// by its two parsers: the member table built once from the ruleset's event
// schema, the simdjson parser and its padded line buffer
// (event_reader.cc), and the fast path's key table (event_reader_fast.cc).
//
// A line's members are looked up in the member table. A few members mean
// different things depending on the event's type (agent, skills, capacity,
// ready on agent.* events; queue and waited only on route.timeout); see
// event_reader.cc for how the full parser reads them.
#ifndef SWITCHBOARD_ENGINE_IO_EVENT_READER_IMPL_H_
#define SWITCHBOARD_ENGINE_IO_EVENT_READER_IMPL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/cel/types.h"
#include "engine/check/checked_ruleset.h"
#include "engine/io/fast_parse.h"
#include "simdjson.h"
#include "switchboard/compact_event.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/time.h"

namespace switchboard {
namespace io {

// String concatenation for messages (absl::StrCat here takes only
// absl::string_view, which is not std::string_view in this abseil build).
inline void AppendPiece(std::string* s, std::string_view v) { s->append(v); }
inline void AppendPiece(std::string* s, const char* v) { s->append(v); }
inline void AppendPiece(std::string* s, const std::string& v) { s->append(v); }
inline void AppendPiece(std::string* s, size_t n) {
  s->append(std::to_string(n));
}
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
  kValue,  // any other list or map (Member::type): Event::Kind::kList / kMap
  kUnsupported,
};

struct Member {
  std::string name;
  Shape shape = Shape::kIgnore;  // on ordinary events
  std::string type_text;         // the schema's type, for messages
  // The schema's type (kValue): owned by the ruleset, which outlives the
  // reader.
  const cel::Type* type = nullptr;
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
  int32_t schema_index = -1;        // Event::Attribute::schema_index
  const cel::Type* type = nullptr;  // Member::type
};

inline Shape ShapeOf(const cel::Type& type) {
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
                                                          : Shape::kValue;
    case cel::TypeKind::kMap:
      if (type.key().kind() != cel::TypeKind::kString && !type.key().is_dyn()) {
        return Shape::kUnsupported;  // refused at load (check stage)
      }
      return type.key().kind() == cel::TypeKind::kString &&
                     type.value().kind() == cel::TypeKind::kInt
                 ? Shape::kIntMap
                 : Shape::kValue;
    default:
      return Shape::kUnsupported;
  }
}

}  // namespace io

struct EventReader::Impl {
  ReaderOptions options;
  const check::CheckedRuleset* ruleset = nullptr;  // Event::schema_tag
  std::string session_key;
  // The member of the session key when reading it always sets the
  // attribute (then `seen` tells whether the line had it), else -1.
  int key_member = -1;
  std::vector<io::Member> members;
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
  // The fast path's interning of keys: the member the i-th key of the last
  // line named (-1: none or unknown), checked by comparing names before the
  // key table is asked.
  static constexpr size_t kFastKeyGuesses = 32;
  int fast_key_guess[kFastKeyGuesses] = {
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
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

  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string buffer;  // the line plus SIMDJSON_PADDING bytes
  std::string type;    // the line's type
  bool type_known = false;
  bool time_known = false;
  io::UtcDateCache date_cache;  // the fast path's timestamps
  // RFC 3339 text: the UTC fast path, else the general parser.
  bool ParseTime(std::string_view text, absl::Time* time) {
    if (io::FastParseUtcTimestamp(text, time, &date_cache)) return true;
    absl::StatusOr<absl::Time> parsed = switchboard::ParseTimestamp(text);
    if (!parsed.ok()) return false;
    *time = *parsed;
    return true;
  }
  uint32_t generation = 0;  // of the current line (Member::seen)
  std::vector<std::string> strings;
  std::vector<std::pair<std::string, int64_t>> ints;

  // --strict-schema (ReaderOptions::report_unknown_members): the patterns
  // of the event types the ruleset knows, the declared member names (for
  // "did you mean"), the unknown members of the current line, and the
  // warnings of the last line read.
  std::vector<check::EventPattern> known_types;
  std::vector<std::string> member_names;
  std::vector<std::string> unknown;
  std::vector<std::string> warnings;
  bool KnownType(std::string_view type) const;

  io::Member& AddMember(std::string_view name) {
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
  bool ReadFast(std::string_view line, CompactEvent* out);
  template <typename Out>
  bool ReadFastInto(std::string_view line, Out& out);
  // Read's full parser (simdjson), after the fast path declined the line
  // or without it.
  absl::Status ReadFull(std::string_view line, Event* out);
  // EventReader::Next into a CompactEvent: the fast path straight into it,
  // else the full parser into `scratch` and a copy.
  absl::Status Read(std::string_view line, CompactEvent* out);
  Event scratch;
  absl::Status ReadObject(simdjson::ondemand::object object, bool second_pass,
                          Event* out, bool* deferred);
  absl::Status ReadMember(const io::MemberView& m, io::Shape shape,
                          simdjson::ondemand::value v, Event* out);
  absl::Status ReadScalarDyn(const io::MemberView& m,
                             simdjson::ondemand::json_type t,
                             simdjson::ondemand::value v, Event* out);
  absl::Status ReadStringList(const io::MemberView& m,
                              simdjson::ondemand::value v, Event* out);
  absl::Status ReadIntMap(const io::MemberView& m, simdjson::ondemand::value v,
                          Event* out);
  // `v` as a value of `type` into `out` (its kind and the member of that
  // kind; lists and maps recursively into out->elements). `path` locates
  // an element for messages ("[2]['k']"; empty: the member itself);
  // `depth` is the nesting depth of `v` (a member's value: 1).
  absl::Status ReadValue(const io::MemberView& m, const cel::Type& type,
                         simdjson::ondemand::value v, Event::Attribute* out,
                         int depth, std::string& path);
  absl::Status TooLong(const io::MemberView& m, size_t size) const;
  absl::Status TooLongLine(size_t size) const {
    return absl::InvalidArgumentError(io::Cat("line too long: ", size,
                                              " bytes (the limit is ",
                                              options.max_line_bytes, ")"));
  }
};

}  // namespace switchboard

#endif  // SWITCHBOARD_ENGINE_IO_EVENT_READER_IMPL_H_
