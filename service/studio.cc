// The studio's back end (studio.h): requests parsed with simdjson's DOM API,
// answers written by a small JSON writer, the work done by the public API
// (LoadRulesetFromTexts, Engine, RulesetDiff).
#include "service/studio.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "fmt/format.h"
#include "service/journal.h"
#include "service/studio_graph.h"
#include "simdjson.h"
#include "switchboard/decision.h"
#include "switchboard/diagnostic.h"
#include "switchboard/diff.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"
#include "switchboard/trace.h"

namespace switchboard::service {
namespace {

// ---- JSON out
// ----------------------------------------------------------------

void AppendString(std::string* out, std::string_view s) {
  AppendJsonString(s, out);  // the project's one JSON string escaper
}

std::string Quote(std::string_view s) {
  std::string out;
  AppendString(&out, s);
  return out;
}

// Members of one object, in order: Add("name", raw JSON value).
class Object {
 public:
  Object& Raw(std::string_view name, std::string_view json) {
    if (body_.size() > 1) body_.push_back(',');
    AppendString(&body_, name);
    body_.push_back(':');
    body_.append(json);
    return *this;
  }
  Object& Str(std::string_view name, std::string_view value) {
    return Raw(name, Quote(value));
  }
  Object& Int(std::string_view name, int64_t value) {
    return Raw(name, std::to_string(value));
  }
  Object& Bool(std::string_view name, bool value) {
    return Raw(name, value ? "true" : "false");
  }
  std::string Take() {
    body_.push_back('}');
    return std::move(body_);
  }

 private:
  std::string body_ = "{";
};

// A JSON array of the given raw values.
std::string Array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(values[i]);
  }
  out.push_back(']');
  return out;
}

StudioAnswer Error(int status, std::string_view message) {
  return {status, Object().Str("error", message).Take()};
}

// The message of `status` (absl::string_view is its own type in Debian's
// Abseil).
std::string_view Message(const absl::Status& status) {
  return std::string_view(status.message().data(), status.message().size());
}

// ---- requests
// ----------------------------------------------------------------

struct Request {
  std::vector<RuleText> files;  // names relative to RULES (checked later)
  // Per file name, the text the page last read from disk or saved ("base",
  // optional): a save refuses a file changed on disk since (by another page
  // or an editor) unless `overwrite`.
  absl::flat_hash_map<std::string, std::string> bases;
  std::optional<std::string> events;
  bool force = false;
  bool overwrite = false;
};

// Parses a request body. Errors: InvalidArgument saying what is wrong.
absl::StatusOr<Request> ParseRequest(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(body);
  if (auto error = parser.parse(padded).get(doc); error) {
    return absl::InvalidArgumentError(fmt::format(
        "the body is not JSON: {}", simdjson::error_message(error)));
  }
  simdjson::dom::object object;
  if (doc.get(object)) {
    return absl::InvalidArgumentError("the body is not a JSON object");
  }
  Request request;
  simdjson::dom::array files;
  if (object["files"].get(files)) {
    return absl::InvalidArgumentError("the body has no \"files\" list");
  }
  for (simdjson::dom::element f : files) {
    std::string_view name, text;
    if (f["name"].get(name) || f["text"].get(text)) {
      return absl::InvalidArgumentError(
          "each of \"files\" needs a \"name\" and a \"text\" (strings)");
    }
    request.files.push_back({std::string(name), std::string(text)});
    simdjson::dom::element base;
    if (!f["base"].get(base) && !base.is_null()) {
      std::string_view base_text;
      if (base.get(base_text)) {
        return absl::InvalidArgumentError("a file's \"base\" is not a string");
      }
      request.bases[std::string(name)] = std::string(base_text);
    }
  }
  simdjson::dom::element events;
  if (!object["events"].get(events) && !events.is_null()) {
    std::string_view text;
    if (events.get(text)) {
      return absl::InvalidArgumentError("\"events\" is not a string");
    }
    request.events = std::string(text);
  }
  for (auto [key, flag] : {std::pair{"force", &request.force},
                           std::pair{"overwrite", &request.overwrite}}) {
    simdjson::dom::element value;
    if (!object[key].get(value) && !value.is_null() && value.get(*flag)) {
      return absl::InvalidArgumentError(
          fmt::format("\"{}\" is not true or false", key));
    }
  }
  return request;
}

// ---- diagnostics
// -------------------------------------------------------------

// "unknown key 'priorty'; did you mean 'priority'?" -> the message before
// the first "; " and the hint after it (every diagnostic writes its hint
// so).
std::pair<std::string_view, std::string_view> SplitHint(std::string_view m) {
  const size_t at = m.find("; ");
  if (at == std::string_view::npos) return {m, {}};
  return {m.substr(0, at), m.substr(at + 2)};
}

// Reads a whole file, refusing more than `limit` bytes.
absl::Status ReadFileBounded(const std::string& path, int64_t limit,
                             std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  }
  out->clear();
  char buffer[65536];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    out->append(buffer, static_cast<size_t>(in.gcount()));
    if (static_cast<int64_t>(out->size()) > limit) {
      return absl::ResourceExhaustedError(
          fmt::format("'{}' is larger than {} bytes", path, limit));
    }
  }
  if (in.bad()) {
    return absl::DataLossError(fmt::format("error reading '{}'", path));
  }
  return absl::OkStatus();
}

// The folder that holds `path` ("." for a bare file name).
std::string ParentDir(const std::string& path) {
  const std::filesystem::path target(path);
  return target.has_parent_path() ? target.parent_path().string() : ".";
}

// Writes `bytes` to a new temporary file beside `path` (with the mode of
// the file it will replace), synced; returns its name. Nothing is left
// behind on an error.
absl::StatusOr<std::string> WriteBeside(const std::string& path,
                                        std::string_view bytes) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string dir = ParentDir(path);
  std::string tmp =
      (fs::path(dir) / ("." + target.filename().string() + ".studio-XXXXXX"))
          .string();
  const int fd = mkstemp(tmp.data());
  if (fd < 0) {
    return absl::InternalError(
        fmt::format("cannot create a file beside '{}': "
                    "{}",
                    path, std::strerror(errno)));
  }
  struct stat st;
  mode_t mode = 0644;
  if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;
  int err = ::fchmod(fd, mode) == 0 ? 0 : errno;
  for (size_t at = 0; err == 0 && at < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    at += static_cast<size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(
        fmt::format("cannot write '{}': {}", path, std::strerror(err)));
  }
  return tmp;
}

// ---- events
// ------------------------------------------------------------------

// Calls `fn(line_number, line)` for each line of the events: the request's
// text, or the file at `path`. Errors: the file cannot be opened or read.
template <typename Fn>
absl::Status ForEachLine(const std::optional<std::string>& text,
                         const std::string& path, Fn fn) {
  if (text.has_value()) {
    const std::string_view body = *text;
    int64_t number = 0;
    for (size_t at = 0; at < body.size();) {
      size_t end = body.find('\n', at);
      if (end == std::string_view::npos) end = body.size();
      fn(++number, body.substr(at, end - at), false, end - at);
      at = end + 1;
    }
    return absl::OkStatus();
  }
  if (path.empty()) return absl::OkStatus();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
      std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    return absl::NotFoundError(fmt::format("cannot read events file '{}': {}",
                                           path, std::strerror(errno)));
  }
  LineReader lines(file.get());
  LineReader::Line line;
  int64_t number = 0;
  while (lines.Next(&line)) fn(++number, line.text, line.too_long, line.length);
  return lines.status();
}

// Collects a run: its decisions (up to `max_decisions`), the trace record of
// each trigger that made one of them (up to `max_traces`; a decision names
// its record by index), and the first messages of each rule's evaluation
// errors, from every trigger the engine evaluated, decided or not (the trace
// lists every rule a trigger considered). The engine delivers a trigger's
// decisions first and its trace record after them.
class CollectRun : public DecisionSink, public TraceSink {
 public:
  CollectRun(int64_t max_decisions, int64_t max_traces)
      : max_decisions_(max_decisions), max_traces_(max_traces) {}

  void OnDecision(const Decision& decision) override {
    if (static_cast<int64_t>(decisions_.size()) >= max_decisions_) {
      truncated_ = true;
      return;
    }
    std::string text = decision.ToText();
    text.resize(std::min(text.size(), text.find('\n')));
    decisions_.push_back({decision.ToJson(), std::move(text), -1});
    ++unclaimed_;
  }

  void OnTrigger(const TriggerTrace& trace) override {
    for (const Explanation::RuleOutcome& r : trace.explanation->rules) {
      if (r.outcome != "error") continue;
      std::vector<std::string>& messages = errors_[r.rule];
      if (messages.size() < kMaxMessages &&
          std::find(messages.begin(), messages.end(), r.detail) ==
              messages.end()) {
        messages.push_back(r.detail);
      }
    }
    if (unclaimed_ == 0) return;
    if (static_cast<int64_t>(traces_.size()) < max_traces_) {
      const int64_t index = static_cast<int64_t>(traces_.size());
      traces_.push_back(trace.ToJson());
      for (size_t i = decisions_.size() - unclaimed_; i < decisions_.size();
           ++i) {
        decisions_[i].trace = index;
      }
    } else {
      traces_truncated_ = true;
    }
    unclaimed_ = 0;
  }

  // [{"decision":D,"text":T,"trace":I or null},...]
  std::string DecisionsJson() const {
    std::vector<std::string> out;
    out.reserve(decisions_.size());
    for (const Kept& d : decisions_) {
      out.push_back(Object()
                        .Raw("decision", d.json)
                        .Str("text", d.text)
                        .Raw("trace", d.trace < 0 ? std::string("null")
                                                  : std::to_string(d.trace))
                        .Take());
    }
    return Array(out);
  }
  const std::vector<std::string>& traces() const { return traces_; }
  bool truncated() const { return truncated_; }
  bool traces_truncated() const { return traces_truncated_; }
  const std::vector<std::string>* errors(const std::string& rule) const {
    auto it = errors_.find(rule);
    return it == errors_.end() ? nullptr : &it->second;
  }

 private:
  struct Kept {
    std::string json;
    std::string text;
    int64_t trace;  // index into traces_, or -1
  };
  static constexpr size_t kMaxMessages = 5;
  const int64_t max_decisions_;
  const int64_t max_traces_;
  std::vector<Kept> decisions_;
  size_t unclaimed_ = 0;  // kept decisions of the trigger under way
  std::vector<std::string> traces_;
  bool truncated_ = false;
  bool traces_truncated_ = false;
  absl::flat_hash_map<std::string, std::vector<std::string>> errors_;
};

// Collects a diff's differences.
class CollectDiff : public DiffSink {
 public:
  explicit CollectDiff(int64_t max) : max_(max) {}
  void OnDifference(const DecisionDifference& d) override {
    if (static_cast<int64_t>(differences_.size()) >= max_) {
      truncated_ = true;
      return;
    }
    const DiffDecision& any = d.any();
    Object o;
    o.Str("change", d.kind_name())
        .Str("session", any.session)
        .Str("time", FormatTimestamp(any.time))
        .Str("trigger", any.trigger)
        .Str("action", any.action)
        .Str("rule", any.rule);
    if (d.old_decision.has_value()) o.Raw("old", d.old_decision->json);
    if (d.new_decision.has_value()) o.Raw("new", d.new_decision->json);
    o.Str("text", d.ToText());
    differences_.push_back(o.Take());
  }
  const std::vector<std::string>& differences() const { return differences_; }
  bool truncated() const { return truncated_; }

 private:
  const int64_t max_;
  std::vector<std::string> differences_;
  bool truncated_ = false;
};

std::string CountsJson(const DiffCounts& c) {
  return Object()
      .Int("old_decisions", c.old_decisions)
      .Int("new_decisions", c.new_decisions)
      .Int("unchanged", c.unchanged)
      .Int("changed", c.changed)
      .Int("removed", c.removed)
      .Int("added", c.added)
      .Take();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Studio>> Studio::Create(
    const StudioOptions& options) {
  absl::StatusOr<std::vector<std::string>> paths = RuleFilePaths(options.rules);
  if (!paths.ok()) return paths.status();
  auto studio = std::unique_ptr<Studio>(new Studio(options));
  std::error_code ec;
  studio->folder_ = std::filesystem::is_directory(options.rules, ec);
  for (const std::string& path : *paths) {
    studio->files_.push_back(
        {std::filesystem::path(path).filename().string(), path});
  }
  if (!options.events.empty()) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
        std::fopen(options.events.c_str(), "rb"), &std::fclose);
    if (file == nullptr) {
      return absl::NotFoundError(fmt::format("cannot read events file '{}': {}",
                                             options.events,
                                             std::strerror(errno)));
    }
  }
  return studio;
}

std::vector<std::pair<std::string, std::string>> Studio::Known() const {
  std::vector<std::pair<std::string, std::string>> known;
  for (const File& f : files_) known.emplace_back(f.name, f.path);
  return known;
}

StudioAnswer Studio::State() const {
  std::vector<std::string> files;
  for (const File& f : files_) {
    std::string text;
    absl::Status read =
        ReadFileBounded(f.path, LoadOptions().max_file_size, &text);
    if (!read.ok()) return Error(500, Message(read));
    files.push_back(Object()
                        .Str("name", f.name)
                        .Str("path", f.path)
                        .Str("text", text)
                        .Take());
  }
  Object o;
  o.Str("rules", options_.rules).Bool("folder", folder_);
  if (options_.events.empty()) {
    o.Raw("events", "null");
  } else {
    o.Str("events", options_.events);
  }
  return {200, o.Raw("files", Array(files)).Take()};
}

namespace {

// The request's files in load order, named as LoadRuleset(RULES) names
// them; `names` maps those names back to the request's.
struct EditedRules {
  std::vector<RuleText> texts;
  absl::flat_hash_map<std::string, std::string> names;
};

// Checks the request's files against `known` (name relative to RULES,
// loader's name) and puts them in load order; or the answer refusing them:
// 403 for a name that is not a rule file of RULES, 400 for a file given
// twice or missing.
std::optional<StudioAnswer> Resolve(
    const std::vector<std::pair<std::string, std::string>>& known,
    std::vector<RuleText> files, EditedRules* out) {
  absl::flat_hash_map<std::string, size_t> index;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& name = files[i].name;
    bool found = false;
    for (const auto& [k, path] : known) found = found || k == name;
    if (!found) {
      return Error(403, fmt::format("'{}' is not a rule file of the ruleset "
                                    "(names are relative to RULES; paths "
                                    "outside it are refused)",
                                    name));
    }
    if (!index.emplace(name, i).second) {
      return Error(400, fmt::format("'{}' is given twice", name));
    }
  }
  for (const auto& [name, path] : known) {
    auto it = index.find(name);
    if (it == index.end()) {
      return Error(400, fmt::format("the request has no text for '{}': send "
                                    "every rule file of the ruleset",
                                    name));
    }
    out->texts.push_back({path, std::move(files[it->second].text)});
    out->names[path] = name;
  }
  return std::nullopt;
}

std::string DiagnosticsJson(
    const std::vector<Diagnostic>& diagnostics,
    const absl::flat_hash_map<std::string, std::string>& names) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) {
    const auto [message, hint] = SplitHint(d.message);
    auto it = names.find(d.file);
    Object o;
    o.Str("file", d.file)
        .Str("name", it == names.end() ? std::string_view() : it->second)
        .Int("line", d.line)
        .Int("column", d.column)
        .Str("severity", d.is_error() ? "error" : "warning")
        .Str("message", message)
        .Str("hint", hint)
        .Str("source_line", d.source_line)
        .Int("caret", d.column > 0
                          ? std::max(0, d.column - 1 - d.source_line_shift)
                          : -1)
        .Str("text", FormatDiagnostic(d));
    out.push_back(o.Take());
  }
  return Array(out);
}

// A request parsed, its files resolved against RULES (`known`) and loaded;
// or `refused`, the answer that turns it down (400, 403).
struct EditedRequest {
  Request request;
  EditedRules edited;
  std::optional<LoadResult> result;  // set unless refused
  std::optional<StudioAnswer> refused;
};

EditedRequest LoadRequest(
    std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& known) {
  EditedRequest r;
  absl::StatusOr<Request> request = ParseRequest(body);
  if (!request.ok()) {
    r.refused = Error(400, Message(request.status()));
    return r;
  }
  r.request = *std::move(request);
  r.refused = Resolve(known, std::move(r.request.files), &r.edited);
  if (!r.refused.has_value()) r.result = LoadRulesetFromTexts(r.edited.texts);
  return r;
}

// 422: the edited ruleset does not load, with its diagnostics.
StudioAnswer EditedHasErrors(const LoadResult& result,
                             const EditedRules& edited) {
  return {422, Object()
                   .Bool("ok", false)
                   .Str("error", "the edited ruleset has errors")
                   .Raw("diagnostics",
                        DiagnosticsJson(result.diagnostics(), edited.names))
                   .Take()};
}

}  // namespace

StudioAnswer Studio::Check(std::string_view body) const {
  EditedRequest r = LoadRequest(body, Known());
  if (r.refused.has_value()) return *std::move(r.refused);
  const LoadResult& result = *r.result;
  const EditedRules& edited = r.edited;
  Object o;
  o.Bool("ok", result.ok())
      .Int("errors", result.error_count())
      .Int("warnings", result.warning_count());
  if (result.ok()) {
    const Ruleset& r = *result.ruleset();
    std::vector<std::string> rules;
    for (int i = 0; i < r.rule_count(); ++i) {
      rules.push_back(Quote(r.rule_name(i)));
    }
    o.Str("ruleset", r.name())
        .Raw("rules", Array(rules))
        .Int("triggers", r.trigger_count())
        .Int("fields", r.field_count());
  } else {
    o.Raw("ruleset", "null").Raw("rules", "[]");
  }
  o.Raw("diagnostics", DiagnosticsJson(result.diagnostics(), edited.names));
  return {200, o.Take()};
}

StudioAnswer Studio::Graph(std::string_view body) const {
  EditedRequest request = LoadRequest(body, Known());
  if (request.refused.has_value()) return *std::move(request.refused);
  const LoadResult& result = *request.result;
  if (!result.ok()) {
    return {200, Object()
                     .Bool("ok", false)
                     .Str("svg", "")
                     .Int("rules", 0)
                     .Int("errors", result.error_count())
                     .Take()};
  }
  const Ruleset& r = *result.ruleset();
  return {200, Object()
                   .Bool("ok", true)
                   .Str("svg", RuleGraphSvg(r.Graph(), r.name()))
                   .Int("rules", r.rule_count())
                   .Take()};
}

StudioAnswer Studio::Run(std::string_view body) const {
  EditedRequest r = LoadRequest(body, Known());
  if (r.refused.has_value()) return *std::move(r.refused);
  const LoadResult& result = *r.result;
  const EditedRules& edited = r.edited;
  if (!result.ok()) return EditedHasErrors(result, edited);
  EngineOptions engine_options;
  engine_options.explain = true;
  CollectRun sink(options_.max_decisions, options_.max_traces);
  engine_options.trace = &sink;
  absl::StatusOr<std::unique_ptr<Engine>> created =
      Engine::Create(result.ruleset(), engine_options);
  if (!created.ok()) return Error(500, Message(created.status()));
  Engine& engine = **created;
  EventReader reader(*result.ruleset());
  const std::string source =
      r.request.events.has_value() ? std::string("pasted") : options_.events;
  std::vector<std::string> bad_lines;
  int64_t bad = 0;
  const auto bad_line = [&](int64_t number, std::string_view message) {
    ++bad;
    if (static_cast<int64_t>(bad_lines.size()) < options_.max_bad_lines) {
      bad_lines.push_back(Quote(FormatBadLine(source, number, message)));
    }
  };
  Event event;
  int64_t lines = 0;
  const absl::Status read = ForEachLine(
      r.request.events, options_.events,
      [&](int64_t number, std::string_view line, bool too_long, size_t length) {
        lines = number;
        if (too_long) {
          bad_line(number, fmt::format("line too long: {} bytes", length));
        } else if (EventReader::IsBlankLine(line)) {
          return;
        } else if (absl::Status s = reader.Next(line, &event); !s.ok()) {
          bad_line(number, Message(s));
        } else if (absl::Status p = engine.Process(event, &sink); !p.ok()) {
          bad_line(number, Message(p));
        }
      });
  if (!read.ok()) return Error(500, Message(read));

  const EngineStats& stats = engine.stats();
  const Ruleset& ruleset = engine.ruleset();
  std::vector<std::string> per_rule;
  for (const auto& [key, count] : stats.decisions_by_rule_action) {
    per_rule.push_back(Object()
                           .Str("rule", key.first)
                           .Str("action", key.second)
                           .Int("decisions", count)
                           .Take());
  }
  std::vector<std::string> never, errors;
  int64_t error_total = 0;
  for (int r = 0; r < ruleset.rule_count(); ++r) {
    const std::string& name = ruleset.rule_name(r);
    if (r < static_cast<int>(stats.rule_runs.size()) &&
        stats.rule_runs[r] == 0) {
      never.push_back(Quote(name));
    }
    const int64_t n = r < static_cast<int>(stats.rule_errors.size())
                          ? stats.rule_errors[r]
                          : 0;
    if (n == 0) continue;
    error_total += n;
    std::vector<std::string> messages;
    if (const std::vector<std::string>* m = sink.errors(name)) {
      for (const std::string& text : *m) messages.push_back(Quote(text));
    }
    errors.push_back(Object()
                         .Str("rule", name)
                         .Int("count", n)
                         .Raw("messages", Array(messages))
                         .Take());
  }
  const std::string summary =
      Object()
          .Str("ruleset", ruleset.name())
          .Int("lines", lines)
          .Int("events", stats.events)
          .Int("late_events", stats.late_events)
          .Int("derived_events", stats.derived_events)
          .Int("bad_lines", bad)
          .Int("decisions", stats.decisions)
          .Raw("decisions_by_rule", Array(per_rule))
          .Int("evaluation_errors", error_total)
          .Raw("errors_by_rule", Array(errors))
          .Raw("never_ran", Array(never))
          .Int("deflects_without_channel", stats.deflects_without_channel)
          .Int("pending_timers", engine.PendingTimerCount())
          .Int("sessions", engine.session_count())
          .Str("clock", engine.now() == absl::InfinitePast()
                            ? std::string()
                            : FormatTimestamp(engine.now()))
          .Take();
  Object o;
  o.Bool("ok", true);
  if (r.request.events.has_value()) {
    o.Str("events_source", "pasted");
  } else if (options_.events.empty()) {
    o.Raw("events_source", "null");
  } else {
    o.Str("events_source", options_.events);
  }
  return {200, o.Raw("decisions", sink.DecisionsJson())
                   .Bool("truncated", sink.truncated())
                   .Raw("summary", summary)
                   .Raw("bad_lines", Array(bad_lines))
                   .Raw("trace", Array(sink.traces()))
                   .Bool("trace_truncated", sink.traces_truncated())
                   .Take()};
}

StudioAnswer Studio::Diff(std::string_view body) const {
  EditedRequest r = LoadRequest(body, Known());
  if (r.refused.has_value()) return *std::move(r.refused);
  const LoadResult& edited_rules = *r.result;
  const EditedRules& edited = r.edited;
  const LoadResult disk_rules = LoadRuleset(options_.rules);
  if (!edited_rules.ok() || !disk_rules.ok()) {
    const bool disk_bad = !disk_rules.ok();
    return {422, Object()
                     .Bool("ok", false)
                     .Str("error", disk_bad ? "the ruleset on disk has errors"
                                            : "the edited ruleset has errors")
                     .Raw("diagnostics",
                          DiagnosticsJson(disk_bad ? disk_rules.diagnostics()
                                                   : edited_rules.diagnostics(),
                                          edited.names))
                     .Take()};
  }
  absl::StatusOr<std::unique_ptr<RulesetDiff>> created =
      RulesetDiff::Create(disk_rules.ruleset(), edited_rules.ruleset());
  if (!created.ok()) return Error(500, Message(created.status()));
  RulesetDiff& diff = **created;
  CollectDiff sink(options_.max_differences);
  const absl::Status read =
      ForEachLine(r.request.events, options_.events,
                  [&](int64_t, std::string_view line, bool too_long, size_t) {
                    if (too_long || EventReader::IsBlankLine(line)) return;
                    diff.ProcessLine(line, &sink);
                  });
  if (!read.ok()) return Error(500, Message(read));
  diff.Finish(&sink);
  const DiffStats& stats = diff.stats();
  std::vector<std::string> rules;
  for (const RuleDiffCounts& r : stats.rules) {
    rules.push_back(Object()
                        .Str("rule", r.rule)
                        .Raw("counts", CountsJson(r.counts))
                        .Take());
  }
  return {200, Object()
                   .Bool("ok", true)
                   .Bool("identical", stats.identical())
                   .Int("events", stats.events)
                   .Int("old_rejected", stats.old_rejected)
                   .Int("new_rejected", stats.new_rejected)
                   .Raw("total", CountsJson(stats.total))
                   .Raw("rules", Array(rules))
                   .Raw("differences", Array(sink.differences()))
                   .Bool("truncated", sink.truncated())
                   .Take()};
}

StudioAnswer Studio::Save(std::string_view body) {
  EditedRequest r = LoadRequest(body, Known());
  if (r.refused.has_value()) return *std::move(r.refused);
  const LoadResult& result = *r.result;
  EditedRules& edited = r.edited;
  const bool force = r.request.force;
  if (!result.ok() && !force) {
    return {422,
            Object()
                .Bool("ok", false)
                .Str("error",
                     fmt::format(
                         "not saved: the ruleset has {}; save anyway "
                         "with \"force\"",
                         result.error_count() == 1
                             ? std::string("1 error")
                             : fmt::format("{} errors", result.error_count())))
                .Raw("diagnostics",
                     DiagnosticsJson(result.diagnostics(), edited.names))
                .Take()};
  }
  absl::MutexLock lock(&save_mu_);
  // Every target first: a rule file of RULES that is a regular file, not a
  // symbolic link (which could lead out of RULES).
  for (const RuleText& t : edited.texts) {
    struct stat st;
    if (::lstat(t.name.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return Error(403, fmt::format("'{}' is not a regular file under RULES "
                                    "(a symbolic link, or gone): not saved",
                                    t.name));
    }
  }
  // What to write: the files whose text differs from the disk's. A file
  // changed on disk since the page read it (its "base") is a conflict.
  struct Write {
    const RuleText* text;
    std::string name;  // as the page names it
    std::string temp;  // the new text, beside the file, once written
  };
  std::vector<Write> writes;
  std::vector<std::string> unchanged, conflicts;
  for (const RuleText& t : edited.texts) {
    const std::string& name = edited.names[t.name];
    std::string current;
    const bool read =
        ReadFileBounded(t.name, LoadOptions().max_file_size, &current).ok();
    if (read && current == t.text) {
      unchanged.push_back(Quote(name));
      continue;
    }
    auto base = r.request.bases.find(name);
    if (read && base != r.request.bases.end() && base->second != current &&
        !r.request.overwrite) {
      conflicts.push_back(name);
    }
    writes.push_back({&t, name, std::string()});
  }
  if (!conflicts.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& c : conflicts) quoted.push_back(Quote(c));
    return {409,
            Object()
                .Bool("ok", false)
                .Str("error", fmt::format("not saved: {} changed on disk since "
                                          "this page read it; reload, or "
                                          "save with \"overwrite\"",
                                          absl::StrJoin(conflicts, ", ")))
                .Raw("conflicts", Array(quoted))
                .Take()};
  }
  // All or nothing as far as the file system allows: every new text is
  // written and synced beside its file first (a full disk changes
  // nothing), then each is renamed over its file.
  const auto discard = [&writes](size_t from) {
    for (size_t k = from; k < writes.size(); ++k) {
      if (!writes[k].temp.empty()) ::unlink(writes[k].temp.c_str());
    }
  };
  for (Write& w : writes) {
    absl::StatusOr<std::string> temp = WriteBeside(w.text->name, w.text->text);
    if (!temp.ok()) {
      discard(0);
      return Error(500,
                   fmt::format("nothing saved: {}", Message(temp.status())));
    }
    w.temp = *std::move(temp);
  }
  std::vector<std::string> saved, dirs;
  for (size_t k = 0; k < writes.size(); ++k) {
    const Write& w = writes[k];
    if (::rename(w.temp.c_str(), w.text->name.c_str()) != 0) {
      const int err = errno;
      discard(k);
      return {500,
              Object()
                  .Str("error", fmt::format("cannot replace '{}': {}; "
                                            "the files before it were "
                                            "saved",
                                            w.text->name, std::strerror(err)))
                  .Raw("saved", Array(saved))
                  .Take()};
    }
    saved.push_back(Quote(w.name));
    const std::string dir = ParentDir(w.text->name);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
      dirs.push_back(dir);
    }
  }
  for (const std::string& dir : dirs) {
    if (absl::Status st = SyncDir(dir); !st.ok()) {
      return Error(500, Message(st));
    }
  }
  return {200, Object()
                   .Bool("ok", true)
                   .Bool("forced", !result.ok())
                   .Raw("saved", Array(saved))
                   .Raw("unchanged", Array(unchanged))
                   .Take()};
}

}  // namespace switchboard::service
