// Byte comparisons for the hot paths: short names compared with a few
// word loads instead of a call to memcmp.
#ifndef SWITCHBOARD_ENGINE_COMMON_BYTES_H_
#define SWITCHBOARD_ENGINE_COMMON_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace switchboard::common {

// Whether a[0..n) == b[0..n), for short names (event members, attribute
// names): two overlapping 8-byte (or 4-byte) loads instead of a call to
// memcmp (memcmp beyond 16 bytes).
inline bool SameBytes(const char* a, const char* b, size_t n) {
  if (n >= 8) {
    if (n > 16) return std::memcmp(a, b, n) == 0;
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 8);
    std::memcpy(&b0, b, 8);
    std::memcpy(&a1, a + n - 8, 8);
    std::memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n >= 4) {
    uint32_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 4);
    std::memcpy(&b0, b, 4);
    std::memcpy(&a1, a + n - 4, 4);
    std::memcpy(&b1, b + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace switchboard::common

#endif  // SWITCHBOARD_ENGINE_COMMON_BYTES_H_
