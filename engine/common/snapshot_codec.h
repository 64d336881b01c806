// The byte-level primitives of engine snapshots (engine/run/snapshot.cc):
// a SnapshotWriter that appends varints, zigzag varints, strings, doubles,
// durations, times and length-prefixed sections to a std::string, and a
// SnapshotReader that reads them back from untrusted bytes.
//
// Encoding (little-endian where fixed-width):
//   varint        LEB128, at most 10 bytes for a uint64
//   signed        zigzag, then varint
//   bool / u8     one byte (a bool must be 0 or 1)
//   double        8 bytes, IEEE-754 bits
//   string        varint length, then the bytes
//   duration      one byte kind (0 finite, 1 +infinite, 2 -infinite); when
//                 finite: signed seconds, then signed nanoseconds (|ns| < 1e9)
//   time          as a duration since the Unix epoch (kind 1 = InfiniteFuture,
//                 2 = InfinitePast)
//   section       varint tag, varint byte length, then the body; a reader
//                 that meets a tag it does not know can skip the body
//   frame         "SWBSNAP", varint format version, varint payload length,
//                 payload, then 4 bytes CRC-32C (Castagnoli) of everything
//                 before it (magic, version, length and payload)
//
// The reader never trusts a length: every string length and every count is
// checked against the bytes that remain before anything is allocated, and
// the first failure is sticky (every later read fails too) and reported by
// status() as DataLoss naming what was being read and the byte offset. So
// a truncated, corrupted or hostile snapshot is refused, never a crash or a
// huge allocation.
//
// Users (engine/run/snapshot.cc, the Assigner's SaveState / LoadState) write
// their state into sections and check `reader.ok()` / `reader.status()`
// after reading. Not thread-safe; cheap to create.
#ifndef SWITCHBOARD_ENGINE_RUN_SNAPSHOT_CODEC_H_
#define SWITCHBOARD_ENGINE_RUN_SNAPSHOT_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchboard::common {

// The first bytes of every snapshot.
inline constexpr std::string_view kSnapshotMagic = "SWBSNAP";
// The snapshot format this build writes and reads.
inline constexpr uint64_t kSnapshotFormatVersion = 1;

// CRC-32C (Castagnoli, reflected, init and final xor 0xFFFFFFFF) of `bytes`.
// Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(std::string_view bytes);

// Appends encoded values to a buffer it owns. Never fails.
class SnapshotWriter {
 public:
  SnapshotWriter() = default;

  void PutU8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void PutBool(bool v) { PutU8(v ? 1 : 0); }
  void PutVarint(uint64_t v);
  // Zigzag-encoded, so small negative numbers stay short.
  void PutSigned(int64_t v);
  void PutFixed32(uint32_t v);
  void PutDouble(double v);
  void PutString(std::string_view s);
  void PutDuration(absl::Duration d);
  void PutTime(absl::Time t);

  // Starts a section with `tag`; returns a handle for EndSection. Sections
  // may nest. Every BeginSection needs its EndSection before Finish/data().
  size_t BeginSection(uint64_t tag);
  void EndSection(size_t handle);

  // The bytes written so far (the payload, without a frame).
  const std::string& data() const { return out_; }
  size_t size() const { return out_.size(); }
  // Moves the payload out; the writer is empty afterwards.
  std::string Release();

 private:
  std::string out_;
};

// Reads encoded values from bytes it does not own (they must outlive it).
// Every Read* returns false on failure (and from then on); status() tells
// why. On failure the output argument is left unspecified.
class SnapshotReader {
 public:
  explicit SnapshotReader(std::string_view bytes, size_t base_offset = 0)
      : data_(bytes), base_(base_offset) {}

  bool ReadU8(uint8_t* v, std::string_view what);
  bool ReadBool(bool* v, std::string_view what);
  bool ReadVarint(uint64_t* v, std::string_view what);
  bool ReadSigned(int64_t* v, std::string_view what);
  bool ReadFixed32(uint32_t* v, std::string_view what);
  bool ReadDouble(double* v, std::string_view what);
  // Copies the bytes into `s` (reusing its capacity).
  bool ReadString(std::string* s, std::string_view what);
  // Views the bytes (valid as long as the input is).
  bool ReadStringView(std::string_view* s, std::string_view what);
  bool ReadDuration(absl::Duration* d, std::string_view what);
  bool ReadTime(absl::Time* t, std::string_view what);
  // Reads a count of items that take at least `min_item_bytes` (>= 1) each
  // and fails unless that many bytes remain, so a caller may reserve
  // `*n` items safely.
  bool ReadCount(uint64_t* n, size_t min_item_bytes, std::string_view what);
  // Reads a section header and hands its body to `*body` (a reader of its
  // own, whose failures do not stop this one: check body->status()).
  bool ReadSection(uint64_t* tag, SnapshotReader* body);

  // Marks the reader failed with DataLoss "<what> at byte N" (first failure
  // wins). Use for semantic checks (e.g. an index out of range). Returns
  // false, for `return reader.Fail(...)`.
  bool Fail(std::string_view what);

  bool ok() const { return status_.ok(); }
  const absl::Status& status() const { return status_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool done() const { return pos_ == data_.size(); }
  // Fails unless every byte was read ("trailing bytes in <what>").
  bool ExpectDone(std::string_view what);

 private:
  bool Need(size_t n, std::string_view what);

  std::string_view data_;
  size_t pos_ = 0;
  size_t base_ = 0;  // offset of data_[0] in the whole snapshot, for errors
  absl::Status status_;
};

// Wraps `payload` in a frame: magic, version, length, payload, CRC-32C.
std::string FrameSnapshot(std::string_view payload);

// Checks a frame and returns a view of its payload (inside `bytes`).
// Errors: InvalidArgument for a wrong magic (not a snapshot) or a format
// version this build does not read; DataLoss for a truncated frame, a
// length that does not match, or a CRC mismatch. Never allocates in
// proportion to a declared length.
absl::StatusOr<std::string_view> UnframeSnapshot(std::string_view bytes);

// The whole frame's size from its header alone: `prefix` is the frame's
// first bytes (kSnapshotHeaderBytes or all of it). Errors as
// UnframeSnapshot's for the header (DataLoss when it is cut short).
absl::StatusOr<uint64_t> SnapshotFrameSize(std::string_view prefix);

}  // namespace switchboard::common

#endif  // SWITCHBOARD_ENGINE_RUN_SNAPSHOT_CODEC_H_
