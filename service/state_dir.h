// The state folder of `switchboard serve --state DIR` (docs/serving.md,
// "State"):
//
//   LOCK                               held (flock) while a service uses DIR
//   instance                           the id prefix of its decisions, kept
//   snapshot-<seq, 20 digits>.bin      the engine after inputs 1..seq
//   journal-<first seq, 20 digits>.log the inputs from first seq on
//                                      (journal.h)
//
// A snapshot is written atomically (a temporary file, fsync, rename, fsync
// of the folder). The two newest snapshots are kept, and every journal
// segment that holds an input after the older of them, so that a corrupt
// newest snapshot falls back to the one before it without losing an input.
// With a single snapshot, every segment since the first input is kept.
//
// Thread-safety: Open, Snapshots, Segments and ReadSnapshot are for the
// start (one thread); WriteSnapshot and Prune are called by the snapshot
// thread (SnapshotWriter) alone.
#ifndef SWITCHBOARD_SERVICE_STATE_DIR_H_
#define SWITCHBOARD_SERVICE_STATE_DIR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace switchboard::service {

// An instance name: 1 to 64 of [A-Za-z0-9._-].
bool ValidInstanceName(std::string_view name);

// A fresh instance name: 12 hex digits from the system's random source.
std::string NewInstanceName();

class StateDir {
 public:
  // Opens `path`, creating it (and missing parents) when needed, and locks
  // it for this process. The instance name is read from the folder, or made
  // when it has none: `instance` when not empty, else NewInstanceName().
  // Errors: FailedPrecondition when another process holds the lock, or
  // when `instance` differs from the name kept in the folder (the ids would
  // change); InvalidArgument for an invalid name; Internal / PermissionDenied
  // when the folder cannot be made or read.
  static absl::StatusOr<std::unique_ptr<StateDir>> Open(
      const std::string& path, std::string_view instance);
  ~StateDir();
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;

  const std::string& path() const { return path_; }
  const std::string& instance() const { return instance_; }

  // The sequence numbers of the snapshots, and the first sequence numbers
  // of the journal segments, in ascending order.
  std::vector<uint64_t> Snapshots() const;
  std::vector<uint64_t> Segments() const;
  std::string SnapshotPath(uint64_t seq) const;
  std::string SegmentPath(uint64_t first_seq) const;

  // Reads snapshot `seq`, checking its header first (switchboard::
  // SnapshotSize). Errors: as ReadWholeFile and SnapshotSize.
  absl::Status ReadSnapshot(uint64_t seq, std::string* bytes) const;
  // Writes snapshot `seq` atomically.
  absl::Status WriteSnapshot(uint64_t seq, std::string_view bytes);
  // Deletes the snapshots but the two newest, and the segments whose inputs
  // all precede the older of those two. Errors are ignored (the files stay;
  // the next prune tries again).
  void Prune();
  // Moves `file` (in the folder) aside as `file`.damaged-<unix seconds>, for
  // an operator to look at; returns the new name.
  absl::StatusOr<std::string> SetAside(const std::string& file);

 private:
  StateDir(std::string path, int lock_fd)
      : path_(std::move(path)), lock_fd_(lock_fd) {}
  // The numbers of the files named PREFIX<20 digits>SUFFIX, ascending.
  std::vector<uint64_t> List(std::string_view prefix,
                             std::string_view suffix) const;

  std::string path_;
  int lock_fd_;
  std::string instance_;
};

// Writes snapshots on its own thread, so that the engine thread only
// serializes (Engine::Snapshot) and the journal goes on while the file is
// written and synced. Keeps one snapshot waiting: a newer one replaces it.
class SnapshotWriter {
 public:
  struct Stats {
    int64_t written = 0;
    int64_t failed = 0;
    int64_t last_bytes = 0;
    uint64_t last_seq = 0;
    absl::Time last_time = absl::InfinitePast();  // of the last one written
    std::string last_error;
  };

  explicit SnapshotWriter(StateDir* dir);
  ~SnapshotWriter();  // Flush()es, then stops the thread

  // Queues snapshot `seq`.
  void Write(uint64_t seq, std::string bytes);
  // Waits until the queued snapshot is written (or failed); returns the
  // status of the last write.
  absl::Status Flush();
  Stats stats() const;

 private:
  void Run();

  StateDir* dir_;
  mutable absl::Mutex mu_;
  std::optional<std::pair<uint64_t, std::string>> next_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status last_status_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_STATE_DIR_H_
