// What `switchboard serve --kafka` and `switchboard produce` write to Kafka
// and read back from it, apart from events and decisions themselves
// (docs/scale-out.md, "Records"):
//
//   clock marks     in the events topic T: a record with the header
//                   `switchboard: clock` whose value is
//                   {"time":"RFC 3339","type":"switchboard.clock"}; the
//                   partition's engine advances its clock to that time
//                   (Engine::AdvanceTo) instead of processing an event
//   decision ids    "T-P-OFFSET-K": the K-th decision (from 0) made by the
//                   record at OFFSET of partition P of T
//   snapshots       in the state topic S: the engine of partition P of T as
//                   chunks (key "T-P/PARITY/INDEX"), then a manifest (key
//                   "T-P") that names them and says where the snapshot
//                   resumes in T and in the decisions topic D
//
// Pure functions and a streaming assembler: no Kafka client here, so that
// they are tested alone (tests/service/kafka_records_test.cc).
#ifndef SWITCHBOARD_SERVICE_KAFKA_RECORDS_H_
#define SWITCHBOARD_SERVICE_KAFKA_RECORDS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchboard::service::kafka {

// ---- clock marks
// -------------------------------------------------------------

// The header that marks switchboard's own records in the events topic, and
// its value on a clock mark.
inline constexpr std::string_view kMarkHeader = "switchboard";
inline constexpr std::string_view kClockMark = "clock";

// A clock mark's value for `time`.
std::string ClockMarkValue(absl::Time time);
// The time of a clock mark's value. Errors: InvalidArgument.
absl::StatusOr<absl::Time> ParseClockMark(std::string_view value);

// ---- decision ids
// ------------------------------------------------------------

// "TOPIC-PARTITION-": what every id of a decision made by that input
// partition starts with.
std::string IdPrefix(std::string_view topic, int32_t partition);

// The input record and place of a decision id.
struct DecisionPlace {
  int64_t offset = 0;  // of the input record in its partition of T
  int64_t k = 0;       // the decision's place among that record's
  friend bool operator==(const DecisionPlace&, const DecisionPlace&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const DecisionPlace& p) {
    return H::combine(std::move(h), p.offset, p.k);
  }
};

// The place of the decision in `value` (a decision line as serve --kafka
// writes it: its last member is "id") when its id starts with `prefix`
// (IdPrefix); nullopt for another partition's decision or a line that is
// not one.
std::optional<DecisionPlace> ParseDecisionPlace(std::string_view value,
                                                std::string_view prefix);

// ---- snapshots
// ---------------------------------------------------------------

// The bytes of an engine snapshot are cut into chunks of at most this size
// (a Kafka record is 1 MB at most by default).
inline constexpr size_t kSnapshotChunkBytes = size_t{512} << 10;

// What a snapshot covers, in the manifest record that ends it.
struct SnapshotManifest {
  int32_t partition = 0;    // of T
  uint64_t generation = 0;  // 1, 2, ... per partition; chunks carry it
  // The snapshot holds the engine after every record of the partition
  // before `offset`: a new owner restores it and consumes from `offset`.
  int64_t offset = 0;
  // Every decision made by a record at or after `offset` that is in D's
  // partition is at or after this offset there: a new owner reads D from
  // here to learn which decisions were written already.
  int64_t decisions_offset = 0;
  int32_t chunks = 0;
  uint64_t bytes = 0;   // of the engine snapshot, all chunks together
  absl::Time taken;     // wall clock when it was taken (for its age)
  std::string ruleset;  // the name of the ruleset that made it
};

// Keys: the manifest's is "T-P"; chunk I of a snapshot is "T-P/PARITY/I",
// PARITY the generation's parity, so that a compacted topic keeps the
// chunks of the newest snapshot while the next one is being written.
std::string ManifestKey(std::string_view topic, int32_t partition);
std::string ChunkKey(std::string_view topic, int32_t partition,
                     uint64_t generation, int32_t index);

// Binary records (little-endian, with a magic number). Errors of the
// decoders: DataLoss.
std::string EncodeManifest(const SnapshotManifest& manifest);
absl::StatusOr<SnapshotManifest> DecodeManifest(std::string_view value);
std::string EncodeChunk(uint64_t generation, int32_t index,
                        std::string_view payload);
struct Chunk {
  uint64_t generation = 0;
  int32_t index = 0;
  std::string_view payload;  // views the value
};
absl::StatusOr<Chunk> DecodeChunk(std::string_view value);

// A snapshot read back: its manifest and the engine's bytes.
struct StoredSnapshot {
  SnapshotManifest manifest;
  std::string bytes;
  int64_t manifest_offset = -1;  // in the state topic's partition
};

// Finds the newest complete snapshot of one partition of T among the
// records of a state-topic partition, fed in offset order. Records of other
// partitions (other keys) are skipped. A manifest whose chunks are not all
// there (a snapshot cut short, or chunks deleted by retention) is counted
// and passed over: the one before it stands. Memory: the chunks of the
// snapshots not yet closed by their manifest, and the best one.
class SnapshotAssembler {
 public:
  SnapshotAssembler(std::string_view topic, int32_t partition);

  void Add(std::string_view key, std::string_view value, int64_t offset);

  // The newest complete snapshot seen, or nullopt.
  std::optional<StoredSnapshot> Take();
  // Manifests passed over, with the reason of the last one.
  int incomplete() const { return incomplete_; }
  const std::string& last_problem() const { return last_problem_; }

 private:
  const std::string manifest_key_;
  const std::string chunk_prefix_;  // "T-P/"
  // Chunks by generation, then index.
  std::map<uint64_t, std::map<int32_t, std::string>> chunks_;
  std::optional<StoredSnapshot> best_;
  int incomplete_ = 0;
  std::string last_problem_;
};

}  // namespace switchboard::service::kafka

#endif  // SWITCHBOARD_SERVICE_KAFKA_RECORDS_H_
