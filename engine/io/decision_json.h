// Internals of Decision::AppendJson (engine/io/decision_json.cc), for tests
// and for the later stages that write JSON around decisions:
// AppendJson writes most decisions through a direct path (one resize, raw
// writes); AppendDecisionJsonGeneral is the piecewise path it falls back on
// (explanations, list, map and duration params, far times), and the
// reference that tests/io/decision_json_test.cc compares the direct path
// with.
#ifndef SWITCHBOARD_ENGINE_IO_DECISION_JSON_H_
#define SWITCHBOARD_ENGINE_IO_DECISION_JSON_H_

#include <string>
#include <string_view>

#include "switchboard/decision.h"

namespace switchboard::io {

// Appends `decision` as JSON to `out` piece by piece: the same bytes as
// Decision::AppendJson.
void AppendDecisionJsonGeneral(const Decision& decision, std::string* out);

// Appends `s` as a JSON string, quotes included, escaped as decisions'
// strings are (invalid UTF-8 replaced by U+FFFD): for other JSON made of
// decisions (authoring/diff.cc).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace switchboard::io

#endif  // SWITCHBOARD_ENGINE_IO_DECISION_JSON_H_
