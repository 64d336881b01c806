// The engine's timer queue: a binary min-heap of wake-ups by deadline.
//
// Why this shape: with millions of sessions, every customer event re-arms the
// session's idle timers, so re-arming must be O(1) and must not grow the
// queue. The authoritative state of a timer (armed?, deadline, generation)
// lives in its session's TimerSlot; the heap only holds wake-ups. A wake-up
// is checked when it is popped:
//   - its session slot was freed or reused (incarnation differs): skipped;
//   - its generation differs from the slot's (the slot was re-armed EARLIER
//     than the queued wake-up, which pushed a new entry): skipped;
//   - the slot is no longer armed (cancelled by an `unless` event): skipped;
//   - the slot's deadline moved later (re-armed by a newer event):
//     re-pushed at the new deadline ("postponed"), so a session re-arming on
//     every event keeps ONE heap entry per timer instead of one per event;
//   - otherwise the timer is due.
// Ties between timers of one deadline (session id, then rule order) are
// resolved by the engine, which pops all wake-ups of the smallest deadline
// as a batch and sorts it; the heap itself orders by deadline only.
#ifndef SWITCHBOARD_ENGINE_RUN_TIMERS_H_
#define SWITCHBOARD_ENGINE_RUN_TIMERS_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace switchboard::run {

// Group id of a session's expiry check (not a rule timer).
inline constexpr int32_t kExpiryGroup = -1;

struct TimerEntry {
  absl::Time deadline;
  uint32_t session = 0;      // slot in the engine's session slab
  uint32_t incarnation = 0;  // of that slot when pushed
  int32_t group = 0;         // timer group, or kExpiryGroup
  uint32_t generation = 0;   // of the session's TimerSlot when pushed
};

// The authoritative state of one timer of one session.
struct TimerSlot {
  absl::Time deadline;
  uint32_t generation = 0;
  bool armed = false;
  // A wake-up of this generation is in the heap, at queued_deadline.
  bool queued = false;
  absl::Time queued_deadline;
};

class TimerHeap {
 public:
  // Restores the heap order of every entry (after EraseIf).
  void Rebuild();

  void Push(const TimerEntry& entry);
  void Reserve(size_t n) { heap_.reserve(n); }
  // Requires !empty().
  const TimerEntry& top() const { return heap_.front(); }
  TimerEntry Pop();
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }

  // Removes every entry for which `stale(entry)` is true and restores the
  // heap order, in place (no allocation); O(size). For the engine's
  // compaction of wake-ups of dropped sessions (engine_impl.cc).
  template <typename Pred>
  void EraseIf(Pred stale) {
    heap_.erase(std::remove_if(heap_.begin(), heap_.end(), stale), heap_.end());
    Rebuild();
  }

 private:
  std::vector<TimerEntry> heap_;
};

}  // namespace switchboard::run

#endif  // SWITCHBOARD_ENGINE_RUN_TIMERS_H_
