// Clock marks, decision ids and snapshot records (records.h).
#include "service/kafka/records.h"

#include <charconv>
#include <cstring>

#include "fmt/format.h"
#include "switchboard/time.h"

namespace switchboard::service::kafka {
namespace {

constexpr std::string_view kManifestMagic = "SWBKMAN1";
constexpr std::string_view kChunkMagic = "SWBKCHK1";

// Little-endian fixed-width integers.
template <typename T>
void Put(T v, std::string* out) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out->push_back(static_cast<char>(static_cast<uint64_t>(v) >> (8 * i)));
  }
}

class Cursor {
 public:
  explicit Cursor(std::string_view data) : data_(data) {}
  template <typename T>
  bool Get(T* v) {
    if (data_.size() < sizeof(T)) return false;
    uint64_t r = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      r |= static_cast<uint64_t>(static_cast<uint8_t>(data_[i])) << (8 * i);
    }
    *v = static_cast<T>(r);
    data_.remove_prefix(sizeof(T));
    return true;
  }
  bool GetString(std::string* s) {
    uint32_t n = 0;
    if (!Get(&n) || data_.size() < n) return false;
    s->assign(data_.data(), n);
    data_.remove_prefix(n);
    return true;
  }
  bool Magic(std::string_view magic) {
    if (data_.substr(0, magic.size()) != magic) return false;
    data_.remove_prefix(magic.size());
    return true;
  }
  std::string_view rest() const { return data_; }

 private:
  std::string_view data_;
};

bool ParseInt(std::string_view text, int64_t* v) {
  if (text.empty()) return false;
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), *v);
  return ec == std::errc() && end == text.data() + text.size() && *v >= 0;
}

}  // namespace

std::string ClockMarkValue(absl::Time time) {
  return fmt::format(R"({{"time":"{}","type":"switchboard.clock"}})",
                     FormatTimestamp(time));
}

absl::StatusOr<absl::Time> ParseClockMark(std::string_view value) {
  constexpr std::string_view kStart = R"({"time":")";
  const size_t end = value.find('"', kStart.size());
  if (value.substr(0, kStart.size()) != kStart ||
      end == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "a clock mark's value is {\"time\":\"RFC 3339\",...}");
  }
  return ParseTimestamp(value.substr(kStart.size(), end - kStart.size()));
}

std::string IdPrefix(std::string_view topic, int32_t partition) {
  return fmt::format("{}-{}-", topic, partition);
}

std::optional<DecisionPlace> ParseDecisionPlace(std::string_view value,
                                                std::string_view prefix) {
  // ...,"id":"PREFIXOFFSET-K"}
  constexpr std::string_view kId = R"("id":")";
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' ||
                            value.back() == ' ')) {
    value.remove_suffix(1);
  }
  if (value.size() < 2 || value.substr(value.size() - 2) != "\"}") {
    return std::nullopt;
  }
  const size_t at = value.rfind(kId);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view id =
      value.substr(at + kId.size(), value.size() - 2 - at - kId.size());
  if (id.substr(0, prefix.size()) != prefix) return std::nullopt;
  id.remove_prefix(prefix.size());
  const size_t dash = id.find('-');
  DecisionPlace place;
  if (dash == std::string_view::npos ||
      !ParseInt(id.substr(0, dash), &place.offset) ||
      !ParseInt(id.substr(dash + 1), &place.k)) {
    return std::nullopt;
  }
  return place;
}

std::string ManifestKey(std::string_view topic, int32_t partition) {
  return fmt::format("{}-{}", topic, partition);
}

std::string ChunkKey(std::string_view topic, int32_t partition,
                     uint64_t generation, int32_t index) {
  return fmt::format("{}-{}/{}/{}", topic, partition, generation % 2, index);
}

std::string EncodeManifest(const SnapshotManifest& m) {
  std::string out(kManifestMagic);
  Put(m.partition, &out);
  Put(m.generation, &out);
  Put(m.offset, &out);
  Put(m.decisions_offset, &out);
  Put(m.chunks, &out);
  Put(m.bytes, &out);
  Put(absl::ToUnixNanos(m.taken), &out);
  Put(static_cast<uint32_t>(m.ruleset.size()), &out);
  out += m.ruleset;
  return out;
}

absl::StatusOr<SnapshotManifest> DecodeManifest(std::string_view value) {
  Cursor c(value);
  SnapshotManifest m;
  int64_t taken = 0;
  if (!c.Magic(kManifestMagic) || !c.Get(&m.partition) ||
      !c.Get(&m.generation) || !c.Get(&m.offset) ||
      !c.Get(&m.decisions_offset) || !c.Get(&m.chunks) || !c.Get(&m.bytes) ||
      !c.Get(&taken) || !c.GetString(&m.ruleset) || !c.rest().empty() ||
      m.chunks < 0 || m.offset < 0 || m.decisions_offset < 0) {
    return absl::DataLossError("not a switchboard snapshot manifest");
  }
  m.taken = absl::FromUnixNanos(taken);
  return m;
}

std::string EncodeChunk(uint64_t generation, int32_t index,
                        std::string_view payload) {
  std::string out;
  out.reserve(kChunkMagic.size() + 12 + payload.size());
  out += kChunkMagic;
  Put(generation, &out);
  Put(index, &out);
  out += payload;
  return out;
}

absl::StatusOr<Chunk> DecodeChunk(std::string_view value) {
  Cursor c(value);
  Chunk chunk;
  if (!c.Magic(kChunkMagic) || !c.Get(&chunk.generation) ||
      !c.Get(&chunk.index) || chunk.index < 0) {
    return absl::DataLossError("not a switchboard snapshot chunk");
  }
  chunk.payload = c.rest();
  return chunk;
}

SnapshotAssembler::SnapshotAssembler(std::string_view topic, int32_t partition)
    : manifest_key_(ManifestKey(topic, partition)),
      chunk_prefix_(manifest_key_ + "/") {}

void SnapshotAssembler::Add(std::string_view key, std::string_view value,
                            int64_t offset) {
  if (key.substr(0, chunk_prefix_.size()) == chunk_prefix_) {
    absl::StatusOr<Chunk> chunk = DecodeChunk(value);
    if (chunk.ok()) {
      chunks_[chunk->generation][chunk->index].assign(chunk->payload);
    }
    return;
  }
  if (key != manifest_key_) return;
  absl::StatusOr<SnapshotManifest> manifest = DecodeManifest(value);
  if (!manifest.ok()) {
    ++incomplete_;
    last_problem_ = fmt::format("record {}: {}", offset,
                                std::string(manifest.status().message()));
    return;
  }
  const uint64_t gen = manifest->generation;
  auto it = chunks_.find(gen);
  std::string bytes;
  bool whole = it != chunks_.end() &&
               static_cast<int32_t>(it->second.size()) >= manifest->chunks;
  for (int32_t i = 0; whole && i < manifest->chunks; ++i) {
    auto c = it->second.find(i);
    if (c == it->second.end()) {
      whole = false;
    } else {
      bytes += c->second;
    }
  }
  if (whole && bytes.size() != manifest->bytes) whole = false;
  // Chunks of this generation and older ones are done with either way.
  chunks_.erase(chunks_.begin(), chunks_.upper_bound(gen));
  if (!whole) {
    ++incomplete_;
    last_problem_ = fmt::format(
        "record {}: snapshot {} of offset {} lacks chunks (cut short, or "
        "deleted by retention)",
        offset, gen, manifest->offset);
    return;
  }
  best_ = StoredSnapshot{std::move(*manifest), std::move(bytes), offset};
}

std::optional<StoredSnapshot> SnapshotAssembler::Take() {
  return std::move(best_);
}

}  // namespace switchboard::service::kafka
