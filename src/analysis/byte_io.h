#pragma once

// Little-endian binary writer/reader for the incremental analysis state. The reader never reads past its
// input and latches the first failure, so a truncated or garbage input makes Deserialize return nullopt.
// Both classes offer the same Field() overloads, so one Visit() function per struct lists its fields once.

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "analysis/normalise.h"

namespace evni::analysis {

// Integrity check of the state (not cryptographic): FNV-1a over 8-byte little-endian words, then the tail.
inline std::uint64_t StateChecksum(std::span<const std::uint8_t> bytes) {
    constexpr std::uint64_t kPrime = 1099511628211ULL;
    std::uint64_t hash = 14695981039346656037ULL ^ bytes.size();
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t word = 0;
        for (std::size_t b = 0; b < 8; ++b) word |= static_cast<std::uint64_t>(bytes[i + b]) << (8 * b);
        hash = (hash ^ word) * kPrime;
        hash ^= hash >> 29;
    }
    for (; i < bytes.size(); ++i) hash = (hash ^ bytes[i]) * kPrime;
    return hash;
}

class ByteWriter {
  public:
    static constexpr bool kReading = false;

    explicit ByteWriter(std::size_t capacity = 0) { buffer_.reserve(capacity); }

    void Raw(const void* data, std::size_t size) {
        const auto* bytes = static_cast<const std::uint8_t*>(data);
        buffer_.insert(buffer_.end(), bytes, bytes + size);
    }
    template <typename T>
    void Scalar(T value) {
        static_assert(std::is_trivially_copyable_v<T>);
        std::uint8_t bytes[sizeof(T)];
        std::memcpy(bytes, &value, sizeof(T));
        if constexpr (std::endian::native == std::endian::big) {
            for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
        }
        Raw(bytes, sizeof(T));
    }

    void Field(const bool& value) { Scalar<std::uint8_t>(value ? 1 : 0); }
    void Field(const std::uint8_t& value) { Scalar(value); }
    void Field(const std::uint32_t& value) { Scalar(value); }
    void Field(const std::int64_t& value) { Scalar(value); }
    void Field(const double& value) { Scalar(value); }
    template <typename E>
    requires std::is_enum_v<E>
    void Field(const E& value) { Scalar(static_cast<std::uint8_t>(value)); }
    // A timestamp, or 0 for "unset".
    void Time(const std::int64_t& value) { Scalar(value); }
    // A non-negative duration (ms) no longer than the valid timestamp range.
    void Duration(const std::int64_t& value) { Scalar(value); }

    template <typename T, typename Visit>
    void Vector(const std::vector<T>& items, std::size_t /*max_items*/, std::size_t /*min_item_bytes*/, Visit visit) {
        Scalar(static_cast<std::uint32_t>(items.size()));
        for (const T& item : items) visit(*this, item);
    }

    std::vector<std::uint8_t>& Buffer() { return buffer_; }

  private:
    std::vector<std::uint8_t> buffer_;
};

class ByteReader {
  public:
    static constexpr bool kReading = true;

    explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    bool Ok() const { return ok_; }
    bool AtEnd() const { return position_ == bytes_.size(); }
    std::size_t Remaining() const { return bytes_.size() - position_; }
    void Fail() { ok_ = false; }

    bool Raw(void* data, std::size_t size) {
        if (!ok_ || Remaining() < size) {
            ok_ = false;
            std::memset(data, 0, size);
            return false;
        }
        std::memcpy(data, bytes_.data() + position_, size);
        position_ += size;
        return true;
    }
    template <typename T>
    T Scalar() {
        static_assert(std::is_trivially_copyable_v<T>);
        std::uint8_t bytes[sizeof(T)];
        Raw(bytes, sizeof(T));
        if constexpr (std::endian::native == std::endian::big) {
            for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
        }
        T value;
        std::memcpy(&value, bytes, sizeof(T));
        return value;
    }

    void Field(bool& value) {
        const auto byte = Scalar<std::uint8_t>();
        if (byte > 1) ok_ = false;
        value = byte == 1;
    }
    void Field(std::uint8_t& value) { value = Scalar<std::uint8_t>(); }
    void Field(std::uint32_t& value) { value = Scalar<std::uint32_t>(); }
    void Field(std::int64_t& value) { value = Scalar<std::int64_t>(); }
    void Field(double& value) {
        value = Scalar<double>();
        // Every double in the state is a finite number of bounded magnitude.
        if (!std::isfinite(value) || std::fabs(value) > 1e15) {
            ok_ = false;
            value = 0.0;
        }
    }
    template <typename E>
    requires std::is_enum_v<E>
    void Field(E& value) {
        const auto code = Scalar<std::uint8_t>();
        if (code >= static_cast<std::uint8_t>(E::kCount)) {
            ok_ = false;
            value = E{};
            return;
        }
        value = static_cast<E>(code);
    }
    // Timestamps must be unset (0) or valid, so that differences of any two cannot overflow.
    void Time(std::int64_t& value) {
        value = Scalar<std::int64_t>();
        if (value != 0 && (value < kMinValidTimestampMs || value >= kMaxValidTimestampMs)) {
            ok_ = false;
            value = 0;
        }
    }

    void Duration(std::int64_t& value) {
        value = Scalar<std::int64_t>();
        if (value < 0 || value > kMaxValidTimestampMs) {
            ok_ = false;
            value = 0;
        }
    }

    template <typename T, typename Visit>
    void Vector(std::vector<T>& items, std::size_t max_items, std::size_t min_item_bytes, Visit visit) {
        const auto count = Scalar<std::uint32_t>();
        if (!ok_ || count > max_items || static_cast<std::size_t>(count) * min_item_bytes > Remaining()) {
            ok_ = false;
            return;
        }
        items.clear();
        items.resize(count);
        for (T& item : items) {
            visit(*this, item);
            if (!ok_) return;
        }
    }

  private:
    std::span<const std::uint8_t> bytes_;
    std::size_t position_ = 0;
    bool ok_ = true;
};

}  // namespace evni::analysis
