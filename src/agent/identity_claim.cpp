#include "identity_claim.h"

#include "oasis/log.h"

#include <sodium.h>
#include <unistd.h>

namespace oasis::agent {

namespace {

std::string instance_subject(const std::string& agent_id) {
    return "oasis.agent.instance." + agent_id;
}

std::string describe_self() {
    char host[256] = "";
    ::gethostname(host, sizeof host - 1);
    return std::string("pid ") + std::to_string(::getpid()) + " on " + host;
}

// Random, since a cloned machine may run the agent with the same pid and
// host name.
std::string new_nonce() {
    unsigned char bytes[16];
    if (sodium_init() < 0) return describe_self();  // libsodium unusable: next best
    randombytes_buf(bytes, sizeof bytes);
    char hex[2 * sizeof bytes + 1];
    sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
    return hex;
}

}  // namespace

IdentityClaim::IdentityClaim(Bus& bus, std::string agent_id, ConnectionChanges changes)
    : bus_(bus),
      agent_id_(std::move(agent_id)),
      changes_(std::move(changes)),
      nonce_(new_nonce()) {}

IdentityClaim::Outcome IdentityClaim::claim() {
    const std::uint64_t at = changes_->load();
    const std::string subject = instance_subject(agent_id_);

    // Answer first, then ask: see the header. NATS resubscribes after a
    // reconnect, so the answering goes on from the first claim.
    if (!answering_) {
        auto answer = bus_.subscribe(
            subject, "", [&bus = bus_, nonce = nonce_, me = describe_self()](Message&& m) {
                // NATS echoes this process's own question back to it.
                if (!m.reply.empty() && m.data != nonce) (void)bus.publish(m.reply, me);
            });
        if (answer.ok()) {
            answering_ = std::move(*answer);
        } else {
            log::warn("agent", "agent_id.unguarded",
                      {{"agent_id", agent_id_}, {"error", answer.status().message()}});
            answering_ = std::make_unique<Subscription>();  // still ask, answer nobody
        }
    }

    auto other = bus_.request(subject, nonce_, kAnswerWithin);
    if (other.ok()) {
        log::error("agent", "agent_id.in_use",
                   {{"agent_id", agent_id_},
                    {"other", other->data},
                    {"error", held_before_ ? "another agent took this id while this one was "
                                             "cut off from NATS; give each its own; stopping"
                                           : "another agent runs with this id; give each its "
                                             "own"}});
        return Outcome::taken;
    }
    switch (other.status().code()) {
        case Code::timeout:
        case Code::unavailable:  // no responders: this process could not answer
            break;
        case Code::permission_denied:
            log::warn("agent", "agent_id.unguarded",
                      {{"agent_id", agent_id_}, {"error", other.status().message()}});
            break;
        default:
            log::warn("agent", "agent_id.unchecked",
                      {{"agent_id", agent_id_}, {"error", other.status().message()}});
            return Outcome::retry;
    }
    // Nobody answered; but the question may have been lost with the
    // connection, or asked on one that is gone now.
    if (changes_->load() != at || !bus_.connected()) return Outcome::retry;
    held_at_.store(at);
    held_before_ = true;
    return Outcome::held;
}

IdentityClaim::Outcome IdentityClaim::recheck() {
    auto other = bus_.request(instance_subject(agent_id_), nonce_, kAnswerWithin);
    if (!other.ok()) return Outcome::held;  // nobody answered, or NATS is away
    log::error("agent", "agent_id.in_use",
               {{"agent_id", agent_id_},
                {"other", other->data},
                {"error", "another agent answers to this id too (it took the id while this one "
                          "could not answer); give each its own; stopping"}});
    return Outcome::taken;
}

bool IdentityClaim::held() const {
    return held_at_.load() == changes_->load();
}

}  // namespace oasis::agent
