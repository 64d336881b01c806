// Decisions to stdout and to the SSE subscribers (decision_hub.h).
#include "service/decision_hub.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace switchboard::service {

bool Subscriber::Next(std::string* out, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !buffer_.empty() || closed_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (dropped_) return false;
  if (!buffer_.empty()) {
    out->append(buffer_);
    buffer_.clear();
    return true;
  }
  return !closed_;
}

void Subscriber::Cancel() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  buffer_.clear();
  buffer_.shrink_to_fit();
}

bool Subscriber::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

DecisionHub::DecisionHub(const Options& options) : options_(options) {}

void AppendServerSentEvents(std::string_view lines, std::string* out) {
  constexpr std::string_view kId = ",\"id\":\"";
  size_t start = 0;
  while (start < lines.size()) {
    size_t end = lines.find('\n', start);
    if (end == std::string_view::npos) end = lines.size();
    const std::string_view line = lines.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    const size_t at = line.rfind(kId);
    std::string_view id;
    if (at != std::string_view::npos) {
      id = line.substr(at + kId.size());
      id = id.substr(0, id.find('"'));
    }
    out->append("id: ");
    out->append(id);
    out->append("\nevent: decision\ndata: ");
    out->append(line);
    out->append("\n\n");
  }
}

void DecisionHub::Publish(std::string_view lines) {
  if (lines.empty()) return;
  published_.fetch_add(std::count(lines.begin(), lines.end(), '\n'),
                       std::memory_order_relaxed);
  if (options_.to_stdout && !stdout_failed_.load(std::memory_order_relaxed)) {
    WriteStdout(lines);
  }
  absl::MutexLock lock(&mu_);
  if (subscribers_.empty()) return;
  sse_.clear();
  AppendServerSentEvents(lines, &sse_);
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    Subscriber& s = **it;
    bool gone = false;
    {
      absl::MutexLock sub_lock(&s.mu_);
      if (s.closed_) {
        gone = true;
      } else if (s.buffer_.size() + sse_.size() > s.limit_) {
        // Too slow: drop it rather than hold back the engine.
        s.dropped_ = true;
        s.closed_ = true;
        s.buffer_.clear();
        s.buffer_.shrink_to_fit();
        dropped_.fetch_add(1, std::memory_order_relaxed);
        gone = true;
      } else {
        s.buffer_.append(sse_);
      }
    }
    it = gone ? subscribers_.erase(it) : it + 1;
  }
}

void DecisionHub::WriteStdout(std::string_view lines) {
  size_t done = 0;
  while (done < lines.size()) {
    const ssize_t n =
        ::write(options_.stdout_fd, lines.data() + done, lines.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string error = std::strerror(errno);
      stdout_failed_.store(true, std::memory_order_relaxed);
      if (on_stdout_error_) on_stdout_error_(error);
      return;
    }
    done += static_cast<size_t>(n);
  }
}

std::shared_ptr<Subscriber> DecisionHub::Subscribe() {
  absl::MutexLock lock(&mu_);
  // Forget the ones that went away.
  subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                    [](const std::shared_ptr<Subscriber>& s) {
                                      absl::MutexLock sub_lock(&s->mu_);
                                      return s->closed_;
                                    }),
                     subscribers_.end());
  if (closed_ || subscribers_.size() >= options_.max_subscribers) {
    return nullptr;
  }
  std::shared_ptr<Subscriber> s(
      new Subscriber(options_.subscriber_buffer_bytes));
  subscribers_.push_back(s);
  return s;
}

void DecisionHub::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (const std::shared_ptr<Subscriber>& s : subscribers_) {
    absl::MutexLock sub_lock(&s->mu_);
    s->closed_ = true;
  }
  subscribers_.clear();
}

int64_t DecisionHub::subscribers() const {
  absl::MutexLock lock(&mu_);
  int64_t n = 0;
  for (const std::shared_ptr<Subscriber>& s : subscribers_) {
    absl::MutexLock sub_lock(&s->mu_);
    if (!s->closed_) ++n;
  }
  return n;
}

}  // namespace switchboard::service
