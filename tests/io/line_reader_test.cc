// Tests of LineReader (switchboard/event_reader.h): the JSON Lines framing
// of run, produce, diff and test. Lines end at '\n', the last needs none,
// a '\r' stays, an over-long line is skipped and reported by its length,
// and a line that arrives on a pipe is returned at once (not when a
// megabyte has come).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "switchboard/event_reader.h"

namespace switchboard {
namespace {

struct Got {
  std::string text;
  size_t length;
  bool too_long;
  bool operator==(const Got&) const = default;
};

std::vector<Got> ReadAll(std::FILE* f, size_t max_line) {
  LineReader lines(f, max_line);
  LineReader::Line line;
  std::vector<Got> out;
  while (lines.Next(&line)) {
    out.push_back({std::string(line.text), line.length, line.too_long});
  }
  EXPECT_TRUE(lines.status().ok()) << lines.status();
  return out;
}

std::FILE* TempWith(const std::string& bytes) {
  std::FILE* f = std::tmpfile();
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::rewind(f);
  return f;
}

TEST(LineReaderTest, SplitsLinesKeepsCarriageReturnsAndTheLastLine) {
  std::FILE* f = TempWith("a\n\nb\r\nlast");
  const std::vector<Got> want = {
      {"a", 1, false}, {"", 0, false}, {"b\r", 2, false}, {"last", 4, false}};
  EXPECT_EQ(ReadAll(f, 100), want);
  std::fclose(f);
}

TEST(LineReaderTest, SkipsOverLongLinesAcrossChunks) {
  // 3 MiB: longer than the buffer (max_line + 1 MiB), read in pieces.
  const std::string big(size_t{3} << 20, 'x');
  std::FILE* f = TempWith("ok\n" + big + "\nafter\n" + big);
  const std::vector<Got> want = {{"ok", 2, false},
                                 {"", big.size(), true},
                                 {"after", 5, false},
                                 {"", big.size(), true}};
  EXPECT_EQ(ReadAll(f, 1000), want);
  std::fclose(f);
}

TEST(LineReaderTest, ReadsAFileWithoutADescriptor) {
  char text[] = "one\ntwo\n";
  std::FILE* f = fmemopen(text, sizeof(text) - 1, "r");
  ASSERT_NE(f, nullptr);
  const std::vector<Got> want = {{"one", 3, false}, {"two", 3, false}};
  EXPECT_EQ(ReadAll(f, 100), want);
  std::fclose(f);
}

TEST(LineReaderTest, ALineOnAPipeComesAtOnce) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::FILE* in = ::fdopen(fds[0], "r");
  ASSERT_NE(in, nullptr);
  std::atomic<bool> got_first{false};
  std::string first;
  std::thread reader([&] {
    LineReader lines(in);
    LineReader::Line line;
    if (lines.Next(&line)) {
      first = std::string(line.text);
      got_first = true;
    }
    while (lines.Next(&line)) {
    }
  });
  const std::string line = "{\"type\":\"a.b\"}\n";
  ASSERT_EQ(::write(fds[1], line.data(), line.size()),
            static_cast<ssize_t>(line.size()));
  // The writer keeps the pipe open: the line must come without it ending.
  for (int i = 0; i < 1000 && !got_first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool in_time = got_first;
  ::close(fds[1]);  // ends the reader either way
  reader.join();
  std::fclose(in);
  EXPECT_TRUE(in_time) << "the line waited for more input";
  EXPECT_EQ(first, "{\"type\":\"a.b\"}");
}

}  // namespace
}  // namespace switchboard
