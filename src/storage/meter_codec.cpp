#include "storage/meter_codec.h"

#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

namespace evni::storage {
namespace {

constexpr std::uint8_t kChunkVersion = 1;

void PutVarint(std::vector<std::uint8_t>& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<std::uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(v));
}

std::uint64_t ZigZag(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t UnZigZag(std::uint64_t v) { return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1); }

class Reader {
  public:
    explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
    bool Varint(std::uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= bytes_.size()) return false;
            std::uint8_t b = bytes_[pos_++];
            v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            if (!(b & 0x80)) return true;
        }
        return false;
    }
    bool Bytes(size_t n, const std::uint8_t*& p) {
        if (n > bytes_.size() - pos_) return false;
        p = bytes_.data() + pos_;
        pos_ += n;
        return true;
    }
    bool Done() const { return pos_ == bytes_.size(); }

  private:
    std::span<const std::uint8_t> bytes_;
    size_t pos_ = 0;
};

}  // namespace

std::vector<std::uint8_t> EncodeMeterChunk(std::span<const domain::MeterValue> values) {
    std::vector<std::string_view> dict;
    std::unordered_map<std::string_view, std::uint64_t> index;
    auto id_of = [&](const std::optional<std::string>& s) -> std::uint64_t {
        if (!s) return 0;
        auto [it, inserted] = index.try_emplace(*s, dict.size() + 1);
        if (inserted) dict.push_back(*s);
        return it->second;
    };
    std::vector<std::uint64_t> ids;
    ids.reserve(values.size() * 4);
    for (const auto& v : values) {
        ids.push_back(id_of(v.measurand));
        ids.push_back(id_of(v.unit));
        ids.push_back(id_of(v.phase));
        ids.push_back(id_of(v.location));
    }
    std::vector<std::uint8_t> out;
    out.reserve(16 + values.size() * 14);
    out.push_back(kChunkVersion);
    PutVarint(out, dict.size());
    for (auto s : dict) {
        PutVarint(out, s.size());
        out.insert(out.end(), s.begin(), s.end());
    }
    PutVarint(out, values.size());
    std::int64_t prev = 0;
    for (size_t i = 0; i < values.size(); ++i) {
        const auto& v = values[i];
        PutVarint(out, ZigZag(v.timestamp - prev));
        prev = v.timestamp;
        std::uint8_t raw[8];
        std::memcpy(raw, &v.value, 8);
        out.insert(out.end(), raw, raw + 8);
        for (int k = 0; k < 4; ++k) PutVarint(out, ids[i * 4 + k]);
        out.push_back(v.reconstructed ? 1 : 0);
    }
    return out;
}

bool DecodeMeterChunk(std::span<const std::uint8_t> bytes, domain::MeterValues& out) {
    Reader r(bytes);
    const std::uint8_t* p = nullptr;
    if (!r.Bytes(1, p) || *p != kChunkVersion) return false;
    std::uint64_t n_dict = 0;
    if (!r.Varint(n_dict) || n_dict > bytes.size()) return false;
    std::vector<std::string> dict;
    dict.reserve(n_dict);
    for (std::uint64_t i = 0; i < n_dict; ++i) {
        std::uint64_t len = 0;
        if (!r.Varint(len) || len > bytes.size() || !r.Bytes(len, p)) return false;
        dict.emplace_back(reinterpret_cast<const char*>(p), len);
    }
    std::uint64_t n = 0;
    if (!r.Varint(n) || n > bytes.size()) return false;
    out.reserve(out.size() + n);
    std::int64_t prev = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        domain::MeterValue v;
        std::uint64_t delta = 0;
        if (!r.Varint(delta)) return false;
        v.timestamp = prev + UnZigZag(delta);
        prev = v.timestamp;
        if (!r.Bytes(8, p)) return false;
        std::memcpy(&v.value, p, 8);
        std::optional<std::string>* fields[4] = {&v.measurand, &v.unit, &v.phase, &v.location};
        for (auto* f : fields) {
            std::uint64_t id = 0;
            if (!r.Varint(id) || id > dict.size()) return false;
            if (id != 0) *f = dict[id - 1];
        }
        if (!r.Bytes(1, p) || *p > 1) return false;
        v.reconstructed = *p == 1;
        out.push_back(std::move(v));
    }
    return r.Done();
}

}  // namespace evni::storage
