// IdentityClaim: at most one agent process per agent id. A second process
// with a running agent's id (a cloned machine, say) would run every task
// meant for that agent a second time, so it must find out before it takes
// any: an agent claims its id before it subscribes to its task subject,
// reads its tasks back from the stream, or publishes anything in its name.
//
// How: the process answers on oasis.agent.instance.<id>, then asks there
// whether any other process does, and holds the id when none answers
// within kAnswerWithin. Each answers before it asks, so of two processes
// claiming at once at least one hears the other: both may give up, but
// both never hold the id. A claim holds only on the NATS connection it was
// made on, since another process may claim the id while this one is away;
// after a reconnect the agent claims again, and gives up if it was taken.
#pragma once

#include "oasis/bus.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace oasis::agent {

// How many times the NATS connection changed (lost, made again): a count
// that the Bus's state callback raises, shared because that callback may
// run after the claim is gone.
using ConnectionChanges = std::shared_ptr<std::atomic<std::uint64_t>>;

class IdentityClaim {
public:
    enum class Outcome {
        held,   // no other process answers to the id
        taken,  // another does: logged, naming it; take no task and exit
        retry,  // the connection changed meanwhile: claim again once connected
    };

    // How long another process has to answer before the id counts as free.
    static constexpr std::chrono::milliseconds kAnswerWithin{500};

    // Borrows `bus`, which must outlive the claim.
    IdentityClaim(Bus& bus, std::string agent_id, ConnectionChanges changes);

    // Claims the id; call while connected. Blocks up to kAnswerWithin.
    // From the first call on, this process answers to the id.
    Outcome claim();

    // Asks again, while the claim holds, whether another process answers to
    // the id: one may have claimed it while this process could not answer
    // (frozen, swapping, stopped), and both would then run every task.
    // taken (logged) when one does; then both stop, and a restart sorts
    // it out. Blocks up to kAnswerWithin.
    Outcome recheck();

    // True from a claim that held until the connection next changes.
    // Thread-safe: the task subscription asks for every message.
    bool held() const;

private:
    Bus& bus_;
    const std::string agent_id_;
    const ConnectionChanges changes_;
    const std::string nonce_;  // marks this process's own question
    std::unique_ptr<Subscription> answering_;
    bool held_before_ = false;  // a claim held once: losing it is news
    // The connection change count the claim holds at (none: max).
    std::atomic<std::uint64_t> held_at_{UINT64_MAX};
};

}  // namespace oasis::agent
