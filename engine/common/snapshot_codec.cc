// Snapshot byte primitives (see snapshot_codec.h).
#include "engine/common/snapshot_codec.h"

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "boost/crc.hpp"

namespace switchboard::common {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;

enum DurationKind : uint8_t {
  kFinite = 0,
  kPlusInfinite = 1,
  kMinusInfinite = 2
};

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

absl::string_view AView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

uint32_t Crc32c(std::string_view bytes) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

// ---- writer
// -------------------------------------------------------------------

void SnapshotWriter::PutVarint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void SnapshotWriter::PutSigned(int64_t v) { PutVarint(ZigZag(v)); }

void SnapshotWriter::PutFixed32(uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}

void SnapshotWriter::PutDouble(double v) {
  uint64_t bits;
  static_assert(sizeof(bits) == sizeof(v));
  std::memcpy(&bits, &v, sizeof(bits));
  for (int i = 0; i < 8; ++i) {
    out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
  }
}

void SnapshotWriter::PutString(std::string_view s) {
  PutVarint(s.size());
  out_.append(s.data(), s.size());
}

void SnapshotWriter::PutDuration(absl::Duration d) {
  if (d == absl::InfiniteDuration()) {
    PutU8(kPlusInfinite);
    return;
  }
  if (d == -absl::InfiniteDuration()) {
    PutU8(kMinusInfinite);
    return;
  }
  PutU8(kFinite);
  absl::Duration rem;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &rem);
  PutSigned(seconds);
  PutSigned(absl::ToInt64Nanoseconds(rem));
}

void SnapshotWriter::PutTime(absl::Time t) {
  if (t == absl::InfiniteFuture()) {
    PutU8(kPlusInfinite);
    return;
  }
  if (t == absl::InfinitePast()) {
    PutU8(kMinusInfinite);
    return;
  }
  PutDuration(t - absl::UnixEpoch());
}

size_t SnapshotWriter::BeginSection(uint64_t tag) {
  PutVarint(tag);
  // Reserve 5 bytes for the length (a padded varint: up to 34 GB bodies).
  const size_t handle = out_.size();
  out_.append(5, '\0');
  return handle;
}

void SnapshotWriter::EndSection(size_t handle) {
  uint64_t len = out_.size() - handle - 5;
  // Padded varint: continuation bits on the first four bytes.
  for (int i = 0; i < 5; ++i) {
    uint8_t b = static_cast<uint8_t>(len & 0x7F);
    len >>= 7;
    if (i < 4) b |= 0x80;
    out_[handle + i] = static_cast<char>(b);
  }
}

std::string SnapshotWriter::Release() {
  std::string out = std::move(out_);
  out_.clear();
  return out;
}

// ---- reader
// -------------------------------------------------------------------

bool SnapshotReader::Fail(std::string_view what) {
  if (status_.ok()) {
    status_ = absl::DataLossError(absl::StrCat(
        "snapshot: bad or truncated ", AView(what), " at byte ", base_ + pos_));
  }
  return false;
}

bool SnapshotReader::Need(size_t n, std::string_view what) {
  if (!status_.ok()) return false;
  if (n > remaining()) return Fail(what);
  return true;
}

bool SnapshotReader::ReadU8(uint8_t* v, std::string_view what) {
  if (!Need(1, what)) return false;
  *v = static_cast<uint8_t>(data_[pos_++]);
  return true;
}

bool SnapshotReader::ReadBool(bool* v, std::string_view what) {
  uint8_t b;
  if (!ReadU8(&b, what)) return false;
  if (b > 1) {
    --pos_;
    return Fail(what);
  }
  *v = b == 1;
  return true;
}

bool SnapshotReader::ReadVarint(uint64_t* v, std::string_view what) {
  if (!status_.ok()) return false;
  uint64_t result = 0;
  const size_t start = pos_;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) {
      pos_ = start;
      return Fail(what);
    }
    const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    if (shift == 63 && b > 1) {  // more than 64 bits
      pos_ = start;
      return Fail(what);
    }
    result |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  pos_ = start;
  return Fail(what);
}

bool SnapshotReader::ReadSigned(int64_t* v, std::string_view what) {
  uint64_t u;
  if (!ReadVarint(&u, what)) return false;
  *v = UnZigZag(u);
  return true;
}

bool SnapshotReader::ReadFixed32(uint32_t* v, std::string_view what) {
  if (!Need(4, what)) return false;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) {
    r |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + i]))
         << (8 * i);
  }
  pos_ += 4;
  *v = r;
  return true;
}

bool SnapshotReader::ReadDouble(double* v, std::string_view what) {
  if (!Need(8, what)) return false;
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) {
    bits |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i]))
            << (8 * i);
  }
  pos_ += 8;
  std::memcpy(v, &bits, sizeof(bits));
  return true;
}

bool SnapshotReader::ReadStringView(std::string_view* s,
                                    std::string_view what) {
  const size_t start = pos_;
  uint64_t n;
  if (!ReadVarint(&n, what)) return false;
  if (n > remaining()) {
    pos_ = start;
    return Fail(what);
  }
  *s = data_.substr(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return true;
}

bool SnapshotReader::ReadString(std::string* s, std::string_view what) {
  std::string_view view;
  if (!ReadStringView(&view, what)) return false;
  s->assign(view.data(), view.size());
  return true;
}

bool SnapshotReader::ReadDuration(absl::Duration* d, std::string_view what) {
  uint8_t kind;
  if (!ReadU8(&kind, what)) return false;
  switch (kind) {
    case kPlusInfinite:
      *d = absl::InfiniteDuration();
      return true;
    case kMinusInfinite:
      *d = -absl::InfiniteDuration();
      return true;
    case kFinite:
      break;
    default:
      --pos_;
      return Fail(what);
  }
  int64_t seconds, nanos;
  if (!ReadSigned(&seconds, what) || !ReadSigned(&nanos, what)) return false;
  if (nanos <= -kNanosPerSecond || nanos >= kNanosPerSecond) {
    return Fail(what);
  }
  *d = absl::Seconds(seconds) + absl::Nanoseconds(nanos);
  return true;
}

bool SnapshotReader::ReadTime(absl::Time* t, std::string_view what) {
  absl::Duration d;
  if (!ReadDuration(&d, what)) return false;
  if (d == absl::InfiniteDuration()) {
    *t = absl::InfiniteFuture();
  } else if (d == -absl::InfiniteDuration()) {
    *t = absl::InfinitePast();
  } else {
    *t = absl::UnixEpoch() + d;
  }
  return true;
}

bool SnapshotReader::ReadCount(uint64_t* n, size_t min_item_bytes,
                               std::string_view what) {
  const size_t start = pos_;
  if (!ReadVarint(n, what)) return false;
  if (min_item_bytes == 0) min_item_bytes = 1;
  if (*n > remaining() / min_item_bytes) {
    pos_ = start;
    return Fail(what);
  }
  return true;
}

bool SnapshotReader::ReadSection(uint64_t* tag, SnapshotReader* body) {
  uint64_t n;
  if (!ReadVarint(tag, "section tag") || !ReadVarint(&n, "section length")) {
    return false;
  }
  if (n > remaining()) return Fail("section length");
  *body =
      SnapshotReader(data_.substr(pos_, static_cast<size_t>(n)), base_ + pos_);
  pos_ += static_cast<size_t>(n);
  return true;
}

bool SnapshotReader::ExpectDone(std::string_view what) {
  if (!status_.ok()) return false;
  if (!done()) {
    return Fail(absl::StrCat("trailing bytes in ", AView(what)));
  }
  return true;
}

// ---- frame
// --------------------------------------------------------------------

std::string FrameSnapshot(std::string_view payload) {
  SnapshotWriter w;
  for (char c : kSnapshotMagic) w.PutU8(static_cast<uint8_t>(c));
  w.PutVarint(kSnapshotFormatVersion);
  w.PutVarint(payload.size());
  std::string out = w.Release();
  out.append(payload.data(), payload.size());
  const uint32_t crc = Crc32c(out);
  SnapshotWriter tail;
  tail.PutFixed32(crc);
  out += tail.data();
  return out;
}

namespace {

// Reads the frame's header from the start of `bytes`: sets *header to its
// size and *length to the payload's. Errors as UnframeSnapshot's.
absl::Status ReadFrameHeader(std::string_view bytes, size_t* header,
                             uint64_t* length) {
  if (bytes.size() < kSnapshotMagic.size() ||
      bytes.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) {
    return absl::InvalidArgumentError(
        "not a switchboard snapshot (the magic 'SWBSNAP' is missing)");
  }
  SnapshotReader r(bytes.substr(kSnapshotMagic.size()), kSnapshotMagic.size());
  uint64_t version = 0;
  if (!r.ReadVarint(&version, "format version")) return r.status();
  if (version != kSnapshotFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot format version ", version,
                     " is not supported (this build "
                     "reads version ",
                     kSnapshotFormatVersion, ")"));
  }
  if (!r.ReadVarint(length, "payload length")) return r.status();
  *header = bytes.size() - r.remaining();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint64_t> SnapshotFrameSize(std::string_view prefix) {
  size_t header = 0;
  uint64_t length = 0;
  if (absl::Status s = ReadFrameHeader(prefix, &header, &length); !s.ok()) {
    return s;
  }
  constexpr uint64_t kMax = ~uint64_t{0};
  if (length > kMax - header - 4) {
    return absl::DataLossError(
        absl::StrCat("snapshot: impossible payload length ", length));
  }
  return header + length + 4;
}

absl::StatusOr<std::string_view> UnframeSnapshot(std::string_view bytes) {
  size_t header = 0;
  uint64_t length = 0;
  if (absl::Status s = ReadFrameHeader(bytes, &header, &length); !s.ok()) {
    return s;
  }
  const size_t remaining = bytes.size() - header;
  if (length > remaining || remaining - length != 4) {
    return absl::DataLossError(absl::StrCat(
        "snapshot: truncated or padded (payload length ", length, ", ",
        remaining, " bytes follow the header, expected ", length, " + 4)"));
  }
  const std::string_view payload =
      bytes.substr(header, static_cast<size_t>(length));
  SnapshotReader tail(bytes.substr(header + payload.size()),
                      header + payload.size());
  uint32_t stored = 0;
  if (!tail.ReadFixed32(&stored, "checksum")) return tail.status();
  const uint32_t actual = Crc32c(bytes.substr(0, header + payload.size()));
  if (stored != actual) {
    return absl::DataLossError(absl::StrCat(
        "snapshot: checksum mismatch (stored ",
        absl::Hex(stored, absl::kZeroPad8), ", computed ",
        absl::Hex(actual, absl::kZeroPad8), "): the file is corrupted"));
  }
  return payload;
}

}  // namespace switchboard::common
