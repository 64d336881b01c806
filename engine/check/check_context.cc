// CheckContext (check_context.h): diagnostics at positions of the file
// being read, and the state the stages of checking share.
#include "engine/check/check_context.h"

#include <string>
#include <utility>

namespace switchboard::check {

using ::switchboard::load::RuleFile;
using ::switchboard::load::YamlNode;

CheckContext::CheckContext(const std::vector<const RuleFile*>& files,
                           const CheckOptions& options,
                           std::vector<Diagnostic>* diagnostics)
    : files_(files),
      options_(options),
      diagnostics_(diagnostics),
      ruleset_(std::make_unique<CheckedRuleset>()) {}

void CheckContext::Error(const YamlNode& node, std::string message) {
  ++errors_;
  diagnostics_->push_back(
      file_->At(node, Severity::kError, std::move(message)));
}

void CheckContext::Warning(const YamlNode& node, std::string message) {
  diagnostics_->push_back(
      file_->At(node, Severity::kWarning, std::move(message)));
}

void CheckContext::ErrorAt(const YamlNode& scalar, int64_t offset,
                           std::string message) {
  ++errors_;
  diagnostics_->push_back(
      file_->AtOffset(scalar, offset, Severity::kError, std::move(message)));
}

void CheckContext::ErrorAtPosition(int line, int column, std::string message) {
  ++errors_;
  diagnostics_->push_back(
      file_->AtPosition(line, column, Severity::kError, std::move(message)));
}

void CheckContext::ErrorInFile(std::string file, std::string message) {
  ++errors_;
  Diagnostic d;
  d.file = std::move(file);
  d.message = std::move(message);
  diagnostics_->push_back(std::move(d));
}

std::string CheckContext::Where(const RuleFile* file, int line) const {
  if (file == file_) return "line " + std::to_string(line);
  return file->name() + ":" + std::to_string(line);
}

SourcePos CheckContext::Pos(const YamlNode& node) const {
  return SourcePos{file_->name(), node.line, node.column};
}

}  // namespace switchboard::check
