// The fleet's CA and certificates with OpenSSL 3's EVP and X509 APIs.
//
// Every OpenSSL object lives in a unique_ptr with its free function, so no
// path leaks one. OpenSSL reports failures on a per-thread error queue; each
// failure here drains it into the message (openssl_error), so the queue is
// empty again when a function returns.
#include "oasis/pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>

namespace oasis {

namespace {

template <auto Free>
struct Deleter {
    template <typename T>
    void operator()(T* p) const {
        Free(p);
    }
};

using Bio = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using Names = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;

constexpr int kMaxCommonName = 64;  // ub-common-name in RFC 5280

// The queued OpenSSL errors as one line (and the queue cleared).
std::string openssl_error() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

Status ssl_failure(std::string_view what) {
    return error(Code::internal, std::string(what) + ": " + openssl_error());
}

Bio read_bio(std::string_view text) {
    return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

Result<std::string> private_pem(EVP_PKEY* key) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
        return ssl_failure("writing a private key");
    return bio_text(bio.get());
}

Result<std::string> cert_pem(X509* cert) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_X509(bio.get(), cert)) return ssl_failure("writing a certificate");
    return bio_text(bio.get());
}

Result<Cert> parse_cert(std::string_view pem) {
    Bio bio = read_bio(pem);
    Cert cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) {
        std::string why = openssl_error();
        return error(Code::invalid_argument, "not a PEM certificate (" + why + ")");
    }
    return cert;
}

Result<Key> parse_key(std::string_view pem) {
    Bio bio = read_bio(pem);
    Key key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key) {
        std::string why = openssl_error();
        return error(Code::invalid_argument, "not a PEM private key (" + why + ")");
    }
    return key;
}

Result<Key> new_key() {
    Key key(EVP_EC_gen("P-256"));
    if (!key) return ssl_failure("making an EC P-256 key");
    return key;
}

Status check_name_and_days(std::string_view common_name, int days) {
    if (common_name.empty() || common_name.size() > kMaxCommonName)
        return error(Code::invalid_argument,
                     "a certificate's common name must have 1 to 64 "
                     "characters, got \"" +
                         std::string(common_name) + "\"");
    if (days <= 0)
        return error(
            Code::invalid_argument,
            "a certificate's lifetime must be at least one day, got " + std::to_string(days));
    return {};
}

// 128 random bits, top bit clear so the DER INTEGER stays positive and at
// most 16 bytes (RFC 5280 allows 20).
Status set_random_serial(X509* cert) {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return ssl_failure("drawing a serial number");
    bytes[0] &= 0x7f;
    Bignum bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
    if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)))
        return ssl_failure("setting a serial number");
    return {};
}

// A certificate with everything but extensions and signature: v3, serial,
// subject CN, issuer, validity and public key. Backdated by five minutes so
// a peer whose clock is a little behind accepts it at once.
Result<Cert> new_cert(std::string_view common_name, X509_NAME* issuer, EVP_PKEY* key, int days) {
    Cert cert(X509_new());
    if (!cert || !X509_set_version(cert.get(), X509_VERSION_3))
        return ssl_failure("making a certificate");
    OASIS_RETURN_IF_ERROR(set_random_serial(cert.get()));

    X509_NAME* subject = X509_get_subject_name(cert.get());
    const auto* cn = reinterpret_cast<const unsigned char*>(common_name.data());
    if (!X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, cn,
                                    static_cast<int>(common_name.size()), -1, 0))
        return ssl_failure("setting the subject name");
    if (!X509_set_issuer_name(cert.get(), issuer ? issuer : subject))
        return ssl_failure("setting the issuer name");

    const long seconds = static_cast<long>(days) * 24 * 3600;
    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert.get()), seconds) ||
        !X509_set_pubkey(cert.get(), key))
        return ssl_failure("setting validity and key");
    return cert;
}

// Adds an extension given in OpenSSL's configuration syntax; only for fixed
// values written here, never for names from a caller (see add_alt_names).
Status add_ext(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || !X509_add_ext(cert, ext.get(), -1))
        return ssl_failure(std::string("adding ") + OBJ_nid2sn(nid) + " " + value);
    return {};
}

Status add_ia5_name(GENERAL_NAMES* names, int type, const std::string& value) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (!name || !text || !ASN1_STRING_set(text, value.data(), static_cast<int>(value.size()))) {
        GENERAL_NAME_free(name);
        ASN1_IA5STRING_free(text);
        return ssl_failure("making a subjectAltName");
    }
    GENERAL_NAME_set0_value(name, type, text);
    if (!sk_GENERAL_NAME_push(names, name)) {
        GENERAL_NAME_free(name);
        return ssl_failure("making a subjectAltName");
    }
    return {};
}

Status add_ip_name(GENERAL_NAMES* names, const std::string& value) {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(value.c_str());
    if (!ip) {
        ERR_clear_error();
        return error(Code::invalid_argument, "\"" + value + "\" is not an IP address");
    }
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (!name) {
        ASN1_OCTET_STRING_free(ip);
        return ssl_failure("making a subjectAltName");
    }
    GENERAL_NAME_set0_value(name, GEN_IPADD, ip);
    if (!sk_GENERAL_NAME_push(names, name)) {
        GENERAL_NAME_free(name);
        return ssl_failure("making a subjectAltName");
    }
    return {};
}

// The subjectAltName, built name by name so that no caller's text is ever
// read as OpenSSL configuration syntax.
Status add_alt_names(X509* cert, const CertRequest& req) {
    if (req.dns_names.empty() && req.ip_addresses.empty() && req.uri_names.empty()) return {};
    Names names(sk_GENERAL_NAME_new_null());
    if (!names) return ssl_failure("making a subjectAltName");
    for (const auto& dns : req.dns_names) {
        if (dns.empty()) return error(Code::invalid_argument, "an empty DNS name");
        OASIS_RETURN_IF_ERROR(add_ia5_name(names.get(), GEN_DNS, dns));
    }
    for (const auto& ip : req.ip_addresses) OASIS_RETURN_IF_ERROR(add_ip_name(names.get(), ip));
    for (const auto& uri : req.uri_names) {
        if (uri.find(':') == std::string::npos)
            return error(Code::invalid_argument, "\"" + uri + "\" is not a URI");
        OASIS_RETURN_IF_ERROR(add_ia5_name(names.get(), GEN_URI, uri));
    }
    if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
        return ssl_failure("adding the subjectAltName");
    return {};
}

Result<Issued> signed_result(X509* cert, EVP_PKEY* signer, EVP_PKEY* key) {
    if (X509_sign(cert, signer, EVP_sha256()) <= 0) return ssl_failure("signing a certificate");
    auto cert_text = cert_pem(cert);
    if (!cert_text.ok()) return cert_text.status();
    auto key_text = private_pem(key);
    if (!key_text.ok()) return key_text.status();
    return Issued{std::move(*cert_text), std::move(*key_text)};
}

std::string asn1_utf8(const ASN1_STRING* s) {
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, s);
    if (len < 0) return {};
    std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    return out;
}

std::string name_cn(const X509_NAME* name) {
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (i < 0) return {};
    return asn1_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
    char buf[INET6_ADDRSTRLEN] = {};
    const unsigned char* data = ASN1_STRING_get0_data(ip);
    int len = ASN1_STRING_length(ip);
    if (len == 4) ::inet_ntop(AF_INET, data, buf, sizeof buf);
    if (len == 16) ::inet_ntop(AF_INET6, data, buf, sizeof buf);
    return buf;
}

void read_alt_names(X509* cert, CertInfo& info) {
    Names names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) return;
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
        if (n->type == GEN_DNS) info.dns_names.push_back(asn1_utf8(n->d.dNSName));
        if (n->type == GEN_URI) info.uri_names.push_back(asn1_utf8(n->d.uniformResourceIdentifier));
        if (n->type == GEN_IPADD) info.ip_addresses.push_back(ip_text(n->d.iPAddress));
    }
}

Result<std::int64_t> unix_time(const ASN1_TIME* t) {
    std::tm tm{};
    if (!ASN1_TIME_to_tm(t, &tm)) return ssl_failure("reading a certificate time");
    return static_cast<std::int64_t>(::timegm(&tm));
}

std::string serial_hex(X509* cert) {
    Bignum bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
    char* hex = bn ? BN_bn2hex(bn.get()) : nullptr;
    if (!hex) return {};
    std::string out(hex);
    OPENSSL_free(hex);
    return out;
}

Status io_failure(const std::string& what, const std::string& path) {
    return error(Code::io_error, what + " " + path + ": " + std::strerror(errno));
}

// The whole file at `path`, refusing anything over 1 MiB (no certificate
// is that large; the limit keeps a wrong path, say a device, harmless).
Result<std::string> read_small_file(const std::string& path) {
    constexpr std::size_t kMaxBytes = 1 << 20;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        Code code = errno == ENOENT ? Code::not_found : Code::io_error;
        return error(code, "cannot read " + path + ": " + std::strerror(errno));
    }
    std::string text;
    char buf[8192];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() <= kMaxBytes)
        text.append(buf, static_cast<std::size_t>(n));
    Status st;
    if (n < 0) st = io_failure("cannot read", path);
    if (st.ok() && text.size() > kMaxBytes)
        st = error(Code::invalid_argument, path + " is over 1 MiB: not a certificate");
    ::close(fd);
    if (!st.ok()) return st;
    return text;
}

Status write_all(int fd, std::string_view content, const std::string& path) {
    while (!content.empty()) {
        ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_failure("cannot write", path);
        content.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace

Result<KeyPair> make_key() {
    auto key = new_key();
    if (!key.ok()) return key.status();
    auto priv = private_pem(key->get());
    if (!priv.ok()) return priv.status();
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_PUBKEY(bio.get(), key->get()))
        return ssl_failure("writing a public key");
    return KeyPair{std::move(*priv), bio_text(bio.get())};
}

Result<Issued> make_ca(std::string_view common_name, int days) {
    OASIS_RETURN_IF_ERROR(check_name_and_days(common_name, days));
    auto key = new_key();
    if (!key.ok()) return key.status();
    auto cert = new_cert(common_name, nullptr, key->get(), days);
    if (!cert.ok()) return cert.status();

    X509* x = cert->get();
    OASIS_RETURN_IF_ERROR(add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE"));
    OASIS_RETURN_IF_ERROR(add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign"));
    OASIS_RETURN_IF_ERROR(add_ext(x, x, NID_subject_key_identifier, "hash"));
    return signed_result(x, key->get(), key->get());
}

Result<Issued> issue_cert(const Issued& ca, const CertRequest& req) {
    OASIS_RETURN_IF_ERROR(check_name_and_days(req.common_name, req.days));
    auto ca_cert = parse_cert(ca.cert_pem);
    if (!ca_cert.ok()) return ca_cert.status().with_context("the CA certificate");
    auto ca_key = parse_key(ca.key_pem);
    if (!ca_key.ok()) return ca_key.status().with_context("the CA key");
    if (X509_check_private_key(ca_cert->get(), ca_key->get()) != 1) {
        ERR_clear_error();
        return error(Code::invalid_argument, "the CA key does not belong to the CA certificate");
    }

    auto key = new_key();
    if (!key.ok()) return key.status();
    auto cert =
        new_cert(req.common_name, X509_get_subject_name(ca_cert->get()), key->get(), req.days);
    if (!cert.ok()) return cert.status();

    X509* x = cert->get();
    X509* issuer = ca_cert->get();
    OASIS_RETURN_IF_ERROR(add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE"));
    OASIS_RETURN_IF_ERROR(add_ext(x, issuer, NID_key_usage, "critical,digitalSignature"));
    if (req.server_auth || req.client_auth) {
        const char* eku = req.server_auth && req.client_auth ? "serverAuth,clientAuth"
                          : req.server_auth                  ? "serverAuth"
                                                             : "clientAuth";
        OASIS_RETURN_IF_ERROR(add_ext(x, issuer, NID_ext_key_usage, eku));
    }
    OASIS_RETURN_IF_ERROR(add_ext(x, issuer, NID_subject_key_identifier, "hash"));
    OASIS_RETURN_IF_ERROR(add_ext(x, issuer, NID_authority_key_identifier, "keyid:always"));
    OASIS_RETURN_IF_ERROR(add_alt_names(x, req));
    return signed_result(x, ca_key->get(), key->get());
}

Result<CertInfo> read_cert(std::string_view pem) {
    auto cert = parse_cert(pem);
    if (!cert.ok()) return cert.status();
    X509* x = cert->get();

    CertInfo info;
    info.common_name = name_cn(X509_get_subject_name(x));
    info.issuer_common_name = name_cn(X509_get_issuer_name(x));
    read_alt_names(x, info);
    auto not_before = unix_time(X509_get0_notBefore(x));
    if (!not_before.ok()) return not_before.status();
    auto not_after = unix_time(X509_get0_notAfter(x));
    if (!not_after.ok()) return not_after.status();
    info.not_before = *not_before;
    info.not_after = *not_after;
    info.is_ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
    info.serial_hex = serial_hex(x);
    return info;
}

Result<CertInfo> read_cert_file(const std::string& path) {
    auto text = read_small_file(path);
    if (!text.ok()) return text.status();
    auto info = read_cert(*text);
    if (!info.ok()) return error(info.status().code(), path + " is " + info.status().message());
    return info;
}

Status verify_chain(std::string_view ca_pem, std::string_view cert_pem) {
    auto ca = parse_cert(ca_pem);
    if (!ca.ok()) return ca.status().with_context("the CA certificate");
    auto cert = parse_cert(cert_pem);
    if (!cert.ok()) return cert.status().with_context("the certificate");

    Store store(X509_STORE_new());
    StoreCtx ctx(X509_STORE_CTX_new());
    if (!store || !ctx || !X509_STORE_add_cert(store.get(), ca->get()) ||
        !X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr))
        return ssl_failure("setting up a certificate check");
    if (X509_verify_cert(ctx.get()) != 1) {
        int why = X509_STORE_CTX_get_error(ctx.get());
        ERR_clear_error();
        return error(Code::permission_denied, std::string("the certificate does not verify "
                                                          "against the CA: ") +
                                                  X509_verify_cert_error_string(why));
    }
    return {};
}

Status write_file_atomically(const std::string& path, std::string_view content, unsigned mode) {
    std::filesystem::path target(path);
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    // O_EXCL with the final mode: a private key is never readable by others,
    // and a leftover temp file of a crashed run is an error, not reused.
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return io_failure("cannot create", tmp);
    Status st = write_all(fd, content, tmp);
    // The umask may have narrowed `mode`; a certificate must stay readable.
    if (st.ok() && ::fchmod(fd, mode) != 0) st = io_failure("cannot chmod", tmp);
    if (st.ok() && ::fsync(fd) != 0) st = io_failure("cannot fsync", tmp);
    if (::close(fd) != 0 && st.ok()) st = io_failure("cannot close", tmp);
    if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = io_failure("cannot rename", tmp);
    if (!st.ok()) {
        ::unlink(tmp.c_str());
        return st;
    }

    std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return io_failure("cannot open", dir);
    int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) return io_failure("cannot fsync", dir);
    return {};
}

Status write_pem_files(const std::string& dir, std::string_view name, const Issued& issued) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return error(Code::io_error, "cannot create " + dir + ": " + ec.message());
    std::string base = dir + "/" + std::string(name);
    OASIS_RETURN_IF_ERROR(write_file_atomically(base + "-key.pem", issued.key_pem, 0600));
    return write_file_atomically(base + ".pem", issued.cert_pem, 0644);
}

std::int64_t days_left(std::int64_t not_after_sec, std::int64_t now_sec) {
    constexpr std::int64_t kDay = 86400;
    const std::int64_t left = not_after_sec - now_sec;
    return left >= 0 ? left / kDay : -((-left + kDay - 1) / kDay);
}

}  // namespace oasis
