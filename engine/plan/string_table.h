// StringTable: a map from strings to small non-negative ints, filled once
// when a ruleset is planned and then only read on the hot path (the rule
// index's string constants, event types -> their rule index, the ends_on
// event types).
//
// Open addressing with linear probing over a power-of-two array kept at
// most a quarter full. A key is identified by its length and one 64-bit
// word read without a call (KeyWord: all of a key of up to 8 bytes, the
// first 8 bytes of a longer one), so a lookup mixes one word, compares one
// word and the length, and compares bytes only beyond the eighth. Keys come
// from rule files (trusted, few); lookups may be any string.
#ifndef SWITCHBOARD_ENGINE_PLAN_STRING_TABLE_H_
#define SWITCHBOARD_ENGINE_PLAN_STRING_TABLE_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::plan {

// One word that, with the length, determines a string of up to 8 bytes,
// and is the first 8 bytes of a longer one.
inline uint64_t KeyWord(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  if (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  if (n >= 4) {
    // The first and the last 4 bytes (overlapping when n < 8).
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return uint64_t{lo} | (uint64_t{hi} << 32);
  }
  if (n > 0) {
    // Bytes 0, n/2 and n-1 determine a string of 1 to 3 bytes.
    return uint64_t{static_cast<uint8_t>(p[0])} |
           (uint64_t{static_cast<uint8_t>(p[n / 2])} << 8) |
           (uint64_t{static_cast<uint8_t>(p[n - 1])} << 16);
  }
  return 0;
}

class StringTable {
 public:
  StringTable() { Rehash(8); }

  // Maps `key` to `value` (>= 0), replacing an earlier value. Build time.
  void Insert(std::string_view key, int32_t value) {
    if (4 * (count_ + 1) > entries_.size()) Rehash(2 * entries_.size());
    Entry& e = entries_[Locate(key)];
    if (e.value < 0) {
      ++count_;
      e.word = KeyWord(key);
      e.size = key.size();
      e.text.assign(key.data(), key.size());
    }
    e.value = value;
  }

  // The value of `key`, or -1.
  int32_t Find(std::string_view key) const {
    return entries_[Locate(key)].value;
  }

  size_t size() const { return count_; }

 private:
  struct Entry {
    uint64_t word = 0;
    size_t size = 0;
    int32_t value = -1;  // -1: empty
    std::string text;
  };

  // The entry of `key`, or the empty entry where it would go.
  size_t Locate(std::string_view key) const {
    const uint64_t word = KeyWord(key);
    const uint64_t mask = entries_.size() - 1;
    uint64_t h =
        (word + key.size() * 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    for (uint64_t at = h & mask;; at = (at + 1) & mask) {
      const Entry& e = entries_[at];
      if (e.value < 0) return at;
      if (e.word == word && e.size == key.size() &&
          (key.size() <= 8 || std::memcmp(e.text.data() + 8, key.data() + 8,
                                          key.size() - 8) == 0)) {
        return at;
      }
    }
  }

  void Rehash(size_t capacity) {
    std::vector<Entry> old = std::move(entries_);
    entries_.assign(capacity, Entry());
    count_ = 0;
    for (Entry& e : old) {
      if (e.value >= 0) Insert(e.text, e.value);
    }
  }

  std::vector<Entry> entries_;  // size: a power of two, >= 4 * count_
  size_t count_ = 0;
};

}  // namespace switchboard::plan

#endif  // SWITCHBOARD_ENGINE_PLAN_STRING_TABLE_H_
