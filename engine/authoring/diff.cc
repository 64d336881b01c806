// DecisionDiff and RulesetDiff (include/switchboard/diff.h): two streams of
// decisions compared group by group, (session, time, trigger, action), the
// k-th OLD decision of a group paired with the k-th NEW one.
//
// Each side's decisions wait in a list until Flush(t): the decisions before
// t are sorted by group (then side, then emission order), each group's run
// is paired, and the differences are sorted into the delivery order
// (time, session, OLD's order, then NEW's) before they go to the sink.
#include "switchboard/diff.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/io/decision_json.h"
#include "switchboard/decision.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"

namespace switchboard {
namespace {

// A decision waiting for its partner.
struct Recorded {
  DiffDecision decision;
  std::string key;  // the JSON with an empty ruleset: equal keys, same
  int64_t seq = 0;  // emission order on its side
};

class SideSink : public DecisionSink {
 public:
  explicit SideSink(std::vector<Recorded>* pending) : pending_(pending) {}

  void OnDecision(const Decision& decision) override {
    Recorded r;
    DiffDecision& d = r.decision;
    d.time = decision.time;
    d.session = std::string(decision.session);
    d.rule = std::string(decision.rule);
    d.action = std::string(decision.action);
    d.trigger = std::string(decision.trigger);
    Decision plain = decision;
    plain.explanation = nullptr;
    d.json = plain.ToJson();
    d.text = plain.ToText();
    plain.ruleset = {};
    r.key = plain.ToJson();
    r.seq = seq_++;
    pending_->push_back(std::move(r));
  }

 private:
  std::vector<Recorded>* pending_;
  int64_t seq_ = 0;
};

// Moves the decisions of `pending` before `before` (all with InfiniteFuture)
// to `out`, keeping the others in order.
void TakeBefore(absl::Time before, std::vector<Recorded>* pending,
                std::vector<Recorded>* out) {
  std::vector<Recorded> kept;
  for (Recorded& r : *pending) {
    (r.decision.time < before ? *out : kept).push_back(std::move(r));
  }
  *pending = std::move(kept);
}

// A difference with its place in the delivery order.
struct Ordered {
  absl::Time time;
  int phase;    // 0: changed or removed (OLD's order); 1: added (NEW's)
  int64_t seq;  // in that side's emission order
  DecisionDifference difference;
};

}  // namespace

std::string_view DecisionDifference::kind_name() const {
  switch (kind) {
    case Kind::kChanged:
      return "changed";
    case Kind::kRemoved:
      return "removed";
    case Kind::kAdded:
      return "added";
  }
  return "changed";
}

std::string DecisionDifference::ToJson() const {
  const DiffDecision& d = any();
  std::string out = "{\"change\":";
  AppendJsonString(kind_name(), &out);
  out += ",\"session\":";
  AppendJsonString(d.session, &out);
  out += ",\"time\":";
  AppendJsonString(FormatTimestamp(d.time), &out);
  out += ",\"trigger\":";
  AppendJsonString(d.trigger, &out);
  out += ",\"action\":";
  AppendJsonString(d.action, &out);
  if (old_decision.has_value()) out += ",\"old\":" + old_decision->json;
  if (new_decision.has_value()) out += ",\"new\":" + new_decision->json;
  out += "}";
  return out;
}

std::string DecisionDifference::ToText() const {
  switch (kind) {
    case Kind::kChanged:
      return "changed " + old_decision->text + "\n     to " +
             new_decision->text;
    case Kind::kRemoved:
      return "removed " + old_decision->text;
    case Kind::kAdded:
      return "added   " + new_decision->text;
  }
  return "";
}

struct DecisionDiff::Impl {
  Impl(const Ruleset& old_rules, const Ruleset& new_rules)
      : old_rules(old_rules),
        new_rules(new_rules),
        old_sink(&old_pending),
        new_sink(&new_pending) {}

  DiffCounts& Rule(const std::string& name) { return by_rule[name]; }

  // Pairs the decisions of `taken_old` and `taken_new` and appends the
  // differences to `out`.
  void Compare(std::vector<Recorded>& taken_old,
               std::vector<Recorded>& taken_new, std::vector<Ordered>* out);
  void Deliver(std::vector<Recorded> taken_old, std::vector<Recorded> taken_new,
               DiffSink* sink);

  const Ruleset& old_rules;
  const Ruleset& new_rules;
  std::vector<Recorded> old_pending;
  std::vector<Recorded> new_pending;
  SideSink old_sink;
  SideSink new_sink;
  DiffStats stats;
  absl::flat_hash_map<std::string, DiffCounts> by_rule;
};

void DecisionDiff::Impl::Compare(std::vector<Recorded>& taken_old,
                                 std::vector<Recorded>& taken_new,
                                 std::vector<Ordered>* out) {
  struct Ref {
    Recorded* r;
    bool is_new;
  };
  std::vector<Ref> refs;
  refs.reserve(taken_old.size() + taken_new.size());
  for (Recorded& r : taken_old) refs.push_back({&r, false});
  for (Recorded& r : taken_new) refs.push_back({&r, true});
  const auto group = [](const Ref& x) {
    const DiffDecision& d = x.r->decision;
    return std::tie(d.time, d.session, d.trigger, d.action);
  };
  std::sort(refs.begin(), refs.end(), [&](const Ref& a, const Ref& b) {
    const auto ga = group(a), gb = group(b);
    if (ga != gb) return ga < gb;
    if (a.is_new != b.is_new) return !a.is_new;
    return a.r->seq < b.r->seq;
  });
  const auto emit = [&](DecisionDifference::Kind kind, Recorded* o,
                        Recorded* n) {
    Ordered ordered;
    const Recorded* at = o != nullptr ? o : n;
    ordered.time = at->decision.time;
    ordered.phase = o != nullptr ? 0 : 1;
    ordered.seq = at->seq;
    ordered.difference.kind = kind;
    if (o != nullptr) ordered.difference.old_decision = o->decision;
    if (n != nullptr) ordered.difference.new_decision = n->decision;
    out->push_back(std::move(ordered));
  };
  for (size_t begin = 0; begin < refs.size();) {
    size_t end = begin;
    while (end < refs.size() && group(refs[end]) == group(refs[begin])) ++end;
    size_t split = begin;
    while (split < end && !refs[split].is_new) ++split;
    const size_t olds = split - begin, news = end - split;
    for (size_t k = 0; k < std::max(olds, news); ++k) {
      Recorded* o = k < olds ? refs[begin + k].r : nullptr;
      Recorded* n = k < news ? refs[split + k].r : nullptr;
      if (o != nullptr && n != nullptr) {
        if (o->key == n->key) {
          ++stats.total.unchanged;
          ++Rule(o->decision.rule).unchanged;
          continue;
        }
        ++stats.total.changed;
        ++Rule(o->decision.rule).changed;
        if (n->decision.rule != o->decision.rule) {
          ++Rule(n->decision.rule).changed;
        }
        emit(DecisionDifference::Kind::kChanged, o, n);
      } else if (o != nullptr) {
        ++stats.total.removed;
        ++Rule(o->decision.rule).removed;
        emit(DecisionDifference::Kind::kRemoved, o, nullptr);
      } else {
        ++stats.total.added;
        ++Rule(n->decision.rule).added;
        emit(DecisionDifference::Kind::kAdded, nullptr, n);
      }
    }
    begin = end;
  }
}

void DecisionDiff::Impl::Deliver(std::vector<Recorded> taken_old,
                                 std::vector<Recorded> taken_new,
                                 DiffSink* sink) {
  if (taken_old.empty() && taken_new.empty()) return;
  stats.total.old_decisions += static_cast<int64_t>(taken_old.size());
  stats.total.new_decisions += static_cast<int64_t>(taken_new.size());
  for (const Recorded& r : taken_old) ++Rule(r.decision.rule).old_decisions;
  for (const Recorded& r : taken_new) ++Rule(r.decision.rule).new_decisions;
  std::vector<Ordered> differences;
  Compare(taken_old, taken_new, &differences);
  std::sort(
      differences.begin(), differences.end(),
      [](const Ordered& a, const Ordered& b) {
        return std::tie(a.time, a.difference.any().session, a.phase, a.seq) <
               std::tie(b.time, b.difference.any().session, b.phase, b.seq);
      });
  for (const Ordered& d : differences) sink->OnDifference(d.difference);
}

DecisionDiff::DecisionDiff(const Ruleset& old_rules, const Ruleset& new_rules)
    : impl_(std::make_unique<Impl>(old_rules, new_rules)) {}

DecisionDiff::~DecisionDiff() = default;

DecisionSink* DecisionDiff::old_side() { return &impl_->old_sink; }
DecisionSink* DecisionDiff::new_side() { return &impl_->new_sink; }

void DecisionDiff::Flush(absl::Time before, DiffSink* sink) {
  std::vector<Recorded> taken_old, taken_new;
  TakeBefore(before, &impl_->old_pending, &taken_old);
  TakeBefore(before, &impl_->new_pending, &taken_new);
  impl_->Deliver(std::move(taken_old), std::move(taken_new), sink);
}

void DecisionDiff::Finish(DiffSink* sink) {
  impl_->Deliver(std::move(impl_->old_pending), std::move(impl_->new_pending),
                 sink);
  impl_->old_pending.clear();
  impl_->new_pending.clear();
  // The per-rule counts in the rulesets' order.
  std::vector<RuleDiffCounts>& rules = impl_->stats.rules;
  rules.clear();
  absl::flat_hash_map<std::string, DiffCounts> left = impl_->by_rule;
  const auto take = [&](const std::string& name) {
    auto it = left.find(name);
    if (it == left.end()) return;
    rules.push_back({name, it->second});
    left.erase(it);
  };
  for (const Ruleset* r : {&impl_->old_rules, &impl_->new_rules}) {
    for (int i = 0; i < r->rule_count(); ++i) take(r->rule_name(i));
  }
  // Rules neither ruleset names (decisions fed by hand), by name.
  std::vector<std::string> rest;
  for (const auto& [name, counts] : left) rest.push_back(name);
  std::sort(rest.begin(), rest.end());
  for (const std::string& name : rest) take(name);
}

const DiffStats& DecisionDiff::stats() const { return impl_->stats; }

absl::StatusOr<std::unique_ptr<RulesetDiff>> RulesetDiff::Create(
    std::shared_ptr<const Ruleset> old_rules,
    std::shared_ptr<const Ruleset> new_rules, const EngineOptions& options,
    const ReaderOptions& reader_options) {
  if (old_rules == nullptr || new_rules == nullptr) {
    return absl::InvalidArgumentError("RulesetDiff needs two rulesets");
  }
  EngineOptions engine_options = options;
  engine_options.explain = false;
  std::unique_ptr<RulesetDiff> diff(new RulesetDiff());
  absl::StatusOr<std::unique_ptr<Engine>> old_engine =
      Engine::Create(old_rules, engine_options);
  if (!old_engine.ok()) return old_engine.status();
  absl::StatusOr<std::unique_ptr<Engine>> new_engine =
      Engine::Create(new_rules, engine_options);
  if (!new_engine.ok()) return new_engine.status();
  diff->old_engine_ = std::move(*old_engine);
  diff->new_engine_ = std::move(*new_engine);
  diff->old_reader_ = std::make_unique<EventReader>(
      diff->old_engine_->ruleset(), reader_options);
  diff->new_reader_ = std::make_unique<EventReader>(
      diff->new_engine_->ruleset(), reader_options);
  diff->diff_ = std::make_unique<DecisionDiff>(diff->old_engine_->ruleset(),
                                               diff->new_engine_->ruleset());
  return diff;
}

RulesetDiff::~RulesetDiff() = default;

RulesetDiff::LineResult RulesetDiff::ProcessLine(std::string_view line,
                                                 DiffSink* sink) {
  LineResult result;
  result.old_status = old_reader_->Next(line, &old_event_);
  result.new_status = new_reader_->Next(line, &new_event_);
  const Event* old_event = result.old_status.ok() ? &old_event_ : nullptr;
  const Event* new_event = result.new_status.ok() ? &new_event_ : nullptr;
  return Feed(old_event, new_event, std::move(result), sink);
}

RulesetDiff::LineResult RulesetDiff::Process(const Event& event,
                                             DiffSink* sink) {
  return Feed(&event, &event, LineResult(), sink);
}

RulesetDiff::LineResult RulesetDiff::Feed(const Event* old_event,
                                          const Event* new_event,
                                          LineResult result, DiffSink* sink) {
  if (old_event != nullptr) {
    result.old_status = old_engine_->Process(*old_event, diff_->old_side());
  }
  if (new_event != nullptr) {
    result.new_status = new_engine_->Process(*new_event, diff_->new_side());
  }
  DiffStats& stats = diff_->impl_->stats;
  ++stats.events;
  if (!result.old_status.ok()) ++stats.old_rejected;
  if (!result.new_status.ok()) ++stats.new_rejected;
  FlushPassed(sink);
  return result;
}

void RulesetDiff::AdvanceTo(absl::Time time, DiffSink* sink) {
  old_engine_->AdvanceTo(time, diff_->old_side());
  new_engine_->AdvanceTo(time, diff_->new_side());
  FlushPassed(sink);
}

void RulesetDiff::Finish(DiffSink* sink) { diff_->Finish(sink); }

void RulesetDiff::FlushPassed(DiffSink* sink) {
  // Neither engine makes a decision before its clock any more.
  const absl::Time before = std::min(old_engine_->now(), new_engine_->now());
  if (before != absl::InfinitePast()) diff_->Flush(before, sink);
}

const DiffStats& RulesetDiff::stats() const { return diff_->stats(); }
const Engine& RulesetDiff::old_engine() const { return *old_engine_; }
const Engine& RulesetDiff::new_engine() const { return *new_engine_; }

}  // namespace switchboard
