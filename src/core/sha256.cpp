#include "oasis/sha256.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace oasis {

namespace {
constexpr std::string_view kObjectDigestPrefix = "SHA-256=";
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const {
    EVP_MD_CTX_free(ctx);
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view bytes) {
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) == 1;
}

Result<std::array<unsigned char, 32>> Sha256::finish() {
    std::array<unsigned char, 32> md{};
    unsigned int len = 0;
    bool done = ok_ && EVP_DigestFinal_ex(ctx_.get(), md.data(), &len) == 1 && len == md.size();
    ok_ = false;
    if (!done) return error(Code::internal, "SHA-256 failed in OpenSSL");
    return md;
}

Result<std::string> Sha256::finish_hex() {
    auto md = finish();
    if (!md.ok()) return md.status();
    std::string out;
    out.reserve(64);
    for (unsigned char b : *md) {
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
    return out;
}

Result<std::string> Sha256::finish_object_digest() {
    auto md = finish();
    if (!md.ok()) return md.status();
    std::string out(sodium_base64_ENCODED_LEN(md->size(), sodium_base64_VARIANT_URLSAFE), '\0');
    sodium_bin2base64(out.data(), out.size(), md->data(), md->size(),
                      sodium_base64_VARIANT_URLSAFE);
    out.resize(std::strlen(out.c_str()));
    return std::string(kObjectDigestPrefix) + out;
}

Result<std::string> sha256_hex_of_fd(int fd, std::string_view what) {
    Sha256 sha;
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            return error(Code::io_error, "read " + std::string(what) + ": " + strerror(errno));
        }
        sha.update(std::string_view(buf, static_cast<std::size_t>(n)));
    }
    return sha.finish_hex();
}

bool is_sha256_hex(std::string_view text) {
    if (text.size() != 64) return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

Result<std::string> object_digest_to_hex(std::string_view digest) {
    if (digest.substr(0, kObjectDigestPrefix.size()) != kObjectDigestPrefix)
        return error(Code::invalid_argument,
                     "not a SHA-256 digest: " + std::string(digest.substr(0, 80)));
    digest.remove_prefix(kObjectDigestPrefix.size());
    unsigned char md[64];
    std::size_t len = 0;
    std::string b64(digest);
    if (sodium_base642bin(md, sizeof md, b64.data(), b64.size(), "=", &len, nullptr,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != 32)
        return error(Code::invalid_argument,
                     "not a SHA-256 digest: " + std::string(digest.substr(0, 80)));
    std::string out;
    for (std::size_t i = 0; i < len; ++i) {
        out += kHex[md[i] >> 4];
        out += kHex[md[i] & 15];
    }
    return out;
}

}  // namespace oasis
