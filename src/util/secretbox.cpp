#include "util/secretbox.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <stdexcept>

namespace evni::crypto {

std::optional<SecretBox> SecretBox::FromHex(std::string_view hex) {
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.remove_suffix(1);
    if (hex.size() != kKeyBytes * 2) return std::nullopt;
    std::array<std::uint8_t, kKeyBytes> key{};
    std::size_t len = 0;
    if (sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0 ||
        len != kKeyBytes) {
        return std::nullopt;
    }
    return SecretBox(key);
}

SecretBox SecretBox::LoadOrCreate(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
        std::array<std::uint8_t, kKeyBytes> key{};
        randombytes_buf(key.data(), key.size());
        char hex[kKeyBytes * 2 + 1];
        sodium_bin2hex(hex, sizeof hex, key.data(), key.size());
        // O_EXCL: of two processes starting at once, one creates the file and the other reads it.
        int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            std::string line = std::string(hex) + "\n";
            bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
            close(fd);
            sodium_memzero(hex, sizeof hex);
            if (!ok) throw std::runtime_error("cannot write the secret key file " + file.string());
            return SecretBox(key);
        }
        if (errno != EEXIST) throw std::runtime_error("cannot create the secret key file " + file.string());
    }
    std::ifstream in(file);
    std::string text;
    if (!in || !std::getline(in, text)) throw std::runtime_error("cannot read the secret key file " + file.string());
    auto box = FromHex(text);
    if (!box) throw std::runtime_error("the secret key file " + file.string() + " does not hold 64 hex digits");
    return *box;
}

std::vector<std::uint8_t> SecretBox::Seal(std::string_view plaintext) const {
    std::vector<std::uint8_t> out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size());
    randombytes_buf(out.data(), crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out.data() + crypto_secretbox_NONCEBYTES,
                          reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(), out.data(),
                          key_.data());
    return out;
}

std::optional<std::string> SecretBox::Open(std::span<const std::uint8_t> sealed) const {
    if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) return std::nullopt;
    std::string out(sealed.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()),
                                   sealed.data() + crypto_secretbox_NONCEBYTES,
                                   sealed.size() - crypto_secretbox_NONCEBYTES, sealed.data(), key_.data()) != 0) {
        return std::nullopt;
    }
    return out;
}

const SecretBox& ServerKey::Get() {
    std::lock_guard lock(mu_);
    if (!box_) box_ = std::make_unique<SecretBox>(SecretBox::LoadOrCreate(file_));
    return *box_;
}

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
    crypto_auth_hmacsha256_state state;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
    crypto_auth_hmacsha256_final(&state, mac);
    char hex[sizeof mac * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    return hex;
}

}  // namespace evni::crypto
