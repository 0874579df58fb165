// `oasis system status` and the table of system verbs (init and
// issue-agent-cert: system_init.cpp; install, start, stop, logs: see issue 3
// and docs/operations.md).
#include "cli.h"
#include "context.h"

#include "config_values.h"
#include "json_reader.h"
#include "oasis/json.h"
#include "oasis/pki.h"
#include "oasis/wire.h"

#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

namespace oasis::cli {

namespace {

constexpr std::int64_t kSecondsPerDay = 24 * 3600;

// A certificate that `system status` looks at, and what it says of it.
struct CertificateCheck {
    std::string role;  // "cli", "ca" or "server"
    std::string path;
    std::string cn;
    std::int64_t not_after = 0;  // unix seconds
    std::int64_t days_left = 0;  // whole days to not_after; negative once expired
    std::string warning;         // empty unless it expires within kExpiryWarningDays
};

std::string days(std::int64_t n) {
    return std::to_string(n) + (n == 1 ? " day" : " days");
}

// "2026-12-13 18:36:07 UTC", or with iso "2026-12-13T18:36:07Z".
std::string utc_time(std::int64_t unix_seconds, bool iso = false) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

CertificateCheck check_certificate(std::string role, std::string path, std::string cn,
                                   std::int64_t not_after, std::int64_t now) {
    CertificateCheck c{std::move(role), std::move(path), std::move(cn), not_after, 0, ""};
    const std::int64_t left = not_after - now;
    c.days_left = days_left(not_after, now);
    if (left >= kExpiryWarningDays * kSecondsPerDay) return c;

    std::string when = left >= kSecondsPerDay ? "expires in " + days(c.days_left)
                       : left >= 0            ? "expires within a day"
                       : left > -kSecondsPerDay
                           ? "expired today"
                           : "expired " + days(-left / kSecondsPerDay) + " ago";
    std::string whose = c.role == "ca"    ? "the CA certificate "
                        : c.role == "cli" ? "the CLI's certificate "
                                          : "the server's certificate ";
    c.warning = whose + c.path + " (CN=" + c.cn + ") " + when + " (" + utc_time(not_after) + ")";
    return c;
}

// The CLI's own certificate and the CA (when TLS is set up), and the
// server's as its reply reports it.
std::vector<CertificateCheck> certificates_in_use(const Context& ctx, ObjectReader& reply) {
    const std::int64_t now = wire::now_ms() / 1000;
    std::vector<CertificateCheck> out;
    TlsFiles tls = tls_files(ctx.config().tls.certs_dir, "cli");
    for (auto [role, path] : {std::pair{"cli", tls.cert_file}, {"ca", tls.ca_file}}) {
        if (path.empty()) continue;
        // Connecting read them already; one that vanished since is skipped.
        if (auto cert = read_cert_file(path); cert.ok())
            out.push_back(check_certificate(role, path, cert->common_name, cert->not_after, now));
    }
    if (auto server = reply.object("certificate", false)) {
        std::int64_t not_after_ms = server->int64("not_after_ms", true, 0, INT64_MAX);
        out.push_back(check_certificate("server", server->str("path"), server->str("cn"),
                                        not_after_ms / 1000, now));
    }
    return out;
}

// The server's reply as it came, with "certificates" and "warnings" added.
std::string status_json(ObjectReader& reply, const std::vector<CertificateCheck>& certs) {
    JsonWriter w;
    w.begin_object();
    reply.write_fields(w, {"certificates", "warnings"});
    w.key("certificates").begin_array();
    for (const auto& c : certs) {
        w.begin_object().field("role", c.role).field("path", c.path).field("cn", c.cn);
        w.field("not_after", utc_time(c.not_after, true)).field("days_left", c.days_left);
        w.end_object();
    }
    w.end_array().key("warnings").begin_array();
    for (const auto& c : certs)
        if (!c.warning.empty()) w.value(c.warning);
    return w.end_array().end_object().take();
}

int system_status(int argc, char** argv, int first) {
    cxxopts::Options options("oasis system status",
                             "Is a server running, since when, which NATS, how many agents, "
                             "and do the certificates in use expire within 30 days.");
    Context::add_common_options(options);
    int exit = kOk;
    auto ctx = Context::parse(options, argc, argv, first, exit);
    if (!ctx) return exit;
    auto payload = ctx->call("system", "status", wire::encode(wire::ExecListRequest{}), exit);
    if (!payload) return exit;
    auto doc = JsonDocument::parse(*payload);
    if (!doc.ok()) return Context::fail(doc.status());
    auto& r = (*doc)->root();
    auto certs = certificates_in_use(*ctx, r);
    if (r.failed()) return Context::fail(r.status().with_context("the server's reply"));
    if (ctx->json()) {
        std::cout << status_json(r, certs) << "\n";
        return kOk;
    }
    std::printf("server:   %s (oasis %s), up since %s\n", r.str("server").c_str(),
                r.str("version").c_str(),
                format_time(r.int64("started_at_ms", false, 0, INT64_MAX)).c_str());
    std::printf("nats:     %s\n", core::redact_url(ctx->config().nats.urls.front()).c_str());
    std::printf("agents:   %lld online of %lld known\n",
                static_cast<long long>(r.int64("agents_online", false, 0, INT64_MAX)),
                static_cast<long long>(r.int64("agents_known", false, 0, INT64_MAX)));
    for (const auto& c : certs)
        if (!c.warning.empty()) std::printf("warning:  %s\n", ctx->shown(c.warning).c_str());
    return kOk;
}

constexpr Verb kVerbs[] = {
    {"init", "make the CA, certificates and NATS/Oasis configuration", system_init},
    {"issue-agent-cert", "issue one agent's certificate from that CA", system_issue_agent_cert},
    {"status", "is the server running, which NATS, how many agents; expiring certificates",
     system_status},
};

}  // namespace

int system_command(int argc, char** argv, int first) {
    return dispatch("system", kVerbs, argc, argv, first);
}

}  // namespace oasis::cli
