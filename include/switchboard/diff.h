// Comparing what two versions of a ruleset decide (docs/cli.md,
// `switchboard diff`): "what would this change have done last week?"
//
// DecisionDiff compares two streams of decisions, OLD and NEW. Decisions are
// grouped by (session, time, trigger, action) and, within a group, paired in
// the order each side emitted them: the k-th OLD decision of a group with the
// k-th NEW one. A pair whose decisions differ in any other member (rule,
// parameters; the `ruleset` member excepted) is `changed`, a pair that does
// not is unchanged, and a decision left without a partner is `removed` (OLD
// only) or `added` (NEW only).
//
// RulesetDiff runs two rulesets, each in its own Engine, over the same
// events and compares their decisions with a DecisionDiff. The two may
// differ in their event schema and session fields: each side reads a line
// with its own EventReader, and a line one side rejects is counted for that
// side (the caller reports it) while the other side processes it.
//
//   auto diff = switchboard::RulesetDiff::Create(old_rules, new_rules);
//   MyDiffSink sink;  // OnDifference: d.ToJson() or d.ToText()
//   switchboard::LineReader lines(file);
//   switchboard::LineReader::Line line;
//   while (lines.Next(&line)) {
//     if (switchboard::EventReader::IsBlankLine(line.text)) continue;
//     switchboard::RulesetDiff::LineResult r =
//         (*diff)->ProcessLine(line.text, &sink);
//     ... r.old_status / r.new_status: a rejected line, per side ...
//   }
//   (*diff)->Finish(&sink);
//   bool same = (*diff)->stats().identical();
//
// Differences are delivered in time order, as soon as both sides' clocks have
// passed their time (memory holds one instant's decisions, not the stream's).
// At one instant they come by session (byte order), then the changed and
// removed ones in OLD's emission order, then the added ones in NEW's.
//
// Threading: neither class is thread-safe; differences are delivered
// synchronously on the calling thread.
#ifndef SWITCHBOARD_DIFF_H_
#define SWITCHBOARD_DIFF_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/decision.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"

namespace switchboard {

// A decision kept for the comparison (a Decision lives only during its sink
// call): its grouping members and its two written forms.
struct DiffDecision {
  absl::Time time;
  std::string session;
  std::string rule;
  std::string action;
  std::string trigger;
  std::string json;  // Decision::ToJson(), the line `run` writes
  std::string text;  // Decision::ToText(), without an explanation
};

// One difference between the two sides.
struct DecisionDifference {
  enum class Kind { kChanged, kRemoved, kAdded };
  Kind kind = Kind::kChanged;
  // OLD's decision (changed, removed) and NEW's (changed, added).
  std::optional<DiffDecision> old_decision;
  std::optional<DiffDecision> new_decision;

  // The group's members, from whichever side has a decision.
  const DiffDecision& any() const {
    return old_decision.has_value() ? *old_decision : *new_decision;
  }
  // "changed", "removed" or "added".
  std::string_view kind_name() const;

  // One JSON object, without a newline (docs/cli.md):
  //   {"change":"changed","session":S,"time":T,"trigger":TR,"action":A,
  //    "old":{...},"new":{...}}
  // with "old" / "new" the whole decisions as `run` writes them, absent
  // where there is none.
  std::string ToJson() const;
  // For people, without a final newline: "removed LINE", "added   LINE", or
  // for a change two lines, "changed OLD-LINE" and "     to NEW-LINE", where
  // LINE is the decision as Decision::ToText() writes it.
  std::string ToText() const;
};

// Receives differences, synchronously, in the order described above.
class DiffSink {
 public:
  virtual ~DiffSink() = default;
  virtual void OnDifference(const DecisionDifference& difference) = 0;
};

// How many decisions of each kind, in all or of one rule.
struct DiffCounts {
  int64_t old_decisions = 0;  // decisions OLD made
  int64_t new_decisions = 0;  // decisions NEW made
  int64_t unchanged = 0;      // pairs that are the same
  int64_t changed = 0;        // pairs that differ
  int64_t removed = 0;        // OLD's decisions without a partner
  int64_t added = 0;          // NEW's decisions without a partner

  bool identical() const { return changed == 0 && removed == 0 && added == 0; }
};

// A rule's counts: its decisions on each side, and the pairs and unpaired
// decisions it has a part in (a changed pair whose rules differ counts for
// both rules).
struct RuleDiffCounts {
  std::string rule;
  DiffCounts counts;
};

struct DiffStats {
  DiffCounts total;
  // The rules with a decision on either side: OLD's rules in OLD's order,
  // then the rules only NEW has, in NEW's order. Complete once Finish() was
  // called.
  std::vector<RuleDiffCounts> rules;
  // Input events given (lines or Events, rejected ones included), and those
  // each side rejected (RulesetDiff only).
  int64_t events = 0;
  int64_t old_rejected = 0;
  int64_t new_rejected = 0;

  bool identical() const { return total.identical(); }
};

// The comparison of two decision streams. Feed each side's decisions through
// its sink (old_side(), new_side()); call Flush(t) once both sides can make
// no more decisions before `t` (their engines' clocks are at or past it),
// and Finish() at the end.
class DecisionDiff {
 public:
  // `old_rules` and `new_rules` name the rules for the per-rule counts (their
  // order); both must outlive the DecisionDiff.
  DecisionDiff(const Ruleset& old_rules, const Ruleset& new_rules);
  ~DecisionDiff();
  DecisionDiff(const DecisionDiff&) = delete;
  DecisionDiff& operator=(const DecisionDiff&) = delete;

  // Where each side's engine delivers its decisions. Valid as long as this
  // object.
  DecisionSink* old_side();
  DecisionSink* new_side();

  // Compares the decisions made so far whose time is before `before`,
  // delivering the differences to `sink` (non-null) and forgetting them.
  void Flush(absl::Time before, DiffSink* sink);
  // Compares every decision left; then stats() is complete.
  void Finish(DiffSink* sink);

  const DiffStats& stats() const;

 private:
  friend class RulesetDiff;  // counts events and rejected lines
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Two rulesets, each in its own Engine, over the same events.
class RulesetDiff {
 public:
  // Engines for `old_rules` and `new_rules` (both non-null) with `options`
  // (explain is ignored), readers with `reader_options`. Errors: those of
  // Engine::Create.
  static absl::StatusOr<std::unique_ptr<RulesetDiff>> Create(
      std::shared_ptr<const Ruleset> old_rules,
      std::shared_ptr<const Ruleset> new_rules,
      const EngineOptions& options = {},
      const ReaderOptions& reader_options = {});
  ~RulesetDiff();

  // What each side made of an event: OK, or why it rejected it (the
  // reader's or the engine's InvalidArgument, as `run` reports a bad line).
  struct LineResult {
    absl::Status old_status;
    absl::Status new_status;
  };

  // Reads `line` (one JSON object, not blank: see EventReader) with each
  // side's reader and processes it on each side that accepts it, then
  // delivers the differences both clocks have passed.
  LineResult ProcessLine(std::string_view line, DiffSink* sink);
  // The same for an event built by the caller (checked against each side's
  // schema by Engine::Process).
  LineResult Process(const Event& event, DiffSink* sink);
  // Advances both clocks to `time` (as `run --until`), firing the timers
  // that fall due.
  void AdvanceTo(absl::Time time, DiffSink* sink);
  // Delivers the remaining differences; stats() is then complete. Call once,
  // at the end.
  void Finish(DiffSink* sink);

  const DiffStats& stats() const;
  const Engine& old_engine() const;
  const Engine& new_engine() const;

 private:
  RulesetDiff() = default;
  // Processes the events a side accepted (null: rejected, as `result`
  // says), counts, and delivers what both clocks have passed.
  LineResult Feed(const Event* old_event, const Event* new_event,
                  LineResult result, DiffSink* sink);
  void FlushPassed(DiffSink* sink);

  std::unique_ptr<Engine> old_engine_;
  std::unique_ptr<Engine> new_engine_;
  std::unique_ptr<EventReader> old_reader_;
  std::unique_ptr<EventReader> new_reader_;
  std::unique_ptr<DecisionDiff> diff_;
  Event old_event_;
  Event new_event_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_DIFF_H_
