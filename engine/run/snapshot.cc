// EngineImpl::Snapshot / Restore: the engine's state as bytes and back.
//
// The payload (framed by FrameSnapshot: magic "SWBSNAP", format version,
// length, CRC-32C; see snapshot_codec.h) is a sequence of sections, in
// this order (a reader skips tags it does not know, so later versions may
// add sections):
//   1 header    clock, ruleset name (informational), session key name
//   2 stats     the EngineStats counters; per-rule counters by rule name,
//               decision counts by (rule name, action name)
//   3 channels  (name, up) for every channel the engine knows, including
//               names the ruleset does not declare
//   4 sessions  every live session, least recently touched first (so the
//               max_sessions eviction order survives): id, channel, started,
//               last_seen, events; declared fields by name with their
//               declared type and value (or absent); the last customer
//               event (attributes by name); pending timers by trigger key
//               (Trigger::key) with their deadline and `since` event
//   5 agents    agents and queues of skill routing (the Assigner's state)
// Values are tagged (null, bool, int, double, string, duration, timestamp,
// list, map), nested at most kMaxValueDepth deep.
//
// Restore and Reload share one path: a fresh EngineImpl for the target
// ruleset reads the payload, remapping everything by name (fields, event
// attributes, timer triggers, rules, channels), and replaces *this only
// when the whole payload was read without error, so both are all or
// nothing. What a name that no longer matches becomes is documented in
// docs/reliability.md ("State: snapshot, restore, reload, session limit").
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/check/rule_env.h"
#include "engine/common/snapshot_codec.h"
#include "engine/run/engine_impl.h"

namespace switchboard::run {
namespace {

using ::switchboard::check::ActionKind;
using ::switchboard::check::ActionName;
using ::switchboard::check::CheckedRuleset;
using ::switchboard::check::kEventKeyField;
using ::switchboard::check::kFirstDeclaredSessionField;
using ::switchboard::check::SessionField;
using ::switchboard::check::TriggerKind;
using ::switchboard::common::FrameSnapshot;
using ::switchboard::common::SnapshotReader;
using ::switchboard::common::SnapshotWriter;
using ::switchboard::common::UnframeSnapshot;

enum SectionTag : uint64_t {
  kHeaderSection = 1,
  kStatsSection = 2,
  kChannelsSection = 3,
  kSessionsSection = 4,
  kAgentsSection = 5,
};

// Value tags (stable on disk; not cel::ValueKind's numbering).
enum ValueTag : uint8_t {
  kNullTag = 0,
  kBoolTag = 1,
  kIntTag = 2,
  kDoubleTag = 3,
  kStringTag = 4,
  kDurationTag = 5,
  kTimestampTag = 6,
  kListTag = 7,
  kMapTag = 8,
};

constexpr int kMaxValueDepth = 32;
constexpr int kActionKinds = 8;  // as engine_impl.cc

// ---- values
// ------------------------------------------------------------------

void PutValue(SnapshotWriter& w, const cel::Value& v) {
  switch (v.kind()) {
    case cel::ValueKind::kBool:
      w.PutU8(kBoolTag);
      w.PutBool(v.bool_value());
      return;
    case cel::ValueKind::kInt:
      w.PutU8(kIntTag);
      w.PutSigned(v.int_value());
      return;
    case cel::ValueKind::kDouble:
      w.PutU8(kDoubleTag);
      w.PutDouble(v.double_value());
      return;
    case cel::ValueKind::kString:
      w.PutU8(kStringTag);
      w.PutString(v.string_value());
      return;
    case cel::ValueKind::kDuration:
      w.PutU8(kDurationTag);
      w.PutDuration(v.duration_value());
      return;
    case cel::ValueKind::kTimestamp:
      w.PutU8(kTimestampTag);
      w.PutTime(v.timestamp_value());
      return;
    case cel::ValueKind::kList:
      w.PutU8(kListTag);
      w.PutVarint(v.list_value().size());
      for (const cel::Value& e : v.list_value().elements()) PutValue(w, e);
      return;
    case cel::ValueKind::kMap:
      w.PutU8(kMapTag);
      w.PutVarint(v.map_value().size());
      for (const auto& [k, e] : v.map_value().entries()) {
        PutValue(w, k);
        PutValue(w, e);
      }
      return;
    default:  // null; objects and errors are never stored in slots
      w.PutU8(kNullTag);
      return;
  }
}

// Reads a value that owns its strings.
bool ReadValue(SnapshotReader& r, cel::Value* out, int depth = 0) {
  if (depth > kMaxValueDepth) return r.Fail("value (nested too deep)");
  uint8_t tag;
  if (!r.ReadU8(&tag, "value tag")) return false;
  switch (tag) {
    case kNullTag:
      *out = cel::Value::Null();
      return true;
    case kBoolTag: {
      bool b;
      if (!r.ReadBool(&b, "bool value")) return false;
      *out = cel::Value::Bool(b);
      return true;
    }
    case kIntTag: {
      int64_t i;
      if (!r.ReadSigned(&i, "int value")) return false;
      *out = cel::Value::Int(i);
      return true;
    }
    case kDoubleTag: {
      double d;
      if (!r.ReadDouble(&d, "double value")) return false;
      *out = cel::Value::Double(d);
      return true;
    }
    case kStringTag: {
      std::string s;
      if (!r.ReadString(&s, "string value")) return false;
      *out = cel::Value::String(std::move(s));
      return true;
    }
    case kDurationTag: {
      absl::Duration d;
      if (!r.ReadDuration(&d, "duration value")) return false;
      *out = cel::Value::Duration(d);
      return !out->is_error() || r.Fail("duration value (out of range)");
    }
    case kTimestampTag: {
      absl::Time t;
      if (!r.ReadTime(&t, "timestamp value")) return false;
      *out = cel::Value::Timestamp(t);
      return !out->is_error() || r.Fail("timestamp value (out of range)");
    }
    case kListTag: {
      uint64_t n;
      if (!r.ReadCount(&n, 1, "list size")) return false;
      std::vector<cel::Value> elements(static_cast<size_t>(n));
      for (cel::Value& e : elements) {
        if (!ReadValue(r, &e, depth + 1)) return false;
      }
      *out = cel::Value::List(std::move(elements));
      return true;
    }
    case kMapTag: {
      uint64_t n;
      if (!r.ReadCount(&n, 2, "map size")) return false;
      std::vector<std::pair<cel::Value, cel::Value>> entries(
          static_cast<size_t>(n));
      for (auto& [k, e] : entries) {
        if (!ReadValue(r, &k, depth + 1) || !ReadValue(r, &e, depth + 1)) {
          return false;
        }
      }
      *out = cel::Value::Map(std::move(entries));
      return !out->is_error() || r.Fail("map value (bad keys)");
    }
    default:
      return r.Fail("value tag");
  }
}

// Whether `v` is a value of `type` (dyn takes everything).
bool Fits(const cel::Value& v, const cel::Type& type) {
  if (type.is_dyn()) return true;
  switch (v.kind()) {
    case cel::ValueKind::kNull:
      return type.kind() == cel::TypeKind::kNull;
    case cel::ValueKind::kBool:
      return type.kind() == cel::TypeKind::kBool;
    case cel::ValueKind::kInt:
      return type.kind() == cel::TypeKind::kInt;
    case cel::ValueKind::kDouble:
      return type.kind() == cel::TypeKind::kDouble;
    case cel::ValueKind::kString:
      return type.kind() == cel::TypeKind::kString;
    case cel::ValueKind::kDuration:
      return type.kind() == cel::TypeKind::kDuration;
    case cel::ValueKind::kTimestamp:
      return type.kind() == cel::TypeKind::kTimestamp;
    case cel::ValueKind::kList:
      if (type.kind() != cel::TypeKind::kList) return false;
      for (const cel::Value& e : v.list_value().elements()) {
        if (!Fits(e, type.elem())) return false;
      }
      return true;
    case cel::ValueKind::kMap:
      if (type.kind() != cel::TypeKind::kMap) return false;
      for (const auto& [k, e] : v.map_value().entries()) {
        if (!Fits(k, type.key()) || !Fits(e, type.value())) return false;
      }
      return true;
    default:
      return false;
  }
}

// ---- event records
// ------------------------------------------------------------

// The name an attribute is stored under: "" for the session key (whose name
// is the ruleset's session.key and may change), else the attribute's name.
std::string_view AttributeName(const CheckedRuleset& rs, size_t index) {
  return index == static_cast<size_t>(kEventKeyField)
             ? std::string_view()
             : std::string_view(rs.event_attributes[index].name);
}

void PutRecord(SnapshotWriter& w, const CheckedRuleset& rs,
               const EventRecord& record) {
  const size_t n = std::min(record.slots.size(), rs.event_attributes.size());
  uint64_t present = 0;
  for (size_t i = 0; i < n; ++i) present += record.slots[i].present ? 1 : 0;
  w.PutVarint(present);
  for (size_t i = 0; i < n; ++i) {
    if (!record.slots[i].present) continue;
    w.PutString(AttributeName(rs, i));
    PutValue(w, record.slots[i].Get());
  }
}

// Reads a record into `record`, sized for `rs`; attributes the ruleset does
// not declare (any more), or whose value no longer fits, are dropped.
bool ReadRecord(SnapshotReader& r, const CheckedRuleset& rs,
                const absl::flat_hash_map<std::string, int>& attr_index,
                EventRecord* record) {
  uint64_t n;
  if (!r.ReadCount(&n, 2, "event attribute count")) return false;
  record->Reset(n == 0 ? 0 : rs.event_attributes.size());
  std::string_view name;
  cel::Value value;
  for (uint64_t i = 0; i < n; ++i) {
    if (!r.ReadStringView(&name, "event attribute name") ||
        !ReadValue(r, &value)) {
      return false;
    }
    int index = kEventKeyField;
    if (!name.empty()) {
      auto it = attr_index.find(AbslView(name));
      if (it == attr_index.end()) continue;
      index = it->second;
    }
    if (!Fits(value, rs.event_attributes[index].type)) continue;
    StoreOwned(value, &record->slots[index]);
  }
  return true;
}

// The writer's timer groups (the header's tail), read into `out`.
bool ReadWriterTimerGroups(SnapshotReader& r, WriterTimerGroups* out) {
  uint64_t n;
  // A group takes at least 3 bytes (key, kind, rule count).
  if (!r.ReadCount(&n, 3, "timer group count")) return false;
  out->known = true;
  for (uint64_t g = 0; g < n; ++g) {
    std::string_view key;
    bool idle;
    uint64_t rules;
    if (!r.ReadStringView(&key, "timer group key") ||
        !r.ReadBool(&idle, "timer group kind") ||
        !r.ReadCount(&rules, 1, "timer group rule count")) {
      return false;
    }
    std::vector<std::string_view>& names = out->rules[key];
    for (uint64_t i = 0; i < rules; ++i) {
      std::string_view name;
      if (!r.ReadStringView(&name, "timer group rule")) return false;
      names.push_back(name);
      if (idle) out->idle_rules.insert(name);
    }
  }
  return true;
}

}  // namespace

// ---- writing
// --------------------------------------------------------------------

void EngineImpl::WriteState(SnapshotWriter& w) const {
  size_t section = w.BeginSection(kHeaderSection);
  w.PutTime(clock_);
  w.PutString(rs_->name);
  w.PutString(rs_->session.key);
  // The timer groups of this ruleset with their rules' names, so that a
  // reader under other rules can tell a new idle trigger from one that
  // already fired, and count dropped timers per rule (ReadSessions).
  // Readers before this field ignore it (the header's tail).
  const std::vector<TimerGroup>& timer_groups = plan_->timer_groups();
  w.PutVarint(timer_groups.size());
  for (const TimerGroup& group : timer_groups) {
    w.PutString(group.trigger->key);
    w.PutBool(group.kind == TriggerKind::kIdle);
    w.PutVarint(group.rules.size());
    for (int rule : group.rules) w.PutString(rs_->rules[rule].name);
  }
  w.EndSection(section);

  section = w.BeginSection(kStatsSection);
  const int64_t counters[] = {stats_.events,
                              stats_.derived_events,
                              stats_.late_events,
                              stats_.rejected_events,
                              stats_.decisions,
                              stats_.timers_fired,
                              stats_.sessions_created,
                              stats_.sessions_expired,
                              stats_.sessions_evicted,
                              stats_.timers_dropped,
                              stats_.deflects_without_channel,
                              stats_.derived_events_dropped};
  w.PutVarint(std::size(counters));
  for (int64_t c : counters) w.PutSigned(c);
  w.PutVarint(rs_->rules.size());
  for (size_t r = 0; r < rs_->rules.size(); ++r) {
    w.PutString(rs_->rules[r].name);
    w.PutSigned(stats_.rule_runs[r]);
    w.PutSigned(stats_.rule_errors[r]);
    uint64_t kinds = 0;
    for (int k = 0; k < kActionKinds; ++k) {
      kinds += decision_counts_[r * kActionKinds + k] != 0 ? 1 : 0;
    }
    w.PutVarint(kinds);
    for (int k = 0; k < kActionKinds; ++k) {
      const int64_t n = decision_counts_[r * kActionKinds + k];
      if (n == 0) continue;
      w.PutString(ActionName(static_cast<ActionKind>(k)));
      w.PutSigned(n);
    }
  }
  w.EndSection(section);

  section = w.BeginSection(kChannelsSection);
  std::vector<std::pair<std::string_view, bool>> others;
  for (const auto& [name, up] : other_channels_) others.emplace_back(name, up);
  std::sort(others.begin(), others.end());
  w.PutVarint(rs_->channels.size() + others.size());
  for (size_t c = 0; c < rs_->channels.size(); ++c) {
    w.PutString(rs_->channels[c].name);
    w.PutBool(channel_up_[c] != 0);
  }
  for (const auto& [name, up] : others) {
    w.PutString(name);
    w.PutBool(up);
  }
  w.EndSection(section);

  section = w.BeginSection(kSessionsSection);
  w.PutVarint(static_cast<uint64_t>(live_sessions_));
  std::vector<std::string> field_types;
  for (const SessionField& f : rs_->session.fields) {
    field_types.push_back(f.type.DebugString());
  }
  const std::vector<TimerGroup>& groups = plan_->timer_groups();
  for (uint32_t s = lru_head_; s != kNoSlot; s = slab_[s].lru_next) {
    const Session& session = slab_[s];
    const SessionHeader& h = session.header;
    w.PutString(h.id);
    w.PutBool(h.has_channel);
    w.PutString(h.has_channel ? std::string_view(h.channel) : "");
    w.PutTime(h.started);
    w.PutTime(h.last_seen);
    w.PutSigned(h.events);
    // Declared fields: name, declared type, present, value.
    w.PutVarint(rs_->session.fields.size());
    for (size_t f = 0; f < rs_->session.fields.size(); ++f) {
      const SessionField& field = rs_->session.fields[f];
      const size_t i = field.index - kFirstDeclaredSessionField;
      const bool present =
          i < session.fields.size() && session.fields[i].present;
      w.PutString(field.name);
      w.PutString(field_types[f]);
      w.PutBool(present);
      if (present) PutValue(w, session.fields[i].Get());
    }
    static const EventRecord kNoRecord;  // immutable
    PutRecord(
        w, *rs_,
        session.records != nullptr ? session.records->last_event : kNoRecord);
    // Pending timers: trigger key, deadline, the `since` event (after).
    uint64_t armed = 0;
    for (size_t g = 0; g < groups.size() && g < session.timers.size(); ++g) {
      armed += session.timers[g].armed ? 1 : 0;
    }
    w.PutVarint(armed);
    for (size_t g = 0; g < groups.size() && g < session.timers.size(); ++g) {
      if (!session.timers[g].armed) continue;
      const TimerGroup& group = groups[g];
      w.PutString(group.trigger->key);
      w.PutTime(session.timers[g].deadline);
      const bool after = group.kind == TriggerKind::kAfter;
      w.PutBool(after);
      if (after) {
        PutRecord(w, *rs_, session.records->since_events[group.after_slot]);
      }
    }
  }
  w.EndSection(section);

  section = w.BeginSection(kAgentsSection);
  assigner_.SaveState(w);  // skill routing: agents, queues, conversations
  w.EndSection(section);
}

absl::StatusOr<std::string> EngineImpl::Snapshot() const {
  SnapshotWriter w;
  WriteState(w);
  return FrameSnapshot(w.data());
}

// ---- reading
// --------------------------------------------------------------------

absl::Status EngineImpl::ReadState(std::string_view payload,
                                   size_t base_offset) {
  SnapshotReader top(payload, base_offset);
  uint64_t last_tag = 0;
  bool have_header = false;
  WriterTimerGroups writer_groups;
  while (!top.done()) {
    uint64_t tag;
    SnapshotReader r(std::string_view(), 0);
    if (!top.ReadSection(&tag, &r)) return top.status();
    if (tag <= last_tag) {
      top.Fail("section order");
      return top.status();
    }
    last_tag = tag;
    switch (tag) {
      case kHeaderSection: {
        std::string_view name;
        if (!r.ReadTime(&clock_, "clock") ||
            !r.ReadStringView(&name, "ruleset name") ||
            !r.ReadStringView(&name, "session key")) {
          return r.status();
        }
        if (clock_ == absl::InfiniteFuture()) {
          r.Fail("clock (infinite)");
          return r.status();
        }
        if (!r.done() && !ReadWriterTimerGroups(r, &writer_groups)) {
          return r.status();
        }
        have_header = true;
        break;
      }
      case kStatsSection: {
        int64_t* const counters[] = {&stats_.events,
                                     &stats_.derived_events,
                                     &stats_.late_events,
                                     &stats_.rejected_events,
                                     &stats_.decisions,
                                     &stats_.timers_fired,
                                     &stats_.sessions_created,
                                     &stats_.sessions_expired,
                                     &stats_.sessions_evicted,
                                     &stats_.timers_dropped,
                                     &stats_.deflects_without_channel,
                                     &stats_.derived_events_dropped};
        uint64_t n;
        if (!r.ReadCount(&n, 1, "counter count")) return r.status();
        for (uint64_t i = 0; i < n; ++i) {
          int64_t v;
          if (!r.ReadSigned(&v, "counter")) return r.status();
          if (i < std::size(counters)) *counters[i] = v;
        }
        absl::flat_hash_map<std::string_view, int> rule_index;
        for (size_t i = 0; i < rs_->rules.size(); ++i) {
          rule_index.emplace(rs_->rules[i].name, static_cast<int>(i));
        }
        uint64_t rules;
        if (!r.ReadCount(&rules, 4, "rule count")) return r.status();
        for (uint64_t i = 0; i < rules; ++i) {
          std::string_view name;
          int64_t runs, errors;
          uint64_t kinds;
          if (!r.ReadStringView(&name, "rule name") ||
              !r.ReadSigned(&runs, "rule runs") ||
              !r.ReadSigned(&errors, "rule errors") ||
              !r.ReadCount(&kinds, 2, "action count")) {
            return r.status();
          }
          auto it = rule_index.find(name);
          const int rule = it == rule_index.end() ? -1 : it->second;
          if (rule >= 0) {
            stats_.rule_runs[rule] = runs;
            stats_.rule_errors[rule] = errors;
          }
          for (uint64_t k = 0; k < kinds; ++k) {
            std::string_view action;
            int64_t count;
            if (!r.ReadStringView(&action, "action name") ||
                !r.ReadSigned(&count, "decision count")) {
              return r.status();
            }
            if (rule < 0) continue;
            for (int kind = 0; kind < kActionKinds; ++kind) {
              if (ActionName(static_cast<ActionKind>(kind)) == action) {
                decision_counts_[rule * kActionKinds + kind] = count;
              }
            }
          }
        }
        break;
      }
      case kChannelsSection: {
        uint64_t n;
        if (!r.ReadCount(&n, 2, "channel count")) return r.status();
        for (uint64_t i = 0; i < n; ++i) {
          std::string_view name;
          bool up;
          if (!r.ReadStringView(&name, "channel name") ||
              !r.ReadBool(&up, "channel health")) {
            return r.status();
          }
          const int c = rs_->FindChannel(name);
          if (c >= 0) {
            channel_up_[c] = up ? 1 : 0;
          } else {
            other_channels_[AbslView(name)] = up;
          }
        }
        break;
      }
      case kSessionsSection: {
        if (!have_header) {
          top.Fail("sessions before the header");
          return top.status();
        }
        if (absl::Status st = ReadSessions(r, writer_groups); !st.ok()) {
          return st;
        }
        break;
      }
      case kAgentsSection:
        if (absl::Status st = assigner_.LoadState(r, clock_); !st.ok()) {
          return st;
        }
        break;
      default:
        break;  // a section of a later writer: skipped
    }
    if (!r.ok()) return r.status();
  }
  if (!have_header) {
    return absl::DataLossError("snapshot: the header section is missing");
  }
  // A smaller session limit than the snapshot's engine had (after the
  // agents section, so that evicted sessions end their conversations).
  while (options_.max_sessions > 0 && live_sessions_ > options_.max_sessions) {
    DropSession(lru_head_, /*evicted=*/true);
  }
  return absl::OkStatus();
}

absl::Status EngineImpl::ReadSessions(SnapshotReader& r,
                                      const WriterTimerGroups& writer) {
  absl::flat_hash_map<std::string_view, int> field_index;  // -> SessionField
  for (size_t f = 0; f < rs_->session.fields.size(); ++f) {
    field_index.emplace(rs_->session.fields[f].name, static_cast<int>(f));
  }
  std::vector<std::string> field_types;
  for (const SessionField& f : rs_->session.fields) {
    field_types.push_back(f.type.DebugString());
  }
  const std::vector<TimerGroup>& groups = plan_->timer_groups();
  uint64_t count;
  // A session takes at least 12 bytes (id, channel, times, counts).
  if (!r.ReadCount(&count, 12, "session count")) return r.status();
  slab_.reserve(static_cast<size_t>(count));
  EventRecord dropped;
  EventRecord dropped_last;  // a last event the ruleset keeps no record of
  cel::Value value;
  // rule -> its timer group in this ruleset (-1: not on a timer).
  std::vector<int> rule_group(rs_->rules.size(), -1);
  for (size_t g = 0; g < groups.size(); ++g) {
    for (int rule : groups[g].rules) rule_group[rule] = static_cast<int>(g);
  }
  std::vector<std::string_view> pending_keys;  // of the session being read
  for (uint64_t n = 0; n < count; ++n) {
    std::string_view id, channel;
    bool has_channel;
    absl::Time started, last_seen;
    int64_t events;
    if (!r.ReadStringView(&id, "session id") ||
        !r.ReadBool(&has_channel, "session channel") ||
        !r.ReadStringView(&channel, "session channel") ||
        !r.ReadTime(&started, "session started") ||
        !r.ReadTime(&last_seen, "session last_seen") ||
        !r.ReadSigned(&events, "session events")) {
      return r.status();
    }
    const auto infinite = [](absl::Time t) {
      return t == absl::InfinitePast() || t == absl::InfiniteFuture();
    };
    if (infinite(started) || infinite(last_seen)) {
      r.Fail("session times (infinite)");
      return r.status();
    }
    if (session_index_.Contains(id)) {
      r.Fail("session id (duplicate)");
      return r.status();
    }
    const uint32_t s = static_cast<uint32_t>(slab_.size());
    slab_.emplace_back();
    Session& session = slab_[s];
    session.live = true;
    session.header.id.assign(id.data(), id.size());
    session.header.has_channel = has_channel;
    if (has_channel)
      session.header.channel.assign(channel.data(), channel.size());
    session.header.started = started;
    session.header.last_seen = last_seen;
    session.header.events = events;
    session.fields = plan_->default_fields();
    session.timers.assign(groups.size(), TimerSlot());
    EnsureRecords(session);
    session_index_.Insert(s);
    LruAppend(s);
    ++live_sessions_;

    uint64_t fields;
    if (!r.ReadCount(&fields, 3, "field count")) return r.status();
    for (uint64_t f = 0; f < fields; ++f) {
      std::string_view name, type;
      bool present;
      if (!r.ReadStringView(&name, "field name") ||
          !r.ReadStringView(&type, "field type") ||
          !r.ReadBool(&present, "field presence")) {
        return r.status();
      }
      if (present && !ReadValue(r, &value)) return r.status();
      auto it = field_index.find(name);
      if (it == field_index.end()) continue;          // removed: dropped
      if (field_types[it->second] != type) continue;  // retyped: default
      const SessionField& field = rs_->session.fields[it->second];
      Slot& slot = session.fields[field.index - kFirstDeclaredSessionField];
      if (!present) {
        slot.Clear();
      } else if (Fits(value, field.type)) {
        StoreOwned(value, &slot);
      }
    }
    if (!ReadRecord(r, *rs_, plan_->attribute_index(),
                    session.records != nullptr ? &session.records->last_event
                                               : &dropped_last)) {
      return r.status();
    }
    uint64_t timers;
    if (!r.ReadCount(&timers, 3, "timer count")) return r.status();
    pending_keys.clear();
    for (uint64_t t = 0; t < timers; ++t) {
      std::string_view key;
      absl::Time deadline;
      bool has_since;
      if (!r.ReadStringView(&key, "timer trigger") ||
          !r.ReadTime(&deadline, "timer deadline") ||
          !r.ReadBool(&has_since, "timer since")) {
        return r.status();
      }
      if (deadline == absl::InfinitePast() ||
          deadline == absl::InfiniteFuture()) {
        r.Fail("timer deadline (infinite)");
        return r.status();
      }
      const int g = plan_->FindTimerGroup(key);
      EventRecord* since = &dropped;
      if (g >= 0 && groups[g].kind == TriggerKind::kAfter) {
        since = &slab_[s].records->since_events[groups[g].after_slot];
      }
      if (has_since && !ReadRecord(r, *rs_, plan_->attribute_index(), since)) {
        return r.status();
      }
      pending_keys.push_back(key);
      if (g < 0) {
        // Its trigger is gone; counted per timer when the writer's groups
        // are unknown, else per rule by CarryTimersOver.
        if (!writer.known) ++stats_.timers_dropped;
        continue;
      }
      Arm(s, g, deadline);
    }
    if (writer.known) CarryTimersOver(s, writer, pending_keys, rule_group);
    if (slab_[s].armed == 0) EnsureExpiryQueued(s);
  }
  if (!r.ExpectDone("sessions section")) return r.status();
  return absl::OkStatus();
}

// A session's pending timers under the new rules (docs/reliability.md,
// "Reload, pending timers"):
//   - a timer whose trigger key is still there kept its deadline (above);
//   - an idle trigger that is new in this ruleset is armed from the
//     session's last customer activity, as if the rules had been in force
//     since: when one of its rules had a pending idle timer before (the
//     rule's delay changed), at last_seen + delay, or at once when that is
//     already past (the rule had not fired for this quiet spell); when one
//     of its rules had no idle trigger before (a new rule), at last_seen +
//     delay if that is still ahead (no firing after the fact); a rule whose
//     idle timer already fired for this quiet spell does not fire again;
//   - every rule whose pending timer does not carry over to a pending timer
//     of the same rule is counted once in timers_dropped (a removed rule, a
//     changed `after`, a rule now on an event), unless its trigger key is
//     still there (the timer fires, for the rules now on it).
void EngineImpl::CarryTimersOver(
    uint32_t s, const WriterTimerGroups& writer,
    absl::Span<const std::string_view> pending_keys,
    absl::Span<const int> rule_group) {
  const std::vector<TimerGroup>& groups = plan_->timer_groups();
  const auto pending_before = [&](std::string_view rule) {
    for (std::string_view key : pending_keys) {
      auto it = writer.rules.find(key);
      if (it == writer.rules.end()) continue;
      for (std::string_view name : it->second) {
        if (name == rule) return true;
      }
    }
    return false;
  };
  const absl::Time last_seen = slab_[s].header.last_seen;
  for (int g : plan_->idle_groups()) {
    if (slab_[s].timers[g].armed) continue;
    if (writer.rules.contains(groups[g].trigger->key)) continue;  // not new
    bool owed = false;
    bool fresh = false;
    for (int rule : groups[g].rules) {
      const std::string_view name = rs_->rules[rule].name;
      owed = owed || pending_before(name);
      fresh = fresh || !writer.idle_rules.contains(name);
    }
    const absl::Time deadline = last_seen + groups[g].delay;
    if (owed) {
      Arm(s, g, std::max(deadline, clock_));
    } else if (fresh && deadline > clock_) {
      Arm(s, g, deadline);
    }
  }
  for (std::string_view key : pending_keys) {
    auto it = writer.rules.find(key);
    if (it == writer.rules.end()) continue;
    const bool key_kept = plan_->FindTimerGroup(key) >= 0;
    for (std::string_view name : it->second) {
      const int rule = rs_->FindRule(name);
      if (rule < 0) {
        if (!key_kept) ++stats_.timers_dropped;  // a removed rule
        continue;
      }
      const int g = rule_group[rule];
      if (g < 0 || !slab_[s].timers[g].armed) ++stats_.timers_dropped;
    }
  }
}

absl::Status EngineImpl::ReplaceState(std::shared_ptr<const Ruleset> ruleset,
                                      std::string_view payload,
                                      size_t base_offset) {
  // All or nothing: a trial engine reads the payload first.
  {
    auto trial = std::make_unique<EngineImpl>(ruleset, options_);
    if (absl::Status st = trial->ReadState(payload, base_offset); !st.ok()) {
      return st;
    }
  }
  // Then *this is rebuilt in place for `ruleset` (the same complete object
  // type, so callers' pointers stay valid) and reads the same payload,
  // which succeeds as it did for the trial. In place rather than by move
  // assignment, because some members (the Assigner) are not movable.
  const EngineOptions options = options_;
  EngineImpl* const self = this;
  std::destroy_at(self);
  EngineImpl* const fresh =
      std::construct_at(self, std::move(ruleset), options);
  if (absl::Status st = fresh->ReadState(payload, base_offset); !st.ok()) {
    return absl::InternalError(absl::StrCat(
        "engine state lost after a successful trial read: ", st.message()));
  }
  return absl::OkStatus();
}

absl::Status EngineImpl::Restore(std::string_view bytes) {
  absl::StatusOr<std::string_view> payload = UnframeSnapshot(bytes);
  if (!payload.ok()) return payload.status();
  const size_t base = static_cast<size_t>(payload->data() - bytes.data());
  return ReplaceState(ruleset_, *payload, base);
}

}  // namespace switchboard::run

namespace switchboard {

absl::StatusOr<uint64_t> SnapshotSize(std::string_view header) {
  return common::SnapshotFrameSize(header);
}

}  // namespace switchboard
