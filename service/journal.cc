// The journal's format, reader and group-commit writer (journal.h).
#include "service/journal.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>
#include <vector>

#include "fmt/format.h"

namespace switchboard::service {
namespace {

void PutU32(uint32_t v, char* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutU64(uint64_t v, char* p) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

// CRC-32 of the record from its type byte to the end of its payload.
uint32_t RecordCrc(const char* typed, size_t n) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(typed), static_cast<uInt>(n)));
}

void AppendRecord(RecordType type, uint64_t seq, std::string_view payload,
                  std::string* out) {
  const size_t at = out->size();
  out->resize(at + kRecordHeaderBytes + payload.size());
  char* p = out->data() + at;
  PutU32(static_cast<uint32_t>(payload.size()), p);
  p[8] = static_cast<char>(type);
  PutU64(seq, p + 9);
  if (!payload.empty()) {
    std::memcpy(p + kRecordHeaderBytes, payload.data(), payload.size());
  }
  PutU32(RecordCrc(p + 8, 9 + payload.size()), p + 4);
}

std::string Errno(std::string_view what, const std::string& path) {
  return fmt::format("cannot {} '{}': {}", what, path, std::strerror(errno));
}

}  // namespace

void AppendEventRecord(uint64_t seq, std::string_view line, std::string* out) {
  AppendRecord(RecordType::kEvent, seq, line, out);
}

void AppendAdvanceRecord(uint64_t seq, absl::Time clock, std::string* out) {
  char nanos[8];
  PutU64(static_cast<uint64_t>(absl::ToUnixNanos(clock)), nanos);
  AppendRecord(RecordType::kAdvance, seq, std::string_view(nanos, 8), out);
}

std::string SegmentFileName(uint64_t first_seq) {
  return fmt::format("journal-{:020d}.log", first_seq);
}

absl::Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(Errno("open the folder", dir));
  const int rc = ::fsync(fd);
  const std::string error = rc != 0 ? Errno("sync the folder", dir) : "";
  ::close(fd);
  if (rc != 0) return absl::InternalError(error);
  return absl::OkStatus();
}

// ---- reader -----------------------------------------------------------------

absl::StatusOr<std::unique_ptr<JournalReader>> JournalReader::Open(
    const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const std::string message = Errno("open", path);
    return errno == ENOENT ? absl::NotFoundError(message)
                           : absl::PermissionDeniedError(message);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const std::string message = Errno("stat", path);
    ::close(fd);
    return absl::InternalError(message);
  }
  std::unique_ptr<JournalReader> reader(new JournalReader());
  reader->size_ = static_cast<uint64_t>(st.st_size);
  if (reader->size_ > 0) {
    void* map = ::mmap(nullptr, reader->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      const std::string message = Errno("map", path);
      ::close(fd);
      return absl::InternalError(message);
    }
    reader->data_ = static_cast<const char*>(map);
  }
  ::close(fd);
  if (reader->size_ < kJournalMagic.size()) {
    reader->header_missing_ = true;
    reader->pos_ = reader->size_;
    return reader;
  }
  if (std::string_view(reader->data_, kJournalMagic.size()) != kJournalMagic) {
    return absl::DataLossError(
        fmt::format("'{}' is not a journal segment (no header)", path));
  }
  reader->pos_ = kJournalMagic.size();
  return reader;
}

JournalReader::~JournalReader() {
  if (data_ != nullptr) {
    ::munmap(const_cast<char*>(data_), size_);
  }
}

bool JournalReader::ValidAt(uint64_t at, JournalRecord* record, uint64_t* end,
                            std::string* why) const {
  if (size_ - at < kRecordHeaderBytes) {
    if (why != nullptr) {
      *why = fmt::format("a record header cut short ({} of {} bytes)",
                         size_ - at, kRecordHeaderBytes);
    }
    return false;
  }
  const char* p = data_ + at;
  const uint32_t length = GetU32(p);
  const char type = p[8];
  if (length > kMaxRecordPayload ||
      (type != static_cast<char>(RecordType::kEvent) &&
       type != static_cast<char>(RecordType::kAdvance)) ||
      (type == static_cast<char>(RecordType::kAdvance) && length != 8)) {
    if (why != nullptr) {
      *why = fmt::format("a malformed record header (type {:#04x}, length {})",
                         static_cast<unsigned char>(type), length);
    }
    return false;
  }
  if (size_ - at - kRecordHeaderBytes < length) {
    if (why != nullptr) {
      *why = fmt::format("a record cut short ({} of {} payload bytes)",
                         size_ - at - kRecordHeaderBytes, length);
    }
    return false;
  }
  if (RecordCrc(p + 8, 9 + length) != GetU32(p + 4)) {
    if (why != nullptr) *why = "a record whose checksum does not match";
    return false;
  }
  record->type = static_cast<RecordType>(type);
  record->seq = GetU64(p + 9);
  const char* payload = p + kRecordHeaderBytes;
  if (record->type == RecordType::kEvent) {
    record->line = std::string_view(payload, length);
  } else {
    record->line = {};
    record->clock = absl::FromUnixNanos(static_cast<int64_t>(GetU64(payload)));
  }
  *end = at + kRecordHeaderBytes + length;
  return true;
}

JournalReader::Result JournalReader::Next(JournalRecord* record) {
  record_offset_ = pos_;
  if (pos_ == size_) return Result::kEnd;
  uint64_t end = 0;
  if (!ValidAt(pos_, record, &end, &error_)) return Result::kBad;
  pos_ = end;
  return Result::kRecord;
}

bool JournalReader::Resync(uint64_t after_seq, uint64_t* offset,
                           uint64_t* seq) {
  JournalRecord record;
  for (uint64_t at = record_offset_ + 1; at + kRecordHeaderBytes <= size_;
       ++at) {
    uint64_t end = 0;
    if (ValidAt(at, &record, &end, nullptr) && record.seq > after_seq) {
      *offset = at;
      *seq = record.seq;
      pos_ = at;
      return true;
    }
  }
  return false;
}

// ---- writer -----------------------------------------------------------------

JournalWriter::JournalWriter(std::string dir, size_t max_pending_bytes)
    : dir_(std::move(dir)), max_pending_(max_pending_bytes) {}

absl::StatusOr<std::unique_ptr<JournalWriter>> JournalWriter::Start(
    const std::string& dir, uint64_t first_seq, size_t max_pending_bytes) {
  std::unique_ptr<JournalWriter> writer(
      new JournalWriter(dir, max_pending_bytes));
  if (absl::Status st = writer->OpenSegment(first_seq); !st.ok()) return st;
  writer->thread_ = std::thread([w = writer.get()] { w->Run(); });
  return writer;
}

JournalWriter::~JournalWriter() { Close().IgnoreError(); }

absl::Status JournalWriter::OpenSegment(uint64_t first_seq) {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  const std::string path = dir_ + "/" + SegmentFileName(first_seq);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
               0644);
  if (fd_ < 0) return absl::InternalError(Errno("create", path));
  segment_first_ = first_seq;
  if (absl::Status st = WriteAll(kJournalMagic); !st.ok()) return st;
  if (absl::Status st = Sync(); !st.ok()) return st;
  {
    absl::MutexLock lock(&mu_);
    ++stats_.segments;
  }
  return SyncDir(dir_);
}

absl::Status JournalWriter::WriteAll(std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(Errno("write the journal in", dir_));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status JournalWriter::Sync() {
  const auto start = std::chrono::steady_clock::now();
  if (::fdatasync(fd_) != 0) {
    return absl::InternalError(Errno("sync the journal in", dir_));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  absl::MutexLock lock(&mu_);
  ++stats_.fsyncs;
  stats_.fsync_seconds += seconds;
  return absl::OkStatus();
}

void JournalWriter::Commit(Group group) {
  absl::Status failed;
  {
    absl::MutexLock lock(&mu_);
    const auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return pending_bytes_ <= max_pending_ || !status_.ok() || closing_;
    };
    mu_.Await(absl::Condition(&room));
    if (status_.ok() && !closing_) {
      pending_bytes_ += group.records.size();
      stats_.pending = static_cast<int64_t>(pending_bytes_);
      queue_.push_back(std::move(group));
      return;
    }
    failed = status_.ok() ? absl::UnavailableError("the journal is closed")
                          : status_;
  }
  if (group.durable) group.durable(failed);
}

void JournalWriter::Run() {
  std::vector<Group> groups;
  std::string buffer;
  for (;;) {
    groups.clear();
    {
      absl::MutexLock lock(&mu_);
      const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || closing_;
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // closing, all done
      while (!queue_.empty()) {
        groups.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    absl::Status status = this->status();
    size_t bytes = 0;
    buffer.clear();
    // Writes and syncs what is buffered (a group commit).
    const auto flush = [&]() -> absl::Status {
      if (buffer.empty()) return absl::OkStatus();
      absl::Status st = WriteAll(buffer);
      if (st.ok()) st = Sync();
      bytes += buffer.size();
      buffer.clear();
      return st;
    };
    for (const Group& g : groups) {
      if (!status.ok()) break;
      buffer.append(g.records);
      if (g.rotate_to != 0 && g.rotate_to != segment_first_) {
        status = flush();
        if (status.ok()) status = OpenSegment(g.rotate_to);
      }
    }
    if (status.ok()) status = flush();
    {
      absl::MutexLock lock(&mu_);
      for (const Group& g : groups) pending_bytes_ -= g.records.size();
      stats_.pending = static_cast<int64_t>(pending_bytes_);
      stats_.bytes += static_cast<int64_t>(bytes);
      if (!status.ok() && status_.ok()) status_ = status;
    }
    for (Group& g : groups) {
      if (g.durable) g.durable(status);
    }
  }
}

absl::Status JournalWriter::Close() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  return status();
}

absl::Status JournalWriter::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

JournalWriter::Stats JournalWriter::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace switchboard::service
