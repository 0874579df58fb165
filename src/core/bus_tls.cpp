// Bus: mutual TLS set-up, and why a first connect failed, in plain words.
//
// nats.c reports TLS trouble in OpenSSL's terms ("20:unable to get local
// issuer certificate:depth=0:cert=/CN=nats:issuer=/CN=ca"), or not at all:
// a server that refuses our certificate just drops the connection, which
// nats.c reports as "Expected 'PONG', got ''". Here each case becomes one
// line that says which side wants what, and what to do. The texts are
// pinned by test/core/bus_tls_test.cpp against a real nats-server.
#include "bus_impl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace oasis {

namespace {

constexpr std::string_view kMakeCerts =
    "`oasis system init` makes those of the server and the CLI, "
    "`oasis system issue-agent-cert` an agent's";

std::string directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

// "2026-12-03 18:36:07 UTC".
std::string utc_time(std::int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

// A TLS file that is not there, not readable or not PEM: the cause, and
// where the files come from.
Status bad_tls_file(const Status& cause, const std::string& path) {
    return error(
        Code::invalid_argument,
        cause.message() + "; [tls] certs_dir (" + directory_of(path) +
            ") must hold ca.pem and this role's certificate and key: " + std::string(kMakeCerts));
}

Status check_readable(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    char byte;
    ssize_t n = fd < 0 ? -1 : ::read(fd, &byte, 1);
    int why = errno;
    if (fd >= 0) ::close(fd);
    if (n > 0) return {};
    std::string reason = n == 0 ? "the file is empty" : std::strerror(why);
    return bad_tls_file(error(Code::io_error, "cannot read " + path + ": " + reason), path);
}

// The certificate in `path`, valid at `now`.
Result<CertInfo> check_cert(const std::string& path, bool is_ca, std::int64_t now) {
    auto cert = read_cert_file(path);
    if (!cert.ok()) return bad_tls_file(cert.status(), path);
    std::string which = std::string(is_ca ? "the CA certificate " : "the certificate ") + path +
                        " (CN=" + cert->common_name + ")";
    if (cert->not_after < now && is_ca) {
        return error(Code::invalid_argument,
                     which + " expired on " + utc_time(cert->not_after) +
                         ": nothing it signed is trusted any more; make a new CA and "
                         "certificates with `oasis system init --force`, then re-issue every "
                         "agent's with `oasis system issue-agent-cert --force`");
    }
    if (cert->not_after < now) {
        return error(Code::invalid_argument,
                     which + " expired on " + utc_time(cert->not_after) +
                         ": re-issue it (an agent's with `oasis system issue-agent-cert "
                         "--agent-id ID --force`; the server's and the CLI's with "
                         "`oasis system init --force`, which makes a new CA too)");
    }
    if (cert->not_before > now) {
        return error(Code::invalid_argument, which + " is not valid until " +
                                                 utc_time(cert->not_before) +
                                                 ": check this machine's clock");
    }
    return cert;
}

// nats.c's text without its source location: "(conn.c:733): SSL ..." ->
// "SSL ...".
std::string_view without_location(std::string_view detail) {
    if (detail.starts_with("(")) {
        auto close = detail.find("): ");
        if (close != std::string_view::npos) detail.remove_prefix(close + 3);
    }
    return detail;
}

// What OpenSSL said of a failed handshake, from nats.c's text
// "SSL handshake error: 20:<reason>:depth=0:cert=/CN=nats:issuer=/CN=ca".
struct HandshakeFailure {
    std::string reason;        // "unable to get local issuer certificate"
    std::string cert;          // "CN=nats"; empty when not given
    std::string issuer;        // "CN=ca"
    std::string expected;      // the host name that did not match
    bool verify_code = false;  // OpenSSL rejected NATS's certificate
};

std::string without_slash(std::string_view dn) {
    if (dn.starts_with("/")) dn.remove_prefix(1);
    return std::string(dn);
}

HandshakeFailure parse_handshake_failure(std::string_view detail) {
    HandshakeFailure f;
    static constexpr std::string_view kMark = "SSL handshake error: ";
    auto at = detail.find(kMark);
    std::string_view rest =
        at == std::string_view::npos ? detail : detail.substr(at + kMark.size());
    auto colon = rest.find(':');
    if (colon != std::string_view::npos && colon > 0 &&
        rest.substr(0, colon).find_first_not_of("0123456789") == std::string_view::npos) {
        f.verify_code = true;
        rest.remove_prefix(colon + 1);
    }
    // "<reason>:key=value:key=value"; a value holds no ':' in what nats.c writes.
    colon = rest.find(':');
    f.reason = std::string(rest.substr(0, colon));
    while (colon != std::string_view::npos) {
        rest.remove_prefix(colon + 1);
        colon = rest.find(':');
        std::string_view field = rest.substr(0, colon);
        if (field.starts_with("cert=")) f.cert = without_slash(field.substr(5));
        if (field.starts_with("issuer=")) f.issuer = without_slash(field.substr(7));
        if (field.starts_with("expected=")) f.expected = std::string(field.substr(9));
    }
    return f;
}

// The host of a NATS URL: "tls://user@[::1]:4222" -> "::1".
std::string url_host(std::string_view url) {
    if (auto scheme = url.find("://"); scheme != std::string_view::npos)
        url.remove_prefix(scheme + 3);
    if (auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
    if (url.starts_with("[")) return std::string(url.substr(1, url.find(']') - 1));
    return std::string(url.substr(0, url.find(':')));
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// NATS's certificate failed our checks, or the handshake failed otherwise.
std::string explain_handshake(std::string_view detail, std::string_view url, const TlsFiles& tls,
                              const std::string& identity) {
    HandshakeFailure f = parse_handshake_failure(detail);
    std::string theirs = "NATS's certificate" + (f.cert.empty() ? "" : " (" + f.cert + ")");
    if (contains(detail, " alert ")) {
        // The server sent a TLS alert about our certificate.
        return "NATS did not accept " + identity + " (" + f.reason +
               "): check that it was issued by the CA nats-server trusts (tls ca_file in its "
               "configuration)";
    }
    if (!f.verify_code) return "the TLS handshake failed: " + std::string(detail);
    if (f.reason == "certificate has expired") {
        return theirs + " has expired: give nats-server a new one from the CA in " + tls.ca_file +
               " and reload it";
    }
    if (f.reason == "certificate is not yet valid") {
        return theirs + " is not valid yet: check the clocks of this machine and of the NATS host";
    }
    if (f.reason == "hostname mismatch" || f.reason == "IP address mismatch") {
        std::string host = f.expected.empty() ? url_host(url) : f.expected;
        return theirs + " does not cover " + host +
               ", the host in [nats] url: use a name the certificate covers, or re-issue it "
               "with that name (`oasis system init --nats-host " +
               host + "`)";
    }
    std::string issued = f.issuer.empty() ? "" : ", issued by " + f.issuer;
    return "NATS's certificate is not signed by the CA in " + tls.ca_file + ": " + f.reason +
           " (NATS's certificate: " + (f.cert.empty() ? "?" : f.cert) + issued +
           "); use the ca.pem of the CA that issued it, or point [nats] url at the NATS "
           "server of this CA";
}

}  // namespace

TlsFiles tls_files(const std::string& certs_dir, const std::string& name) {
    if (certs_dir.empty()) return {};
    return {certs_dir + "/ca.pem", certs_dir + "/" + name + ".pem",
            certs_dir + "/" + name + "-key.pem"};
}

Result<CertInfo> check_tls_setup(const std::vector<std::string>& urls, const TlsFiles& tls,
                                 std::int64_t now) {
    if (tls.ca_file.empty()) {
        for (const auto& url : urls) {
            if (!url.starts_with("tls://")) continue;
            return error(Code::invalid_argument,
                         "[nats] url " + url +
                             " asks for TLS but [tls] certs_dir is not set, and NATS would be "
                             "spoken in plaintext: set [tls] certs_dir to the directory holding "
                             "ca.pem and this role's certificate and key, or use a nats:// URL");
        }
        return CertInfo{};
    }
    auto ca = check_cert(tls.ca_file, true, now);
    if (!ca.ok()) return ca.status();
    auto cert = check_cert(tls.cert_file, false, now);
    if (!cert.ok()) return cert.status();
    OASIS_RETURN_IF_ERROR(check_readable(tls.key_file));
    return cert;
}

Status configure_tls(natsOptions* opts, const TlsFiles& tls) {
    natsStatus s = natsOptions_SetSecure(opts, true);
    if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(opts, tls.ca_file.c_str());
    if (s != NATS_OK) return nats_status(s, "cannot load the CA certificate " + tls.ca_file);
    s = natsOptions_LoadCertificatesChain(opts, tls.cert_file.c_str(), tls.key_file.c_str());
    if (s == NATS_OK) return {};
    const char* last = nats_GetLastError(nullptr);
    if (last && contains(last, "key values mismatch")) {
        return error(Code::invalid_argument,
                     "the key " + tls.key_file + " does not belong to the certificate " +
                         tls.cert_file +
                         ": copy the key that was issued with it, or re-issue both");
    }
    return bad_tls_file(nats_status(s, "cannot load " + tls.cert_file + " with " + tls.key_file),
                        tls.cert_file);
}

std::string describe_identity(const TlsFiles& tls, const CertInfo& cert, const std::string& name) {
    if (tls.cert_file.empty())
        return name.empty() ? "this connection" : "connection \"" + name + "\"";
    return "the certificate " + tls.cert_file + " (CN=" + cert.common_name + ")";
}

std::string explain_connect_failure(natsStatus s, std::string_view raw_detail, std::string_view url,
                                    const TlsFiles& tls, const std::string& identity) {
    std::string_view detail = without_location(raw_detail);
    const bool ours = !tls.ca_file.empty();  // we were set up for TLS
    // The server ended the TLS session right after the handshake: nats.c
    // then waits in vain for the PONG of its CONNECT, or fails to write it.
    const bool dropped = (s == NATS_PROTOCOL_ERROR && contains(detail, "PONG")) ||
                         (s == NATS_IO_ERROR && contains(detail, "SSL_"));

    if (s == NATS_NO_SERVER)
        return "no NATS server answers there; start nats-server (with -js) or fix [nats] url";
    if (s == NATS_SECURE_CONNECTION_WANTED) {
        return "Oasis is set up for TLS ([tls] certs_dir) but this NATS server offers none: "
               "enable tls in nats-server's configuration (`oasis system init` writes one), or "
               "leave [tls] certs_dir empty to connect in plaintext";
    }
    if (!ours && (s == NATS_SECURE_CONNECTION_REQUIRED || s == NATS_SSL_ERROR || dropped)) {
        return "NATS requires TLS but Oasis has no certificates here: set [tls] certs_dir to "
               "the directory holding ca.pem and this role's certificate and key (" +
               std::string(kMakeCerts) + ")";
    }
    if (s == NATS_CONNECTION_AUTH_FAILED && ours) {
        return "NATS accepted " + identity +
               " but has no user for it: add one to nats-auth.conf (`oasis system "
               "issue-agent-cert` does so for an agent) and reload nats-server";
    }
    if (s == NATS_SSL_ERROR) return explain_handshake(detail, url, tls, identity);
    if (ours && dropped) {
        return "NATS did not accept " + identity +
               ": the server ended the TLS handshake; check that the certificate was issued by "
               "the CA nats-server trusts (tls ca_file in its configuration)";
    }
    return std::string(detail);
}

}  // namespace oasis
