// LineReader (include/switchboard/event_reader.h): the lines of a file,
// read in chunks of up to a megabyte into one buffer that is reused; and the
// form in which a bad line is reported (FormatBadLine).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "switchboard/event_reader.h"

namespace switchboard {

LineReader::LineReader(std::FILE* file, size_t max_line_bytes)
    : file_(file),
      max_line_(max_line_bytes),
      buffer_(max_line_bytes + (size_t{1} << 20)) {}

bool LineReader::Next(Line* line) {
  size_t skipped = 0;  // bytes of an over-long line dropped so far
  while (true) {
    const char* begin = buffer_.data() + pos_;
    const void* nl = std::memchr(begin, '\n', end_ - pos_);
    if (nl != nullptr) {
      const size_t n = static_cast<const char*>(nl) - begin;
      pos_ += n + 1;
      return Finish(begin, n, skipped, line);
    }
    if (eof_) {
      if (pos_ == end_ && skipped == 0) return false;
      const size_t n = end_ - pos_;
      pos_ = end_;
      return Finish(begin, n, skipped, line);
    }
    if (end_ - pos_ > max_line_) {  // over long: drop what we have
      skipped += end_ - pos_;
      pos_ = end_ = 0;
    } else if (pos_ > 0) {  // keep the partial line at the front
      std::memmove(buffer_.data(), begin, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    const size_t got = Read(buffer_.data() + end_, buffer_.size() - end_);
    end_ += got;
    if (got == 0) {
      eof_ = true;
      if (!status_.ok()) return false;
    }
  }
}

size_t LineReader::Read(char* at, size_t room) {
  // From the descriptor: read() returns what a pipe or a terminal holds
  // now, where fread() would wait for a whole megabyte, so that lines
  // written live (`tail -f events | switchboard produce ... -`) go on at
  // once. Files without a descriptor (fmemopen) go through stdio.
  const int fd = ::fileno(file_);
  if (fd < 0) {
    const size_t got = std::fread(at, 1, room, file_);
    if (got == 0 && std::ferror(file_) != 0) {
      status_ = absl::DataLossError(
          absl::StrCat("read error: ", std::strerror(errno)));
    }
    return got;
  }
  for (;;) {
    const ssize_t n = ::read(fd, at, room);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    status_ =
        absl::DataLossError(absl::StrCat("read error: ", std::strerror(errno)));
    return 0;
  }
}

bool LineReader::Finish(const char* begin, size_t n, size_t skipped,
                        Line* line) {
  line->length = skipped + n;
  line->too_long = line->length > max_line_;
  line->text = line->too_long ? std::string_view() : std::string_view(begin, n);
  return true;
}

namespace {

std::string FormatLineMessage(std::string_view source, int64_t line,
                              std::string_view severity,
                              std::string_view message) {
  std::string out;
  out.reserve(source.size() + message.size() + 32);
  if (!source.empty()) {
    out.append(source);
    out += ':';
  }
  out += std::to_string(line);
  out += ": ";
  out.append(severity);
  out += ": ";
  for (char c : message) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string FormatBadLine(std::string_view source, int64_t line,
                          std::string_view message) {
  return FormatLineMessage(source, line, "error", message);
}

std::string FormatLineWarning(std::string_view source, int64_t line,
                              std::string_view message) {
  return FormatLineMessage(source, line, "warning", message);
}

}  // namespace switchboard
