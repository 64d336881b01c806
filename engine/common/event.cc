// The Event class (include/switchboard/event.h): a type, a time and a small
// vector of attributes. Reset() keeps every slot's storage (names, strings,
// lists), so an Event refilled per input line stops allocating once its slots
// have grown to the largest line seen.
#include "switchboard/event.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "engine/common/bytes.h"

namespace switchboard {
namespace {

// Whether the name of a reused slot is `b` (no memcmp call for short
// names).
inline bool SameName(const std::string& a, std::string_view b) {
  return a.size() == b.size() &&
         common::SameBytes(a.data(), b.data(), b.size());
}

// Gives `a` kind `kind` and empties every value member (clear() keeps the
// capacity; the empty() tests spare stores on the readers' hot path).
inline void EmptyAs(Event::Attribute* a, Event::Kind kind) {
  a->kind = kind;
  a->bool_value = false;
  a->int_value = 0;
  a->double_value = 0;
  if (!a->string_value.empty()) a->string_value.clear();
  a->duration_value = absl::ZeroDuration();
  a->time_value = absl::Time();
  if (!a->strings.empty()) a->strings.clear();
  if (!a->ints.empty()) a->ints.clear();
  if (!a->elements.empty()) a->elements.clear();
}

}  // namespace

Event& Event::operator=(Event&& other) noexcept {
  if (this == &other) return *this;
  type_ = std::move(other.type_);
  time_ = other.time_;
  schema_tag_ = other.schema_tag_;
  attributes_ = std::move(other.attributes_);
  size_ = std::exchange(other.size_, 0);
  other.Reset("", absl::Time());
  return *this;
}

void Event::Reset(std::string_view type, absl::Time time) {
  if (type.empty()) {
    type_.clear();  // cheaper than assign() (readers Reset with "")
  } else {
    type_.assign(type);
  }
  time_ = time;
  schema_tag_ = nullptr;
  size_ = 0;
}

const Event::Attribute* Event::Find(std::string_view name) const {
  for (size_t i = 0; i < size_; ++i) {
    if (attributes_[i].name == name) return &attributes_[i];
  }
  return nullptr;
}

Event::Attribute* Event::Slot(std::string_view name, Kind kind) {
  Attribute* slot = nullptr;
  for (size_t i = 0; i < size_; ++i) {
    if (attributes_[i].name == name) {
      slot = &attributes_[i];
      break;
    }
  }
  if (slot == nullptr) {
    if (size_ == attributes_.size()) attributes_.emplace_back();
    slot = &attributes_[size_++];
    slot->name.assign(name);
    slot->schema_index = -1;
  }
  EmptyAs(slot, kind);  // the old value goes
  return slot;
}

Event::Attribute* Event::AppendAttribute(std::string_view name, Kind kind,
                                         int32_t schema_index) {
  Attribute* slot;
  if (size_ < attributes_.size()) {
    slot = &attributes_[size_];
  } else {
    slot = &attributes_.emplace_back();
  }
  ++size_;
  // A reused slot usually held this very name (lines list their members in
  // the same order): compare before copying.
  if (!SameName(slot->name, name)) slot->name.assign(name);
  slot->schema_index = schema_index;
  EmptyAs(slot, kind);
  return slot;
}

void Event::SetNull(std::string_view name) { Slot(name, Kind::kNull); }

void Event::SetBool(std::string_view name, bool value) {
  Slot(name, Kind::kBool)->bool_value = value;
}

void Event::SetInt(std::string_view name, int64_t value) {
  Slot(name, Kind::kInt)->int_value = value;
}

void Event::SetDouble(std::string_view name, double value) {
  Slot(name, Kind::kDouble)->double_value = value;
}

void Event::SetString(std::string_view name, std::string_view value) {
  Slot(name, Kind::kString)->string_value.assign(value);
}

void Event::SetDuration(std::string_view name, absl::Duration value) {
  Slot(name, Kind::kDuration)->duration_value = value;
}

void Event::SetTimestamp(std::string_view name, absl::Time value) {
  Slot(name, Kind::kTimestamp)->time_value = value;
}

void Event::SetStringList(std::string_view name,
                          std::vector<std::string> value) {
  Slot(name, Kind::kStringList)->strings = std::move(value);
}

void Event::SetIntMap(std::string_view name,
                      std::vector<std::pair<std::string, int64_t>> value) {
  Slot(name, Kind::kIntMap)->ints = std::move(value);
}

void Event::SetList(std::string_view name, std::vector<Attribute> elements) {
  Slot(name, Kind::kList)->elements = std::move(elements);
}

void Event::SetMap(std::string_view name, std::vector<Attribute> entries) {
  Slot(name, Kind::kMap)->elements = std::move(entries);
}

// ---- packed form -----------------------------------------------------------
//
// Native byte order, no alignment: the type (u32 length, bytes), the time,
// the schema tag (its address), the attribute count (u32), then each
// attribute: kind (u8), schema index (i32), name (u32 length, bytes) and the
// member its kind makes meaningful. Times and durations are (i64 seconds,
// i64 nanoseconds), seconds INT64_MAX / INT64_MIN for the infinities.

namespace {

// The packed size of an attribute.
size_t PackedSize(const Event::Attribute& a) {
  size_t n = 1 + 4 + 4 + a.name.size();
  switch (a.kind) {
    case Event::Kind::kNull:
      break;
    case Event::Kind::kBool:
      n += 1;
      break;
    case Event::Kind::kInt:
    case Event::Kind::kDouble:
      n += 8;
      break;
    case Event::Kind::kString:
      n += 4 + a.string_value.size();
      break;
    case Event::Kind::kDuration:
    case Event::Kind::kTimestamp:
      n += 16;
      break;
    case Event::Kind::kStringList:
      n += 4;
      for (const std::string& s : a.strings) n += 4 + s.size();
      break;
    case Event::Kind::kIntMap:
      n += 4;
      for (const auto& [key, value] : a.ints) n += 4 + key.size() + 8;
      break;
    case Event::Kind::kList:
    case Event::Kind::kMap:
      n += 4;
      for (const Event::Attribute& e : a.elements) n += PackedSize(e);
      break;
  }
  return n;
}

// Writers into a buffer sized by PackedSize: each returns the end.
template <typename T>
inline char* Put(char* p, T value) {
  std::memcpy(p, &value, sizeof(value));
  return p + sizeof(value);
}

inline char* PutBytes(char* p, std::string_view bytes) {
  p = Put<uint32_t>(p, static_cast<uint32_t>(bytes.size()));
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return p + bytes.size();
}

char* PutTime(char* p, absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) {
    p = Put<int64_t>(p, t == absl::InfiniteFuture() ? INT64_MAX : INT64_MIN);
    return Put<int64_t>(p, 0);
  }
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds down
  p = Put<int64_t>(p, seconds);
  return Put<int64_t>(
      p, absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds)));
}

char* PutDuration(char* p, absl::Duration d) {
  if (d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()) {
    p = Put<int64_t>(p, d > absl::ZeroDuration() ? INT64_MAX : INT64_MIN);
    return Put<int64_t>(p, 0);
  }
  absl::Duration rest;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &rest);
  p = Put<int64_t>(p, seconds);
  return Put<int64_t>(p, absl::ToInt64Nanoseconds(rest));
}

char* PutAttribute(char* p, const Event::Attribute& a) {
  p = Put<uint8_t>(p, static_cast<uint8_t>(a.kind));
  p = Put<int32_t>(p, a.schema_index);
  p = PutBytes(p, a.name);
  switch (a.kind) {
    case Event::Kind::kNull:
      return p;
    case Event::Kind::kBool:
      return Put<uint8_t>(p, a.bool_value ? 1 : 0);
    case Event::Kind::kInt:
      return Put<int64_t>(p, a.int_value);
    case Event::Kind::kDouble:
      return Put<double>(p, a.double_value);
    case Event::Kind::kString:
      return PutBytes(p, a.string_value);
    case Event::Kind::kDuration:
      return PutDuration(p, a.duration_value);
    case Event::Kind::kTimestamp:
      return PutTime(p, a.time_value);
    case Event::Kind::kStringList:
      p = Put<uint32_t>(p, static_cast<uint32_t>(a.strings.size()));
      for (const std::string& s : a.strings) p = PutBytes(p, s);
      return p;
    case Event::Kind::kIntMap:
      p = Put<uint32_t>(p, static_cast<uint32_t>(a.ints.size()));
      for (const auto& [key, value] : a.ints) {
        p = PutBytes(p, key);
        p = Put<int64_t>(p, value);
      }
      return p;
    case Event::Kind::kList:
    case Event::Kind::kMap:
      p = Put<uint32_t>(p, static_cast<uint32_t>(a.elements.size()));
      for (const Event::Attribute& e : a.elements) p = PutAttribute(p, e);
      return p;
  }
  return p;
}

// Reads what the Put functions wrote; every Get fails (and stays failed)
// past the end.
class Unpacker {
 public:
  explicit Unpacker(std::string_view bytes)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  bool done() const { return ok_ && p_ == end_; }
  bool ok() const { return ok_; }

  template <typename T>
  bool Get(T* value) {
    if (!ok_ || static_cast<size_t>(end_ - p_) < sizeof(T)) return ok_ = false;
    std::memcpy(value, p_, sizeof(T));
    p_ += sizeof(T);
    return true;
  }
  bool GetBytes(std::string_view* bytes) {
    uint32_t n;
    if (!Get(&n) || static_cast<size_t>(end_ - p_) < n) return ok_ = false;
    *bytes = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool GetTime(absl::Time* t) {
    int64_t seconds, nanos;
    if (!Get(&seconds) || !Get(&nanos)) return false;
    if (seconds == INT64_MAX || seconds == INT64_MIN) {
      *t = seconds == INT64_MAX ? absl::InfiniteFuture() : absl::InfinitePast();
    } else {
      *t = absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
    }
    return true;
  }
  bool GetDuration(absl::Duration* d) {
    int64_t seconds, nanos;
    if (!Get(&seconds) || !Get(&nanos)) return false;
    if (seconds == INT64_MAX || seconds == INT64_MIN) {
      *d = seconds == INT64_MAX ? absl::InfiniteDuration()
                                : -absl::InfiniteDuration();
    } else {
      *d = absl::Seconds(seconds) + absl::Nanoseconds(nanos);
    }
    return true;
  }
  // The value of an attribute of `kind` into `a` (emptied of other values).
  bool GetValue(Event::Kind kind, Event::Attribute* a, int depth);
  // A whole attribute (a list's or a map's element) into `a`.
  bool GetAttribute(Event::Attribute* a, int depth) {
    uint8_t kind;
    std::string_view name;
    if (!Get(&kind) || !Get(&a->schema_index) || !GetBytes(&name)) {
      return false;
    }
    if (kind > static_cast<uint8_t>(Event::Kind::kMap)) return ok_ = false;
    a->name.assign(name);
    EmptyAs(a, static_cast<Event::Kind>(kind));
    return GetValue(a->kind, a, depth);
  }

 private:
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

bool Unpacker::GetValue(Event::Kind kind, Event::Attribute* a, int depth) {
  switch (kind) {
    case Event::Kind::kNull:
      return true;
    case Event::Kind::kBool: {
      uint8_t b;
      if (!Get(&b)) return false;
      a->bool_value = b != 0;
      return true;
    }
    case Event::Kind::kInt:
      return Get(&a->int_value);
    case Event::Kind::kDouble:
      return Get(&a->double_value);
    case Event::Kind::kString: {
      std::string_view s;
      if (!GetBytes(&s)) return false;
      a->string_value.assign(s);
      return true;
    }
    case Event::Kind::kDuration:
      return GetDuration(&a->duration_value);
    case Event::Kind::kTimestamp:
      return GetTime(&a->time_value);
    case Event::Kind::kStringList: {
      uint32_t n;
      if (!Get(&n) || n > static_cast<size_t>(end_ - p_) / 4) {
        return ok_ = false;
      }
      a->strings.resize(n);
      for (std::string& s : a->strings) {
        std::string_view bytes;
        if (!GetBytes(&bytes)) return false;
        s.assign(bytes);
      }
      return true;
    }
    case Event::Kind::kIntMap: {
      uint32_t n;
      if (!Get(&n) || n > static_cast<size_t>(end_ - p_) / 12) {
        return ok_ = false;
      }
      a->ints.resize(n);
      for (auto& [key, value] : a->ints) {
        std::string_view bytes;
        if (!GetBytes(&bytes) || !Get(&value)) return false;
        key.assign(bytes);
      }
      return true;
    }
    case Event::Kind::kList:
    case Event::Kind::kMap: {
      uint32_t n;
      // An element takes at least 9 bytes; nesting is bounded by readers.
      if (depth > 10000 || !Get(&n) || n > static_cast<size_t>(end_ - p_) / 9) {
        return ok_ = false;
      }
      a->elements.resize(n);
      for (Event::Attribute& e : a->elements) {
        if (!GetAttribute(&e, depth + 1)) return false;
      }
      return true;
    }
  }
  return ok_ = false;
}

}  // namespace

void Event::AppendPacked(std::string* out) const {
  // Sized first, then written in place: one resize, no append per member.
  size_t n = 4 + type_.size() + 16 + sizeof(uintptr_t) + 4;
  for (size_t i = 0; i < size_; ++i) n += PackedSize(attributes_[i]);
  const size_t at = out->size();
  out->resize(at + n);
  char* p = out->data() + at;
  p = PutBytes(p, type_);
  p = PutTime(p, time_);
  p = Put<uintptr_t>(p, reinterpret_cast<uintptr_t>(schema_tag_));
  p = Put<uint32_t>(p, static_cast<uint32_t>(size_));
  for (size_t i = 0; i < size_; ++i) p = PutAttribute(p, attributes_[i]);
}

bool Event::Unpack(std::string_view packed) {
  Unpacker in(packed);
  std::string_view type;
  absl::Time time;
  uintptr_t tag;
  uint32_t count;
  if (!in.GetBytes(&type) || !in.GetTime(&time) || !in.Get(&tag) ||
      !in.Get(&count)) {
    Reset("", absl::Time());
    return false;
  }
  Reset(type, time);
  schema_tag_ = reinterpret_cast<const void*>(tag);
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t kind;
    int32_t schema_index;
    std::string_view name;
    if (!in.Get(&kind) || !in.Get(&schema_index) || !in.GetBytes(&name) ||
        kind > static_cast<uint8_t>(Kind::kMap)) {
      Reset("", absl::Time());
      return false;
    }
    Attribute* a = AppendAttribute(name, static_cast<Kind>(kind), schema_index);
    if (!in.GetValue(a->kind, a, 0)) {
      Reset("", absl::Time());
      return false;
    }
  }
  if (!in.done()) {
    Reset("", absl::Time());
    return false;
  }
  return true;
}

}  // namespace switchboard
