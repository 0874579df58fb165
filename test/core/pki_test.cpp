#include "oasis/pki.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

using oasis::Code;

namespace {

bool contains(const std::vector<std::string>& items, const std::string& item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

oasis::Issued test_ca(const char* name = "oasis-test-ca") {
    auto ca = oasis::make_ca(name, 30);
    REQUIRE(ca.ok());
    return *ca;
}

oasis::CertRequest leaf_request() {
    oasis::CertRequest req;
    req.common_name = "nats-server";
    req.dns_names = {"localhost", "nats.example.org"};
    req.ip_addresses = {"127.0.0.1", "::1"};
    req.uri_names = {"spiffe://oasis/nats"};
    req.days = 10;
    req.server_auth = true;
    req.client_auth = true;
    return req;
}

// A fresh directory under the temp dir, removed at the end of the test.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        path = std::filesystem::temp_directory_path() /
               ("oasis-pki-test." + std::to_string(::getpid()) + "." + std::to_string(std::rand()));
        std::filesystem::create_directories(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

unsigned mode_of(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("a key pair is EC P-256 PEM text", "[pki]") {
    auto key = oasis::make_key();
    REQUIRE(key.ok());
    REQUIRE(key->private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    REQUIRE(key->public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
}

TEST_CASE("a CA reads back as a self-signed CA with its lifetime", "[pki]") {
    auto ca = test_ca();
    auto info = oasis::read_cert(ca.cert_pem);
    REQUIRE(info.ok());
    REQUIRE(info->common_name == "oasis-test-ca");
    REQUIRE(info->issuer_common_name == "oasis-test-ca");
    REQUIRE(info->is_ca);
    auto now = static_cast<std::int64_t>(std::time(nullptr));
    REQUIRE(info->not_before <= now);
    REQUIRE(std::llabs(info->not_after - (now + 30 * 86400)) < 60);
    REQUIRE(oasis::verify_chain(ca.cert_pem, ca.cert_pem).ok());
}

TEST_CASE("a leaf reads back with its name, SANs and lifetime", "[pki]") {
    auto ca = test_ca();
    auto leaf = oasis::issue_cert(ca, leaf_request());
    REQUIRE(leaf.ok());
    REQUIRE(leaf->key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));

    auto info = oasis::read_cert(leaf->cert_pem);
    REQUIRE(info.ok());
    REQUIRE(info->common_name == "nats-server");
    REQUIRE(info->issuer_common_name == "oasis-test-ca");
    REQUIRE_FALSE(info->is_ca);
    REQUIRE(contains(info->dns_names, "localhost"));
    REQUIRE(contains(info->dns_names, "nats.example.org"));
    REQUIRE(contains(info->ip_addresses, "127.0.0.1"));
    REQUIRE(contains(info->ip_addresses, "::1"));
    REQUIRE(info->uri_names == std::vector<std::string>{"spiffe://oasis/nats"});
    auto now = static_cast<std::int64_t>(std::time(nullptr));
    REQUIRE(std::llabs(info->not_after - (now + 10 * 86400)) < 60);
}

TEST_CASE("every certificate gets its own random 128-bit serial", "[pki]") {
    auto ca = test_ca();
    auto a = oasis::issue_cert(ca, leaf_request());
    auto b = oasis::issue_cert(ca, leaf_request());
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    auto serial_a = oasis::read_cert(a->cert_pem)->serial_hex;
    auto serial_b = oasis::read_cert(b->cert_pem)->serial_hex;
    REQUIRE(serial_a != serial_b);
    REQUIRE(serial_a.size() >= 24);  // 16 bytes, unless a leading byte is zero
    REQUIRE(serial_a.size() <= 32);
}

TEST_CASE("a leaf verifies against its own CA and not against another", "[pki]") {
    auto ca = test_ca();
    auto other = test_ca("another-ca");
    auto leaf = oasis::issue_cert(ca, leaf_request());
    auto stranger = oasis::issue_cert(other, leaf_request());
    REQUIRE(leaf.ok());
    REQUIRE(stranger.ok());

    REQUIRE(oasis::verify_chain(ca.cert_pem, leaf->cert_pem).ok());
    auto st = oasis::verify_chain(ca.cert_pem, stranger->cert_pem);
    REQUIRE(st.code() == Code::permission_denied);
    REQUIRE_THAT(st.message(), Catch::StartsWith("the certificate does not verify against "
                                                 "the CA: "));
}

TEST_CASE("bad requests are refused with the reason", "[pki]") {
    auto ca = test_ca();
    auto req = leaf_request();

    SECTION("an IP address that does not parse") {
        req.ip_addresses = {"127.0.0.300"};
        auto r = oasis::issue_cert(ca, req);
        REQUIRE(r.status().code() == Code::invalid_argument);
        REQUIRE(r.status().message() == "\"127.0.0.300\" is not an IP address");
    }
    SECTION("an empty common name") {
        req.common_name = "";
        REQUIRE(oasis::issue_cert(ca, req).status().code() == Code::invalid_argument);
    }
    SECTION("a lifetime of zero days") {
        req.days = 0;
        auto r = oasis::issue_cert(ca, req);
        REQUIRE(r.status().message() ==
                "a certificate's lifetime must be at least one day, "
                "got 0");
    }
    SECTION("a CA key that belongs to another CA") {
        oasis::Issued mixed{ca.cert_pem, test_ca("another-ca").key_pem};
        auto r = oasis::issue_cert(mixed, req);
        REQUIRE(r.status().message() == "the CA key does not belong to the CA certificate");
    }
}

TEST_CASE("malformed PEM is a clear error", "[pki]") {
    SECTION("not PEM at all") {
        auto r = oasis::read_cert("hello");
        REQUIRE(r.status().code() == Code::invalid_argument);
        REQUIRE_THAT(r.status().message(), Catch::StartsWith("not a PEM certificate ("));
    }
    SECTION("a PEM block with a damaged body") {
        auto r = oasis::read_cert("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        REQUIRE(r.status().code() == Code::invalid_argument);
    }
    SECTION("a key where a certificate should be") {
        auto ca = test_ca();
        auto st = oasis::verify_chain(ca.cert_pem, ca.key_pem);
        REQUIRE(st.code() == Code::invalid_argument);
        REQUIRE_THAT(st.message(), Catch::StartsWith("the certificate: not a PEM certificate"));
    }
    SECTION("a CA with a garbled key") {
        auto ca = test_ca();
        ca.key_pem = "garbage";
        auto r = oasis::issue_cert(ca, leaf_request());
        REQUIRE_THAT(r.status().message(), Catch::StartsWith("the CA key: not a PEM private key"));
    }
}

TEST_CASE("PEM files are written with the key private from the start", "[pki]") {
    TempDir tmp;
    auto ca = test_ca();
    auto dir = tmp.path / "certs";
    auto old_umask = ::umask(0077);  // a certificate must stay 0644 even so
    auto st = oasis::write_pem_files(dir.string(), "ca", ca);
    ::umask(old_umask);
    REQUIRE(st.ok());

    REQUIRE(mode_of(dir / "ca.pem") == 0644);
    REQUIRE(mode_of(dir / "ca-key.pem") == 0600);
    REQUIRE(slurp(dir / "ca.pem") == ca.cert_pem);
    REQUIRE(slurp(dir / "ca-key.pem") == ca.key_pem);

    SECTION("and replaced whole on a second write, leaving no temp file") {
        auto again = test_ca();
        REQUIRE(oasis::write_pem_files(dir.string(), "ca", again).ok());
        REQUIRE(slurp(dir / "ca.pem") == again.cert_pem);
        REQUIRE(mode_of(dir / "ca-key.pem") == 0600);
        auto entries = std::distance(std::filesystem::directory_iterator(dir),
                                     std::filesystem::directory_iterator());
        REQUIRE(entries == 2);
    }
}

TEST_CASE("a certificate file reads back, and a bad one is named", "[pki]") {
    TempDir tmp;
    auto ca = test_ca("file-ca");
    REQUIRE(oasis::write_pem_files(tmp.path.string(), "ca", ca).ok());
    const std::string path = (tmp.path / "ca.pem").string();

    auto info = oasis::read_cert_file(path);
    REQUIRE(info.ok());
    CHECK(info->common_name == "file-ca");

    SECTION("a missing file") {
        auto r = oasis::read_cert_file(path + ".missing");
        CHECK(r.status().code() == Code::not_found);
        CHECK(r.status().message() ==
              "cannot read " + path + ".missing: No such file or directory");
    }
    SECTION("a file that holds no certificate") {
        auto r = oasis::read_cert_file((tmp.path / "ca-key.pem").string());
        CHECK(r.status().code() == Code::invalid_argument);
        CHECK_THAT(r.status().message(), Catch::StartsWith((tmp.path / "ca-key.pem").string() +
                                                           " is not a PEM certificate ("));
    }
}

TEST_CASE("days left round toward the past", "[pki]") {
    constexpr std::int64_t day = 86400, now = 1'800'000'000;
    CHECK(oasis::days_left(now + 30 * day, now) == 30);
    CHECK(oasis::days_left(now + 30 * day - 1, now) == 29);
    CHECK(oasis::days_left(now + 1, now) == 0);
    CHECK(oasis::days_left(now, now) == 0);
    CHECK(oasis::days_left(now - 1, now) == -1);
    CHECK(oasis::days_left(now - day, now) == -1);
    CHECK(oasis::days_left(now - day - 1, now) == -2);
}
