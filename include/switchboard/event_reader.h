// Events from JSON Lines, as `switchboard run` reads them.
//
// EventReader turns one line,
// a JSON object, into a switchboard::Event typed by a ruleset's event schema,
// and LineReader gives the lines of a file, so that a program reads a JSON
// Lines stream as `switchboard run` does.
// The parser is simdjson's On-Demand API; the reader keeps its parser, its
// padded line buffer and its lookup table between lines, so reading does not
// allocate per line once warmed up (except for list and map attributes).
//
// What a line may hold:
//   time      required: an RFC 3339 string, any offset, up to 9 fractional
//             digits ("2026-11-23T19:02:00.125+01:00")
//   type      required: a non-empty string
//   channel, the session key (the ruleset's `session.key`)
//             strings
//   the attributes the ruleset declares under `event:`, by their type:
//     int        a JSON integer (no fraction, no exponent, fits int64)
//     double     any JSON number (an integer is accepted)
//     string     a string;  bool: true or false;  null: null
//     duration   a string in CEL form ("90s", "1h30m", "250ms"); numbers of
//                seconds are NOT accepted, to keep units explicit
//     timestamp  an RFC 3339 string
//     list(string)      an array of strings     -> Event::Kind::kStringList
//     map(string, int)  an object of integers   -> Event::Kind::kIntMap
//     other list(T)     an array of T's JSON form -> Event::Kind::kList
//     map(string, V), map(dyn, V)
//                       an object of V's JSON form -> Event::Kind::kMap
//                       (nested lists and maps included; an element that
//                       does not fit is an error naming the member and the
//                       element's position or key)
//     dyn        null, bool, number (an integer without fraction or exponent
//                is an int, else a double), string, array (kList of dyn),
//                object (kMap of dyn)
//     (a map whose key type is not string or dyn is refused when the
//     ruleset loads: JSON object keys are strings)
//   on agent.* events (these win over declared attributes of the same name):
//     agent (string), skills and capacity (objects of integers -> kIntMap),
//     ready (bool)
//   on route.timeout events: queue (string), waited (duration string)
//   anything else: ignored (its value is still checked to be valid JSON).
//
// Rejected lines (InvalidArgument, the message names the member where there
// is one, never a crash): lines longer than ReaderOptions::max_line_bytes
// (refused before parsing), NUL bytes, invalid UTF-8, malformed JSON, a line
// that is not one JSON object (or has anything after it), values nested
// deeper than ReaderOptions::max_depth, strings longer than
// max_string_bytes, lists and maps of more than max_elements, a missing or
// malformed time or type, a used member of the
// wrong JSON type (null included), integers out of int64 range, numbers out
// of double range, a used member written twice (duplicate keys are an error;
// duplicates of ignored members are not detected), and, with
// ReaderOptions::require_session_key, a non-global event without the session
// key (a string). Blank lines are the caller's to skip (IsBlankLine); given
// one, Next rejects it. A UTF-8 byte order mark at the start of a line is
// ignored (editors write one at the start of a file).
#ifndef SWITCHBOARD_EVENT_READER_H_
#define SWITCHBOARD_EVENT_READER_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "switchboard/compact_event.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"

namespace switchboard {

// Limits on what one line may cost (docs/reliability.md). A line past one is
// rejected with a message naming the limit and, where there is one, the
// member; the caller counts it and goes on.
struct ReaderOptions {
  // Longest line accepted, in bytes (without its newline). Default: 1 MiB.
  size_t max_line_bytes = size_t{1} << 20;
  // Deepest nesting of arrays and objects inside a member's value (ignored
  // members included; the line's own object does not count). Default: 64.
  int max_depth = 64;
  // Longest string read into the event (a string, duration or timestamp
  // attribute, the type, the session key, channel, a list element, a map
  // key), in bytes after unescaping. Default: 64 KiB.
  size_t max_string_bytes = size_t{64} << 10;
  // Most elements of a list attribute, or entries of a map attribute.
  // Default: 1,000.
  size_t max_elements = 1000;
  // Reject a non-global event (IsGlobalEventType) without the session key.
  // Default: true (the engine would reject it too, less precisely).
  bool require_session_key = true;
  // Read plain lines without simdjson: a flat object whose keys and string
  // values hold only printable ASCII without escapes, whose numbers, bools
  // and nulls are plain, and without type-dependent members (agent.* and
  // route.timeout built-ins). Any other line, and any line the fast path
  // would reject, goes through the full parser, so the result (event or
  // error) is the same either way. Default: true (off only for tests).
  bool fast_path = true;
  // `switchboard run --strict-schema`: for an event whose type the ruleset
  // knows (one its rules' `on`, `since` or `unless` match, one an `emit`
  // makes, route.timeout, a queue's ends_on, or a global event), note each
  // member that neither the `event:` schema nor the built-ins declare,
  // with "did you mean" (EventReader::warnings()). The line is still read
  // as without it (docs/semantics.md: undeclared members are ignored). Lines
  // with such members take the full parser. Default: false.
  bool report_unknown_members = false;
};

class EventReader {
 public:
  // A reader for the event schema of `ruleset`, which must outlive the
  // reader (a reader does not follow an Engine::Reload: make a new one for
  // the new ruleset).
  explicit EventReader(const Ruleset& ruleset,
                       const ReaderOptions& options = {});
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Parses `line` (one JSON object, without its newline; a trailing '\r' is
  // fine) into `out`, which is Reset first. On error returns InvalidArgument
  // with a message for a human (no file or line number: the caller adds
  // them), and `out` holds a partial event.
  absl::Status Next(std::string_view line, Event* out);
  // The same into a CompactEvent (compact_event.h), the faster form for
  // Engine::Process: the same event, or the same error, as Next into an
  // Event would give.
  absl::Status Next(std::string_view line, CompactEvent* out);

  // With ReaderOptions::report_unknown_members: after a Next that returned
  // OK, one message per member of the line that the schema does not declare
  // ("member 'cart_valu' is not in the event schema of this ruleset (for
  // 'cart.updated'); did you mean 'cart_value'?"), in line order. Empty
  // otherwise, and for event types the ruleset does not know.
  const std::vector<std::string>& warnings() const;

  // Whether `line` holds only spaces, tabs and '\r'.
  static bool IsBlankLine(std::string_view line);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The lines of a file, read in large chunks: the JSON Lines framing of
// `switchboard run`. Lines end at '\n' (a '\r' before it stays in the line;
// EventReader accepts it); the last line needs no newline. A line longer
// than `max_line_bytes` is not kept: it is skipped up to its newline and
// reported with its length only, so a hostile file cannot make the reader
// hold a huge line.
//
//   switchboard::LineReader lines(stdin);
//   switchboard::LineReader::Line line;
//   while (lines.Next(&line)) { ... line.text ... }
//   if (!lines.status().ok()) { ... a read error ... }
//
// Reads the file's descriptor directly (read(2), up to a megabyte at a
// time), so a line that arrives on a pipe is returned at once, not when a
// megabyte has come; do not read the same FILE through stdio as well.
// A FILE without a descriptor (fmemopen) is read through stdio.
//
// Not thread-safe. Does not own or close the file.
class LineReader {
 public:
  explicit LineReader(std::FILE* file,
                      size_t max_line_bytes = ReaderOptions().max_line_bytes);

  struct Line {
    std::string_view text;  // without the newline; empty when too_long
    size_t length = 0;      // bytes, without the newline
    bool too_long = false;  // longer than max_line_bytes: text is empty
  };

  // The next line, valid until the next call; false at the end of the
  // input or on a read error (status() tells which).
  bool Next(Line* line);

  // OK, or DataLoss naming the system's error when a read failed.
  const absl::Status& status() const { return status_; }

 private:
  bool Finish(const char* begin, size_t n, size_t skipped, Line* line);
  // Up to `room` bytes into `at`; 0 at the end or on an error (status_).
  size_t Read(char* at, size_t room);

  std::FILE* file_;
  size_t max_line_;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  absl::Status status_;
};

// A bad line as `switchboard run` and `serve` report it:
// "SOURCE:LINE: error: MESSAGE", or "LINE: error: MESSAGE" when `source` is
// empty (the lines of an HTTP request), on one line: control characters of
// the message (which may quote the input) are written as \xNN. No newline.
std::string FormatBadLine(std::string_view source, int64_t line,
                          std::string_view message);
// The same with "warning" for "error" (`run --strict-schema`).
std::string FormatLineWarning(std::string_view source, int64_t line,
                              std::string_view message);

}  // namespace switchboard

#endif  // SWITCHBOARD_EVENT_READER_H_
