// Typed runtime records: owned storage of values and their CEL objects.
#include "engine/plan/records.h"

#include <utility>

#include "engine/check/rule_env.h"

namespace switchboard::plan {
namespace {

using ::switchboard::check::kEventTimeField;
using ::switchboard::check::kEventTypeField;
using ::switchboard::check::kFirstDeclaredSessionField;
using ::switchboard::check::kSessionChannelField;
using ::switchboard::check::kSessionEventsField;
using ::switchboard::check::kSessionIdField;
using ::switchboard::check::kSessionLastSeenField;
using ::switchboard::check::kSessionStartedField;

// A deep copy of `v` that owns its strings; false for errors and objects.
bool Own(const cel::Value& v, cel::Value* out) {
  switch (v.kind()) {
    case cel::ValueKind::kString:
      *out = cel::Value::String(std::string(v.string_value()));
      return true;
    case cel::ValueKind::kList: {
      std::vector<cel::Value> elements;
      elements.reserve(v.list_value().size());
      for (const cel::Value& e : v.list_value().elements()) {
        cel::Value owned;
        if (!Own(e, &owned)) return false;
        elements.push_back(std::move(owned));
      }
      *out = cel::Value::List(std::move(elements));
      return true;
    }
    case cel::ValueKind::kMap: {
      std::vector<std::pair<cel::Value, cel::Value>> entries;
      entries.reserve(v.map_value().size());
      for (const auto& [k, val] : v.map_value().entries()) {
        cel::Value ok, ov;
        if (!Own(k, &ok) || !Own(val, &ov)) return false;
        entries.emplace_back(std::move(ok), std::move(ov));
      }
      *out = cel::Value::Map(std::move(entries));
      return !out->is_error();
    }
    case cel::ValueKind::kObject:
    case cel::ValueKind::kError:
      return false;
    default:
      *out = v;
      return true;
  }
}

}  // namespace

bool StoreOwned(const cel::Value& v, Slot* slot) {
  if (v.kind() == cel::ValueKind::kString) {
    slot->SetText(v.string_value());
    return true;
  }
  if (v.kind() == cel::ValueKind::kList || v.kind() == cel::ValueKind::kMap) {
    cel::Value owned;
    if (!Own(v, &owned)) return false;
    slot->SetValue(owned);
    return true;
  }
  if (v.kind() == cel::ValueKind::kObject || v.is_error()) return false;
  slot->SetValue(v);
  return true;
}

std::string_view EventRecord::type() const {
  if (slots.size() <= kEventTypeField || !slots[kEventTypeField].present) {
    return {};
  }
  return slots[kEventTypeField].str();
}

absl::Time EventRecord::time() const {
  if (slots.size() <= kEventTimeField || !slots[kEventTimeField].present) {
    return absl::InfinitePast();
  }
  return slots[kEventTimeField].value.timestamp_value();
}

cel::Value EventObject::GetField(int index) const {
  if (index < 0 || static_cast<size_t>(index) >= record_->slots.size() ||
      !record_->slots[index].present) {
    return cel::Value::MissingField(type_, index);
  }
  return record_->slots[index].Get();
}

bool EventObject::HasField(int index) const {
  return index >= 0 && static_cast<size_t>(index) < record_->slots.size() &&
         record_->slots[index].present;
}

cel::Value SessionObject::GetField(int index) const {
  switch (index) {
    case kSessionIdField:
      return cel::Value::StringView(header_->id);
    case kSessionChannelField:
      return header_->has_channel ? cel::Value::StringView(header_->channel)
                                  : cel::Value::MissingField(type_, index);
    case kSessionStartedField:
      return cel::Value::Timestamp(header_->started);
    case kSessionLastSeenField:
      return cel::Value::Timestamp(header_->last_seen);
    case kSessionEventsField:
      return cel::Value::Int(header_->events);
    default:
      break;
  }
  const int i = index - kFirstDeclaredSessionField;
  if (i < 0 || static_cast<size_t>(i) >= fields_->size() ||
      !(*fields_)[i].present) {
    return cel::Value::MissingField(type_, index);
  }
  return (*fields_)[i].Get();
}

bool SessionObject::HasField(int index) const {
  if (index < kFirstDeclaredSessionField) {
    return index != kSessionChannelField || header_->has_channel;
  }
  const int i = index - kFirstDeclaredSessionField;
  return static_cast<size_t>(i) < fields_->size() && (*fields_)[i].present;
}

}  // namespace switchboard::plan
