// What an agent checks as it starts: which key its tasks must be signed
// with, and how long its certificate has left.
#include "startup.h"

#include "oasis/log.h"
#include "oasis/pki.h"
#include "oasis/wire.h"

namespace oasis::agent {

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
