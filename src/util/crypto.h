#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace evni::crypto {

// Must be called once before any other function (libsodium initialisation). Returns false on failure.
bool Init();

// `n_bytes` of cryptographically secure randomness, encoded as lowercase hex (2*n_bytes chars).
std::string RandomHex(size_t n_bytes);

// Random token in the URL-safe base64 alphabet without padding, from `n_bytes` random bytes.
std::string RandomToken(size_t n_bytes);

// A random version-4 UUID string, used as public identifier of stored objects.
std::string NewUuid();

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Constant-time comparison of two equal-length strings (false when the lengths differ).
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace evni::crypto
