// Tests of the journal (service/journal.h): records round-trip through the
// group-commit writer and the reader; a torn tail and damage in the middle
// are told apart; a rotation starts a new segment.
#include "service/journal.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace switchboard::service {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/journal_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `groups` of records through a writer starting at seq 1.
  void Write(const std::vector<JournalWriter::Group>& groups) {
    auto writer = JournalWriter::Start(dir_, 1, 1 << 20);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (const JournalWriter::Group& g : groups) (*writer)->Commit(g);
    ASSERT_TRUE((*writer)->Close().ok());
  }

  std::string Segment(uint64_t first) const {
    return dir_ + "/" + SegmentFileName(first);
  }

  std::string dir_;
};

// Three records: line "a" (1), an advance (2), line "bcd" (3).
std::string ThreeRecords() {
  std::string records;
  AppendEventRecord(1, "a", &records);
  AppendAdvanceRecord(2, absl::FromUnixSeconds(1800000000), &records);
  AppendEventRecord(3, "bcd", &records);
  return records;
}

TEST_F(JournalTest, RecordsRoundTrip) {
  absl::Notification durable;
  JournalWriter::Group group{ThreeRecords(), 0, [&](const absl::Status& st) {
                               EXPECT_TRUE(st.ok());
                               durable.Notify();
                             }};
  Write({group});
  EXPECT_TRUE(durable.HasBeenNotified());
  auto reader = JournalReader::Open(Segment(1));
  ASSERT_TRUE(reader.ok()) << reader.status();
  JournalRecord r;
  ASSERT_EQ((*reader)->Next(&r), JournalReader::Result::kRecord);
  EXPECT_EQ(r.type, RecordType::kEvent);
  EXPECT_EQ(r.seq, 1u);
  EXPECT_EQ(r.line, "a");
  ASSERT_EQ((*reader)->Next(&r), JournalReader::Result::kRecord);
  EXPECT_EQ(r.type, RecordType::kAdvance);
  EXPECT_EQ(r.seq, 2u);
  EXPECT_EQ(r.clock, absl::FromUnixSeconds(1800000000));
  ASSERT_EQ((*reader)->Next(&r), JournalReader::Result::kRecord);
  EXPECT_EQ(r.seq, 3u);
  EXPECT_EQ(r.line, "bcd");
  EXPECT_EQ((*reader)->Next(&r), JournalReader::Result::kEnd);
}

TEST_F(JournalTest, ATornTailIsBadAndNothingFollowsIt) {
  Write({{ThreeRecords(), 0, nullptr}});
  const uint64_t size = std::filesystem::file_size(Segment(1));
  ASSERT_EQ(::truncate(Segment(1).c_str(), static_cast<off_t>(size - 2)), 0);
  auto reader = JournalReader::Open(Segment(1));
  ASSERT_TRUE(reader.ok());
  JournalRecord r;
  ASSERT_EQ((*reader)->Next(&r), JournalReader::Result::kRecord);
  ASSERT_EQ((*reader)->Next(&r), JournalReader::Result::kRecord);
  const uint64_t third = (*reader)->offset() + kRecordHeaderBytes + 8;
  ASSERT_EQ((*reader)->Next(&r), JournalReader::Result::kBad);
  EXPECT_EQ((*reader)->offset(), third);
  EXPECT_NE((*reader)->error().find("cut short"), std::string::npos);
  uint64_t at = 0, seq = 0;
  EXPECT_FALSE((*reader)->Resync(2, &at, &seq));
  EXPECT_EQ((*reader)->rest().size(), size - 2 - third);
}

TEST_F(JournalTest, DamageWithRecordsAfterItIsFoundAgain) {
  Write({{ThreeRecords(), 0, nullptr}});
  // Flip a byte of the second record's payload.
  {
    std::fstream f(Segment(1), std::ios::in | std::ios::out | std::ios::binary);
    const std::streamoff second = kJournalMagic.size() + kRecordHeaderBytes + 1;
    f.seekp(second + kRecordHeaderBytes + 3);
    f.put('\x7f');
  }
  auto reader = JournalReader::Open(Segment(1));
  ASSERT_TRUE(reader.ok());
  JournalRecord r;
  ASSERT_EQ((*reader)->Next(&r), JournalReader::Result::kRecord);
  ASSERT_EQ((*reader)->Next(&r), JournalReader::Result::kBad);
  EXPECT_NE((*reader)->error().find("checksum"), std::string::npos);
  uint64_t at = 0, seq = 0;
  ASSERT_TRUE((*reader)->Resync(1, &at, &seq));
  EXPECT_EQ(seq, 3u);
  ASSERT_EQ((*reader)->Next(&r), JournalReader::Result::kRecord);
  EXPECT_EQ(r.line, "bcd");
  EXPECT_EQ((*reader)->Next(&r), JournalReader::Result::kEnd);
}

TEST_F(JournalTest, ARotationStartsTheNextSegment) {
  std::string first, second;
  AppendEventRecord(1, "a", &first);
  AppendEventRecord(2, "b", &second);
  Write({{first, /*rotate_to=*/2, nullptr}, {second, 0, nullptr}});
  for (const auto& [segment, line] :
       std::vector<std::pair<uint64_t, std::string>>{{1, "a"}, {2, "b"}}) {
    auto reader = JournalReader::Open(Segment(segment));
    ASSERT_TRUE(reader.ok()) << reader.status();
    JournalRecord r;
    ASSERT_EQ((*reader)->Next(&r), JournalReader::Result::kRecord);
    EXPECT_EQ(r.line, line);
    EXPECT_EQ((*reader)->Next(&r), JournalReader::Result::kEnd);
  }
}

TEST_F(JournalTest, AnEmptyFileHasNoHeaderAndNoRecords) {
  std::ofstream(Segment(7)).close();
  auto reader = JournalReader::Open(Segment(7));
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE((*reader)->header_missing());
  JournalRecord r;
  EXPECT_EQ((*reader)->Next(&r), JournalReader::Result::kEnd);
}

TEST_F(JournalTest, AFileThatIsNotAJournalIsRefused) {
  std::ofstream(Segment(9)) << "hello, world";
  EXPECT_EQ(JournalReader::Open(Segment(9)).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace switchboard::service
