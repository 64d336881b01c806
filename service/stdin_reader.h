// The stdin input of `switchboard serve`: JSON Lines from a file descriptor,
// each line handed to the EngineLoop as soon as it is complete.
//
// A thread reads with read(2) (not stdio, which would wait for a buffer to
// fill), frames lines at '\n', and hands each read's complete lines to the
// loop as one owned Batch, waiting while the loop's queue is full (the pipe
// then fills and the writer waits: backpressure, no loss). The batch's
// lines view the buffer the read filled, which the batch takes along: no
// line is copied, only a partial last line is carried over to the next
// read. A line longer
// than the limit is skipped up to its newline and reported with its length.
// Bad lines are reported on stderr as "<stdin>:N: error: MESSAGE", as `run`
// reports them.
#ifndef SWITCHBOARD_SERVICE_STDIN_READER_H_
#define SWITCHBOARD_SERVICE_STDIN_READER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "service/engine_loop.h"

namespace switchboard::service {

class StdinReader {
 public:
  // Reads `fd` (not owned) into `loop`; `on_end` runs on the reader's thread
  // after the last line was handed over, at the end of the input (false) or
  // after a read error (true; reported on stderr).
  StdinReader(int fd, EngineLoop* loop, size_t max_line_bytes,
              std::function<void(bool error)> on_end);
  ~StdinReader();  // Stop()s
  StdinReader(const StdinReader&) = delete;
  StdinReader& operator=(const StdinReader&) = delete;

  void Start();
  // Stops reading (what was handed over stays handed over) and joins.
  void Stop();

 private:
  void Run();
  // Hands the complete lines of the `size` bytes in `buffer` over (the
  // batch takes the buffer); keeps a partial last line in partial_. `eof`:
  // the partial line is a line too. False when the loop is closed.
  bool Hand(std::unique_ptr<char[]> buffer, size_t size, bool eof);

  const int fd_;
  EngineLoop* loop_;
  const size_t max_line_;
  std::function<void(bool error)> on_end_;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
  std::string partial_;
  bool skipping_ = false;  // inside a line longer than max_line_
  size_t skipped_ = 0;
  int64_t line_number_ = 0;
};

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_STDIN_READER_H_
