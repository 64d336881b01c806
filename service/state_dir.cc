// The state folder and the snapshot thread (state_dir.h).
#include "service/state_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>

#include "fmt/format.h"
#include "service/journal.h"
#include "switchboard/engine.h"

namespace switchboard::service {
namespace {

constexpr std::string_view kSnapshotPrefix = "snapshot-";
constexpr std::string_view kSnapshotSuffix = ".bin";
constexpr std::string_view kSegmentPrefix = "journal-";
constexpr std::string_view kSegmentSuffix = ".log";
// The largest snapshot read at a start: well under a small machine's memory.
constexpr uint64_t kMaxSnapshotBytes = uint64_t{16} << 30;

std::string Errno(std::string_view what, const std::string& path) {
  return fmt::format("cannot {} '{}': {}", what, path, std::strerror(errno));
}

absl::Status ReadFile(const std::string& path, uint64_t limit,
                      std::string* out) {
  out->clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const std::string message = Errno("open", path);
    return errno == ENOENT ? absl::NotFoundError(message)
                           : absl::PermissionDeniedError(message);
  }
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string message = Errno("read", path);
      ::close(fd);
      return absl::DataLossError(message);
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > limit) {
      ::close(fd);
      return absl::ResourceExhaustedError(
          fmt::format("'{}' is larger than {} bytes", path, limit));
    }
    out->append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return absl::OkStatus();
}

// Writes `bytes` to `path` atomically: PATH.tmp, fsync, rename, fsync of
// the folder `dir`.
absl::Status WriteAtomically(const std::string& dir, const std::string& path,
                             std::string_view bytes) {
  const std::string temp = path + ".tmp";
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(Errno("create", temp));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string message = Errno("write", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      return absl::InternalError(message);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const std::string message = Errno("sync", temp);
    ::close(fd);
    ::unlink(temp.c_str());
    return absl::InternalError(message);
  }
  ::close(fd);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string message = Errno("rename", temp);
    ::unlink(temp.c_str());
    return absl::InternalError(message);
  }
  return SyncDir(dir);
}

}  // namespace

bool ValidInstanceName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string NewInstanceName() {
  std::random_device random;
  const uint64_t bits =
      (static_cast<uint64_t>(random()) << 32) ^ static_cast<uint64_t>(random());
  return fmt::format("{:012x}", bits & 0xFFFFFFFFFFFFull);
}

absl::StatusOr<std::unique_ptr<StateDir>> StateDir::Open(
    const std::string& path, std::string_view instance) {
  if (!instance.empty() && !ValidInstanceName(instance)) {
    return absl::InvalidArgumentError(fmt::format(
        "invalid instance name '{}' (1 to 64 of A-Z a-z 0-9 . _ -)", instance));
  }
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) {
    return absl::PermissionDeniedError(fmt::format(
        "cannot make the state folder '{}': {}", path, error.message()));
  }
  const std::string lock_path = path + "/LOCK";
  const int lock_fd =
      ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    return absl::PermissionDeniedError(Errno("open", lock_path));
  }
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return absl::FailedPreconditionError(fmt::format(
        "the state folder '{}' is in use by another process", path));
  }
  std::unique_ptr<StateDir> dir(new StateDir(path, lock_fd));
  const std::string instance_path = path + "/instance";
  std::string kept;
  absl::Status read = ReadFile(instance_path, 1024, &kept);
  while (!kept.empty() && (kept.back() == '\n' || kept.back() == '\r')) {
    kept.pop_back();
  }
  if (read.ok()) {
    if (!ValidInstanceName(kept)) {
      return absl::DataLossError(
          fmt::format("'{}' does not hold an instance name", instance_path));
    }
    if (!instance.empty() && instance != kept) {
      return absl::FailedPreconditionError(fmt::format(
          "the state folder '{}' belongs to instance '{}', not '{}' (decision "
          "ids would change)",
          path, kept, instance));
    }
    dir->instance_ = kept;
  } else if (absl::IsNotFound(read)) {
    dir->instance_ =
        instance.empty() ? NewInstanceName() : std::string(instance);
    if (absl::Status st =
            WriteAtomically(path, instance_path, dir->instance_ + "\n");
        !st.ok()) {
      return st;
    }
  } else {
    return read;
  }
  return dir;
}

StateDir::~StateDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

std::vector<uint64_t> StateDir::List(std::string_view prefix,
                                     std::string_view suffix) const {
  std::vector<uint64_t> out;
  DIR* d = ::opendir(path_.c_str());
  if (d == nullptr) return out;
  while (const dirent* entry = ::readdir(d)) {
    const std::string_view name = entry->d_name;
    if (name.size() != prefix.size() + 20 + suffix.size() ||
        name.substr(0, prefix.size()) != prefix ||
        name.substr(prefix.size() + 20) != suffix) {
      continue;
    }
    uint64_t n = 0;
    bool digits = true;
    for (char c : name.substr(prefix.size(), 20)) {
      if (c < '0' || c > '9') {
        digits = false;
        break;
      }
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (digits) out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint64_t> StateDir::Snapshots() const {
  return List(kSnapshotPrefix, kSnapshotSuffix);
}

std::vector<uint64_t> StateDir::Segments() const {
  return List(kSegmentPrefix, kSegmentSuffix);
}

std::string StateDir::SnapshotPath(uint64_t seq) const {
  return fmt::format("{}/{}{:020d}{}", path_, kSnapshotPrefix, seq,
                     kSnapshotSuffix);
}

std::string StateDir::SegmentPath(uint64_t first_seq) const {
  return path_ + "/" + SegmentFileName(first_seq);
}

absl::Status StateDir::ReadSnapshot(uint64_t seq, std::string* bytes) const {
  const std::string path = SnapshotPath(seq);
  if (absl::Status st = ReadFile(path, kMaxSnapshotBytes, bytes); !st.ok()) {
    return st;
  }
  absl::StatusOr<uint64_t> size =
      SnapshotSize(std::string_view(*bytes).substr(0, kSnapshotHeaderBytes));
  if (!size.ok()) return size.status();
  if (*size != bytes->size()) {
    return absl::DataLossError(fmt::format(
        "the file has {} bytes, its header says {}", bytes->size(), *size));
  }
  return absl::OkStatus();
}

absl::Status StateDir::WriteSnapshot(uint64_t seq, std::string_view bytes) {
  return WriteAtomically(path_, SnapshotPath(seq), bytes);
}

void StateDir::Prune() {
  const std::vector<uint64_t> snapshots = Snapshots();
  if (snapshots.size() < 2) return;
  const uint64_t older = snapshots[snapshots.size() - 2];
  for (size_t i = 0; i + 2 < snapshots.size(); ++i) {
    ::unlink(SnapshotPath(snapshots[i]).c_str());
  }
  // A segment holds inputs first..(next segment's first - 1); it is no
  // longer needed when all of them are in the older kept snapshot.
  const std::vector<uint64_t> segments = Segments();
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i + 1] <= older + 1) {
      ::unlink(SegmentPath(segments[i]).c_str());
    }
  }
}

absl::StatusOr<std::string> StateDir::SetAside(const std::string& file) {
  const std::string name =
      fmt::format("{}.damaged-{}", file, absl::ToUnixSeconds(absl::Now()));
  const std::string from = path_ + "/" + file;
  const std::string to = path_ + "/" + name;
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return absl::InternalError(Errno("rename", from));
  }
  if (absl::Status st = SyncDir(path_); !st.ok()) return st;
  return name;
}

// ---- the snapshot thread ----------------------------------------------------

SnapshotWriter::SnapshotWriter(StateDir* dir) : dir_(dir) {
  thread_ = std::thread([this] { Run(); });
}

SnapshotWriter::~SnapshotWriter() {
  Flush().IgnoreError();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void SnapshotWriter::Write(uint64_t seq, std::string bytes) {
  absl::MutexLock lock(&mu_);
  next_.emplace(seq, std::move(bytes));
}

absl::Status SnapshotWriter::Flush() {
  absl::MutexLock lock(&mu_);
  const auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !next_.has_value() && !writing_;
  };
  mu_.Await(absl::Condition(&idle));
  return last_status_;
}

SnapshotWriter::Stats SnapshotWriter::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void SnapshotWriter::Run() {
  for (;;) {
    std::pair<uint64_t, std::string> job;
    {
      absl::MutexLock lock(&mu_);
      const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return next_.has_value() || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (!next_.has_value()) return;
      job = std::move(*next_);
      next_.reset();
      writing_ = true;
    }
    absl::Status st = dir_->WriteSnapshot(job.first, job.second);
    if (st.ok()) {
      dir_->Prune();
    } else {
      fmt::print(stderr, "switchboard: cannot write snapshot {}: {}\n",
                 job.first, std::string(st.message()));
    }
    absl::MutexLock lock(&mu_);
    writing_ = false;
    last_status_ = st;
    if (st.ok()) {
      ++stats_.written;
      stats_.last_bytes = static_cast<int64_t>(job.second.size());
      stats_.last_seq = job.first;
      stats_.last_time = absl::Now();
    } else {
      ++stats_.failed;
      stats_.last_error = std::string(st.message());
    }
  }
}

}  // namespace switchboard::service
