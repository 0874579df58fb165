// What each Oasis identity may do on NATS: the authorization block of the
// nats-server configuration that `oasis system init` writes (and that
// `oasis system issue-agent-cert` rewrites as agents are added).
//
// nats-server maps a client certificate to a user by its DNS SAN before
// its subject, so the server and the operator are "CN=oasis-server" and
// "CN=oasis-cli", and an agent is "<id>.agent.oasis" (the SAN its
// certificate carries). Their rights follow the subjects in wire.h:
// - an agent receives only its own tasks (live, and queued ones through a
//   consumer it may create only on its own task subject), reads back only
//   its own tasks and results, and publishes only its own heartbeats,
//   results, alerts and identity probe; it has no rights on control
//   requests, key-value buckets, the object store or the stream API;
// - the operator may send control requests only under its own caller name
//   (so the server learns the caller from the subject, which NATS vouches
//   for) and follow the results stream; it may not publish tasks or touch
//   the stores directly;
// - the server may do what the fleet's work needs (the oasis.> subjects
//   and the JetStream, key-value and object-store APIs).
// Every identity has its own reply-inbox prefix (wire.h) and may read
// only that one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oasis {

inline constexpr const char* kServerNatsUser = "CN=oasis-server";
inline constexpr const char* kOperatorNatsUser = "CN=oasis-cli";
// The operator's caller name: its certificate's CN.
inline constexpr const char* kOperatorCaller = "oasis-cli";

// The NATS user an agent's certificate maps to: its DNS SAN.
std::string agent_nats_user(std::string_view agent_id);

// The nats-server `authorization { users = [...] }` block for the server,
// the operator and each of `agent_ids` (valid agent ids; see config.h).
std::string nats_authorization(const std::vector<std::string>& agent_ids);

}  // namespace oasis
