// The switchboard command-line tool: a thin layer over the public API
// (include/switchboard/) and, for serve, produce and studio, the service
// (service/). One file per command (check.cc, run.cc, diff.cc, serve.cc,
// produce.cc, studio.cc, test.cc); this one holds the command table, help,
// version and the dispatch.
//
// Exit statuses (cli.h, docs/cli.md): 0 success; 1 the command ran and
// found a problem (a ruleset with errors, a failed test, a file that cannot
// be read; for diff: the rulesets decide differently); 2 a bad command line
// (the command's usage on stderr; for diff also a ruleset that does not
// load or events that cannot be read, as diff(1) has it); 3 an output could
// not be written (said on stderr).
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/diagnostic.h"
#include "tools/switchboard/cli.h"
#include "tools/switchboard/commands.h"

#ifndef SWITCHBOARD_VERSION
#define SWITCHBOARD_VERSION "0.1.0"
#endif

namespace switchboard::cli {
namespace {

int Help(const std::vector<std::string>& args, Output& out);
int Version(const std::vector<std::string>& args, Output& out);

const Command kCommands[] = {
    {"check", "check RULES [--graph]",
     "load and check a ruleset; report every mistake", kCheckHelp, Check},
    {"run",
     "run RULES --events FILE|- [--explain] [--format json|text] "
     "[--until TIME] [--strict] [--trace FILE] [--strict-schema] "
     "[--max-sessions N] [--snapshot-in FILE] [--snapshot-out FILE] "
     "[--reload-at TIME:RULES]...",
     "dry run: events (JSON Lines) in, decisions (JSON Lines) out", kRunHelp,
     Run},
    {"diff", "diff OLD NEW --events FILE|- [--until TIME] [--format json|text]",
     "compare two rulesets' decisions over the same events", kDiffHelp, Diff},
    {"serve",
     "serve RULES [--http HOST:PORT] [--state DIR] [--clock wall|event] "
     "[--snapshot-every DURATION] [--instance NAME] [--max-sessions N] "
     "[--max-ahead DURATION] [--queue-events N] [--max-batch N] "
     "[--max-body BYTES] [--http-threads N] [--sse-clients N] "
     "[--sse-buffer BYTES] [--no-stdout] "
     "[--no-stdin] [--accept-state-loss] "
     "[--kafka BROKERS --group G --events-topic T --decisions-topic D "
     "[--state-topic S] [--threads N] [--commit-every DURATION] "
     "[--snapshot-records N] [--kafka-config NAME=VALUE]...]",
     "live: events on stdin and HTTP, decisions on stdout, timers on time",
     kServeHelp, Serve},
    {"produce",
     "produce RULES --kafka BROKERS --topic T FILE|- [--until TIME] "
     "[--mark-every DURATION] [--rate N] [--kafka-config NAME=VALUE]...",
     "send events to serve --kafka's topic, keyed and partitioned by session",
     kProduceHelp, Produce},
    {"studio",
     "studio RULES [--events FILE] [--http HOST:PORT] [--allow-remote] "
     "[--codemirror DIR] [--max-body BYTES]",
     "a web page to edit rules and see what they decide", kStudioHelp, Studio},
    {"test", "test TESTS... [--coverage] [--trace FILE]",
     "run rule authors' tests: events in, expected decisions checked",
     kTestHelp, Test},
    {"help", "help [COMMAND]", "show this help, or a command's", "", Help},
    {"version", "version", "print the version", "", Version},
};

// "unknown command 'chek'; did you mean 'check'?"
std::string UnknownCommand(std::string_view name) {
  std::vector<std::string> names;
  for (const Command& c : kCommands) names.emplace_back(c.name);
  const std::string nearest = NearestName(name, names);
  std::string message = "unknown command '" + std::string(name) + "'";
  if (!nearest.empty()) message += "; did you mean '" + nearest + "'?";
  return message;
}

void PrintCommands(Output& out) {
  out.Write("usage: switchboard COMMAND [ARGS...]\n\ncommands:\n");
  for (const Command& c : kCommands) {
    const std::string_view synopsis =
        c.synopsis.size() > 28 ? c.name : c.synopsis;
    out.Print("  switchboard {:<28} {}\n", synopsis, c.summary);
  }
  out.Write(
      "\nexit status: 0 success, 1 problems found, 2 bad command line, "
      "3 output not written\n");
}

int Help(const std::vector<std::string>& args, Output& out) {
  if (args.empty()) {
    out.Print("switchboard {}: rule-based conversation routing\n\n",
              SWITCHBOARD_VERSION);
    PrintCommands(out);
    return kExitOk;
  }
  if (args.size() > 1) return UsageError("help", "give at most one command");
  if (FindCommand(args[0]) == nullptr) {
    return UsageError("help", UnknownCommand(args[0]));
  }
  return PrintHelp(args[0], out);
}

int Version(const std::vector<std::string>& args, Output& out) {
  if (!args.empty()) return UsageError("version", "takes no arguments");
  out.Print("switchboard {}\n", SWITCHBOARD_VERSION);
  return kExitOk;
}

int Dispatch(int argc, char** argv, Output& out) {
  if (argc < 2) return UsageError("", "missing command");
  const std::string_view name = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (name == "--help" || name == "-h") return Help(args, out);
  if (name == "--version") return Version(args, out);
  if (const Command* c = FindCommand(name); c != nullptr) {
    return c->run(args, out);
  }
  return UsageError("", UnknownCommand(name));
}

}  // namespace

absl::Span<const Command> Commands() { return kCommands; }

int Main(int argc, char** argv) {
  Output out(stdout);
  const int status = Dispatch(argc, argv, out);
  if (!out.Flush()) {
    fmt::print(stderr, "switchboard: cannot write to standard output: {}\n",
               out.error());
    return kExitWriteError;
  }
  return status;
}

}  // namespace switchboard::cli

int main(int argc, char** argv) { return switchboard::cli::Main(argc, argv); }
