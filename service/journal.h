// The journal: every input an EngineLoop applies, in the order it applied
// them, each with its sequence number (its position), so that a restart can
// restore the last snapshot and apply the inputs after it again, making the
// same decisions with the same ids (docs/serving.md, "State").
//
// Two kinds of input are journaled: an event line as it was received, and a
// clock advance (the wall clock moved the engine's clock, which may have
// fired timers). Lines that were rejected are not journaled: they changed
// nothing.
//
// Files: one segment per stretch between snapshots, named
// journal-<first seq, 20 digits>.log in the state folder. Layout, all
// integers little-endian:
//
//   file header   8 bytes   "SWBJRNL1"
//   record        4 bytes   payload length (bytes)
//                 4 bytes   CRC-32 (zlib's) of the 9 bytes below and the
//                 payload 1 byte    type: 'E' an event line, 'A' a clock
//                 advance 8 bytes   sequence number payload   'E': the line (no
//                 newline); 'A': the new clock,
//                           8 bytes, nanoseconds since the Unix epoch
//
// A record is durable once the writer's fsync returned; a crash can leave a
// record cut short at the end of the last segment, which the reader reports
// (kBad) and recovery drops (it was never acknowledged).
#ifndef SWITCHBOARD_SERVICE_JOURNAL_H_
#define SWITCHBOARD_SERVICE_JOURNAL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace switchboard::service {

inline constexpr std::string_view kJournalMagic = "SWBJRNL1";
// Bytes before a record's payload.
inline constexpr size_t kRecordHeaderBytes = 17;
// The largest payload a record may have: a line of the reader's largest
// (1 MiB, ReaderOptions::max_line_bytes) and some room.
inline constexpr size_t kMaxRecordPayload = (size_t{1} << 20) + 1024;

enum class RecordType : uint8_t { kEvent = 'E', kAdvance = 'A' };

// Appends one encoded record to `out`.
void AppendEventRecord(uint64_t seq, std::string_view line, std::string* out);
void AppendAdvanceRecord(uint64_t seq, absl::Time clock, std::string* out);

// One record as read back. `line` views the reader's mapping of the file.
struct JournalRecord {
  RecordType type = RecordType::kEvent;
  uint64_t seq = 0;
  std::string_view line;  // kEvent
  absl::Time clock;       // kAdvance
};

// Reads one segment, record by record, from a read-only mapping of the file.
// Not thread-safe.
class JournalReader {
 public:
  // Errors: NotFound / PermissionDenied when the file cannot be opened,
  // DataLoss when it does not start with the journal's header (an empty
  // file, or one cut inside the header, is read as a segment without
  // records and reported by header_missing()).
  static absl::StatusOr<std::unique_ptr<JournalReader>> Open(
      const std::string& path);
  ~JournalReader();
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;

  enum class Result {
    kRecord,  // *record holds the next record
    kEnd,     // the file ended exactly after the last record
    kBad,     // a record cut short or corrupt at offset(); see error()
  };
  Result Next(JournalRecord* record);

  // The offset of the record Next returned last (or of the bad one).
  uint64_t offset() const { return record_offset_; }
  uint64_t size() const { return size_; }
  // The bytes from offset() to the end of the file (after kBad: the
  // damage, to keep for an operator).
  std::string_view rest() const {
    return std::string_view(data_ + record_offset_, size_ - record_offset_);
  }
  // Why the last Next returned kBad.
  const std::string& error() const { return error_; }
  // True when the file was too short to hold the header (a segment created
  // by a start that crashed before writing it).
  bool header_missing() const { return header_missing_; }

  // After kBad: looks for a valid record after the bad one whose sequence
  // number is above `after_seq` (a record that follows the damage). Returns
  // its offset and sequence number, or false when the damage runs to the
  // end of the file (a torn tail). Continues reading from there when found.
  bool Resync(uint64_t after_seq, uint64_t* offset, uint64_t* seq);

 private:
  JournalReader() = default;
  // Whether a valid record starts at `at` (its header fits, its length is
  // plausible, its type known, its CRC right); fills *record.
  bool ValidAt(uint64_t at, JournalRecord* record, uint64_t* end,
               std::string* why) const;

  const char* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t pos_ = 0;
  uint64_t record_offset_ = 0;
  bool header_missing_ = false;
  std::string error_;
};

// The segment file name for a first sequence number:
// journal-00000000000000000001.log.
std::string SegmentFileName(uint64_t first_seq);

// Appends records to segment files on its own thread, with group commit:
// whatever the engine thread commits while an fsync runs is written and
// synced by the next one. A committed group's `durable` callback runs on the
// writer's thread once its records are on disk (or failed to get there), in
// commit order.
//
// Thread-safe: Commit may be called from one thread at a time (the engine
// thread); the callbacks run on the writer's thread.
class JournalWriter {
 public:
  struct Group {
    std::string records;  // encoded records, in order (may be empty)
    // After these records: close the segment and start a new one whose
    // first sequence number is `rotate_to` (0: no rotation). Nothing is done
    // when the current segment already starts there (it holds no earlier
    // input: a snapshot right after a start).
    uint64_t rotate_to = 0;
    // Runs once the records (and everything committed before) are durable,
    // with OK, or with the error that stopped the journal.
    std::function<void(const absl::Status&)> durable;
  };
  struct Stats {
    int64_t fsyncs = 0;
    int64_t bytes = 0;         // record bytes written
    int64_t segments = 0;      // segments started
    int64_t pending = 0;       // bytes committed, not yet durable
    double fsync_seconds = 0;  // total time in fsync
  };

  // Starts a new segment with first sequence number `first_seq` in folder
  // `dir` (which must exist), and the writer's thread. `max_pending_bytes`:
  // Commit blocks while more than this is committed and not yet written
  // (backpressure on the engine thread). Errors: the segment cannot be
  // created (it must not exist).
  static absl::StatusOr<std::unique_ptr<JournalWriter>> Start(
      const std::string& dir, uint64_t first_seq, size_t max_pending_bytes);
  // Close()s.
  ~JournalWriter();

  // Queues `group`; blocks while the pending bytes exceed the limit. After
  // the journal failed, the group's callback runs at once with the error.
  void Commit(Group group);
  // Waits until everything committed is durable (or failed), then stops
  // the thread. Returns the error that stopped the journal, if any.
  absl::Status Close();

  // The error that stopped the journal (OK while it works).
  absl::Status status() const;
  Stats stats() const;

 private:
  JournalWriter(std::string dir, size_t max_pending_bytes);
  absl::Status OpenSegment(uint64_t first_seq);
  absl::Status WriteAll(std::string_view bytes);
  absl::Status Sync();
  void Run();

  const std::string dir_;
  const size_t max_pending_;
  int fd_ = -1;                 // the writer's thread only, after Start
  uint64_t segment_first_ = 0;  // the current segment's first seq (likewise)

  mutable absl::Mutex mu_;
  std::deque<Group> queue_ ABSL_GUARDED_BY(mu_);
  size_t pending_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// fsyncs the folder `dir`, so that a file created or renamed in it survives
// a crash.
absl::Status SyncDir(const std::string& dir);

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_JOURNAL_H_
