// Decision::ToJson / AppendJson (include/switchboard/decision.h): a decision
// as one JSON object, docs/events-and-decisions.md. Members in this order:
// time, ruleset, session, rule, action, the params (in the rule's written
// order), trigger, and "explain" when the decision carries an Explanation:
//
//   "explain":{"rules":[{"rule":R,"outcome":O,"conditions":[{"if":TEXT,
//              "value":V},...],"detail":D},...],"notes":[N,...]}
//
// ("detail" only when non-empty; "conditions" and "notes" always, maybe
// empty). Times are RFC 3339 UTC ('Z', 0/3/6/9 fractional digits, exactly as
// switchboard::FormatTimestamp), durations protobuf-JSON strings ("90s",
// "0.250s"), string lists JSON arrays, int maps JSON objects. Strings are
// escaped: '"' and '\\' with a backslash, control characters as \u00XX,
// valid UTF-8 passed through, and each byte of invalid UTF-8 replaced by
// U+FFFD, so the output is always valid JSON. Hand-rolled appends: no
// allocation when `out` has room (except for times outside years
// 0001..9999, which go through FormatTimestamp).
#include "engine/io/decision_json.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/common/time_util.h"
#include "engine/io/fast_parse.h"
#include "switchboard/decision.h"
#include "switchboard/trace.h"

namespace switchboard {
namespace {

using ::switchboard::io::AppendDecisionJsonGeneral;
using ::switchboard::io::FirstSpecialOf8;

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  const auto cont = [&](size_t k) {
    return k < s.size() && (byte(k) & 0xC0) == 0x80;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

// Length of a prefix of `s` that needs no escaping (printable ASCII other
// than '"' and '\\'), found 8 bytes at a time; the byte loop of
// AppendString goes on from there.
size_t PlainPrefix(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  // Nonzero when some byte of v is below n (n <= 128; exact as a test of
  // existence).
  const auto has_less = [](uint64_t v, uint64_t n) {
    return (v - kOnes * n) & ~v & kHigh;
  };
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    if (has_less(x, 0x20) | has_less(x ^ (kOnes * '"'), 1) |
        has_less(x ^ (kOnes * '\\'), 1) | (x & kHigh)) {
      break;
    }
  }
  return i;
}

// Appends `s` as a JSON string, quotes included.
void AppendString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes copied as they are
  size_t i = PlainPrefix(s);
  const auto flush = [&](size_t end) {
    out->append(s.data() + run, end - run);
  };
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
      flush(i);
      out->append("\xEF\xBF\xBD");  // U+FFFD
      run = ++i;
      continue;
    }
    flush(i);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else {
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out->append(esc, 6);
    }
    run = ++i;
  }
  flush(i);
  out->push_back('"');
}

// Appends `"name":`.
void AppendKey(std::string_view name, std::string* out) {
  AppendString(name, out);
  out->push_back(':');
}

// Writes v in decimal at p (at most 20 bytes); returns the end.
char* PutInt(int64_t v, char* p) {
  char buf[24];
  char* end = buf + sizeof(buf);
  char* q = end;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    *--q = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) *--q = '-';
  std::memcpy(p, q, end - q);
  return p + (end - q);
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  out->append(buf, PutInt(v, buf) - buf);
}

// UTC calendar fields of a count of seconds since the Unix epoch, in the
// proleptic Gregorian calendar (H. Hinnant's civil_from_days; the same as
// absl::CivilSecond(1970) + seconds, without cctz's general path).
struct CivilFields {
  int64_t year;
  int month, day, hour, minute, second;
};
CivilFields CivilFromUnixSeconds(int64_t seconds) {
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;  // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                       // [0, 11]
  CivilFields c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem / 60 % 60);
  c.second = static_cast<int>(rem % 60);
  return c;
}

// Appends the time as a JSON string, as switchboard::FormatTimestamp formats
// it.
void AppendTime(absl::Time t, std::string* out) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) {
    AppendString(switchboard::FormatTimestamp(t), out);
    return;
  }
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds down
  const int64_t nanos =
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds));
  // Years 1..9999 are within +-2^38 s; beyond, FormatTimestamp decides.
  if (seconds < -(int64_t{1} << 38) || seconds > (int64_t{1} << 38)) {
    AppendString(switchboard::FormatTimestamp(t), out);
    return;
  }
  const CivilFields c = CivilFromUnixSeconds(seconds);
  if (c.year < 1 || c.year > 9999) {
    AppendString(switchboard::FormatTimestamp(t), out);
    return;
  }
  // Formatted in a local buffer, appended once.
  char buf[40];
  char* p = buf;
  const auto put = [&p](int64_t v, int width) {
    for (int k = width - 1; k >= 0; --k) {
      p[k] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p += width;
  };
  *p++ = '"';
  put(c.year, 4);
  *p++ = '-';
  put(c.month, 2);
  *p++ = '-';
  put(c.day, 2);
  *p++ = 'T';
  put(c.hour, 2);
  *p++ = ':';
  put(c.minute, 2);
  *p++ = ':';
  put(c.second, 2);
  if (nanos != 0) {
    *p++ = '.';
    if (nanos % 1000000 == 0) {
      put(nanos / 1000000, 3);
    } else if (nanos % 1000 == 0) {
      put(nanos / 1000, 6);
    } else {
      put(nanos, 9);
    }
  }
  *p++ = 'Z';
  *p++ = '"';
  out->append(buf, p - buf);
}

void AppendParam(const DecisionParam& p, std::string* out) {
  AppendKey(p.name, out);
  switch (p.kind) {
    case DecisionParam::Kind::kString:
      AppendString(p.string_value, out);
      break;
    case DecisionParam::Kind::kInt:
      AppendInt(p.int_value, out);
      break;
    case DecisionParam::Kind::kDuration:
      // "90s" and the like fit the small-string buffer: no allocation.
      AppendString(switchboard::FormatDuration(p.duration_value), out);
      break;
    case DecisionParam::Kind::kStringList: {
      out->push_back('[');
      bool first = true;
      for (const std::string& s : p.strings) {
        if (!first) out->push_back(',');
        first = false;
        AppendString(s, out);
      }
      out->push_back(']');
      break;
    }
    case DecisionParam::Kind::kIntMap: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, value] : p.ints) {
        if (!first) out->push_back(',');
        first = false;
        AppendKey(key, out);
        AppendInt(value, out);
      }
      out->push_back('}');
      break;
    }
  }
}

// The members "rules":[...],"notes":[...] of an explanation (no braces).
void AppendExplanationMembers(const Explanation& e, std::string* out) {
  out->append("\"rules\":[");
  bool first_rule = true;
  for (const Explanation::RuleOutcome& r : e.rules) {
    if (!first_rule) out->push_back(',');
    first_rule = false;
    out->append("{\"rule\":");
    AppendString(r.rule, out);
    out->append(",\"outcome\":");
    AppendString(r.outcome, out);
    out->append(",\"conditions\":[");
    bool first_condition = true;
    for (const Explanation::ConditionValue& c : r.conditions) {
      if (!first_condition) out->push_back(',');
      first_condition = false;
      out->append("{\"if\":");
      AppendString(c.text, out);
      out->append(",\"value\":");
      AppendString(c.value, out);
      out->push_back('}');
    }
    out->push_back(']');
    if (!r.detail.empty()) {
      out->append(",\"detail\":");
      AppendString(r.detail, out);
    }
    out->push_back('}');
  }
  out->append("],\"notes\":[");
  bool first_note = true;
  for (const std::string& note : e.notes) {
    if (!first_note) out->push_back(',');
    first_note = false;
    AppendString(note, out);
  }
  out->push_back(']');
}

void AppendExplanation(const Explanation& e, std::string* out) {
  out->push_back('{');
  AppendExplanationMembers(e, out);
  out->push_back('}');
}

// ---- The direct path: one resize, then writes through a pointer ----------
//
// AppendJson sizes `out` once for the worst case (every string byte escaped
// to 6 bytes), writes through a raw pointer and trims: no per-piece
// capacity check and no call per piece. Decisions with an explanation, with
// list, map or duration params, or with times outside years 0001..9999 take
// the appends above.

// Bytes that stand as they are in a JSON string: printable ASCII but '"'
// and '\\'.
struct PlainByteTable {
  bool ok[256] = {};
  constexpr PlainByteTable() {
    for (int c = 0x20; c < 0x80; ++c) ok[c] = c != '"' && c != '\\';
  }
};
constexpr PlainByteTable kPlainByte;

// "00" to "99".
struct TwoDigitTable {
  char digits[200] = {};
  constexpr TwoDigitTable() {
    for (int i = 0; i < 100; ++i) {
      digits[2 * i] = static_cast<char>('0' + i / 10);
      digits[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
  }
};
constexpr TwoDigitTable kTwoDigits;

inline char* PutTwoDigits(int v, char* p) {
  std::memcpy(p, kTwoDigits.digits + 2 * v, 2);
  return p + 2;
}

// Worst case of a string written by PutString: quotes and 6 bytes a byte.
constexpr size_t StringBound(std::string_view s) { return 2 + 6 * s.size(); }

template <size_t N>
inline char* PutLiteral(char* p, const char (&text)[N]) {
  std::memcpy(p, text, N - 1);
  return p + N - 1;
}

// `s` as a JSON string, quotes included, the same bytes as AppendString.
char* PutString(std::string_view s, char* p) {
  *p++ = '"';
  size_t i = 0;
  while (i + 8 <= s.size()) {
    const size_t k = FirstSpecialOf8(s.data() + i);
    std::memcpy(p, s.data() + i, 8);  // room: the bound is 6 bytes a byte
    p += k;
    i += k;
    if (k < 8) break;
  }
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (kPlainByte.ok[c]) {
      *p++ = static_cast<char>(c);
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(s, i);
      if (n != 0) {
        std::memcpy(p, s.data() + i, n);
        p += n;
        i += n;
        continue;
      }
      p = PutLiteral(p, "\xEF\xBF\xBD");  // U+FFFD
      ++i;
      continue;
    }
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = static_cast<char>(c);
    } else {
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      std::memcpy(p, esc, 6);
      p += 6;
    }
    ++i;
  }
  *p++ = '"';
  return p;
}

// The time as AppendTime writes it (at most 32 bytes), or null when it is
// outside years 0001..9999 or infinite (then AppendTime decides).
char* PutTime(absl::Time t, char* p) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return nullptr;
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds down
  if (seconds < -(int64_t{1} << 38) || seconds > (int64_t{1} << 38)) {
    return nullptr;
  }
  const int64_t nanos =
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds));
  const CivilFields c = CivilFromUnixSeconds(seconds);
  if (c.year < 1 || c.year > 9999) return nullptr;
  const auto put = [&p](int64_t v, int width) {
    for (int k = width - 1; k >= 0; --k) {
      p[k] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p += width;
  };
  *p++ = '"';
  p = PutTwoDigits(static_cast<int>(c.year / 100), p);
  p = PutTwoDigits(static_cast<int>(c.year % 100), p);
  *p++ = '-';
  p = PutTwoDigits(c.month, p);
  *p++ = '-';
  p = PutTwoDigits(c.day, p);
  *p++ = 'T';
  p = PutTwoDigits(c.hour, p);
  *p++ = ':';
  p = PutTwoDigits(c.minute, p);
  *p++ = ':';
  p = PutTwoDigits(c.second, p);
  if (nanos != 0) {
    *p++ = '.';
    if (nanos % 1000000 == 0) {
      put(nanos / 1000000, 3);
    } else if (nanos % 1000 == 0) {
      put(nanos / 1000, 6);
    } else {
      put(nanos, 9);
    }
  }
  *p++ = 'Z';
  *p++ = '"';
  return p;
}

// Appends `d` through the direct path; false (and `out` untouched) when
// the decision needs the general one.
bool AppendJsonDirect(const Decision& d, std::string* out) {
  if (d.explanation != nullptr) return false;
  // Literal text ({"time":, ,"ruleset":, ... ,"trigger":, }) is under 96
  // bytes; the time under 40.
  size_t bound = 96 + 40 + StringBound(d.ruleset) + StringBound(d.session) +
                 StringBound(d.rule) + StringBound(d.action) +
                 StringBound(d.trigger);
  for (const DecisionParam& param : d.params) {
    bound += 2 + StringBound(param.name);  // ',' and ':'
    switch (param.kind) {
      case DecisionParam::Kind::kString:
        bound += StringBound(param.string_value);
        break;
      case DecisionParam::Kind::kInt:
        bound += 24;
        break;
      case DecisionParam::Kind::kStringList:  // [a,b]: a comma or ] each
        bound += 2;
        for (const std::string& item : param.strings) {
          bound += 1 + StringBound(item);
        }
        break;
      case DecisionParam::Kind::kIntMap:  // {"k":1}: ',' ':' and the int
        bound += 2;
        for (const auto& [key, value] : param.ints) {
          bound += 2 + StringBound(key) + 24;
        }
        break;
      default:  // durations: rare, the general path
        return false;
    }
  }
  const size_t old_size = out->size();
  out->resize(old_size + bound);
  char* const begin = out->data() + old_size;
  char* p = PutLiteral(begin, "{\"time\":");
  p = PutTime(d.time, p);
  if (p == nullptr) {
    out->resize(old_size);
    return false;
  }
  p = PutLiteral(p, ",\"ruleset\":");
  p = PutString(d.ruleset, p);
  p = PutLiteral(p, ",\"session\":");
  p = PutString(d.session, p);
  p = PutLiteral(p, ",\"rule\":");
  p = PutString(d.rule, p);
  p = PutLiteral(p, ",\"action\":");
  p = PutString(d.action, p);
  for (const DecisionParam& param : d.params) {
    *p++ = ',';
    p = PutString(param.name, p);
    *p++ = ':';
    switch (param.kind) {
      case DecisionParam::Kind::kString:
        p = PutString(param.string_value, p);
        break;
      case DecisionParam::Kind::kInt:
        p = PutInt(param.int_value, p);
        break;
      case DecisionParam::Kind::kStringList: {
        *p++ = '[';
        for (size_t i = 0; i < param.strings.size(); ++i) {
          if (i > 0) *p++ = ',';
          p = PutString(param.strings[i], p);
        }
        *p++ = ']';
        break;
      }
      case DecisionParam::Kind::kIntMap: {
        *p++ = '{';
        for (size_t i = 0; i < param.ints.size(); ++i) {
          if (i > 0) *p++ = ',';
          p = PutString(param.ints[i].first, p);
          *p++ = ':';
          p = PutInt(param.ints[i].second, p);
        }
        *p++ = '}';
        break;
      }
      case DecisionParam::Kind::kDuration:
        break;  // refused above
    }
  }
  p = PutLiteral(p, ",\"trigger\":");
  p = PutString(d.trigger, p);
  *p++ = '}';
  out->resize(old_size + static_cast<size_t>(p - begin));
  return true;
}

}  // namespace

std::string Decision::ToJson() const {
  std::string out;
  out.reserve(256);
  AppendJson(&out);
  return out;
}

void Decision::AppendJson(std::string* out) const {
  if (!AppendJsonDirect(*this, out)) AppendDecisionJsonGeneral(*this, out);
}

namespace io {

void AppendDecisionJsonGeneral(const Decision& self, std::string* out) {
  out->append("{\"time\":");
  AppendTime(self.time, out);
  out->append(",\"ruleset\":");
  AppendString(self.ruleset, out);
  out->append(",\"session\":");
  AppendString(self.session, out);
  out->append(",\"rule\":");
  AppendString(self.rule, out);
  out->append(",\"action\":");
  AppendString(self.action, out);
  for (const DecisionParam& p : self.params) {
    out->push_back(',');
    AppendParam(p, out);
  }
  out->append(",\"trigger\":");
  AppendString(self.trigger, out);
  if (self.explanation != nullptr) {
    out->append(",\"explain\":");
    AppendExplanation(*self.explanation, out);
  }
  out->push_back('}');
}

void AppendJsonString(std::string_view s, std::string* out) {
  AppendString(s, out);
}

}  // namespace io

void AppendJsonString(std::string_view s, std::string* out) {
  io::AppendJsonString(s, out);
}

}  // namespace switchboard

namespace switchboard {

std::string TriggerTrace::ToJson() const {
  std::string out;
  AppendJson(&out);
  return out;
}

void TriggerTrace::AppendJson(std::string* out) const {
  out->append("{\"time\":");
  AppendTime(time, out);
  out->append(",\"ruleset\":");
  AppendString(ruleset, out);
  out->append(",\"session\":");
  AppendString(session, out);
  out->append(",\"trigger\":");
  AppendString(trigger, out);
  out->append(",\"source\":");
  AppendString(source, out);
  out->push_back(',');
  if (explanation != nullptr) {
    AppendExplanationMembers(*explanation, out);
  } else {
    out->append("\"rules\":[],\"notes\":[]");
  }
  out->append(",\"decisions\":");
  AppendInt(decisions, out);
  out->push_back('}');
}

}  // namespace switchboard
