// The CompactEvent class (include/switchboard/compact_event.h): headers in
// one vector, names and payloads in one byte arena, lists and maps beside
// them as Event::Attribute values. Reset() keeps all three, so a
// CompactEvent refilled per input line stops allocating once they have
// grown to the largest line seen.
#include "switchboard/compact_event.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "engine/common/bytes.h"
#include "engine/common/event_access.h"

namespace switchboard {
namespace {

bool IsComposite(Event::Kind kind) {
  return kind == Event::Kind::kStringList || kind == Event::Kind::kIntMap ||
         kind == Event::Kind::kList || kind == Event::Kind::kMap;
}

// A trivially copyable value's bytes (an absl::Duration, an absl::Time) read
// back from the arena, where they need not be aligned.
template <typename T>
T Load(const std::vector<char>& arena, uint64_t at) {
  T value;
  std::memcpy(&value, arena.data() + at, sizeof(T));
  return value;
}

}  // namespace

void CompactEvent::GrowArena(size_t n) {
  // Doubling: a reused event stops growing at its largest line.
  arena_.resize(
      std::max(arena_used_ + n, std::max<size_t>(256, 2 * arena_.size())));
}

void CompactEvent::GrowHeaders() {
  // Room for a typical line's attributes at once, then doubling.
  headers_.resize(std::max<size_t>(8, 2 * headers_.size()));
}

// ---- AttributeView ----------------------------------------------------------

absl::Duration CompactEvent::AttributeView::duration_value() const {
  if (header_->kind != Kind::kDuration) return absl::ZeroDuration();
  return Load<absl::Duration>(event_->arena_,
                              header_->offset + header_->name_size);
}

absl::Time CompactEvent::AttributeView::time_value() const {
  if (header_->kind != Kind::kTimestamp) return absl::Time();
  return Load<absl::Time>(event_->arena_, header_->offset + header_->name_size);
}

const Event::Attribute& CompactEvent::AttributeView::composite() const {
  static const Event::Attribute* const kEmpty = new Event::Attribute();
  if (!IsComposite(header_->kind)) return *kEmpty;
  return event_->composites_[static_cast<size_t>(header_->scalar)];
}

// ---- CompactEvent -----------------------------------------------------------

void CompactEvent::Reset(std::string_view type, absl::Time time) {
  if (type.empty()) {
    type_.clear();
  } else {
    type_.assign(type);
  }
  time_ = time;
  schema_tag_ = nullptr;
  size_ = 0;
  arena_used_ = 0;
  arena_garbage_ = 0;
  composite_size_ = 0;
  composite_garbage_ = 0;
}

CompactEvent& CompactEvent::operator=(const CompactEvent& other) {
  if (this == &other) return *this;
  // Attribute by attribute, as a reader fills one: measured faster for the
  // Process that follows than one bulk copy of the arena and the headers
  // (bench/latency.cc --feed reused: p50 190 ns against 300 ns; the wide
  // stores of a bulk copy make the engine's first loads of the event
  // wait).
  Reset(other.type_, other.time_);
  schema_tag_ = other.schema_tag_;
  const char* arena = other.arena_.data();
  for (size_t i = 0; i < other.size_; ++i) {
    const Header& h = other.headers_[i];
    Header* copy =
        Append(std::string_view(arena + h.offset, h.name_size), h.kind,
               h.schema_index, arena + h.offset + h.name_size, h.payload_size);
    copy->scalar = h.scalar;
  }
  if (composites_.size() < other.composite_size_) {
    composites_.resize(other.composite_size_);
  }
  std::copy_n(other.composites_.data(), other.composite_size_,
              composites_.data());
  composite_size_ = other.composite_size_;
  composite_garbage_ = other.composite_garbage_;  // the headers' numbering
  return *this;
}

CompactEvent& CompactEvent::operator=(CompactEvent&& other) noexcept {
  if (this == &other) return *this;
  type_ = std::move(other.type_);
  time_ = other.time_;
  schema_tag_ = other.schema_tag_;
  headers_ = std::move(other.headers_);
  size_ = std::exchange(other.size_, 0);
  arena_ = std::move(other.arena_);
  arena_used_ = std::exchange(other.arena_used_, 0);
  composites_ = std::move(other.composites_);
  composite_size_ = std::exchange(other.composite_size_, 0);
  arena_garbage_ = std::exchange(other.arena_garbage_, 0);
  composite_garbage_ = std::exchange(other.composite_garbage_, 0);
  other.Reset("", absl::Time());
  return *this;
}

int CompactEvent::Find(std::string_view name) const {
  for (size_t i = 0; i < size_; ++i) {
    const Header& h = headers_[i];
    if (h.name_size == name.size() &&
        common::SameBytes(arena_.data() + h.offset, name.data(), name.size())) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

CompactEvent::Header* CompactEvent::Put(std::string_view name, Kind kind,
                                        const void* payload,
                                        size_t payload_size) {
  // The name or the payload may view this event (an attribute's name or
  // string set again), and Append may move the arena: copies then.
  const uintptr_t begin = reinterpret_cast<uintptr_t>(arena_.data());
  const uintptr_t end = begin + arena_used_;
  const auto aliased = [&](const char* p, size_t n) {
    const uintptr_t at = reinterpret_cast<uintptr_t>(p);
    return n > 0 && p != nullptr && at < end && at + n > begin;
  };
  const char* p = static_cast<const char*>(payload);
  if (aliased(name.data(), name.size()) || aliased(p, payload_size)) {
    const std::string name_copy(name);
    const std::string payload_copy(p, payload_size);
    return Put(name_copy, kind, payload_copy.data(), payload_size);
  }
  const int found = Find(name);
  if (found < 0) return Append(name, kind, -1, payload, payload_size);
  // Set again: the header keeps its place and its schema index (as
  // Event's slot does). A payload that fits where the old one was is
  // written there; a larger one goes with a copy of the name to the
  // arena's end (the old bytes stay unused until Reset), so that setting
  // one attribute again and again does not grow the event.
  // Bytes and list/map slots no attribute uses any more are counted, and
  // Collect rewrites the event without them once they are half of it.
  Header* h = &headers_[static_cast<size_t>(found)];
  if (IsComposite(h->kind)) ++composite_garbage_;  // PutComposite undoes it
  if (payload_size <= h->payload_size) {
    if (payload_size > 0) {
      std::memcpy(arena_.data() + h->offset + h->name_size, payload,
                  payload_size);
    }
    arena_garbage_ += h->payload_size - payload_size;
  } else {
    arena_garbage_ += h->name_size + h->payload_size;
    h->offset = Store(name, payload, payload_size);
    h->name_size = name.size();
  }
  h->payload_size = payload_size;
  h->kind = kind;
  h->scalar = 0;
  if (arena_garbage_ > 1024 && 2 * arena_garbage_ > arena_used_) {
    CollectArena();
  }
  return &headers_[static_cast<size_t>(found)];
}

void CompactEvent::CollectArena() {
  std::vector<char> fresh(
      std::max<size_t>(256, 2 * (arena_used_ - arena_garbage_)));
  size_t used = 0;
  for (size_t i = 0; i < size_; ++i) {
    Header& h = headers_[i];
    const size_t n = h.name_size + h.payload_size;
    if (n > 0) std::memcpy(fresh.data() + used, arena_.data() + h.offset, n);
    h.offset = used;
    used += n;
  }
  arena_.swap(fresh);
  arena_used_ = used;
  arena_garbage_ = 0;
}

void CompactEvent::CollectComposites() {
  std::vector<Event::Attribute> fresh;
  fresh.reserve(composite_size_ - composite_garbage_);
  for (size_t i = 0; i < size_; ++i) {
    Header& h = headers_[i];
    if (!IsComposite(h.kind)) continue;
    fresh.push_back(std::move(composites_[static_cast<size_t>(h.scalar)]));
    h.scalar = static_cast<int64_t>(fresh.size() - 1);
  }
  composites_.swap(fresh);
  composite_size_ = composites_.size();
  composite_garbage_ = 0;
}

Event::Attribute* CompactEvent::PutComposite(std::string_view name, Kind kind) {
  // A list or map set again over a list or map reuses its slot.
  const int found = Find(name);
  const bool reuse =
      found >= 0 && IsComposite(headers_[static_cast<size_t>(found)].kind);
  const int64_t old_slot =
      reuse ? headers_[static_cast<size_t>(found)].scalar : 0;
  if (!reuse && composite_garbage_ > 8 &&
      2 * composite_garbage_ > composite_size_) {
    CollectComposites();  // before Put: every composite header is valid
  }
  Header* h = Put(name, kind, nullptr, 0);
  size_t slot;
  if (reuse) {
    slot = static_cast<size_t>(old_slot);
    --composite_garbage_;  // counted by Put: the slot stays in use
  } else {
    if (composite_size_ == composites_.size()) composites_.emplace_back();
    slot = composite_size_++;
  }
  Event::Attribute* a = &composites_[slot];
  h->scalar = static_cast<int64_t>(slot);
  a->kind = kind;
  a->schema_index = h->schema_index;
  if (!a->name.empty()) a->name.clear();
  a->strings.clear();
  a->ints.clear();
  a->elements.clear();
  return a;
}

void CompactEvent::SetNull(std::string_view name) {
  Put(name, Kind::kNull, nullptr, 0);
}

void CompactEvent::SetBool(std::string_view name, bool value) {
  Put(name, Kind::kBool, nullptr, 0)->scalar = value ? 1 : 0;
}

void CompactEvent::SetInt(std::string_view name, int64_t value) {
  Put(name, Kind::kInt, nullptr, 0)->scalar = value;
}

void CompactEvent::SetDouble(std::string_view name, double value) {
  Header* h = Put(name, Kind::kDouble, nullptr, 0);
  std::memcpy(&h->scalar, &value, sizeof(value));
}

void CompactEvent::SetString(std::string_view name, std::string_view value) {
  Put(name, Kind::kString, value.data(), value.size());
}

void CompactEvent::SetDuration(std::string_view name, absl::Duration value) {
  Put(name, Kind::kDuration, &value, sizeof(value));
}

void CompactEvent::SetTimestamp(std::string_view name, absl::Time value) {
  Put(name, Kind::kTimestamp, &value, sizeof(value));
}

void CompactEvent::SetStringList(std::string_view name,
                                 std::vector<std::string> value) {
  PutComposite(name, Kind::kStringList)->strings = std::move(value);
}

void CompactEvent::SetIntMap(
    std::string_view name, std::vector<std::pair<std::string, int64_t>> value) {
  PutComposite(name, Kind::kIntMap)->ints = std::move(value);
}

void CompactEvent::SetList(std::string_view name,
                           std::vector<Event::Attribute> elements) {
  PutComposite(name, Kind::kList)->elements = std::move(elements);
}

void CompactEvent::SetMap(std::string_view name,
                          std::vector<Event::Attribute> entries) {
  PutComposite(name, Kind::kMap)->elements = std::move(entries);
}

void CompactEvent::Assign(const Event& event) {
  Reset(event.type(), event.time());
  schema_tag_ = internal::EventAccess::SchemaTag(event);
  for (const Event::Attribute& a : event) {
    Header* h = nullptr;
    switch (a.kind) {
      case Kind::kNull:
        h = Append(a.name, a.kind, a.schema_index, nullptr, 0);
        break;
      case Kind::kBool:
        h = Append(a.name, a.kind, a.schema_index, nullptr, 0);
        h->scalar = a.bool_value ? 1 : 0;
        break;
      case Kind::kInt:
        h = Append(a.name, a.kind, a.schema_index, nullptr, 0);
        h->scalar = a.int_value;
        break;
      case Kind::kDouble:
        h = Append(a.name, a.kind, a.schema_index, nullptr, 0);
        std::memcpy(&h->scalar, &a.double_value, sizeof(double));
        break;
      case Kind::kString:
        Append(a.name, a.kind, a.schema_index, a.string_value.data(),
               a.string_value.size());
        break;
      case Kind::kDuration:
        Append(a.name, a.kind, a.schema_index, &a.duration_value,
               sizeof(absl::Duration));
        break;
      case Kind::kTimestamp:
        Append(a.name, a.kind, a.schema_index, &a.time_value,
               sizeof(absl::Time));
        break;
      case Kind::kStringList:
      case Kind::kIntMap:
      case Kind::kList:
      case Kind::kMap: {
        h = Append(a.name, a.kind, a.schema_index, nullptr, 0);
        if (composite_size_ == composites_.size()) composites_.emplace_back();
        h->scalar = static_cast<int64_t>(composite_size_);
        composites_[composite_size_++] = a;  // reuses the slot's storage
        break;
      }
    }
  }
}

void CompactEvent::CopyTo(Event* out) const {
  out->Reset(type_, time_);
  internal::EventAccess::SetSchemaTag(*out, schema_tag_);
  // Names are distinct in a CompactEvent: appended without a search.
  for (size_t i = 0; i < size_; ++i) {
    const AttributeView a = attribute(i);
    Event::Attribute* o = internal::EventAccess::AppendAttribute(
        *out, a.name(), a.kind(), a.schema_index());
    switch (a.kind()) {
      case Kind::kNull:
        break;
      case Kind::kBool:
        o->bool_value = a.bool_value();
        break;
      case Kind::kInt:
        o->int_value = a.int_value();
        break;
      case Kind::kDouble:
        o->double_value = a.double_value();
        break;
      case Kind::kString:
        o->string_value.assign(a.string_value());
        break;
      case Kind::kDuration:
        o->duration_value = a.duration_value();
        break;
      case Kind::kTimestamp:
        o->time_value = a.time_value();
        break;
      case Kind::kStringList:
        o->strings = a.composite().strings;
        break;
      case Kind::kIntMap:
        o->ints = a.composite().ints;
        break;
      case Kind::kList:
      case Kind::kMap:
        o->elements = a.composite().elements;
        break;
    }
  }
}

}  // namespace switchboard
