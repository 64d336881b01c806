// EventAccess: the engine's own door into switchboard::Event (event.h). A
// reader that types events by a ruleset's schema appends attributes without
// a name search and tags the event with the schema it used; an engine
// running that very schema then trusts the attributes' schema indexes.
// These hooks are not part of the public API.
#ifndef SWITCHBOARD_ENGINE_COMMON_EVENT_ACCESS_H_
#define SWITCHBOARD_ENGINE_COMMON_EVENT_ACCESS_H_

#include <cstdint>
#include <string_view>

#include "switchboard/compact_event.h"
#include "switchboard/event.h"

namespace switchboard::internal {

class EventAccess {
 public:
  // Event::AppendAttribute (see there).
  static Event::Attribute* AppendAttribute(Event& event, std::string_view name,
                                           Event::Kind kind,
                                           int32_t schema_index) {
    return event.AppendAttribute(name, kind, schema_index);
  }
  // The schema the attributes' indexes refer to, or null.
  static const void* SchemaTag(const Event& event) {
    return event.schema_tag();
  }
  static void SetSchemaTag(Event& event, const void* tag) {
    event.set_schema_tag(tag);
  }
};

// The same door into switchboard::CompactEvent (compact_event.h).
class CompactEventAccess {
 public:
  // CompactEvent::Append (see there): `name` must not be set since the last
  // Reset.
  static CompactEvent::Header* Append(CompactEvent& event,
                                      std::string_view name, Event::Kind kind,
                                      int32_t schema_index, const void* payload,
                                      size_t payload_size) {
    return event.Append(name, kind, schema_index, payload, payload_size);
  }
  static const void* SchemaTag(const CompactEvent& event) {
    return event.schema_tag();
  }
  static void SetSchemaTag(CompactEvent& event, const void* tag) {
    event.set_schema_tag(tag);
  }
  // The attributes' headers, [0, size()).
  static const CompactEvent::Header* Headers(const CompactEvent& event) {
    return event.headers_.data();
  }
  static const char* Arena(const CompactEvent& event) {
    return event.arena_.data();
  }
};

}  // namespace switchboard::internal

#endif  // SWITCHBOARD_ENGINE_COMMON_EVENT_ACCESS_H_
