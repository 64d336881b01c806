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

}  // namespace

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
  // Empty the old value (clear() keeps the capacity).
  slot->kind = kind;
  slot->bool_value = false;
  slot->int_value = 0;
  slot->double_value = 0;
  slot->string_value.clear();
  slot->duration_value = absl::ZeroDuration();
  slot->time_value = absl::Time();
  slot->strings.clear();
  slot->ints.clear();
  slot->elements.clear();
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
  slot->kind = kind;
  slot->bool_value = false;
  slot->int_value = 0;
  slot->double_value = 0;
  if (!slot->string_value.empty()) slot->string_value.clear();
  slot->duration_value = absl::ZeroDuration();
  slot->time_value = absl::Time();
  if (!slot->strings.empty()) slot->strings.clear();
  if (!slot->ints.empty()) slot->ints.clear();
  if (!slot->elements.empty()) slot->elements.clear();
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

}  // namespace switchboard
