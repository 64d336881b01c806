// Typed runtime records of the engine: the values of an event's attributes
// and of a session's fields, stored so that they can be kept (a session's
// last event, an `after` timer's `since` event, derived events) and reused
// without allocating: string values live in a std::string per slot whose
// capacity is reused, and a cel::Value viewing them is made on each read (so
// moving a record never leaves a dangling view). Also the cel::ObjectValues
// that expose records to CEL as `event` and `session`.
//
// The records belong to the plan stage, not to the engine: the plan fixes
// their layout (one slot per attribute or field index), holds the default
// session fields as slots and its rule index reads event records; the
// engine (engine/run) fills and keeps them.
#ifndef SWITCHBOARD_ENGINE_PLAN_RECORDS_H_
#define SWITCHBOARD_ENGINE_PLAN_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"

namespace switchboard::plan {

// absl::string_view is not std::string_view in this Abseil build: convert
// for heterogeneous hash-map lookups and StrCat.
inline absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// One attribute or field value.
//
// A string is held in one of two ways: owned in `text` (is_text), or as a
// view of a string that outlives the slot's current use (is_view: `value` is
// a cel::Value::StringView of the caller's Event while Process types it, so
// typing an event copies no string). A view never outlives the call that
// set it: copying a Slot copies the bytes into the copy's `text` (so a
// record kept in a session owns its strings), and a record that is kept by
// moving (the input record swapped into a session) calls
// EventRecord::Own() first.
struct Slot {
  cel::Value value;  // when !is_text (a string view when is_view)
  std::string text;  // when is_text: the string's bytes
  bool present = false;
  bool is_text = false;
  bool is_view = false;

  Slot() = default;
  Slot(const Slot& other) { CopyFrom(other); }
  Slot& operator=(const Slot& other) {
    if (this != &other) CopyFrom(other);
    return *this;
  }
  Slot(Slot&&) noexcept = default;
  Slot& operator=(Slot&&) noexcept = default;

  // The value; requires present. Strings view `text` (or the viewed string).
  cel::Value Get() const {
    return is_text ? cel::Value::StringView(text) : value;
  }
  // True when the slot holds a string (owned or viewed).
  bool is_string() const { return is_text || is_view; }
  // The string; requires is_string().
  std::string_view str() const {
    return is_view ? value.string_value() : std::string_view(text);
  }
  // (A null Value owns nothing: resetting one to null is skipped.)
  void SetText(std::string_view s) {
    // clear + append skips assign's overlap handling (hot per event); a
    // view into `text` itself (a value stored back into its own slot) goes
    // through assign, which handles the overlap.
    const auto begin = reinterpret_cast<uintptr_t>(text.data());
    const auto at = reinterpret_cast<uintptr_t>(s.data());
    if (at >= begin && at <= begin + text.size()) {
      text.assign(s.data(), s.size());
    } else {
      text.clear();
      text.append(s.data(), s.size());
    }
    if (value.kind() != cel::ValueKind::kNull) value = cel::Value();
    is_text = true;
    is_view = false;
    present = true;
  }
  // Views `s`, which must stay valid and unchanged while the slot is read
  // (see above).
  void SetView(std::string_view s) {
    value.AssignStringView(s);
    is_text = false;
    is_view = true;
    present = true;
  }
  // Scalars, set in place (the hot path of typing an event).
  void SetBool(bool b) {
    value.AssignBool(b);
    is_text = false;
    is_view = false;
    present = true;
  }
  void SetInt(int64_t i) {
    value.AssignInt(i);
    is_text = false;
    is_view = false;
    present = true;
  }
  void SetDouble(double d) {
    value.AssignDouble(d);
    is_text = false;
    is_view = false;
    present = true;
  }
  void SetValue(const cel::Value& v) {
    value = v;
    is_text = false;
    is_view = false;
    present = true;
  }
  void Clear() {
    present = false;
    is_text = false;
    is_view = false;
    if (value.kind() != cel::ValueKind::kNull) value = cel::Value();
  }
  // Turns a view into owned text (no-op otherwise).
  void Own() {
    if (is_view) SetText(value.string_value());
  }

 private:
  void CopyFrom(const Slot& other) {
    if (!other.present) {
      Clear();
    } else if (other.is_string()) {
      SetText(other.str());
    } else {
      SetValue(other.value);
    }
    present = other.present;
  }
};

// Stores `v` in `slot` as a value that owns everything it references (a
// string into slot->text, lists and maps deep-copied with owned strings), so
// it stays valid after the event or program it came from is gone. Returns
// false (and leaves the slot unchanged) for values that cannot be kept:
// errors and host objects.
bool StoreOwned(const cel::Value& v, Slot* slot);

// An event as the engine keeps it: slots by attribute index (the `event`
// object type's field index; built-ins type, channel, time and the session
// key included).
struct EventRecord {
  std::vector<Slot> slots;

  // Sizes the record for `n` attributes and marks all absent (keeps storage).
  void Reset(size_t n) {
    if (slots.size() != n) slots.resize(n);
    // An absent slot is already clear (only Clear() unsets `present`).
    for (Slot& s : slots) {
      if (s.present) s.Clear();
    }
  }
  // Turns every viewed string into owned text (before the record is kept
  // beyond the call that filled it).
  void Own() {
    for (Slot& s : slots) s.Own();
  }
  std::string_view type() const;  // slot kEventTypeField
  absl::Time time() const;        // slot kEventTimeField
};

// `event` for CEL: a view of an EventRecord.
class EventObject final : public cel::ObjectValue {
 public:
  EventObject(const cel::ObjectType* type, const EventRecord* record)
      : type_(type), record_(record) {}
  const cel::ObjectType& type() const override { return *type_; }
  cel::Value GetField(int index) const override;
  bool HasField(int index) const override;

 private:
  const cel::ObjectType* type_;
  const EventRecord* record_;
};

// The built-in members of a session (the declared fields are Slots).
struct SessionHeader {
  std::string id;
  std::string channel;  // of the last customer event that carried one
  bool has_channel = false;
  absl::Time started;
  absl::Time last_seen;
  int64_t events = 0;
};

// `session` for CEL: the built-ins of a session and a field array (the live
// one, or the snapshot taken when the trigger came).
class SessionObject final : public cel::ObjectValue {
 public:
  SessionObject(const cel::ObjectType* type, const SessionHeader* header,
                const std::vector<Slot>* fields)
      : type_(type), header_(header), fields_(fields) {}
  const cel::ObjectType& type() const override { return *type_; }
  cel::Value GetField(int index) const override;
  bool HasField(int index) const override;
  void set_fields(const std::vector<Slot>* fields) { fields_ = fields; }

 private:
  const cel::ObjectType* type_;
  const SessionHeader* header_;
  const std::vector<Slot>* fields_;
};

}  // namespace switchboard::plan

#endif  // SWITCHBOARD_ENGINE_PLAN_RECORDS_H_
