// Checks an agent makes as it starts.
#pragma once

#include "oasis/bus.h"
#include "oasis/config.h"
#include "oasis/signing.h"

#include <optional>
#include <string>

namespace oasis::agent {

// Warns once when this agent's certificate ends within kExpiryWarningDays
// (the Bus refuses a missing or expired one); nothing without TLS.
void warn_if_certificate_ends_soon(const std::string& agent_id, const TlsFiles& tls);

// Loads the server's public key, which every task must be signed with,
// into `verifier` (left empty, after one warning, for a setup without
// one). False, after logging why, when a configured key cannot be used or
// TLS is set up without a key.
bool load_verifier(const Config& config, std::optional<TaskVerifier>& verifier);

}  // namespace oasis::agent
