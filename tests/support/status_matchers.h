// GoogleTest matchers for absl::Status, absl::StatusOr<T> and results with a
// status() such as LoadResult (Debian 12's
// Abseil predates absl/status/status_matchers.h):
//
//   EXPECT_THAT(engine->Process(event, &sink), IsOk());
//   EXPECT_THAT(LoadSomething(), StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(st, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("crc")));
//   EXPECT_THAT(ParseDuration("90s"), IsOkAndHolds(absl::Seconds(90)));
//
// A failure prints the status.
#ifndef SWITCHBOARD_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define SWITCHBOARD_TESTS_SUPPORT_STATUS_MATCHERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace switchboard::testing {
namespace status_internal {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
// A StatusOr, or any result with a status() (LoadResult).
template <typename T>
auto GetStatus(const T& result) -> decltype(result.status()) {
  return result.status();
}

}  // namespace status_internal

// The Status (or a StatusOr's status) is OK.
MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = status_internal::GetStatus(arg);
  if (!status.ok()) *result_listener << "whose status is " << status;
  return status.ok();
}

// The Status (or a StatusOr's status) has `code`.
MATCHER_P(StatusIs, code,
          std::string(negation ? "has no " : "has ") + "code " +
              absl::StatusCodeToString(code)) {
  const absl::Status& status = status_internal::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code;
}

// The Status (or a StatusOr's status) has `code` and a message that
// `message_matcher` accepts.
MATCHER_P2(StatusIs, code, message_matcher,
           std::string(negation ? "has no " : "has ") + "code " +
               absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = status_internal::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(status.message()), result_listener);
}

// The StatusOr is OK and its value matches `value_matcher`.
MATCHER_P(
    IsOkAndHolds, value_matcher,
    "is OK and holds a value that " +
        ::testing::DescribeMatcher<typename std::decay_t<arg_type>::value_type>(
            value_matcher)) {
  if (!arg.ok()) {
    *result_listener << "whose status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_SUPPORT_STATUS_MATCHERS_H_
