// The switchboard command-line tool: a thin layer over the public API
// (include/switchboard/). Commands live in one table; each takes its
// arguments and returns the exit status:
//   0  success
//   1  the command ran and found a problem (a ruleset with errors, a file
//      that cannot be read)
//   2  bad command line (usage on stderr)
//
//   switchboard check RULES [--graph]
//     Loads and checks RULES (a YAML file or a folder of them). Success:
//     warnings (if any) on stderr, then one line on stdout,
//       ok: ruleset 'shop': 12 rules, 7 triggers, 4 fields
//     With --graph, stdout holds only the rule graph as Graphviz DOT (so it
//     can be piped to `dot`); the summary line goes to stderr instead.
//     Errors: every diagnostic on stderr, then "N errors, M warnings", exit 1.
//   switchboard help [COMMAND], switchboard --help, switchboard version
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/diagnostic.h"
#include "switchboard/ruleset.h"

namespace switchboard {
namespace {

#ifndef SWITCHBOARD_VERSION
#define SWITCHBOARD_VERSION "0.1.0"
#endif

struct Command {
  const char* name;
  const char* synopsis;  // after "switchboard "
  const char* summary;
  const char* help;      // details for `switchboard help NAME`
  int (*run)(const std::vector<std::string>& args);
};

int Check(const std::vector<std::string>& args);
int Help(const std::vector<std::string>& args);
int Version(const std::vector<std::string>& args);

constexpr Command kCommands[] = {
    {"check", "check RULES [--graph]",
     "load and check a ruleset; report every mistake",
     "RULES is a YAML rule file or a folder of them (*.yaml, *.yml, loaded\n"
     "together in file-name order).\n"
     "\n"
     "On success prints 'ok: ruleset NAME: N rules, N triggers, N fields' on\n"
     "stdout (warnings, if any, on stderr) and exits 0. On errors prints every\n"
     "diagnostic on stderr as file:line:column: error: message, with the\n"
     "source line and a caret, then 'N errors, M warnings', and exits 1.\n"
     "\n"
     "  --graph   print the rule graph (triggers, emits, session field reads\n"
     "            and writes) as Graphviz DOT on stdout; the summary line\n"
     "            goes to stderr\n",
     Check},
    {"help", "help [COMMAND]", "show this help, or a command's", "", Help},
    {"version", "version", "print the version", "", Version},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out, "usage: switchboard COMMAND [ARGS...]\n\ncommands:\n");
  for (const Command& c : kCommands) {
    std::fprintf(out, "  switchboard %-28s %s\n", c.synopsis, c.summary);
  }
  std::fprintf(out,
               "\nexit status: 0 success, 1 errors found, 2 bad command "
               "line\n");
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "switchboard: %s\n\n", message.c_str());
  PrintUsage(stderr);
  return 2;
}

std::string Plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

int Check(const std::vector<std::string>& args) {
  bool graph = false;
  std::vector<std::string> paths;
  for (const std::string& arg : args) {
    if (arg == "--graph") {
      graph = true;
    } else if (arg == "--help" || arg == "-h") {
      return Help({"check"});
    } else if (arg.size() > 1 && arg[0] == '-') {
      return UsageError("check: unknown option '" + arg + "'");
    } else {
      paths.push_back(arg);
    }
  }
  if (paths.size() != 1) {
    return UsageError(paths.empty() ? "check: missing RULES"
                                    : "check: give one ruleset (a file or a "
                                      "folder), not " +
                                          std::to_string(paths.size()));
  }
  const LoadResult result = LoadRuleset(paths[0]);
  std::fputs(FormatDiagnostics(result.diagnostics()).c_str(), stderr);
  if (!result.ok()) {
    std::fprintf(stderr, "%s, %s\n",
                 Plural(result.error_count(), "error").c_str(),
                 Plural(result.warning_count(), "warning").c_str());
    return 1;
  }
  const Ruleset& ruleset = *result.ruleset();
  const std::string summary =
      "ok: ruleset '" + ruleset.name() + "': " +
      Plural(ruleset.rule_count(), "rule") + ", " +
      Plural(ruleset.trigger_count(), "trigger") + ", " +
      Plural(ruleset.field_count(), "field") + "\n";
  if (graph) {
    std::fputs(ruleset.GraphDot().c_str(), stdout);
    std::fputs(summary.c_str(), stderr);
  } else {
    std::fputs(summary.c_str(), stdout);
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

int Help(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::printf("switchboard %s: rule-based conversation routing\n\n",
                SWITCHBOARD_VERSION);
    PrintUsage(stdout);
    return 0;
  }
  if (args.size() > 1) return UsageError("help: give at most one command");
  for (const Command& c : kCommands) {
    if (args[0] == c.name) {
      std::printf("usage: switchboard %s\n\n%s\n%s", c.synopsis, c.summary,
                  *c.help ? (std::string("\n") + c.help).c_str() : "");
      return 0;
    }
  }
  return UsageError("help: unknown command '" + args[0] + "'");
}

int Version(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("version takes no arguments");
  std::printf("switchboard %s\n", SWITCHBOARD_VERSION);
  return 0;
}

int Main(int argc, char** argv) {
  if (argc < 2) return UsageError("missing command");
  const std::string_view name = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (name == "--help" || name == "-h") return Help(args);
  if (name == "--version") return Version(args);
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(args);
  }
  return UsageError("unknown command '" + std::string(name) + "'");
}

}  // namespace
}  // namespace switchboard

int main(int argc, char** argv) { return switchboard::Main(argc, argv); }
