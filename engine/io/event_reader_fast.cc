// The fast path of EventReader (ReaderOptions::fast_path): flat lines of
// plain ASCII read by hand, in one pass over the line: strings found 16
// bytes at a time (SSE2), keys found in an open-addressing table hashed from
// their length and three bytes, the UTC timestamp form and plain decimals
// parsed by engine/io/fast_parse.h (the general parsers otherwise). Any line
// it cannot read, or that is not valid, goes to the full parser
// (event_reader.cc) from scratch, so the result is the same either way.
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "engine/check/rule_env.h"
#include "engine/common/event_access.h"
#include "engine/io/event_reader_impl.h"
#include "engine/io/fast_parse.h"
#include "switchboard/compact_event.h"
#include "switchboard/event.h"

namespace switchboard {

using ::switchboard::io::FastParseDecimal;
using ::switchboard::io::FirstSpecialOf16;

using ::switchboard::check::IsGlobalEventType;
using ::switchboard::common::SameBytes;

using io::Member;
using io::Shape;

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

namespace {

// Where the fast path writes a line's event: an Event, through EventAccess
// (its attribute slots), or a CompactEvent (headers and one arena). Members
// are distinct within a line (Member::seen), so both append without a
// search.
class EventOut {
 public:
  explicit EventOut(Event* event) : e_(event) {}
  void Begin(const void* tag) {
    e_->Reset("", absl::InfinitePast());
    internal::EventAccess::SetSchemaTag(*e_, tag);
  }
  void SetType(std::string_view type) { e_->set_type(type); }
  void SetTime(absl::Time time) { e_->set_time(time); }
  std::string_view type() const { return e_->type(); }
  bool Has(std::string_view name) const { return e_->Find(name) != nullptr; }
  void String(const Member& m, std::string_view text) {
    // The new attribute's string is empty: append, not assign.
    Add(m, Event::Kind::kString)->string_value.append(text.data(), text.size());
  }
  void Duration(const Member& m, absl::Duration d) {
    Add(m, Event::Kind::kDuration)->duration_value = d;
  }
  void Timestamp(const Member& m, absl::Time t) {
    Add(m, Event::Kind::kTimestamp)->time_value = t;
  }
  void Int(const Member& m, int64_t i) {
    Add(m, Event::Kind::kInt)->int_value = i;
  }
  void Double(const Member& m, double d) {
    Add(m, Event::Kind::kDouble)->double_value = d;
  }
  void Bool(const Member& m, bool b) {
    Add(m, Event::Kind::kBool)->bool_value = b;
  }
  void Null(const Member& m) { Add(m, Event::Kind::kNull); }

 private:
  Event::Attribute* Add(const Member& m, Event::Kind kind) {
    return internal::EventAccess::AppendAttribute(*e_, m.name, kind,
                                                  m.schema_index);
  }
  Event* e_;
};

class CompactOut {
 public:
  explicit CompactOut(CompactEvent* event) : e_(event) {}
  void Begin(const void* tag) {
    e_->Reset("", absl::InfinitePast());
    internal::CompactEventAccess::SetSchemaTag(*e_, tag);
  }
  void SetType(std::string_view type) { e_->set_type(type); }
  void SetTime(absl::Time time) { e_->set_time(time); }
  std::string_view type() const { return e_->type(); }
  bool Has(std::string_view name) const { return e_->Find(name) >= 0; }
  void String(const Member& m, std::string_view text) {
    Add(m, Event::Kind::kString, text.data(), text.size());
  }
  void Duration(const Member& m, absl::Duration d) {
    Add(m, Event::Kind::kDuration, &d, sizeof(d));
  }
  void Timestamp(const Member& m, absl::Time t) {
    Add(m, Event::Kind::kTimestamp, &t, sizeof(t));
  }
  void Int(const Member& m, int64_t i) {
    Add(m, Event::Kind::kInt, nullptr, 0)->scalar = i;
  }
  void Double(const Member& m, double d) {
    std::memcpy(&Add(m, Event::Kind::kDouble, nullptr, 0)->scalar, &d,
                sizeof(d));
  }
  void Bool(const Member& m, bool b) {
    Add(m, Event::Kind::kBool, nullptr, 0)->scalar = b ? 1 : 0;
  }
  void Null(const Member& m) { Add(m, Event::Kind::kNull, nullptr, 0); }

 private:
  CompactEvent::Header* Add(const Member& m, Event::Kind kind,
                            const void* payload, size_t size) {
    return internal::CompactEventAccess::Append(*e_, m.name, kind,
                                                m.schema_index, payload, size);
  }
  CompactEvent* e_;
};

}  // namespace

template <typename Out>
bool EventReader::Impl::ReadFastInto(std::string_view line, Out& out) {
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
  out.Begin(ruleset);
  type_known = false;
  time_known = false;
  size_t position = 0;  // of the key in the line
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

    // The member the key at this position named in the last line, checked
    // by comparing names; the key table only on a miss (lines of a stream
    // list their keys in the same few orders).
    int found = -1;
    const int guess =
        position < kFastKeyGuesses ? fast_key_guess[position] : -1;
    if (guess >= 0 && members[guess].name.size() == key.size() &&
        SameBytes(members[guess].name.data(), key.data(), key.size())) {
      found = guess;
    } else {
      found = FindKey(key);
      if (position < kFastKeyGuesses) fast_key_guess[position] = found;
    }
    ++position;
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
          out.SetTime(time);
          time_known = true;
          break;
        }
        case Shape::kType:
          if (token != Token::kString || text.empty()) return false;
          out.SetType(text);
          type_known = true;
          break;
        case Shape::kString:
          if (token != Token::kString) return false;
          out.String(m, text);
          break;
        case Shape::kDuration: {
          if (token != Token::kString) return false;
          absl::StatusOr<absl::Duration> d = switchboard::ParseDuration(text);
          if (!d.ok()) return false;
          out.Duration(m, *d);
          break;
        }
        case Shape::kTimestamp: {
          if (token != Token::kString) return false;
          absl::Time time;
          if (!ParseTime(text, &time)) return false;
          out.Timestamp(m, time);
          break;
        }
        case Shape::kInt: {
          int64_t i;
          if (token != Token::kNumber || !integer || !SmallInt(text, &i)) {
            return false;
          }
          out.Int(m, i);
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
          out.Double(m, d);
          break;
        }
        case Shape::kBool:
          if (token != Token::kTrue && token != Token::kFalse) return false;
          out.Bool(m, token == Token::kTrue);
          break;
        case Shape::kNull:
          if (token != Token::kNull) return false;
          out.Null(m);
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
  if (options.require_session_key && !IsGlobalEventType(out.type())) {
    const bool has_key = key_member >= 0
                             ? members[key_member].seen == generation
                             : out.Has(session_key);
    if (!has_key) return false;
  }
  return true;
}

bool EventReader::Impl::ReadFast(std::string_view line, Event* out) {
  EventOut sink(out);
  return ReadFastInto(line, sink);
}

bool EventReader::Impl::ReadFast(std::string_view line, CompactEvent* out) {
  CompactOut sink(out);
  return ReadFastInto(line, sink);
}

}  // namespace switchboard
