// switchboard check RULES [--graph]: loads and checks a ruleset. Success:
// warnings (if any) on stderr, then one line on stdout,
//   ok: ruleset 'shop': 12 rules, 7 triggers, 4 fields
// With --graph, stdout holds only the rule graph as Graphviz DOT (so it can
// be piped to `dot`) and the summary line goes to stderr, once the graph is
// written. Errors: every diagnostic on stderr, then "N errors, M warnings",
// exit 1.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "switchboard/ruleset.h"
#include "tools/switchboard/cli.h"
#include "tools/switchboard/commands.h"

namespace switchboard::cli {

extern const char kCheckHelp[] =
    "RULES is a YAML rule file or a folder of them (*.yaml, *.yml, loaded\n"
    "together in file-name order).\n"
    "\n"
    "On success prints 'ok: ruleset NAME: N rules, N triggers, N fields' on\n"
    "stdout (warnings, if any, on stderr) and exits 0. On errors prints\n"
    "every diagnostic on stderr as file:line:column: error: message, with\n"
    "the source line and a caret, then 'N errors, M warnings', and exits 1.\n"
    "\n"
    "  --graph   print the rule graph (triggers, emits, session field reads\n"
    "            and writes) as Graphviz DOT on stdout; the summary line\n"
    "            goes to stderr\n";

int Check(const std::vector<std::string>& args, Output& out) {
  bool graph = false;
  Flags flags("check");
  flags.Switch("--graph", &graph);
  std::vector<std::string> paths;
  if (auto rc = flags.Parse(args, &paths, out)) return *rc;
  if (auto rc = RequireOneRuleset("check", paths)) return *rc;
  const std::shared_ptr<const Ruleset> ruleset = LoadOrReport(paths[0]);
  if (ruleset == nullptr) return kExitProblem;
  const std::string summary =
      fmt::format("ok: ruleset '{}': {}, {}, {}\n", ruleset->name(),
                  Plural(ruleset->rule_count(), "rule"),
                  Plural(ruleset->trigger_count(), "trigger"),
                  Plural(ruleset->field_count(), "field"));
  if (!graph) {
    out.Write(summary);
    return kExitOk;
  }
  out.Write(ruleset->GraphDot());
  // "ok" only once the graph is out (main reports a failed write).
  if (out.Flush()) fmt::print(stderr, "{}", summary);
  return kExitOk;
}

}  // namespace switchboard::cli
