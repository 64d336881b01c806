// The records of serve --kafka (service/kafka/records.h) and produce's
// partitioner (service/kafka/producer.h), without a cluster.
#include <librdkafka/rdkafka.h>

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/kafka/producer.h"
#include "service/kafka/records.h"
#include "switchboard/time.h"

namespace switchboard::service::kafka {
namespace {

using ::testing::Optional;

TEST(ClockMarkTest, RoundTrips) {
  const absl::Time t = *ParseTimestamp("2026-11-23T10:00:00.125Z");
  const std::string value = ClockMarkValue(t);
  EXPECT_EQ(
      value,
      R"({"time":"2026-11-23T10:00:00.125Z","type":"switchboard.clock"})");
  absl::StatusOr<absl::Time> back = ParseClockMark(value);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, t);
  EXPECT_FALSE(ParseClockMark("2026-11-23T10:00:00Z").ok());
  EXPECT_FALSE(ParseClockMark(R"({"time":"yesterday"})").ok());
}

TEST(DecisionIdTest, ParsesThePlaceOfItsOwnPartitionOnly) {
  const std::string prefix = IdPrefix("ev-ents", 3);
  EXPECT_EQ(prefix, "ev-ents-3-");
  const std::string line =
      R"({"time":"2026-11-23T10:00:00Z","ruleset":"r","session":"a",)"
      R"("rule":"x","action":"tag","trigger":"t","id":"ev-ents-3-1234-2"})";
  EXPECT_THAT(ParseDecisionPlace(line, prefix),
              Optional(DecisionPlace{1234, 2}));
  EXPECT_THAT(ParseDecisionPlace(line + "\n", prefix),
              Optional(DecisionPlace{1234, 2}));
  // Partition 13 shares the first characters of the prefix.
  EXPECT_EQ(ParseDecisionPlace(line, IdPrefix("ev-ents", 1)), std::nullopt);
  EXPECT_EQ(ParseDecisionPlace(line, IdPrefix("ev", 3)), std::nullopt);
  EXPECT_EQ(ParseDecisionPlace(R"({"id":"ev-ents-3-x-2"})", prefix),
            std::nullopt);
  EXPECT_EQ(ParseDecisionPlace("not json", prefix), std::nullopt);
}

TEST(SnapshotRecordsTest, ManifestAndChunksRoundTrip) {
  SnapshotManifest m;
  m.partition = 7;
  m.generation = 42;
  m.offset = 1000;
  m.decisions_offset = 77;
  m.chunks = 3;
  m.bytes = 12345;
  m.taken = absl::FromUnixSeconds(1800000000);
  m.ruleset = "shop";
  absl::StatusOr<SnapshotManifest> back = DecodeManifest(EncodeManifest(m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->partition, 7);
  EXPECT_EQ(back->generation, 42u);
  EXPECT_EQ(back->offset, 1000);
  EXPECT_EQ(back->decisions_offset, 77);
  EXPECT_EQ(back->chunks, 3);
  EXPECT_EQ(back->bytes, 12345u);
  EXPECT_EQ(back->taken, m.taken);
  EXPECT_EQ(back->ruleset, "shop");
  EXPECT_FALSE(DecodeManifest(EncodeManifest(m).substr(1)).ok());
  EXPECT_FALSE(DecodeManifest(EncodeManifest(m) + "x").ok());

  // A Chunk views the bytes it was decoded from: keep them.
  const std::string encoded = EncodeChunk(5, 2, "payload");
  absl::StatusOr<Chunk> chunk = DecodeChunk(encoded);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(chunk->generation, 5u);
  EXPECT_EQ(chunk->index, 2);
  EXPECT_EQ(chunk->payload, "payload");
  EXPECT_EQ(ChunkKey("t", 1, 5, 2), "t-1/1/2");
  EXPECT_EQ(ChunkKey("t", 1, 6, 2), "t-1/0/2");
  EXPECT_EQ(ManifestKey("t", 1), "t-1");
}

// Feeds snapshot `gen` of partition 1 of "t" (its bytes cut in two chunks)
// to `a`, from offset `at`; `drop_chunk` leaves one chunk out.
int64_t Feed(SnapshotAssembler& a, uint64_t gen, const std::string& bytes,
             int64_t at, bool drop_chunk = false) {
  const size_t half = bytes.size() / 2;
  if (!drop_chunk) {
    a.Add(ChunkKey("t", 1, gen, 0), EncodeChunk(gen, 0, bytes.substr(0, half)),
          at++);
  }
  a.Add(ChunkKey("t", 1, gen, 1), EncodeChunk(gen, 1, bytes.substr(half)),
        at++);
  SnapshotManifest m;
  m.partition = 1;
  m.generation = gen;
  m.offset = static_cast<int64_t>(gen) * 100;
  m.chunks = 2;
  m.bytes = bytes.size();
  a.Add(ManifestKey("t", 1), EncodeManifest(m), at++);
  return at;
}

TEST(SnapshotAssemblerTest, KeepsTheNewestCompleteSnapshot) {
  SnapshotAssembler a("t", 1);
  int64_t at = 0;
  at = Feed(a, 1, "first snapshot", at);
  // Another partition's records in between are skipped.
  a.Add(ChunkKey("t", 11, 1, 0), EncodeChunk(1, 0, "other"), at++);
  a.Add(ManifestKey("t", 11), "garbage", at++);
  at = Feed(a, 2, "second snapshot", at);
  // The third lost a chunk (retention), the fourth was cut short (no
  // manifest): the second stands.
  at = Feed(a, 3, "third snapshot", at, /*drop_chunk=*/true);
  a.Add(ChunkKey("t", 1, 4, 0), EncodeChunk(4, 0, "fourth"), at++);
  std::optional<StoredSnapshot> best = a.Take();
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(best->bytes, "second snapshot");
  EXPECT_EQ(best->manifest.generation, 2u);
  EXPECT_EQ(best->manifest.offset, 200);
  EXPECT_EQ(a.incomplete(), 1);
  EXPECT_THAT(a.last_problem(), ::testing::HasSubstr("lacks chunks"));
}

TEST(SnapshotAssemblerTest, NothingWithoutAManifest) {
  SnapshotAssembler a("t", 1);
  a.Add(ChunkKey("t", 1, 1, 0), EncodeChunk(1, 0, "x"), 0);
  EXPECT_EQ(a.Take(), std::nullopt);
}

// produce's partitioner is librdkafka's murmur2 (the Java client's).
TEST(PartitionOfTest, IsLibrdkafkasMurmur2) {
  std::mt19937 random(20261207);
  for (int i = 0; i < 2000; ++i) {
    std::string key(random() % 40, '\0');
    for (char& c : key) c = static_cast<char>(random());
    const int32_t partitions = 1 + static_cast<int32_t>(random() % 64);
    EXPECT_EQ(PartitionOf(key, partitions),
              rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(),
                                               partitions, nullptr, nullptr))
        << "key of " << key.size() << " bytes, " << partitions << " partitions";
  }
  EXPECT_EQ(PartitionOf("", 1), 0);
}

}  // namespace
}  // namespace switchboard::service::kafka
