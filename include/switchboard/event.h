// An event as the engine takes it: a type, an event time and attributes,
// built by the caller with plain setters (no JSON involved). Reusable: Clear()
// keeps the storage, so a reader that refills one Event per input line does
// not allocate once warmed up.
#ifndef SWITCHBOARD_EVENT_H_
#define SWITCHBOARD_EVENT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace switchboard {

namespace internal {
class EventAccess;  // engine/common/event_access.h
}  // namespace internal

class Event {
 public:
  enum class Kind : uint8_t {
    kNull,
    kBool,
    kInt,
    kDouble,
    kString,
    kDuration,
    kTimestamp,
    kStringList,  // list(string), e.g. labels
    kIntMap,      // map(string, int), e.g. agent skills or capacity
    kList,        // any list: `elements` (their names unused)
    kMap,         // any map with string keys: `elements`, keyed by name
  };

  // One attribute. Which members are meaningful depends on `kind`. (The
  // members an engine reads for the common kinds come first, so that they
  // share the attribute's first cache lines.)
  struct Attribute {
    std::string name;
    std::string string_value;
    int64_t int_value = 0;
    double double_value = 0;
    Kind kind = Kind::kNull;
    bool bool_value = false;
    // Set by switchboard's EventReader: the attribute's index in the event
    // schema of the ruleset it read for, so that an engine running that
    // ruleset needs no name lookup. -1 otherwise (the setters leave -1).
    int32_t schema_index = -1;
    absl::Duration duration_value;
    absl::Time time_value;
    std::vector<std::string> strings;                   // kStringList
    std::vector<std::pair<std::string, int64_t>> ints;  // kIntMap
    // kList: the elements in order; kMap: the entries, each element's
    // `name` its key (distinct). Elements may be of any kind, nested lists
    // and maps included; the engine types them by the schema (an int is
    // accepted for a double, a string for a duration or a timestamp).
    std::vector<Attribute> elements;
  };

  Event() = default;
  Event(std::string_view type, absl::Time time) { Reset(type, time); }
  Event(const Event&) = default;
  Event& operator=(const Event&) = default;
  // A moved-from event is empty (and reusable).
  Event(Event&& other) noexcept { *this = std::move(other); }
  Event& operator=(Event&& other) noexcept;

  // Empties the event for reuse (keeps allocated storage).
  void Reset(std::string_view type, absl::Time time);

  const std::string& type() const { return type_; }
  absl::Time time() const { return time_; }
  void set_type(std::string_view type) { type_.assign(type); }
  void set_time(absl::Time time) { time_ = time; }

  // Setters: an attribute set twice keeps the last value. `channel` and the
  // ruleset's session key are attributes like any other.
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
  // A list (kList) or a map with string keys (kMap) of any element kinds:
  // see Attribute::elements.
  void SetList(std::string_view name, std::vector<Attribute> elements);
  void SetMap(std::string_view name, std::vector<Attribute> entries);

  // The attribute, or null. Linear in the number of attributes (events have
  // few).
  const Attribute* Find(std::string_view name) const;
  // The packed form: a compact copy of the event in bytes (the type, the
  // time, every attribute with its kind, its meaningful member and its
  // schema index, and the schema tag), appended to `out`. For handing
  // parsed events to another thread of the same process through a buffer
  // of bytes: `switchboard run --threads N` does, where a few hundred
  // bytes read in order cost the receiving core far less than the Event's
  // own kilobyte or more of attribute slots. The format belongs to this
  // build and this process (the schema tag is an address): never store it
  // or send it elsewhere.
  void AppendPacked(std::string* out) const;
  // Refills this event from AppendPacked's bytes, reusing its storage as
  // Reset does (no allocation once warmed up, but for lists and maps).
  // False, with the event reset, when `packed` is not exactly one packed
  // event.
  bool Unpack(std::string_view packed);

  // The attributes in the order first set.
  const Attribute* begin() const { return attributes_.data(); }
  const Attribute* end() const { return attributes_.data() + size_; }
  size_t size() const { return size_; }

 private:
  friend class internal::EventAccess;

  // Fast path for readers that type a line by a ruleset's event schema
  // (EventReader, through internal::EventAccess): appends attribute `name` of
  // `kind`, emptied of old values, WITHOUT looking for an earlier attribute of
  // that name, and returns it for the caller to fill in the member of `kind`.
  // The caller guarantees that `name` was not set since the last Reset (else
  // Find and the engine see the first of the two). `schema_index` is the
  // attribute's index in the schema that schema_tag() names (see there), or -1.
  Attribute* AppendAttribute(std::string_view name, Kind kind,
                             int32_t schema_index = -1);

  // An opaque tag naming the event schema that the attributes'
  // `schema_index` refer to: the address of the engine-internal checked
  // ruleset the reader was built for, or null (the default; Reset sets it
  // back to null). An engine running that very ruleset trusts the indexes
  // and skips matching attribute names; any other engine ignores them.
  const void* schema_tag() const { return schema_tag_; }
  void set_schema_tag(const void* tag) { schema_tag_ = tag; }

  // Returns the slot for `name` (reused or appended), emptied of old values.
  Attribute* Slot(std::string_view name, Kind kind);

  std::string type_;
  absl::Time time_;
  const void* schema_tag_ = nullptr;
  // Slots [0, size_) are in use; later ones keep their storage for reuse.
  std::vector<Attribute> attributes_;
  size_t size_ = 0;
};

// Whether events of `type` are global: they belong to no session and carry
// no session key (channel.down, channel.up and agent.*;
// docs/events-and-decisions.md). A producer that partitions events by session
// sends them to every partition (docs/scale-out.md).
bool IsGlobalEvent(std::string_view type);

}  // namespace switchboard

#endif  // SWITCHBOARD_EVENT_H_
