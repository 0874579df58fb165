// The Bus over mutual TLS against a real nats-server that requires and
// verifies client certificates, and what it says when TLS or NATS
// permissions go wrong. The certificates are made here with the openssl
// command, independently of Oasis's own certificate code.
#include "oasis/bus.h"

#include "support/nats_server.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace std::chrono_literals;
using oasis::Bus;
using oasis::Code;

namespace {

void sh(const std::string& command) {
    INFO(command);
    REQUIRE(std::system((command + " >/dev/null 2>&1").c_str()) == 0);
}

// A directory of certificates made with the openssl command.
struct Certs {
    std::string dir;

    Certs() {
        char tmpl[] = "/tmp/oasis-tls-XXXXXX";
        REQUIRE(::mkdtemp(tmpl));
        dir = tmpl;
    }
    ~Certs() { std::filesystem::remove_all(dir); }

    std::string path(const std::string& name) const { return dir + "/" + name + ".pem"; }
    std::string key(const std::string& name) const { return dir + "/" + name + "-key.pem"; }

    // A self-signed CA `name`.
    void make_ca(const std::string& name) {
        sh("openssl req -x509 " + kNewKey + " -days 30 -subj /CN=" + name + " -keyout " +
           key(name) + " -out " + path(name));
    }

    // A certificate `name` signed by `ca`, valid for `days` (-1: expired
    // yesterday). `ext` is OpenSSL extension text; the default suits a
    // client.
    void issue(const std::string& name, const std::string& ca, int days = 2,
               const std::string& ext = "extendedKeyUsage=clientAuth") {
        std::ofstream(dir + "/" + name + ".ext") << ext << "\n";
        sh("openssl req " + kNewKey + " -subj /CN=" + name + " -keyout " + key(name) + " -out " +
           dir + "/" + name + ".csr");
        sh("openssl x509 -req -days " + std::to_string(days) + " -in " + dir + "/" + name +
           ".csr -CA " + path(ca) + " -CAkey " + key(ca) + " -CAcreateserial -extfile " + dir +
           "/" + name + ".ext -out " + path(name));
    }

    // A certificate for nats-server that covers `names` (OpenSSL SAN text).
    void issue_server(const std::string& name, const std::string& ca, int days = 2,
                      const std::string& names = "IP:127.0.0.1,DNS:localhost") {
        issue(name, ca, days, "subjectAltName=" + names + "\nextendedKeyUsage=serverAuth");
    }

    // What a client with certificate `name` uses, trusting `ca`.
    oasis::TlsFiles client(const std::string& name, const std::string& ca = "ca") const {
        return {path(ca), path(name), key(name)};
    }

    // nats-server flags for TLS with certificate `name`, requiring client
    // certificates signed by `ca`.
    std::vector<std::string> server_flags(const std::string& name,
                                          const std::string& ca = "ca") const {
        return {"--tlsverify", "--tlscert",   path(name), "--tlskey",
                key(name),     "--tlscacert", path(ca)};
    }

    static inline const std::string kNewKey = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
};

// A CA "ca", NATS's certificate "nats" and the client "cli", and a NATS
// that requires client certificates from "ca".
struct TlsWorld {
    Certs certs;
    std::unique_ptr<oasis::testing::NatsServer> nats;

    explicit TlsWorld(const std::string& nats_cert = "nats") {
        certs.make_ca("ca");
        certs.issue_server("nats", "ca");
        certs.issue("cli", "ca");
        if (nats_cert != "nats") prepare(nats_cert);
        nats = std::make_unique<oasis::testing::NatsServer>(certs.server_flags(nats_cert));
    }

    // The odd server certificates some tests need before NATS starts.
    void prepare(const std::string& nats_cert) {
        if (nats_cert == "nats-expired") certs.issue_server(nats_cert, "ca", -1);
        if (nats_cert == "nats-elsewhere")
            certs.issue_server(nats_cert, "ca", 2, "DNS:nats.example.org");
    }

    std::string prefix() const { return "cannot connect to NATS at " + nats->url() + ": "; }
};

oasis::Result<std::unique_ptr<Bus>> connect(const std::string& url, oasis::TlsFiles tls) {
    oasis::BusOptions o;
    o.urls = {url};
    o.tls = std::move(tls);
    return Bus::connect(o);
}

oasis::Result<std::unique_ptr<Bus>> connect(const TlsWorld& w, oasis::TlsFiles tls) {
    return connect(w.nats->url(), std::move(tls));
}

}  // namespace

TEST_CASE("a client with a certificate from the right CA connects over TLS", "[bus][tls]") {
    TlsWorld w;
    auto bus = connect(w, oasis::tls_files(w.certs.dir, "cli"));
    INFO(bus.status().message());
    REQUIRE(bus.ok());
    auto sub = (*bus)->subscribe("t.tls", "", [&](oasis::Message&& m) {
        (void)(*bus)->publish(m.reply, "over tls");
    });
    REQUIRE(sub.ok());
    auto reply = (*bus)->request("t.tls", "", 5s);
    REQUIRE(reply.ok());
    CHECK(reply->data == "over tls");
}

TEST_CASE("a missing certificate file is named, with the setting and what makes it", "[bus][tls]") {
    TlsWorld w;
    auto bus = connect(w, oasis::tls_files(w.certs.dir, "nobody"));
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::invalid_argument);
    CHECK(bus.status().message() ==
          "cannot read " + w.certs.dir + "/nobody.pem: No such file or directory; [tls] " +
              "certs_dir (" + w.certs.dir +
              ") must hold ca.pem and this role's certificate and key: `oasis system init` "
              "makes those of the server and the CLI, `oasis system issue-agent-cert` an "
              "agent's");
}

TEST_CASE("an unreadable or non-PEM TLS file is named", "[bus][tls]") {
    TlsWorld w;
    const std::string suffix = "; [tls] certs_dir (" + w.certs.dir +
                               ") must hold ca.pem and this role's certificate and key: "
                               "`oasis system init` makes those of the server and the CLI, "
                               "`oasis system issue-agent-cert` an agent's";

    SECTION("a key that is a directory") {
        std::filesystem::create_directory(w.certs.dir + "/odd-key.pem");
        auto bus = connect(w, {w.certs.path("ca"), w.certs.path("cli"), w.certs.key("odd")});
        REQUIRE_FALSE(bus.ok());
        CHECK(bus.status().code() == Code::invalid_argument);
        CHECK(bus.status().message() ==
              "cannot read " + w.certs.key("odd") + ": Is a directory" + suffix);
    }
    SECTION("a certificate that is not PEM") {
        std::ofstream(w.certs.path("garbage")) << "not a certificate\n";
        auto bus = connect(w, {w.certs.path("ca"), w.certs.path("garbage"), w.certs.key("cli")});
        REQUIRE_FALSE(bus.ok());
        CHECK(bus.status().code() == Code::invalid_argument);
        CHECK_THAT(bus.status().message(),
                   Catch::StartsWith(w.certs.path("garbage") + " is not a PEM certificate ("));
        CHECK_THAT(bus.status().message(), Catch::EndsWith(suffix));
    }
    SECTION("a key that belongs to another certificate") {
        auto bus = connect(w, {w.certs.path("ca"), w.certs.path("cli"), w.certs.key("nats")});
        REQUIRE_FALSE(bus.ok());
        CHECK(bus.status().code() == Code::invalid_argument);
        CHECK(bus.status().message() == "the key " + w.certs.key("nats") +
                                            " does not belong to the certificate " +
                                            w.certs.path("cli") +
                                            ": copy the key that was issued with it, or "
                                            "re-issue both");
    }
}

TEST_CASE("an expired client certificate is named with its date before connecting", "[bus][tls]") {
    TlsWorld w;
    w.certs.issue("old", "ca", -1);
    auto bus = connect(w, w.certs.client("old"));
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::invalid_argument);
    CHECK_THAT(bus.status().message(), Catch::StartsWith("the certificate " + w.certs.path("old") +
                                                         " (CN=old) expired on 20"));
    CHECK_THAT(bus.status().message(),
               Catch::EndsWith(" UTC: re-issue it (an agent's with `oasis system "
                               "issue-agent-cert --agent-id ID --force`; the server's and the "
                               "CLI's with `oasis system init --force`, which makes a new CA "
                               "too)"));
}

TEST_CASE("a client without TLS set up is told that NATS requires it", "[bus][tls]") {
    TlsWorld w;
    auto bus = connect(w, {});
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::unavailable);
    CHECK(bus.status().message() ==
          w.prefix() +
              "NATS requires TLS but Oasis has no certificates here: set [tls] certs_dir to the "
              "directory holding ca.pem and this role's certificate and key (`oasis system "
              "init` makes those of the server and the CLI, `oasis system issue-agent-cert` an "
              "agent's)");
}

TEST_CASE("a client certificate from another CA is refused: NATS did not accept it", "[bus][tls]") {
    TlsWorld w;
    w.certs.make_ca("other-ca");
    w.certs.issue("stranger", "other-ca");
    auto bus = connect(w, w.certs.client("stranger"));
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::unavailable);
    CHECK(bus.status().message() ==
          w.prefix() + "NATS did not accept the certificate " + w.certs.path("stranger") +
              " (CN=stranger): the server ended the TLS handshake; check that the certificate "
              "was issued by the CA nats-server trusts (tls ca_file in its configuration)");
}

TEST_CASE("a NATS certificate from another CA is named with the CA file", "[bus][tls]") {
    TlsWorld w;
    w.certs.make_ca("other-ca");
    w.certs.issue("stranger", "other-ca");
    auto bus = connect(w, w.certs.client("stranger", "other-ca"));
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::unavailable);
    CHECK(bus.status().message() ==
          w.prefix() + "NATS's certificate is not signed by the CA in " + w.certs.path("other-ca") +
              ": unable to get local issuer certificate (NATS's certificate: CN=nats, issued "
              "by CN=ca); use the ca.pem of the CA that issued it, or point [nats] url at the "
              "NATS server of this CA");
}

TEST_CASE("an expired NATS certificate is reported as NATS's", "[bus][tls]") {
    TlsWorld w("nats-expired");
    auto bus = connect(w, w.certs.client("cli"));
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::unavailable);
    CHECK(bus.status().message() ==
          w.prefix() + "NATS's certificate (CN=nats-expired) has expired: give nats-server a " +
              "new one from the CA in " + w.certs.path("ca") + " and reload it");
}

TEST_CASE("a URL host that NATS's certificate does not cover is named", "[bus][tls]") {
    TlsWorld w("nats-elsewhere");
    auto bus = connect(w, w.certs.client("cli"));
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::unavailable);
    CHECK(bus.status().message() ==
          w.prefix() +
              "NATS's certificate (CN=nats-elsewhere) does not cover 127.0.0.1, the host in "
              "[nats] url: use a name the certificate covers, or re-issue it with that name "
              "(`oasis system init --nats-host 127.0.0.1`)");
}

TEST_CASE("TLS on one side only says which side wants what", "[bus][tls]") {
    Certs certs;
    certs.make_ca("ca");
    certs.issue("cli", "ca");
    oasis::testing::NatsServer plain;
    const std::string port = std::to_string(plain.port());

    SECTION("Oasis has certificates, NATS offers no TLS") {
        auto bus = connect(plain.url(), certs.client("cli"));
        REQUIRE_FALSE(bus.ok());
        CHECK(bus.status().code() == Code::unavailable);
        CHECK(bus.status().message() ==
              "cannot connect to NATS at " + plain.url() +
                  ": Oasis is set up for TLS ([tls] certs_dir) but this NATS server offers "
                  "none: enable tls in nats-server's configuration (`oasis system init` writes "
                  "one), or leave [tls] certs_dir empty to connect in plaintext");
    }
    SECTION("a tls:// URL without certificates is refused before connecting") {
        // nats.c 3.4.1 would connect to it in plaintext.
        const std::string url = "tls://127.0.0.1:" + port;
        auto bus = connect(url, {});
        REQUIRE_FALSE(bus.ok());
        CHECK(bus.status().code() == Code::invalid_argument);
        CHECK(bus.status().message() ==
              "[nats] url " + url +
                  " asks for TLS but [tls] certs_dir is not set, and NATS would be spoken in "
                  "plaintext: set [tls] certs_dir to the directory holding ca.pem and this "
                  "role's certificate and key, or use a nats:// URL");
    }
}

// --- permissions ---------------------------------------------------------

namespace {

// NATS mapping certificates to users (verify_and_map): "cli" may publish
// to ok.> and reply inboxes and subscribe to ok.> and _INBOX.>; "boxless"
// may not subscribe to _INBOX.>; "nobody" has no user at all.
struct PermissionWorld {
    Certs certs;
    std::unique_ptr<oasis::testing::NatsServer> nats;

    PermissionWorld() {
        certs.make_ca("ca");
        certs.issue_server("nats", "ca");
        for (const char* who : {"cli", "boxless", "nobody"}) certs.issue(who, "ca");
        const std::string conf = certs.dir + "/nats.conf";
        std::ofstream(conf)
            << "tls { cert_file: \"" << certs.path("nats") << "\", key_file: \""
            << certs.key("nats") << "\", ca_file: \"" << certs.path("ca")
            << "\", verify_and_map: true }\n"
            << "authorization { users = [\n"
            << "  {user: \"CN=cli\", permissions: {publish: {allow: [\"ok.>\", \"_INBOX.>\"]},"
            << " subscribe: {allow: [\"ok.>\", \"_INBOX.>\"]}}}\n"
            << "  {user: \"CN=boxless\", permissions: {publish: {allow: [\"ok.>\"]},"
            << " subscribe: {allow: [\"ok.>\"]}}}\n"
            << "] }\n";
        nats = std::make_unique<oasis::testing::NatsServer>(std::vector<std::string>{"-c", conf});
    }

    std::unique_ptr<Bus> connect_as(const std::string& who) {
        auto bus = connect(nats->url(), certs.client(who));
        INFO(bus.status().message());
        REQUIRE(bus.ok());
        return std::move(bus).value();
    }

    std::string refused(const std::string& who, const std::string& what) const {
        return "NATS refused the certificate " + certs.path(who) + " (CN=" + who +
               ") permission to " + what +
               ": check that this certificate belongs to this role, and nats-auth.conf";
    }
};

}  // namespace

TEST_CASE("a request NATS refuses is permission_denied at once, naming subject and certificate",
          "[bus][tls][permissions]") {
    PermissionWorld w;
    auto bus = w.connect_as("cli");
    for (int attempt = 0; attempt < 2; ++attempt) {  // the second meets an old violation
        auto start = std::chrono::steady_clock::now();
        auto reply = bus->request("denied.subject", "{}", 20s);
        REQUIRE_FALSE(reply.ok());
        CHECK(reply.status().code() == Code::permission_denied);
        CHECK(reply.status().message() == w.refused("cli", "publish to denied.subject"));
        CHECK(std::chrono::steady_clock::now() - start < 5s);
    }
    auto last = bus->last_permission_violation();
    REQUIRE(last);
    CHECK(last->kind == oasis::PermissionViolation::Kind::publish);
    CHECK(last->subject == "denied.subject");
}

TEST_CASE("a request whose reply inbox NATS refuses is permission_denied",
          "[bus][tls][permissions]") {
    PermissionWorld w;
    auto bus = w.connect_as("boxless");
    auto start = std::chrono::steady_clock::now();
    auto reply = bus->request("ok.anyone", "{}", 20s);
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.status().code() == Code::permission_denied);
    CHECK_THAT(reply.status().message(),
               Catch::StartsWith("NATS refused the certificate " + w.certs.path("boxless") +
                                 " (CN=boxless) permission to subscribe to _INBOX."));
    CHECK(std::chrono::steady_clock::now() - start < 5s);

    // Both refused: the subject says more than the inbox.
    auto both = bus->request("denied.subject", "{}", 20s);
    CHECK(both.status().message() == w.refused("boxless", "publish to denied.subject"));
}

TEST_CASE("a subscription NATS refuses is permission_denied; allowed traffic still flows",
          "[bus][tls][permissions]") {
    PermissionWorld w;
    auto bus = w.connect_as("cli");
    auto denied = bus->subscribe("elsewhere.>", "q", [](oasis::Message&&) {});
    REQUIRE_FALSE(denied.ok());
    CHECK(denied.status().code() == Code::permission_denied);
    CHECK(denied.status().message() == w.refused("cli", "subscribe to elsewhere.>"));

    auto echo = bus->subscribe(
        "ok.echo", "", [&](oasis::Message&& m) { (void)bus->publish(m.reply, "echo:" + m.data); });
    REQUIRE(echo.ok());
    auto reply = bus->request("ok.echo", "hi", 5s);
    INFO(reply.status().message());
    REQUIRE(reply.ok());
    CHECK(reply->data == "echo:hi");
    auto nobody = bus->request("ok.nobody", "hi", 5s);
    CHECK(nobody.status().code() == Code::unavailable);
}

TEST_CASE("a certificate NATS has no user for is told to add one", "[bus][tls][permissions]") {
    PermissionWorld w;
    auto bus = connect(w.nats->url(), w.certs.client("nobody"));
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::unavailable);
    CHECK(bus.status().message() ==
          "cannot connect to NATS at " + w.nats->url() + ": NATS accepted the certificate " +
              w.certs.path("nobody") +
              " (CN=nobody) but has no user for it: add one to nats-auth.conf (`oasis system "
              "issue-agent-cert` does so for an agent) and reload nats-server");
}
