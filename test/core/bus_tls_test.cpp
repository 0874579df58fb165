// The Bus over mutual TLS against a real nats-server that requires and
// verifies client certificates. The certificates are made here with the
// openssl command, independently of Oasis's own certificate code.
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

// A CA, a server certificate for 127.0.0.1 and a client certificate,
// signed by `ca` (made first if missing), in `dir`.
void make_certs(const std::string& dir, const std::string& ca, const std::string& client) {
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    if (!std::filesystem::exists(dir + "/" + ca + ".pem")) {
        sh("openssl req -x509 " + key + " -days 2 -subj /CN=" + ca + " -keyout " + dir + "/" +
           ca + "-key.pem -out " + dir + "/" + ca + ".pem");
    }
    std::ofstream(dir + "/server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                       << "extendedKeyUsage=serverAuth\n";
    std::ofstream(dir + "/client.ext") << "extendedKeyUsage=clientAuth\n";
    auto issue = [&](const std::string& name, const std::string& ext) {
        sh("openssl req " + key + " -subj /CN=" + name + " -keyout " + dir + "/" + name +
           "-key.pem -out " + dir + "/" + name + ".csr");
        sh("openssl x509 -req -days 2 -in " + dir + "/" + name + ".csr -CA " + dir + "/" + ca +
           ".pem -CAkey " + dir + "/" + ca + "-key.pem -CAcreateserial -extfile " + dir + "/" +
           ext + " -out " + dir + "/" + name + ".pem");
    };
    issue("nats", "server.ext");
    issue(client, "client.ext");
}

struct TlsWorld {
    std::string dir;
    std::unique_ptr<oasis::testing::NatsServer> nats;

    TlsWorld() {
        char tmpl[] = "/tmp/oasis-tls-XXXXXX";
        REQUIRE(::mkdtemp(tmpl));
        dir = tmpl;
        make_certs(dir, "ca", "cli");
        nats = std::make_unique<oasis::testing::NatsServer>(std::vector<std::string>{
            "--tlsverify", "--tlscert", dir + "/nats.pem", "--tlskey", dir + "/nats-key.pem",
            "--tlscacert", dir + "/ca.pem"});
    }
    ~TlsWorld() {
        nats.reset();
        std::filesystem::remove_all(dir);
    }
};

oasis::Result<std::unique_ptr<Bus>> connect(const TlsWorld& w, oasis::TlsFiles tls) {
    oasis::BusOptions o;
    o.urls = {w.nats->url()};
    o.tls = std::move(tls);
    return Bus::connect(o);
}

}  // namespace

TEST_CASE("a client with a certificate from the right CA connects over TLS", "[bus][tls]") {
    TlsWorld w;
    auto bus = connect(w, oasis::tls_files(w.dir, "cli"));
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

TEST_CASE("a client without a certificate is refused with a hint", "[bus][tls]") {
    TlsWorld w;
    auto bus = connect(w, {});
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::unavailable);
}

TEST_CASE("a client certificate from another CA is refused", "[bus][tls]") {
    TlsWorld w;
    make_certs(w.dir, "other-ca", "stranger");
    oasis::TlsFiles tls{w.dir + "/ca.pem", w.dir + "/stranger.pem", w.dir + "/stranger-key.pem"};
    auto bus = connect(w, tls);
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::unavailable);
}

TEST_CASE("a missing certificate file is named, with what to do", "[bus][tls]") {
    TlsWorld w;
    auto bus = connect(w, oasis::tls_files(w.dir, "nobody"));
    REQUIRE_FALSE(bus.ok());
    CHECK(bus.status().code() == Code::invalid_argument);
    CHECK_THAT(bus.status().message(), Catch::Contains(w.dir + "/nobody.pem"));
    CHECK_THAT(bus.status().message(), Catch::Contains("oasis system init"));
}
