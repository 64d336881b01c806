// The public loading API (include/switchboard/ruleset.h): reads files or a
// folder, runs the stages before the engine (ParseRuleFile, CheckRuleset,
// RulesetPlan) and wraps the result; and the Ruleset itself, whose
// representation is private to the library (ruleset_access.h).
#include "switchboard/ruleset.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <utility>

#include "engine/check/checked_ruleset.h"
#include "engine/check/checker.h"
#include "engine/check/rule_env.h"
#include "engine/check/rule_graph.h"
#include "engine/load/rule_file.h"
#include "engine/plan/ruleset_access.h"
#include "engine/plan/ruleset_plan.h"
#include "switchboard/event.h"

namespace switchboard {

using ::switchboard::check::BuildRuleGraph;
using ::switchboard::check::CheckedRuleset;
using ::switchboard::check::CheckOptions;
using ::switchboard::check::CheckRuleset;
using ::switchboard::check::IsGlobalEventType;
using ::switchboard::check::RuleGraphDot;
using ::switchboard::load::ParseRuleFile;
using ::switchboard::load::RuleFile;
using ::switchboard::load::YamlLimits;

// ---- Ruleset ---------------------------------------------------------------

struct Ruleset::Rep {
  Rep(std::shared_ptr<const CheckedRuleset> checked_in,
      std::vector<Diagnostic> warnings_in)
      : checked(std::move(checked_in)),
        plan(*checked),
        warnings(std::move(warnings_in)) {}

  std::shared_ptr<const CheckedRuleset> checked;  // non-null
  plan::RulesetPlan plan;                         // of *checked
  std::vector<Diagnostic> warnings;
};

Ruleset::Ruleset(std::unique_ptr<const Rep> rep) : rep_(std::move(rep)) {}

Ruleset::~Ruleset() = default;

const std::string& Ruleset::name() const { return rep_->checked->name; }
int Ruleset::rule_count() const {
  return static_cast<int>(rep_->checked->rules.size());
}
const std::string& Ruleset::rule_name(int index) const {
  return rep_->checked->rules[index].name;
}
const std::string& Ruleset::session_key() const {
  return rep_->checked->session.key;
}
int Ruleset::queue_count() const {
  return static_cast<int>(rep_->checked->queues.size());
}
int Ruleset::trigger_count() const { return rep_->checked->trigger_count; }
int Ruleset::field_count() const {
  return static_cast<int>(rep_->checked->session.fields.size());
}
const std::vector<std::string>& Ruleset::files() const {
  return rep_->checked->files;
}
const std::vector<Diagnostic>& Ruleset::warnings() const {
  return rep_->warnings;
}
std::string Ruleset::GraphDot() const { return RuleGraphDot(*rep_->checked); }
RuleGraph Ruleset::Graph() const { return BuildRuleGraph(*rep_->checked); }

bool IsGlobalEvent(std::string_view type) { return IsGlobalEventType(type); }

namespace plan {

std::shared_ptr<const Ruleset> RulesetAccess::Make(
    std::shared_ptr<const CheckedRuleset> checked,
    std::vector<Diagnostic> warnings) {
  auto rep = std::make_unique<const Ruleset::Rep>(std::move(checked),
                                                  std::move(warnings));
  return std::shared_ptr<const Ruleset>(new Ruleset(std::move(rep)));
}

const CheckedRuleset& RulesetAccess::Checked(const Ruleset& ruleset) {
  return *ruleset.rep_->checked;
}

const RulesetPlan& RulesetAccess::Plan(const Ruleset& ruleset) {
  return ruleset.rep_->plan;
}

}  // namespace plan

// ---- LoadResult --------------------------------------------------------

LoadResult::LoadResult(absl::Status status, std::vector<Diagnostic> diagnostics,
                       std::shared_ptr<const Ruleset> ruleset)
    : status_(std::move(status)),
      diagnostics_(std::move(diagnostics)),
      ruleset_(std::move(ruleset)) {}

int LoadResult::error_count() const { return CountErrors(diagnostics_); }
int LoadResult::warning_count() const {
  return static_cast<int>(diagnostics_.size()) - error_count();
}

namespace {

struct SourceText {
  std::string name;
  std::string text;
};

YamlLimits ToLimits(const LoadOptions& options) {
  YamlLimits limits;
  limits.max_file_size = options.max_file_size;
  limits.max_depth = options.max_yaml_depth;
  limits.max_nodes = options.max_yaml_nodes;
  return limits;
}

// Parses and checks the texts as one ruleset.
LoadResult LoadTexts(std::vector<SourceText> texts,
                     std::vector<Diagnostic> diagnostics,
                     const LoadOptions& options) {
  const YamlLimits limits = ToLimits(options);
  const bool read_all = CountErrors(diagnostics) == 0;
  std::vector<std::unique_ptr<RuleFile>> files;
  bool parsed_all = true;
  for (SourceText& t : texts) {
    std::unique_ptr<RuleFile> file = ParseRuleFile(
        std::move(t.name), std::move(t.text), limits, &diagnostics);
    if (file == nullptr) {
      parsed_all = false;
    } else {
      files.push_back(std::move(file));
    }
  }
  // A file that could not be read or parsed leaves sections out, and
  // checking the rest would report mistakes that are not there (unknown
  // fields declared in the missing file...): check only complete rulesets.
  std::unique_ptr<CheckedRuleset> checked;
  if (!files.empty() && read_all && parsed_all) {
    CheckOptions check_options;
    check_options.max_rules = options.max_rules;
    check_options.cel_max_depth = options.cel_max_depth;
    check_options.cel_max_length = options.cel_max_length;
    std::vector<const RuleFile*> views;
    views.reserve(files.size());
    for (const auto& f : files) views.push_back(f.get());
    checked = CheckRuleset(views, check_options, &diagnostics);
  }
  SortDiagnostics(&diagnostics);
  if (checked == nullptr || CountErrors(diagnostics) > 0) {
    if (CountErrors(diagnostics) == 0) {
      Diagnostic d;
      d.file = files.empty() ? "" : files.front()->name();
      d.message = "the ruleset could not be loaded";
      diagnostics.push_back(std::move(d));
    }
    absl::Status status =
        absl::InvalidArgumentError(FormatDiagnostics(diagnostics));
    return LoadResult(std::move(status), std::move(diagnostics), nullptr);
  }
  std::shared_ptr<const Ruleset> ruleset = plan::RulesetAccess::Make(
      std::shared_ptr<const CheckedRuleset>(std::move(checked)), diagnostics);
  return LoadResult(absl::OkStatus(), std::move(diagnostics),
                    std::move(ruleset));
}

LoadResult Failure(absl::StatusCode code, const std::string& file,
                   std::string message) {
  Diagnostic d;
  d.file = file;
  d.message = std::move(message);
  std::vector<Diagnostic> diagnostics = {d};
  return LoadResult(absl::Status(code, FormatDiagnostics(diagnostics)),
                    std::move(diagnostics), nullptr);
}

// Reads a whole file, refusing files over the size limit without reading
// them. On failure returns a LoadResult in `failure`.
bool ReadFile(const std::filesystem::path& path, const std::string& name,
              const LoadOptions& options, std::string* text,
              std::vector<Diagnostic>* diagnostics, absl::StatusCode* code) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && static_cast<int64_t>(size) > options.max_file_size) {
    Diagnostic d;
    d.file = name;
    d.message = "file too large: " + std::to_string(size) +
                " bytes, more than the limit of " +
                std::to_string(options.max_file_size);
    diagnostics->push_back(std::move(d));
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    Diagnostic d;
    d.file = name;
    d.message = std::string("cannot read the file: ") + std::strerror(err);
    diagnostics->push_back(std::move(d));
    *code = err == EACCES ? absl::StatusCode::kPermissionDenied
                          : absl::StatusCode::kUnavailable;
    return false;
  }
  // Bounded even where the size is unknown (a FIFO, /dev/zero, stdin).
  char buffer[65536];
  text->clear();
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    text->append(buffer, static_cast<size_t>(in.gcount()));
    if (static_cast<int64_t>(text->size()) > options.max_file_size) {
      Diagnostic d;
      d.file = name;
      d.message = "file too large: more than the limit of " +
                  std::to_string(options.max_file_size) + " bytes";
      diagnostics->push_back(std::move(d));
      return false;
    }
  }
  if (in.bad()) {
    Diagnostic d;
    d.file = name;
    d.message = "cannot read the file";
    diagnostics->push_back(std::move(d));
    *code = absl::StatusCode::kUnavailable;
    return false;
  }
  return true;
}

bool IsRuleFileName(const std::string& name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() > suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  };
  return !name.empty() && name[0] != '.' &&
         (ends_with(".yaml") || ends_with(".yml"));
}

// The rule files of the folder `path`, sorted (file names only).
absl::StatusOr<std::vector<std::string>> FolderRuleFiles(
    const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (IsRuleFileName(name) && it->is_regular_file(type_ec)) {
      names.push_back(name);
    }
  }
  if (ec) {
    return absl::UnavailableError("cannot read the folder: " + ec.message());
  }
  if (names.empty()) {
    return absl::InvalidArgumentError("no *.yaml or *.yml files in the folder");
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> RuleFilePaths(
    const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return absl::NotFoundError("'" + path + "': no such file or folder");
  }
  if (!fs::is_directory(status)) return std::vector<std::string>{path};
  absl::StatusOr<std::vector<std::string>> names = FolderRuleFiles(path);
  if (!names.ok()) {
    return absl::Status(
        names.status().code(),
        "'" + path + "': " + std::string(names.status().message()));
  }
  for (std::string& name : *names) name = (fs::path(path) / name).string();
  return names;
}

LoadResult LoadRuleset(const std::string& path, const LoadOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return Failure(absl::StatusCode::kNotFound, path, "no such file or folder");
  }
  std::vector<SourceText> texts;
  std::vector<Diagnostic> diagnostics;
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  if (fs::is_directory(status)) {
    absl::StatusOr<std::vector<std::string>> names = FolderRuleFiles(path);
    if (!names.ok()) {
      return Failure(names.status().code(), path,
                     std::string(names.status().message()));
    }
    for (const std::string& name : *names) {
      const std::string shown = (fs::path(path) / name).string();
      std::string text;
      if (ReadFile(fs::path(path) / name, shown, options, &text, &diagnostics,
                   &code)) {
        texts.push_back({shown, std::move(text)});
      }
    }
  } else {
    std::string text;
    if (ReadFile(path, path, options, &text, &diagnostics, &code)) {
      texts.push_back({path, std::move(text)});
    }
  }
  if (code != absl::StatusCode::kInvalidArgument) {
    SortDiagnostics(&diagnostics);
    return LoadResult(absl::Status(code, FormatDiagnostics(diagnostics)),
                      std::move(diagnostics), nullptr);
  }
  return LoadTexts(std::move(texts), std::move(diagnostics), options);
}

LoadResult LoadRulesetFromTexts(std::vector<RuleText> files,
                                const LoadOptions& options) {
  if (files.empty()) {
    return Failure(absl::StatusCode::kInvalidArgument, "",
                   "no rule files to load");
  }
  std::vector<SourceText> texts;
  texts.reserve(files.size());
  for (RuleText& f : files) {
    texts.push_back({std::move(f.name), std::move(f.text)});
  }
  return LoadTexts(std::move(texts), {}, options);
}

LoadResult LoadRulesetFromString(std::string_view yaml,
                                 const std::string& file_name,
                                 const LoadOptions& options) {
  std::vector<SourceText> texts;
  texts.push_back({file_name, std::string(yaml)});
  return LoadTexts(std::move(texts), {}, options);
}

}  // namespace switchboard
