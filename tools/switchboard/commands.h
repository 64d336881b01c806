// The commands of the switchboard tool, one file each: the function that
// runs it (its arguments after the command's name; returns the exit status,
// cli.h) and the help text `switchboard help NAME` prints.
#ifndef SWITCHBOARD_TOOLS_SWITCHBOARD_COMMANDS_H_
#define SWITCHBOARD_TOOLS_SWITCHBOARD_COMMANDS_H_

#include <string>
#include <vector>

#include "tools/switchboard/cli.h"

namespace switchboard::cli {

// check.cc: load and check a ruleset.
extern const char kCheckHelp[];
int Check(const std::vector<std::string>& args, Output& out);

// run.cc: the dry run.
extern const char kRunHelp[];
int Run(const std::vector<std::string>& args, Output& out);

// diff.cc: two rulesets' decisions over the same events, compared.
extern const char kDiffHelp[];
int Diff(const std::vector<std::string>& args, Output& out);
// serve.cc: the live service (service/), and on Kafka.
extern const char kServeHelp[];
int Serve(const std::vector<std::string>& args, Output& out);

// produce.cc: events into the events topic of serve --kafka.
extern const char kProduceHelp[];
int Produce(const std::vector<std::string>& args, Output& out);

// studio.cc: the web page for rule authors (service/studio.h).
extern const char kStudioHelp[];
int Studio(const std::vector<std::string>& args, Output& out);

// test.cc: rule authors' tests.
extern const char kTestHelp[];
int Test(const std::vector<std::string>& args, Output& out);

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_TOOLS_SWITCHBOARD_COMMANDS_H_
