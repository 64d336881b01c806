// NodePool and PoolAllocator: free lists of heap blocks by size class, for
// the B-trees of one Assigner (engine/route/assigner.h), so that a queue
// whose size stays about the same does not call the heap at all: a B-tree
// node freed by a merge, or a root leaf freed when a set empties, goes to
// the pool's free list and is handed out again by the next split or the
// next first element (Engine::Process must not allocate per event in steady
// state, issue 6).
//
// Blocks come from the global operator new, rounded up to a size class of
// 16 bytes, and go back to it only when the pool is destroyed: a pool keeps
// the peak of what its containers held. Blocks above kMaxPooledBytes are
// not pooled (the Assigner's nodes are at most a few hundred bytes). Every
// pool owns its lists (no global state); a PoolAllocator is a pointer to
// one, so the pool must outlive every container that uses it. Not
// thread-safe.
#ifndef SWITCHBOARD_ENGINE_ROUTE_NODE_POOL_H_
#define SWITCHBOARD_ENGINE_ROUTE_NODE_POOL_H_

#include <array>
#include <cstddef>
#include <new>
#include <type_traits>

namespace switchboard::route {

class NodePool {
 public:
  static constexpr size_t kGranule = 16;
  static constexpr size_t kMaxPooledBytes = 2048;

  NodePool() = default;
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;
  // Returns every free block to the heap. Blocks still in use by a
  // container are not the pool's to free (the container frees them, into
  // a live pool or, without one, to the heap).
  ~NodePool() {
    for (FreeBlock* head : heads_) {
      while (head != nullptr) {
        FreeBlock* next = head->next;
        ::operator delete(head);
        head = next;
      }
    }
  }

  // The size actually reserved for a request of `bytes` (at least one
  // granule, so that a free block can hold the list's link).
  static constexpr size_t RoundUp(size_t bytes) {
    return bytes == 0 ? kGranule : (bytes + kGranule - 1) / kGranule * kGranule;
  }

  // A block of at least `bytes` bytes, aligned for any type of
  // fundamental alignment: a free one of its size class when there is one,
  // else a new one from the heap.
  void* Allocate(size_t bytes) {
    const size_t cls = RoundUp(bytes) / kGranule;
    if (cls < heads_.size()) {
      FreeBlock* head = heads_[cls];
      if (head != nullptr) {
        heads_[cls] = head->next;
        --free_blocks_;
        return head;
      }
    }
    return ::operator new(RoundUp(bytes));
  }

  // Takes back a block given by Allocate (of this or of any pool, or by a
  // PoolAllocator without a pool) for the same `bytes`.
  void Deallocate(void* p, size_t bytes) {
    const size_t cls = RoundUp(bytes) / kGranule;
    if (cls >= heads_.size()) {
      ::operator delete(p);
      return;
    }
    FreeBlock* block = static_cast<FreeBlock*>(p);
    block->next = heads_[cls];
    heads_[cls] = block;
    ++free_blocks_;
  }

  // Blocks waiting in the free lists (for tests).
  size_t free_blocks() const { return free_blocks_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  // heads_[c]: free blocks of c * kGranule bytes (index 0 unused).
  std::array<FreeBlock*, kMaxPooledBytes / kGranule + 1> heads_{};
  size_t free_blocks_ = 0;
};

// A standard allocator over a NodePool (nullptr: the heap, with the pool's
// rounding, so that blocks stay interchangeable between pools). Copies
// share the pool. Two allocators compare equal when they share the pool;
// the pool moves with a container on move assignment and swap.
template <typename T>
class PoolAllocator {
 public:
  using value_type = T;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
                "NodePool blocks have the heap's default alignment");

  PoolAllocator() = default;
  explicit PoolAllocator(NodePool* pool) : pool_(pool) {}
  template <typename U>
  PoolAllocator(const PoolAllocator<U>& other)  // NOLINT: rebinding
      : pool_(other.pool()) {}

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    void* p = pool_ != nullptr ? pool_->Allocate(bytes)
                               : ::operator new(NodePool::RoundUp(bytes));
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    if (pool_ != nullptr) {
      pool_->Deallocate(p, n * sizeof(T));
    } else {
      ::operator delete(p);
    }
  }

  NodePool* pool() const { return pool_; }

  template <typename U>
  bool operator==(const PoolAllocator<U>& other) const {
    return pool_ == other.pool();
  }
  template <typename U>
  bool operator!=(const PoolAllocator<U>& other) const {
    return pool_ != other.pool();
  }

 private:
  NodePool* pool_ = nullptr;
};

}  // namespace switchboard::route

#endif  // SWITCHBOARD_ENGINE_ROUTE_NODE_POOL_H_
