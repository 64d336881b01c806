// The CEL conformance runner: `cel_conformance FILE_OR_DIR...` runs the
// public CEL conformance cases (tests/cel/conformance/*.json, the cel-spec
// "simple" tests in JSON; see the README there) through the whole pipeline:
// Parse, Check (unless the case disables it), Compile, Evaluate, and compares
// the result with the expected value or error. Cases that need a feature
// outside switchboard's CEL subset (uint, bytes, protobuf messages, type
// values, unknowns, two-variable comprehensions) are skipped, each with its
// reason. Prints per file `FILE: N passed, N failed, N skipped`, every
// failure with its expression, expected and actual result, and finally
// `N passed, N failed, N skipped`. Exit status: 0 when no case failed, 1
// when one did, 2 when a file cannot be read.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/cel/checker.h"
#include "engine/cel/env.h"
#include "engine/cel/parser.h"
#include "engine/cel/program.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"
#include "simdjson.h"
#include "tests/support/cel_fixtures.h"

namespace switchboard {
namespace {

using cel::Type;
using cel::Value;
using cel::ValueKind;
using simdjson::dom::element;

// Features outside the core subset (the conformance README).
constexpr std::string_view kNonCoreFeatures[] = {
    "uint", "bytes", "proto", "type_values", "unknowns", "comprehensions_v2"};

struct Counts {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

std::string Str(std::string_view s) { return std::string(s); }

// A member of a JSON object, or nullopt.
std::optional<element> Member(const element& object, std::string_view key) {
  element e;
  if (object.at_key(key).get(e) != simdjson::SUCCESS) return std::nullopt;
  return e;
}

std::optional<std::string> StringMember(const element& object,
                                        std::string_view key) {
  std::optional<element> e = Member(object, key);
  std::string_view s;
  if (!e.has_value() || e->get_string().get(s) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return Str(s);
}

// A declared type (the suite's cel.expr.Type in JSON).
std::optional<Type> ParseType(const element& t, std::string* error) {
  if (auto p = StringMember(t, "primitive")) {
    if (*p == "INT64") return Type::Int();
    if (*p == "DOUBLE") return Type::Double();
    if (*p == "STRING") return Type::String();
    if (*p == "BOOL") return Type::Bool();
    if (*p == "UINT64") return Type::Uint();
    if (*p == "BYTES") return Type::Bytes();
    *error = "unsupported primitive type " + *p;
    return std::nullopt;
  }
  if (Member(t, "null").has_value()) return Type::Null();
  if (Member(t, "dyn").has_value()) return Type::Dyn();
  if (auto w = StringMember(t, "well_known")) {
    if (*w == "DURATION") return Type::Duration();
    if (*w == "TIMESTAMP") return Type::Timestamp();
    if (*w == "ANY") return Type::Dyn();
    *error = "unsupported well-known type " + *w;
    return std::nullopt;
  }
  if (auto m = StringMember(t, "message_type")) {
    if (*m == "google.protobuf.Duration") return Type::Duration();
    if (*m == "google.protobuf.Timestamp") return Type::Timestamp();
    *error = "unsupported message type " + *m;
    return std::nullopt;
  }
  if (auto l = Member(t, "list_type")) {
    std::optional<element> elem = Member(*l, "elem_type");
    if (!elem.has_value()) return Type::List(Type::Dyn());
    std::optional<Type> e = ParseType(*elem, error);
    if (!e.has_value()) return std::nullopt;
    return Type::List(*e);
  }
  if (auto m = Member(t, "map_type")) {
    std::optional<element> k = Member(*m, "key_type");
    std::optional<element> v = Member(*m, "value_type");
    std::optional<Type> key = k ? ParseType(*k, error) : Type::Dyn();
    std::optional<Type> value = v ? ParseType(*v, error) : Type::Dyn();
    if (!key.has_value() || !value.has_value()) return std::nullopt;
    return Type::Map(*key, *value);
  }
  *error = "unsupported type " + Str(simdjson::to_string(t));
  return std::nullopt;
}

// A double as the suite writes it: a number, or {"$double": "inf"} (the
// string may also come as an array of one-character strings).
std::optional<double> ParseDouble(const element& e) {
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS) return d;
  int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) {
    return static_cast<double>(u);
  }
  std::optional<element> special = Member(e, "$double");
  if (!special.has_value()) return std::nullopt;
  std::string text;
  std::string_view s;
  simdjson::dom::array chars;
  if (special->get_string().get(s) == simdjson::SUCCESS) {
    text = Str(s);
  } else if (special->get_array().get(chars) == simdjson::SUCCESS) {
    for (element c : chars) {
      if (c.get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
      text += s;
    }
  } else {
    return std::nullopt;
  }
  if (text == "inf" || text == "+inf" || text == "Infinity") return INFINITY;
  if (text == "-inf" || text == "-Infinity") return -INFINITY;
  if (text == "nan" || text == "NaN") return NAN;
  double parsed;
  if (absl::SimpleAtod(text, &parsed)) return parsed;
  return std::nullopt;
}

std::optional<int64_t> ParseInt(const element& e) {
  int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return i;
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS &&
      absl::SimpleAtoi(absl::string_view(s.data(), s.size()), &i)) {
    return i;
  }
  return std::nullopt;
}

// {"seconds": S, "nanos": N}
std::optional<absl::Duration> ParseSecondsNanos(const element& e) {
  int64_t seconds = 0, nanos = 0;
  if (auto s = Member(e, "seconds")) {
    std::optional<int64_t> v = ParseInt(*s);
    if (!v.has_value()) return std::nullopt;
    seconds = *v;
  }
  if (auto n = Member(e, "nanos")) {
    std::optional<int64_t> v = ParseInt(*n);
    if (!v.has_value()) return std::nullopt;
    nanos = *v;
  }
  return absl::Seconds(seconds) + absl::Nanoseconds(nanos);
}

// A CEL value as the suite writes it (cel.expr.Value in JSON).
std::optional<Value> ParseValue(const element& v, std::string* error) {
  if (auto e = Member(v, "int64_value")) {
    std::optional<int64_t> i = ParseInt(*e);
    if (i.has_value()) return Value::Int(*i);
  } else if (auto e = Member(v, "double_value")) {
    std::optional<double> d = ParseDouble(*e);
    if (d.has_value()) return Value::Double(*d);
  } else if (auto s = StringMember(v, "string_value")) {
    return Value::String(*s);
  } else if (auto e = Member(v, "bool_value")) {
    bool b;
    if (e->get_bool().get(b) == simdjson::SUCCESS) return Value::Bool(b);
  } else if (Member(v, "null_value").has_value()) {
    return Value::Null();
  } else if (auto e = Member(v, "list_value")) {
    std::vector<Value> elements;
    if (auto values = Member(*e, "values")) {
      simdjson::dom::array array;
      if (values->get_array().get(array) != simdjson::SUCCESS) {
        *error = "bad list_value";
        return std::nullopt;
      }
      for (element x : array) {
        std::optional<Value> parsed = ParseValue(x, error);
        if (!parsed.has_value()) return std::nullopt;
        elements.push_back(*parsed);
      }
    }
    return Value::List(std::move(elements));
  } else if (auto e = Member(v, "map_value")) {
    std::vector<std::pair<Value, Value>> entries;
    if (auto list = Member(*e, "entries")) {
      simdjson::dom::array array;
      if (list->get_array().get(array) != simdjson::SUCCESS) {
        *error = "bad map_value";
        return std::nullopt;
      }
      for (element entry : array) {
        std::optional<element> k = Member(entry, "key");
        std::optional<element> x = Member(entry, "value");
        if (!k.has_value() || !x.has_value()) {
          *error = "bad map entry";
          return std::nullopt;
        }
        std::optional<Value> key = ParseValue(*k, error);
        std::optional<Value> value = ParseValue(*x, error);
        if (!key.has_value() || !value.has_value()) return std::nullopt;
        entries.emplace_back(*key, *value);
      }
    }
    return Value::Map(std::move(entries));
  } else if (auto e = Member(v, "object_value")) {
    if (auto d = Member(*e, "[type.googleapis.com/google.protobuf.Duration]")) {
      if (auto x = ParseSecondsNanos(*d)) return Value::Duration(*x);
    }
    if (auto t =
            Member(*e, "[type.googleapis.com/google.protobuf.Timestamp]")) {
      if (auto x = ParseSecondsNanos(*t)) {
        return Value::Timestamp(absl::UnixEpoch() + *x);
      }
    }
  } else if (auto s = StringMember(v, "duration_value")) {
    (void)s;
  }
  *error = "unsupported value " + Str(simdjson::to_string(v));
  return std::nullopt;
}

class VectorActivation : public cel::Activation {
 public:
  explicit VectorActivation(std::vector<std::optional<Value>> values)
      : values_(std::move(values)) {}
  Value GetVariable(int index) const override {
    if (index < 0 || index >= static_cast<int>(values_.size()) ||
        !values_[index].has_value()) {
      return Value::Error(cel::ErrorCode::kUnknownVariable);
    }
    return *values_[index];
  }

 private:
  std::vector<std::optional<Value>> values_;
};

struct Outcome {
  enum Kind { kPass, kFail, kSkip } kind = kPass;
  std::string message;  // kFail: what went wrong; kSkip: why
};

Outcome Fail(std::string message) {
  return {Outcome::kFail, std::move(message)};
}

Outcome RunTest(const element& test) {
  std::string expr_text = StringMember(test, "expr").value_or("");
  std::string error;

  // Features.
  if (auto features = Member(test, "features")) {
    simdjson::dom::array array;
    if (features->get_array().get(array) == simdjson::SUCCESS) {
      std::vector<std::string> missing;
      for (element f : array) {
        std::string_view name;
        if (f.get_string().get(name) != simdjson::SUCCESS) continue;
        if (std::find(std::begin(kNonCoreFeatures), std::end(kNonCoreFeatures),
                      name) != std::end(kNonCoreFeatures)) {
          missing.push_back(Str(name));
        }
      }
      if (!missing.empty()) {
        std::string reason = "needs";
        for (size_t i = 0; i < missing.size(); ++i) {
          absl::StrAppend(&reason, i == 0 ? " " : ", ", missing[i]);
        }
        return {Outcome::kSkip, reason};
      }
    }
  }

  // The environment.
  cel::Env env;
  if (auto container = StringMember(test, "container")) {
    env.set_container(*container);
  }
  if (auto decls = Member(test, "type_env")) {
    simdjson::dom::array array;
    if (decls->get_array().get(array) == simdjson::SUCCESS) {
      for (element decl : array) {
        std::optional<std::string> name = StringMember(decl, "name");
        std::optional<element> ident = Member(decl, "ident");
        if (!name.has_value()) return Fail("type_env entry without a name");
        if (!ident.has_value()) {
          return Fail("unsupported declaration " +
                      Str(simdjson::to_string(decl)));
        }
        std::optional<element> type = Member(*ident, "type");
        std::optional<Type> t =
            type.has_value() ? ParseType(*type, &error) : Type::Dyn();
        if (!t.has_value()) return Fail(error);
        env.AddVariable(*name, *t);
      }
    }
  }
  std::vector<std::optional<Value>> values(env.variables().size());
  if (auto bindings = Member(test, "bindings")) {
    simdjson::dom::array array;
    if (bindings->get_array().get(array) == simdjson::SUCCESS) {
      for (element binding : array) {
        std::optional<std::string> key = StringMember(binding, "key");
        std::optional<element> wrapper = Member(binding, "value");
        std::optional<element> value =
            wrapper ? Member(*wrapper, "value") : std::nullopt;
        if (!key.has_value() || !value.has_value()) {
          return Fail("unsupported binding " +
                      Str(simdjson::to_string(binding)));
        }
        std::optional<Value> v = ParseValue(*value, &error);
        if (!v.has_value()) return Fail("binding " + *key + ": " + error);
        int index = env.FindVariable(*key);
        if (index < 0) index = env.AddVariable(*key, Type::Dyn());
        if (index >= static_cast<int>(values.size())) {
          values.resize(index + 1);
        }
        values[index] = *v;
      }
    }
  }

  // The expected outcome.
  std::optional<Value> want;
  bool want_error = false;
  if (auto v = Member(test, "value")) {
    want = ParseValue(*v, &error);
    if (!want.has_value()) return Fail("expected " + error);
  } else if (Member(test, "eval_error").has_value()) {
    want_error = true;
  } else {
    return {Outcome::kSkip, "no expected value or error"};
  }
  std::string expected = want_error ? "an error" : want->DebugString();

  // Parse, check, compile, evaluate.
  cel::ParseResult parsed = cel::Parse(expr_text);
  if (parsed.expr == nullptr) {
    std::string issues;
    for (const cel::Issue& issue : parsed.issues) {
      absl::StrAppend(&issues, " [", issue.offset, "] ", issue.message);
    }
    return Fail("parse error:" + issues + "; expected " + expected);
  }
  bool disable_check = false;
  if (auto d = Member(test, "disable_check")) {
    bool b;
    if (d->get_bool().get(b) == simdjson::SUCCESS) disable_check = b;
  }
  std::optional<cel::CheckResult> checked;
  if (!disable_check) {
    checked = cel::Check(*parsed.expr, env);
    if (!checked->ok()) {
      std::string issues;
      for (const cel::Issue& issue : checked->issues) {
        absl::StrAppend(&issues, " [", issue.offset, "] ", issue.message);
      }
      return Fail("check error:" + issues + "; expected " + expected);
    }
  }
  absl::StatusOr<cel::Program> program = cel::Compile(
      *parsed.expr, env, checked.has_value() ? &*checked : nullptr);
  if (!program.ok()) {
    if (want_error) return {};
    return Fail("compile error: " + std::string(program.status().message()) +
                "; expected " + expected);
  }
  VectorActivation activation(std::move(values));
  Value got = program->Evaluate(activation);
  if (want_error) {
    if (got.is_error()) return {};
    return Fail("expected an error, got " + got.DebugString());
  }
  if (got.is_error() || !testing::SameValue(got, *want)) {
    return Fail("expected " + expected + ", got " + got.DebugString());
  }
  return {};
}

// Runs one file; returns false when it cannot be read.
bool RunFile(const std::filesystem::path& path, Counts* total) {
  simdjson::dom::parser parser;
  element doc;
  if (parser.load(path.string()).get(doc) != simdjson::SUCCESS) {
    std::fprintf(stderr, "%s: cannot read or parse\n", path.c_str());
    return false;
  }
  std::string file_name =
      StringMember(doc, "name").value_or(path.stem().string());
  Counts counts;
  simdjson::dom::array sections;
  if (doc["sections"].get_array().get(sections) != simdjson::SUCCESS) {
    std::fprintf(stderr, "%s: no sections\n", path.c_str());
    return false;
  }
  for (element section : sections) {
    simdjson::dom::array tests;
    if (section["tests"].get_array().get(tests) != simdjson::SUCCESS) continue;
    for (element test : tests) {
      std::string name =
          file_name + "/" + StringMember(test, "name").value_or("?");
      Outcome outcome = RunTest(test);
      switch (outcome.kind) {
        case Outcome::kPass:
          ++counts.passed;
          break;
        case Outcome::kSkip:
          ++counts.skipped;
          std::printf("skip %s: %s\n", name.c_str(), outcome.message.c_str());
          break;
        case Outcome::kFail:
          ++counts.failed;
          std::printf("FAIL %s\n  expr: %s\n  %s\n", name.c_str(),
                      StringMember(test, "expr").value_or("").c_str(),
                      outcome.message.c_str());
          break;
      }
    }
  }
  std::printf("%s: %d passed, %d failed, %d skipped\n", path.filename().c_str(),
              counts.passed, counts.failed, counts.skipped);
  total->passed += counts.passed;
  total->failed += counts.failed;
  total->skipped += counts.skipped;
  return true;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: cel_conformance FILE_OR_DIR...\n");
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(arg, ec)) {
        if (entry.path().extension() == ".json") found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        std::fprintf(stderr, "%s: no .json files\n", argv[i]);
        return 2;
      }
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(arg);
    }
  }
  Counts total;
  bool readable = true;
  for (const auto& file : files) readable = RunFile(file, &total) && readable;
  std::printf("%d passed, %d failed, %d skipped\n", total.passed, total.failed,
              total.skipped);
  if (!readable) return 2;
  return total.failed > 0 ? 1 : 0;
}

}  // namespace
}  // namespace switchboard

int main(int argc, char** argv) { return switchboard::Main(argc, argv); }
