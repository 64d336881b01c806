// The engine's timer queue (see timers.h).
#include "engine/run/timers.h"

#include <algorithm>

namespace switchboard::run {
namespace {

// std::push_heap builds a max-heap; invert for the earliest deadline first.
bool Later(const TimerEntry& a, const TimerEntry& b) {
  return a.deadline > b.deadline;
}

}  // namespace

void TimerHeap::Push(const TimerEntry& entry) {
  heap_.push_back(entry);
  std::push_heap(heap_.begin(), heap_.end(), Later);
}

void TimerHeap::Rebuild() { std::make_heap(heap_.begin(), heap_.end(), Later); }

TimerEntry TimerHeap::Pop() {
  std::pop_heap(heap_.begin(), heap_.end(), Later);
  TimerEntry e = heap_.back();
  heap_.pop_back();
  return e;
}

}  // namespace switchboard::run
