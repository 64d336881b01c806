// ChunkedSlab<T>: the engine's session storage. Slots are numbered from 0
// and never move: the slab grows by chunks of kChunk slots, so a new
// session never reallocates and copies the sessions before it (a
// std::vector of a million sessions copied ~180 MB each time it doubled,
// and faulted in twice the pages), and a reference to a slot stays valid
// while the slab grows. A slot is constructed when it is added and lives
// until the slab is destroyed (freed sessions keep their slot for reuse,
// see engine_impl.h).
//
// Indexing costs one more load than a vector's (the chunk's address, from
// a table of a few hundred pointers that stays in cache).
#ifndef SWITCHBOARD_ENGINE_RUN_SESSION_SLAB_H_
#define SWITCHBOARD_ENGINE_RUN_SESSION_SLAB_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <new>
#include <vector>

namespace switchboard::run {

template <typename T>
class ChunkedSlab {
 public:
  static constexpr int kShift = 10;
  static constexpr size_t kChunk = size_t{1} << kShift;  // slots per chunk
  static constexpr size_t kMask = kChunk - 1;

  ChunkedSlab() = default;
  ChunkedSlab(const ChunkedSlab&) = delete;
  ChunkedSlab& operator=(const ChunkedSlab&) = delete;
  ~ChunkedSlab() {
    for (size_t i = 0; i < size_; ++i) std::destroy_at(&(*this)[i]);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](size_t i) {
    return *std::launder(
        reinterpret_cast<T*>(&chunks_[i >> kShift][i & kMask]));
  }
  const T& operator[](size_t i) const {
    return *std::launder(
        reinterpret_cast<const T*>(&chunks_[i >> kShift][i & kMask]));
  }

  // Adds a value-initialized slot at index size() and returns it.
  T& emplace_back() {
    if ((size_ >> kShift) == chunks_.size()) AddChunk();
    T* slot = std::construct_at(
        reinterpret_cast<T*>(&chunks_[size_ >> kShift][size_ & kMask]));
    ++size_;
    return *slot;
  }

  // Allocates the chunks for `n` slots now (constructs none).
  void reserve(size_t n) {
    chunks_.reserve((n + kMask) >> kShift);
    while ((chunks_.size() << kShift) < n) AddChunk();
  }

  // Bytes held: the chunks and their table.
  size_t capacity_bytes() const {
    return chunks_.size() * kChunk * sizeof(T) +
           chunks_.capacity() * sizeof(chunks_[0]);
  }

  template <typename Slab, typename V>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = V*;
    using reference = V&;
    Iterator(Slab* slab, size_t i) : slab_(slab), i_(i) {}
    V& operator*() const { return (*slab_)[i_]; }
    V* operator->() const { return &(*slab_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }

   private:
    Slab* slab_;
    size_t i_;
  };
  using iterator = Iterator<ChunkedSlab, T>;
  using const_iterator = Iterator<const ChunkedSlab, const T>;
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  struct alignas(T) Storage {
    unsigned char bytes[sizeof(T)];
  };
  void AddChunk() {
    // Default-initialized: no byte is written (or faulted in) until its
    // slot is constructed.
    chunks_.push_back(std::unique_ptr<Storage[]>(new Storage[kChunk]));
  }

  std::vector<std::unique_ptr<Storage[]>> chunks_;
  size_t size_ = 0;
};

}  // namespace switchboard::run

#endif  // SWITCHBOARD_ENGINE_RUN_SESSION_SLAB_H_
