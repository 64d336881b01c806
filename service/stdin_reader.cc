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

constexpr size_t kReadBytes = size_t{1} << 20;
constexpr std::string_view kSource = "<stdin>";

}  // namespace

StdinReader::StdinReader(int fd, EngineLoop* loop, size_t max_line_bytes,
                         std::function<void()> on_end)
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

bool StdinReader::Hand(std::string_view chunk, bool eof) {
  auto batch = std::make_unique<Batch>();
  batch->source = std::string(kSource);
  std::vector<std::pair<size_t, size_t>> spans;  // in batch->text
  std::vector<int64_t> numbers;
  const auto too_long = [&](size_t length) {
    ++line_number_;
    fmt::print(stderr,
               "{}:{}: error: line too long: {} bytes (the limit is {})\n",
               kSource, line_number_, length, max_line_);
  };
  const auto line = [&](std::string_view text) {
    ++line_number_;
    if (EventReader::IsBlankLine(text)) return;
    spans.emplace_back(batch->text.size(), text.size());
    numbers.push_back(line_number_);
    batch->text.append(text);
  };
  size_t at = 0;
  while (at < chunk.size()) {
    const size_t newline = chunk.find('\n', at);
    const size_t end =
        newline == std::string_view::npos ? chunk.size() : newline;
    const std::string_view piece = chunk.substr(at, end - at);
    at = end + (newline == std::string_view::npos ? 0 : 1);
    if (skipping_) {
      skipped_ += piece.size();
      if (newline != std::string_view::npos) {
        too_long(skipped_);
        skipping_ = false;
      }
      continue;
    }
    if (newline == std::string_view::npos) {
      partial_.append(piece);
      if (partial_.size() > max_line_) {
        skipping_ = true;
        skipped_ = partial_.size();
        partial_.clear();
      }
      continue;
    }
    if (partial_.empty()) {
      if (piece.size() > max_line_) {
        too_long(piece.size());
      } else {
        line(piece);
      }
    } else {
      partial_.append(piece);
      if (partial_.size() > max_line_) {
        too_long(partial_.size());
      } else {
        line(partial_);
      }
      partial_.clear();
    }
  }
  if (eof) {
    if (skipping_) {
      too_long(skipped_);
      skipping_ = false;
    } else if (!partial_.empty()) {
      line(partial_);
      partial_.clear();
    }
  }
  if (spans.empty()) return true;
  batch->lines.reserve(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) {
    batch->lines.push_back(
        {std::string_view(batch->text).substr(spans[i].first, spans[i].second),
         numbers[i]});
  }
  return loop_->SubmitOwned(std::move(batch)).ok();
}

void StdinReader::Run() {
  std::vector<char> buffer(kReadBytes);
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    const int n = ::poll(fds, stop_pipe_[0] >= 0 ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (stop_pipe_[0] >= 0 && (fds[1].revents & POLLIN) != 0) return;
    const ssize_t got = ::read(fd_, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      fmt::print(stderr, "switchboard: error reading '{}': {}\n", kSource,
                 std::strerror(errno));
      break;
    }
    if (got == 0) {
      Hand({}, /*eof=*/true);
      break;
    }
    if (!Hand(std::string_view(buffer.data(), static_cast<size_t>(got)),
              /*eof=*/false)) {
      return;  // the loop is closed: stopping
    }
  }
  if (on_end_) on_end_();
}

}  // namespace switchboard::service
