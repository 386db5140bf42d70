#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace evni::crypto {

// Authenticated encryption of small secrets at rest (libsodium crypto_secretbox: XSalsa20-Poly1305)
// under a 32-byte server key. Sealed form: 24-byte random nonce followed by the ciphertext.
class SecretBox {
  public:
    static constexpr std::size_t kKeyBytes = 32;
    explicit SecretBox(const std::array<std::uint8_t, kKeyBytes>& key) : key_(key) {}
    // 64 hex digits; nullopt when malformed.
    static std::optional<SecretBox> FromHex(std::string_view hex);
    // Reads the key file (64 hex digits), creating it with a random key (mode 0600, its directory
    // too) when it does not exist. Throws std::runtime_error when it cannot.
    static SecretBox LoadOrCreate(const std::filesystem::path& file);

    std::vector<std::uint8_t> Seal(std::string_view plaintext) const;
    // nullopt when the bytes were not sealed with this key or were altered.
    std::optional<std::string> Open(std::span<const std::uint8_t> sealed) const;

  private:
    std::array<std::uint8_t, kKeyBytes> key_;
};

// The server key, resolved on first use: a key given directly (EVNI_SECRET_KEY) or a key file,
// created when missing. Thread-safe.
class ServerKey {
  public:
    explicit ServerKey(SecretBox key) : box_(std::make_unique<SecretBox>(key)) {}
    explicit ServerKey(std::filesystem::path file) : file_(std::move(file)) {}
    const SecretBox& Get();
    const std::filesystem::path& file() const { return file_; }

  private:
    std::mutex mu_;
    std::filesystem::path file_;
    std::unique_ptr<SecretBox> box_;
};

// Lowercase hex HMAC-SHA256 of `message` under `key` (any length).
std::string HmacSha256Hex(std::string_view key, std::string_view message);

}  // namespace evni::crypto
