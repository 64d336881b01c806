// Lines from stdin to the engine loop (stdin_reader.h).
#include "service/stdin_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "fmt/format.h"
#include "switchboard/event_reader.h"

namespace switchboard::service {
namespace {

// Bytes per read: small enough for malloc to reuse freed buffers (under its
// mmap threshold), large enough for hundreds of lines per batch.
constexpr size_t kReadBytes = size_t{64} << 10;
constexpr std::string_view kSource = "<stdin>";
// Events read ahead of the engine at most (a few reads' worth).
constexpr size_t kReadAheadEvents = 4096;

}  // namespace

StdinReader::StdinReader(int fd, EngineLoop* loop, size_t max_line_bytes,
                         std::function<void(bool error)> on_end)
    : fd_(fd),
      loop_(loop),
      max_line_(max_line_bytes),
      on_end_(std::move(on_end)) {}

StdinReader::~StdinReader() { Stop(); }

void StdinReader::Start() {
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    stop_pipe_[0] = stop_pipe_[1] = -1;
  }
  thread_ = std::thread([this] { Run(); });
}

void StdinReader::Stop() {
  if (!thread_.joinable()) return;
  if (stop_pipe_[1] >= 0) {
    const char byte = 0;
    (void)!::write(stop_pipe_[1], &byte, 1);
  }
  thread_.join();
  for (int& fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

bool StdinReader::Hand(std::unique_ptr<char[]> buffer, size_t size, bool eof) {
  auto batch = std::make_unique<Batch>();
  batch->source = std::string(kSource);
  const std::string_view data(buffer.get(), size);
  const auto too_long = [&](size_t length) {
    ++line_number_;
    fmt::print(stderr,
               "{}:{}: error: line too long: {} bytes (the limit is {})\n",
               kSource, line_number_, length, max_line_);
  };
  const auto line = [&](std::string_view text) {
    ++line_number_;
    if (text.size() > max_line_) {
      --line_number_;
      too_long(text.size());
    } else if (!EventReader::IsBlankLine(text)) {
      batch->lines.push_back({text, line_number_});
    }
  };
  size_t at = 0;
  if (skipping_) {  // the rest of a line too long to keep
    const size_t newline = data.find('\n');
    if (newline == std::string_view::npos) {
      skipped_ += size;
      if (eof) {
        too_long(skipped_);
        skipping_ = false;
      }
      return true;
    }
    too_long(skipped_ + newline);
    skipping_ = false;
    at = newline + 1;
  }
  while (at < size) {
    const size_t newline = data.find('\n', at);
    if (newline == std::string_view::npos) {
      const std::string_view tail = data.substr(at);
      if (eof) {
        line(tail);
      } else if (tail.size() > max_line_) {
        skipping_ = true;
        skipped_ = tail.size();
      } else {
        partial_.assign(tail);
      }
      break;
    }
    line(data.substr(at, newline - at));
    at = newline + 1;
  }
  if (batch->lines.empty()) return true;
  batch->storage = std::move(buffer);  // the lines view it
  return loop_->SubmitOwned(std::move(batch), kReadAheadEvents).ok();
}

void StdinReader::Run() {
  bool error = false;
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    const int n = ::poll(fds, stop_pipe_[0] >= 0 ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fmt::print(stderr, "switchboard: error reading '{}': {}\n", kSource,
                 std::strerror(errno));
      error = true;
      break;
    }
    if (stop_pipe_[0] >= 0 && (fds[1].revents & POLLIN) != 0) return;
    // The partial line of the last read first, then what comes.
    const size_t carry = partial_.size();
    std::unique_ptr<char[]> buffer(new char[carry + kReadBytes]);
    std::memcpy(buffer.get(), partial_.data(), carry);
    partial_.clear();
    const ssize_t got = ::read(fd_, buffer.get() + carry, kReadBytes);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        partial_.assign(buffer.get(), carry);
        continue;
      }
      fmt::print(stderr, "switchboard: error reading '{}': {}\n", kSource,
                 std::strerror(errno));
      error = true;
      break;
    }
    const bool eof = got == 0;
    if (!Hand(std::move(buffer), carry + static_cast<size_t>(got), eof)) {
      return;  // the loop is closed: stopping
    }
    if (eof) break;
  }
  if (on_end_) on_end_(error);
}

}  // namespace switchboard::service
