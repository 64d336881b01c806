// The shared pieces of the commands (cli.h).
#include "tools/switchboard/cli.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "switchboard/diagnostic.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"

namespace switchboard::cli {

bool Output::Flush() {
  if (failed_) {
    buffer_.clear();
    return false;
  }
  if (!buffer_.empty()) {
    const size_t wrote = std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
    if (wrote != buffer_.size()) {
      failed_ = true;
      error_ = std::strerror(errno);
    }
    buffer_.clear();
  }
  if (!failed_ && std::fflush(file_) != 0) {
    failed_ = true;
    error_ = std::strerror(errno);
  }
  return !failed_;
}

const Command* FindCommand(std::string_view name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

int UsageError(std::string_view command, std::string_view message) {
  const Command* c = command.empty() ? nullptr : FindCommand(command);
  if (c != nullptr) {
    fmt::print(stderr,
               "switchboard: {}: {}\nusage: switchboard {}\n"
               "Run 'switchboard help {}' for the details.\n",
               command, message, c->synopsis, command);
  } else {
    fmt::print(stderr,
               "switchboard: {}\nRun 'switchboard help' for the commands.\n",
               message);
  }
  return kExitUsage;
}

int PrintHelp(std::string_view command, Output& out) {
  const Command* c = FindCommand(command);
  if (c == nullptr) return UsageError("", "no such command");
  out.Print("usage: switchboard {}\n\n{}\n", c->synopsis, c->summary);
  if (!c->help.empty()) out.Print("\n{}", c->help);
  return kExitOk;
}

std::optional<int> Flags::Parse(const std::vector<std::string>& args,
                                std::vector<std::string>* positional,
                                Output& out) {
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg == "-" || arg.empty() || arg[0] != '-') {
      positional->push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") return PrintHelp(command_, out);
    const size_t eq = arg.find('=');
    const std::string_view name = std::string_view(arg).substr(
        0, eq == std::string::npos ? arg.size() : eq);
    const Spec* spec = nullptr;
    for (const Spec& s : specs_) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      std::vector<std::string> names = {"--help"};
      for (const Spec& s : specs_) names.emplace_back(s.name);
      const std::string nearest = NearestName(name, names);
      return UsageError(command_,
                        nearest.empty()
                            ? fmt::format("unknown option '{}'", name)
                            : fmt::format("unknown option '{}'; did you mean "
                                          "'{}'?",
                                          name, nearest));
    }
    if (spec->kind == Spec::kSwitch) {
      if (eq != std::string::npos) {
        return UsageError(command_,
                          fmt::format("{} takes no value", spec->name));
      }
      *spec->on = true;
      continue;
    }
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return UsageError(command_, fmt::format("{} needs a value", spec->name));
    }
    if (spec->kind == Spec::kRepeated) {
      spec->values->push_back(std::move(value));
    } else if (spec->value->has_value()) {
      return UsageError(command_, fmt::format("{} given twice", spec->name));
    } else {
      *spec->value = std::move(value);
    }
  }
  return std::nullopt;
}

std::optional<int> RequireOneRuleset(std::string_view command,
                                     const std::vector<std::string>& paths) {
  if (paths.size() == 1) return std::nullopt;
  return UsageError(command,
                    paths.empty()
                        ? std::string("missing RULES")
                        : fmt::format("give one ruleset (a file or a folder), "
                                      "not {}",
                                      paths.size()));
}

std::shared_ptr<const Ruleset> LoadOrReport(const std::string& path) {
  LoadResult result;
  if (path == "-") {
    std::string text;
    const uint64_t limit = static_cast<uint64_t>(LoadOptions().max_file_size);
    if (absl::Status read = ReadAll(stdin, limit, &text); !read.ok()) {
      fmt::print(stderr, "switchboard: cannot read the ruleset from {}: {}\n",
                 kStdinName, Message(read));
      return nullptr;
    }
    result = LoadRulesetFromString(text, std::string(kStdinName));
  } else {
    result = LoadRuleset(path);
  }
  std::fputs(FormatDiagnostics(result.diagnostics()).c_str(), stderr);
  if (!result.ok()) {
    fmt::print(stderr, "{}, {}\n", Plural(result.error_count(), "error"),
               Plural(result.warning_count(), "warning"));
    return nullptr;
  }
  return result.ruleset();
}

absl::Status ReadAll(std::FILE* file, uint64_t limit, std::string* out) {
  out->clear();
  const auto too_large = [&] {
    return absl::ResourceExhaustedError(fmt::format(
        "larger than the limit of {} bytes for a file read whole", limit));
  };
  struct stat st;
  if (fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode)) {
    if (static_cast<uint64_t>(st.st_size) > limit) return too_large();
    out->reserve(static_cast<size_t>(st.st_size));
  }
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    if (out->size() + n > limit) {
      out->clear();
      return too_large();
    }
    out->append(buffer, n);
  }
  if (std::ferror(file)) {
    return absl::DataLossError(
        fmt::format("read error: {}", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status ReadWholeFile(const std::string& path, uint64_t limit,
                           std::string* out) {
  out->clear();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(
      std::fopen(path.c_str(), "rb"), &std::fclose);
  if (f == nullptr) {
    const int error = errno;
    const std::string message = std::strerror(error);
    return error == ENOENT ? absl::NotFoundError(message)
                           : absl::PermissionDeniedError(message);
  }
  return ReadAll(f.get(), limit, out);
}

std::optional<int> ParseFormat(std::string_view command,
                               const std::optional<std::string>& value,
                               bool* text) {
  *text = false;
  if (!value.has_value() || *value == "json") return std::nullopt;
  if (*value == "text") {
    *text = true;
    return std::nullopt;
  }
  return UsageError(
      command, fmt::format("--format takes json or text, not '{}'", *value));
}

absl::StatusOr<EventsFile> OpenEvents(const std::string& path) {
  EventsFile events;
  if (path == "-") {
    events.name = std::string(kStdinName);
    events.file = stdin;
    return events;
  }
  events.name = path;
  events.file = std::fopen(path.c_str(), "rb");
  if (events.file == nullptr) {
    return absl::NotFoundError(fmt::format("cannot read events file '{}': {}",
                                           path, std::strerror(errno)));
  }
  events.owned.reset(events.file);
  return events;
}

std::FILE* OpenTraceFile(const std::string& path, FilePtr* owned) {
  if (path == "-") return stderr;
  owned->reset(std::fopen(path.c_str(), "w"));
  if (*owned == nullptr) {
    fmt::print(stderr, "switchboard: cannot write the trace '{}': {}\n", path,
               std::strerror(errno));
  }
  return owned->get();
}

absl::Status WriteFileAtomically(const std::string& path,
                                 std::string_view bytes) {
  const std::string temp = path + ".tmp";
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        fmt::format("cannot create '{}': {}", temp, std::strerror(errno)));
  }
  const auto fail = [&](std::string_view step) {
    const std::string message =
        fmt::format("cannot {} '{}': {}", step, temp, std::strerror(errno));
    ::close(fd);
    ::unlink(temp.c_str());
    return absl::DataLossError(message);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("sync");
  if (::close(fd) != 0) {
    ::unlink(temp.c_str());
    return absl::DataLossError(
        fmt::format("cannot close '{}': {}", temp, std::strerror(errno)));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string message = fmt::format("cannot rename '{}' to '{}': {}",
                                            temp, path, std::strerror(errno));
    ::unlink(temp.c_str());
    return absl::DataLossError(message);
  }
  return absl::OkStatus();
}

bool ParsePositiveDuration(std::string_view text, absl::Duration* out) {
  const bool bare = !text.empty() &&
                    text.find_first_not_of("0123456789.") == std::string::npos;
  absl::StatusOr<absl::Duration> d =
      ParseDuration(bare ? std::string(text) + "s" : std::string(text));
  if (!d.ok() || *d <= absl::ZeroDuration()) return false;
  *out = *d;
  return true;
}

std::optional<int> ParseNameValues(
    std::string_view command, std::string_view flag,
    const std::vector<std::string>& texts,
    std::vector<std::pair<std::string, std::string>>* out) {
  for (const std::string& text : texts) {
    const size_t eq = text.find('=');
    if (eq == 0 || eq == std::string::npos) {
      return UsageError(
          command, fmt::format("{} takes NAME=VALUE, got '{}'", flag, text));
    }
    out->emplace_back(text.substr(0, eq), text.substr(eq + 1));
  }
  return std::nullopt;
}

std::string Plural(int64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

}  // namespace switchboard::cli
