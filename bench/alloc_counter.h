// Heap accounting for the benchmark binary: alloc_counter.cc replaces the
// global operator new / delete of switchboard_bench with versions that count
// allocations and live bytes (malloc_usable_size, so the figures include
// the allocator's rounding, not its per-chunk headers). Benchmarks read the
// counters before and after a region to report allocations per event and
// bytes per session. Counting costs one relaxed atomic add per call.
#ifndef SWITCHBOARD_BENCH_ALLOC_COUNTER_H_
#define SWITCHBOARD_BENCH_ALLOC_COUNTER_H_

#include <cstdint>

namespace switchboard::bench {

// Calls of operator new (any form) since the program started.
int64_t AllocationCount();
// Bytes currently allocated through operator new and not yet deleted.
int64_t LiveHeapBytes();

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_ALLOC_COUNTER_H_
