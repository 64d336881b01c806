// Tests of NodePool and PoolAllocator (engine/route/node_pool.h): blocks are
// reused by size class, large blocks bypass the lists, and a B-tree over a
// pool that churns at a steady size (inserts and erases, emptying and
// refilling) makes no heap call once it has reached its largest size, where
// the same B-tree over std::allocator does. Replaces the global operator
// new of this test binary to count heap calls.
#include "engine/route/node_pool.h"

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <random>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "gtest/gtest.h"

namespace {
long long g_heap_calls = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++g_heap_calls;
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++g_heap_calls;
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace switchboard {
namespace {

using ::switchboard::route::NodePool;
using ::switchboard::route::PoolAllocator;

TEST(NodePoolTest, ReusesFreedBlocksOfTheSameSizeClass) {
  NodePool pool;
  void* a = pool.Allocate(40);
  void* b = pool.Allocate(100);
  pool.Deallocate(a, 40);
  pool.Deallocate(b, 100);
  EXPECT_EQ(pool.free_blocks(), 2u);
  const long long before = g_heap_calls;
  // 33..48 bytes share a's class; 97..112 share b's.
  EXPECT_EQ(pool.Allocate(48), a);
  EXPECT_EQ(pool.Allocate(97), b);
  EXPECT_EQ(g_heap_calls, before);
  EXPECT_EQ(pool.free_blocks(), 0u);
  // Another class comes from the heap.
  void* c = pool.Allocate(200);
  EXPECT_EQ(g_heap_calls, before + 1);
  pool.Deallocate(a, 48);
  pool.Deallocate(b, 97);
  pool.Deallocate(c, 200);
}

TEST(NodePoolTest, LargeBlocksAreNotPooled) {
  NodePool pool;
  void* big = pool.Allocate(NodePool::kMaxPooledBytes + 1);
  pool.Deallocate(big, NodePool::kMaxPooledBytes + 1);
  EXPECT_EQ(pool.free_blocks(), 0u);
  void* edge = pool.Allocate(NodePool::kMaxPooledBytes);
  pool.Deallocate(edge, NodePool::kMaxPooledBytes);
  EXPECT_EQ(pool.free_blocks(), 1u);
}

TEST(NodePoolTest, ZeroBytesStillHoldsTheLink) {
  NodePool pool;
  EXPECT_EQ(NodePool::RoundUp(0), NodePool::kGranule);
  void* p = pool.Allocate(0);
  pool.Deallocate(p, 0);
  EXPECT_EQ(pool.Allocate(1), p);
  pool.Deallocate(p, 1);
}

TEST(NodePoolTest, AllocatorsCompareByPoolAndRebind) {
  NodePool one;
  NodePool two;
  PoolAllocator<int> a(&one);
  PoolAllocator<double> b(a);
  EXPECT_EQ(b.pool(), &one);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == PoolAllocator<int>(&two));
  EXPECT_TRUE(PoolAllocator<int>() != a);
}

// A key like the Assigner's waiting sets (48 bytes, several per node).
struct Key {
  int64_t priority;
  int64_t since;
  int64_t pad[3];
  uint32_t id;
  bool operator<(const Key& o) const {
    if (priority != o.priority) return priority > o.priority;
    if (since != o.since) return since < o.since;
    return id < o.id;
  }
};

// Runs `rounds` of churn on `set` (whose size stays within [0, max]):
// random inserts and erases, and every 50 rounds it empties and refills.
// Returns the heap calls made.
template <typename Set>
long long Churn(Set& set, int rounds, int max, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Key> in;
  uint32_t next_id = 0;
  const long long before = g_heap_calls;
  for (int r = 0; r < rounds; ++r) {
    if (r % 50 == 49) {
      for (const Key& k : in) set.erase(k);
      in.clear();
    }
    const bool insert =
        in.empty() || (static_cast<int>(in.size()) < max && rng() % 2 == 0);
    if (insert) {
      const Key k{static_cast<int64_t>(rng() % 3),
                  static_cast<int64_t>(r),
                  {0, 0, 0},
                  next_id++};
      set.insert(k);
      in.push_back(k);
    } else {
      const size_t i = rng() % in.size();
      set.erase(in[i]);
      in[i] = in.back();
      in.pop_back();
    }
  }
  for (const Key& k : in) set.erase(k);
  // `in` grows once to at most `max` + 1 keys: not the set's doing.
  return g_heap_calls - before;
}

TEST(NodePoolTest, BTreeChurnAtASteadySizeMakesNoHeapCall) {
  NodePool pool;
  absl::btree_set<Key, std::less<Key>, PoolAllocator<Key>> set(
      (PoolAllocator<Key>(&pool)));
  // Warm up: the set reaches its largest shapes.
  Churn(set, 20000, 300, 1);
  EXPECT_TRUE(set.empty());
  EXPECT_GT(pool.free_blocks(), 0u);
  // Counted: the same sizes, other keys and order; Churn's own vector
  // allocates as it grows (at most ~10 times for 300 keys).
  const long long calls = Churn(set, 20000, 300, 2);
  EXPECT_LE(calls, 12);
  // The same churn over std::allocator calls the heap for every new root
  // leaf and split (the test can fail).
  absl::btree_set<Key> plain;
  Churn(plain, 20000, 300, 1);
  EXPECT_GT(Churn(plain, 20000, 300, 2), 1000);
}

TEST(NodePoolTest, MovedSetsKeepThePool) {
  auto pool = std::make_unique<NodePool>();
  using Set = absl::btree_set<Key, std::less<Key>, PoolAllocator<Key>>;
  Set a((PoolAllocator<Key>(pool.get())));
  for (uint32_t i = 0; i < 100; ++i) a.insert(Key{0, i, {0, 0, 0}, i});
  Set b(std::move(a));
  EXPECT_EQ(b.get_allocator().pool(), pool.get());
  EXPECT_EQ(b.size(), 100u);
  b.clear();
  EXPECT_GT(pool->free_blocks(), 0u);
  std::vector<Set> sets;
  sets.emplace_back(PoolAllocator<Key>(pool.get()));
  sets.front().insert(Key{1, 1, {0, 0, 0}, 1});
  sets.emplace_back(PoolAllocator<Key>(pool.get()));  // moves the first
  EXPECT_EQ(sets.front().size(), 1u);
  EXPECT_EQ(sets.front().get_allocator().pool(), pool.get());
}

}  // namespace
}  // namespace switchboard
