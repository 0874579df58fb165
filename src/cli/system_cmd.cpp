// `oasis system status` and the table of system verbs (init and
// issue-agent-cert: system_init.cpp; install, start, stop, logs: see issue 3
// and docs/operations.md).
#include "cli.h"
#include "context.h"

#include "config_values.h"
#include "json_reader.h"
#include "oasis/json.h"
#include "oasis/wire.h"

#include <cstdio>
#include <iostream>

namespace oasis::cli {

namespace {

int system_status(int argc, char** argv, int first) {
    cxxopts::Options options("oasis system status",
                             "Is a server running, since when, which NATS, how many agents.");
    Context::add_common_options(options);
    int exit = kOk;
    auto ctx = Context::parse(options, argc, argv, first, exit);
    if (!ctx) return exit;
    auto payload = ctx->call("system", "status", wire::encode(wire::ExecListRequest{}), exit);
    if (!payload) return exit;
    if (ctx->json()) {
        std::cout << *payload << "\n";
        return kOk;
    }
    auto doc = JsonDocument::parse(*payload);
    if (!doc.ok()) return Context::fail(doc.status());
    auto& r = (*doc)->root();
    std::printf("server:   %s (oasis %s), up since %s\n", r.str("server").c_str(),
                r.str("version").c_str(),
                format_time(r.int64("started_at_ms", false, 0, INT64_MAX)).c_str());
    std::printf("nats:     %s\n", core::redact_url(ctx->config().nats.urls.front()).c_str());
    std::printf("agents:   %lld online of %lld known\n",
                static_cast<long long>(r.int64("agents_online", false, 0, INT64_MAX)),
                static_cast<long long>(r.int64("agents_known", false, 0, INT64_MAX)));
    return kOk;
}

constexpr Verb kVerbs[] = {
    {"init", "make the CA, certificates and NATS/Oasis configuration", system_init},
    {"issue-agent-cert", "issue one agent's certificate from that CA", system_issue_agent_cert},
    {"status", "is the server running, which NATS, how many agents", system_status},
};

}  // namespace

int system_command(int argc, char** argv, int first) {
    return dispatch("system", kVerbs, argc, argv, first);
}

}  // namespace oasis::cli
