// The fleet's certificates: a private CA, and the keys and certificates it
// issues to NATS, the server, the CLI and each agent (see issue 3).
//
// Everything crosses this API as PEM text, so no OpenSSL type leaks out.
// Keys are EC P-256; serials are 128 random bits; every certificate is
// X.509 v3 signed with SHA-256. All functions are pure apart from the file
// writers at the end, and are safe to call from any thread.
#pragma once

#include "oasis/status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oasis {

// A private key (PKCS#8 PEM) and its public key (SubjectPublicKeyInfo PEM).
struct KeyPair {
    std::string private_pem;
    std::string public_pem;
};

// A certificate and the private key that belongs to it, both PEM.
struct Issued {
    std::string cert_pem;
    std::string key_pem;
};

// What a leaf certificate says about its holder.
struct CertRequest {
    std::string common_name;                // the subject CN; NATS maps "CN=<it>"
    std::vector<std::string> dns_names;     // subjectAltName DNS entries
    std::vector<std::string> ip_addresses;  // IPv4 or IPv6 text, e.g. "127.0.0.1"
    std::vector<std::string> uri_names;     // e.g. "spiffe://oasis/agent/n1"
    int days = 825;                         // lifetime from now; must be > 0
    bool server_auth = false;               // extendedKeyUsage serverAuth
    bool client_auth = false;               // extendedKeyUsage clientAuth
};

// What read_cert finds in a certificate.
struct CertInfo {
    std::string common_name;  // empty when the subject has no CN
    std::string issuer_common_name;
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
    std::vector<std::string> uri_names;
    std::int64_t not_before = 0;  // unix seconds
    std::int64_t not_after = 0;   // unix seconds
    bool is_ca = false;           // basicConstraints CA:TRUE
    std::string serial_hex;       // upper-case hex, no separators
};

// A fresh EC P-256 key pair.
Result<KeyPair> make_key();

// A self-signed CA certificate (CA:TRUE, keyCertSign and cRLSign) with a
// fresh key, valid for `days` from now. invalid_argument for an empty or
// over-long name or days <= 0.
Result<Issued> make_ca(std::string_view common_name, int days);

// A leaf certificate (CA:FALSE) for `req` with a fresh key, signed by `ca`.
// invalid_argument for a bad request (empty CN, an IP that does not parse,
// days <= 0) or a CA whose key does not match its certificate.
Result<Issued> issue_cert(const Issued& ca, const CertRequest& req);

// Reads the first certificate in `pem`. invalid_argument, naming the cause,
// when there is none or it does not parse.
Result<CertInfo> read_cert(std::string_view pem);

// read_cert on the file at `path`. not_found or io_error ("cannot read
// <path>: <reason>") when the file cannot be read, invalid_argument
// ("<path> is not a PEM certificate (...)") when it holds none.
Result<CertInfo> read_cert_file(const std::string& path);

// Certificates this close to their end are warned about (system status,
// and each role's log at start).
inline constexpr int kExpiryWarningDays = 30;

// Whole days from `now_sec` until `not_after_sec` (unix seconds), rounded
// toward the past: 0 within the last day, negative once expired.
std::int64_t days_left(std::int64_t not_after_sec, std::int64_t now_sec);

// Whether `cert_pem` was issued by the CA in `ca_pem` and is valid now.
// permission_denied with OpenSSL's reason ("certificate signature failure",
// "certificate has expired") when not; invalid_argument for bad PEM.
Status verify_chain(std::string_view ca_pem, std::string_view cert_pem);

// Writes `content` to `path` so that a reader never sees half a file: a
// temporary file in the same directory, created with `mode`, written,
// fsynced and renamed over `path`; then the directory is fsynced.
Status write_file_atomically(const std::string& path, std::string_view content, unsigned mode);

// Writes `dir`/<name>.pem (0644) and `dir`/<name>-key.pem (0600), each with
// write_file_atomically; the key is never readable by others, not even
// briefly. Creates `dir` (0755) if it is missing.
Status write_pem_files(const std::string& dir, std::string_view name, const Issued& issued);

}  // namespace oasis
