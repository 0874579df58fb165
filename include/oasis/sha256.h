// SHA-256 over a stream of bytes (OpenSSL EVP): the digest of the object
// store's layout, the content address of a file revision, and the check an
// agent makes of what it wrote.
#pragma once

#include "oasis/status.h"

#include <array>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace oasis {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void update(std::string_view bytes);
    // The 32 bytes; an internal error when OpenSSL failed. Once only.
    Result<std::array<unsigned char, 32>> finish();
    // finish() as 64 lower-case hex digits.
    Result<std::string> finish_hex();
    // finish() as the object store writes it: "SHA-256=<base64url, padded>".
    Result<std::string> finish_object_digest();

private:
    struct Free {
        void operator()(evp_md_ctx_st* ctx) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> ctx_;
    bool ok_ = false;
};

// The SHA-256 of the bytes a file descriptor gives until its end, as hex;
// io_error (naming `what`) when reading fails.
Result<std::string> sha256_hex_of_fd(int fd, std::string_view what);

// Whether `text` is 64 lower-case hex digits.
bool is_sha256_hex(std::string_view text);

// The object store's "SHA-256=<base64url>" digest as 64 hex digits;
// invalid_argument when it is not one.
Result<std::string> object_digest_to_hex(std::string_view digest);

}  // namespace oasis
