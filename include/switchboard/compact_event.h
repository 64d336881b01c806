// An event in compact form: the same content as switchboard::Event (a type,
// an event time, attributes), stored densely. Each attribute is a 40-byte
// header in one array, and its name and payload (a string's bytes, a
// duration or a timestamp) follow each other in one byte arena; an int, a
// double or a bool lives in the header itself. Lists and maps are kept as
// Event::Attribute values beside the headers.
//
// Why: an Event keeps one 168-byte Attribute with its own strings per
// attribute, so reading a line into it writes a kilobyte or more of slots;
// a CompactEvent of the same line is a few hundred bytes written in order.
// An EventReader fills one directly (EventReader::Next), and
// Engine::Process takes one: the faster path for a program that reads JSON
// Lines as `switchboard run` does. Event stays the type to build events
// with by hand and to inspect; the two convert both ways (Assign, CopyTo)
// and an engine gives the same decisions for either.
//
// Reusable: Reset keeps the storage, so refilling one CompactEvent per
// input line does not allocate once warmed up (but for lists and maps, as
// with Event).
#ifndef SWITCHBOARD_COMPACT_EVENT_H_
#define SWITCHBOARD_COMPACT_EVENT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "switchboard/event.h"

namespace switchboard {

namespace internal {
class CompactEventAccess;  // engine/common/event_access.h
}  // namespace internal

class CompactEvent {
 public:
  using Kind = Event::Kind;

  // One attribute as stored: 40 bytes.
  struct Header {
    // kBool, kInt: the value; kDouble: its bits; lists and maps: the index
    // of the Event::Attribute beside the headers. Unused otherwise.
    int64_t scalar = 0;
    // The name's first byte in the arena; the payload (a string's bytes, an
    // absl::Duration, an absl::Time) follows the name.
    uint64_t offset = 0;
    uint64_t name_size = 0;
    uint64_t payload_size = 0;
    // The attribute's index in the event schema of the ruleset an
    // EventReader read the event for (Event::Attribute::schema_index), or
    // -1.
    int32_t schema_index = -1;
    Kind kind = Kind::kNull;
  };

  // One attribute as read: views into the event, valid until it changes.
  class AttributeView {
   public:
    inline std::string_view name() const;
    Kind kind() const { return header_->kind; }
    int32_t schema_index() const { return header_->schema_index; }
    // The member of kind() (zero, empty or false for another kind):
    bool bool_value() const {
      return header_->kind == Kind::kBool && header_->scalar != 0;
    }
    int64_t int_value() const {
      return header_->kind == Kind::kInt ? header_->scalar : 0;
    }
    inline double double_value() const;
    inline std::string_view string_value() const;  // kString
    absl::Duration duration_value() const;         // kDuration
    absl::Time time_value() const;                 // kTimestamp
    // kStringList, kIntMap, kList, kMap: the attribute in Event's form (its
    // `name` may be empty: name() is the attribute's name); an empty
    // attribute for the other kinds.
    const Event::Attribute& composite() const;

   private:
    friend class CompactEvent;
    AttributeView(const CompactEvent* event, const Header* header)
        : event_(event), header_(header) {}
    const CompactEvent* event_;
    const Header* header_;
  };

  CompactEvent() = default;
  CompactEvent(std::string_view type, absl::Time time) { Reset(type, time); }
  // Copies take the bytes in use only (not the storage kept for reuse);
  // a copy into a warmed-up event does not allocate.
  CompactEvent(const CompactEvent& other) { *this = other; }
  CompactEvent& operator=(const CompactEvent& other);
  // A moved-from event is empty (and reusable).
  CompactEvent(CompactEvent&& other) noexcept { *this = std::move(other); }
  CompactEvent& operator=(CompactEvent&& other) noexcept;

  // Empties the event for reuse (keeps allocated storage).
  void Reset(std::string_view type, absl::Time time);

  std::string_view type() const { return type_; }
  absl::Time time() const { return time_; }
  void set_type(std::string_view type) { type_.assign(type); }
  void set_time(absl::Time time) { time_ = time; }

  // Setters, as Event's: an attribute set twice keeps the last value (and
  // its first place in the order).
  void SetNull(std::string_view name);
  void SetBool(std::string_view name, bool value);
  void SetInt(std::string_view name, int64_t value);
  void SetDouble(std::string_view name, double value);
  void SetString(std::string_view name, std::string_view value);
  void SetDuration(std::string_view name, absl::Duration value);
  void SetTimestamp(std::string_view name, absl::Time value);
  void SetStringList(std::string_view name, std::vector<std::string> value);
  void SetIntMap(std::string_view name,
                 std::vector<std::pair<std::string, int64_t>> value);
  void SetList(std::string_view name, std::vector<Event::Attribute> elements);
  void SetMap(std::string_view name, std::vector<Event::Attribute> entries);

  // The attributes in the order first set.
  size_t size() const { return size_; }
  AttributeView attribute(size_t i) const {
    return AttributeView(this, &headers_[i]);
  }
  // The attribute's index, or -1. Linear in the number of attributes.
  int Find(std::string_view name) const;

  // This event becomes a copy of `event` (its schema indexes included);
  // `out` a copy of this one. Neither allocates once the destination is
  // warmed up, but for lists and maps.
  void Assign(const Event& event);
  void CopyTo(Event* out) const;

  // Bytes in use: the headers' and the arena's (not the lists and maps).
  size_t ByteSize() const {
    return size_ * sizeof(Header) + arena_used_ + type_.size();
  }

 private:
  friend class internal::CompactEventAccess;

  // Appends attribute `name` without looking for an earlier one of that
  // name (the caller guarantees there is none since the last Reset), with
  // its payload (which must not view this event), and returns its header
  // for the caller to set `scalar`. Inline: the readers' hot path.
  Header* Append(std::string_view name, Kind kind, int32_t schema_index,
                 const void* payload, size_t payload_size) {
    if (size_ == headers_.size()) GrowHeaders();
    Header* h = &headers_[size_++];
    h->offset = arena_used_;
    h->name_size = name.size();
    h->payload_size = payload_size;
    h->schema_index = schema_index;
    h->kind = kind;
    h->scalar = 0;
    Store(name, payload, payload_size);
    return h;
  }
  // Copies `name` and then the payload (neither may view the arena) to the
  // arena's end; returns the offset of the name.
  uint64_t Store(std::string_view name, const void* payload,
                 size_t payload_size) {
    const uint64_t offset = arena_used_;
    char* p = Grow(name.size() + payload_size);
    if (!name.empty()) std::memcpy(p, name.data(), name.size());
    if (payload_size > 0) std::memcpy(p + name.size(), payload, payload_size);
    return offset;
  }
  // `n` more bytes of the arena, for the caller to fill.
  char* Grow(size_t n) {
    if (arena_.size() - arena_used_ < n) GrowArena(n);
    char* p = arena_.data() + arena_used_;
    arena_used_ += n;
    return p;
  }
  void GrowArena(size_t n);
  void GrowHeaders();
  // Rewrite the arena, or the lists and maps, without what no attribute
  // uses any more (attributes set again).
  void CollectArena();
  void CollectComposites();
  // The header for `name` (the existing one, its payload dropped, or a new
  // one), holding `kind` and `payload`.
  Header* Put(std::string_view name, Kind kind, const void* payload,
              size_t payload_size);
  // A list or map attribute: the Event::Attribute slot beside the headers,
  // emptied, for the caller to fill.
  Event::Attribute* PutComposite(std::string_view name, Kind kind);

  // See Event::schema_tag.
  const void* schema_tag() const { return schema_tag_; }
  void set_schema_tag(const void* tag) { schema_tag_ = tag; }

  std::string type_;
  absl::Time time_;
  const void* schema_tag_ = nullptr;
  // [0, size_) in use; the vector's size is the capacity (GrowHeaders).
  std::vector<Header> headers_;
  size_t size_ = 0;
  // The names and payloads: [0, arena_used_) in use; the vector's size is
  // the arena's capacity (grown by GrowArena, never shrunk by Reset).
  std::vector<char> arena_;
  size_t arena_used_ = 0;
  size_t arena_garbage_ = 0;  // bytes of [0, arena_used_) no attribute uses
  // Lists and maps: [0, composite_size_) in use, later ones kept for reuse.
  std::vector<Event::Attribute> composites_;
  size_t composite_size_ = 0;
  size_t composite_garbage_ = 0;  // slots of [0, composite_size_) unused
};

inline std::string_view CompactEvent::AttributeView::name() const {
  return std::string_view(event_->arena_.data() + header_->offset,
                          header_->name_size);
}

inline double CompactEvent::AttributeView::double_value() const {
  if (header_->kind != Kind::kDouble) return 0;
  double d;
  std::memcpy(&d, &header_->scalar, sizeof(d));
  return d;
}

inline std::string_view CompactEvent::AttributeView::string_value() const {
  if (header_->kind != Kind::kString) return {};
  return std::string_view(
      event_->arena_.data() + header_->offset + header_->name_size,
      header_->payload_size);
}

}  // namespace switchboard

#endif  // SWITCHBOARD_COMPACT_EVENT_H_
