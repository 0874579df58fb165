// What an agent checks before it takes tasks: that no other process runs
// with its id, and which key its tasks must be signed with.
#include "startup.h"

#include "oasis/log.h"
#include "oasis/pki.h"
#include "oasis/wire.h"

#include <unistd.h>

namespace oasis::agent {

using namespace std::chrono_literals;

namespace {

// Who else answers to this agent id: a second agent with the same id would
// run every task twice (two clones of one machine image, say).
std::string instance_subject(const std::string& agent_id) {
    return "oasis.agent.instance." + agent_id;
}

std::string describe_self() {
    char host[256] = "";
    ::gethostname(host, sizeof host - 1);
    return std::string("pid ") + std::to_string(::getpid()) + " on " + host;
}

// Asks whether another live agent process answers to `agent_id`; returns
// its description, or "" when none does.
std::string other_instance(Bus& bus, const std::string& agent_id) {
    auto reply = bus.request(instance_subject(agent_id), "", 500ms);
    return reply.ok() ? reply->data : "";
}

}  // namespace

std::unique_ptr<Subscription> claim_identity(Bus& bus, const std::string& agent_id) {
    if (auto other = other_instance(bus, agent_id); !other.empty()) {
        log::error("agent", "agent_id.in_use",
                   {{"agent_id", agent_id},
                    {"other", other},
                    {"error", "another agent runs with this id; give each its own"}});
        return nullptr;
    }
    auto answer =
        bus.subscribe(instance_subject(agent_id), "", [&bus, me = describe_self()](Message&& m) {
            if (!m.reply.empty()) (void)bus.publish(m.reply, me);
        });
    if (!answer.ok()) {
        log::warn("agent", "agent_id.unguarded", {{"error", answer.status().message()}});
        return std::make_unique<Subscription>();  // carry on without the guard
    }
    return std::move(*answer);
}

void warn_if_certificate_ends_soon(const std::string& agent_id, const TlsFiles& tls) {
    if (tls.cert_file.empty()) return;
    auto cert = read_cert_file(tls.cert_file);
    if (!cert.ok()) return;
    std::int64_t left = days_left(cert->not_after, wire::now_ms() / 1000);
    if (left < kExpiryWarningDays)
        log::warn(
            "agent", "tls.certificate_expires_soon",
            {{"agent_id", agent_id}, {"path", tls.cert_file}, {"days_left", std::to_string(left)}});
}

bool load_verifier(const Config& config, std::optional<TaskVerifier>& verifier) {
    auto loaded = load_task_verifier(config.security);
    if (!loaded.ok()) {
        log::error("agent", "task_public_key.invalid",
                   {{"agent_id", config.agent.id}, {"error", loaded.status().message()}});
        return false;
    }
    verifier = std::move(*loaded);
    // An agent set up with certificates is set up for a real fleet: it
    // fails closed rather than run tasks nobody signed.
    if (!verifier && !config.tls.certs_dir.empty()) {
        log::error(
            "agent", "task_public_key.missing",
            {{"agent_id", config.agent.id},
             {"error", "TLS is set up ([tls] certs_dir) but there is no task public key at " +
                           config.security.task_public_key +
                           ": copy task-signing.pub from the bundle `oasis system "
                           "issue-agent-cert` made, or set [security] task_public_key; an "
                           "agent with certificates runs only signed tasks"}});
        return false;
    }
    if (verifier) {
        log::info("agent", "tasks.verified", {{"key", config.security.task_public_key}});
    } else {
        log::warn("agent", "tasks.unverified",
                  {{"agent_id", config.agent.id},
                   {"error",
                    "no task public key ([security] task_public_key): this agent "
                    "runs unsigned tasks, from anyone who can publish to its subject"}});
    }
    return true;
}

}  // namespace oasis::agent
