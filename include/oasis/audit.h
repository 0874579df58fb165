// The audit trail's messages: what a server records of every request that
// changes something, the alerts agents raise, and the `audit.list` request
// that reads both back (see docs/architecture.md, "Audit trail").
//
// Codecs follow wire.h: encoders never fail; decoders name the first bad
// field and accept unknown ones.
#pragma once

#include "oasis/facts.h"
#include "oasis/status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace oasis::wire {

// Captures oasis.audit.>: records, and alerts a server took from agents
// (see src/server/alert_recorder.h).
inline constexpr const char* kAuditStream = "OASIS_AUDIT";

// oasis.audit.<action>, e.g. oasis.audit.exec.run.
std::string audit_subject(std::string_view action);
// oasis.alert.<agent id>; agents publish alerts there as core messages.
std::string alert_subject(std::string_view agent_id);
// oasis.audit.alert.<agent id>: where a server stores an agent's alert.
std::string stored_alert_subject(std::string_view agent_id);

// What a record keeps of a request: enough to tell what was asked, never
// a whole 128 KiB command line (see kAuditTextBytes). Unset fields were
// not part of the request.
struct AuditRequest {
    std::string batch_id;  // the batch asked for or named
    std::string selector;
    std::vector<std::string> argv;
    int timeout_sec = 0;
    std::optional<std::uint64_t> targets;  // how many nodes the selector picked
    std::string agent_id;
    std::optional<StringMap> labels;
    std::optional<std::vector<std::string>> groups;
    // file.apply and file.rollback.
    std::string source_path;
    std::string dest;
    std::string sha256;
    std::uint64_t revision = 0;  // rollback: the one asked for; apply: the one made
    bool shortened = false;  // something above was cut to fit
};

// `text` cut at a character boundary to at most `max` bytes, with "..."
// added when it was cut.
std::string shorten(std::string text, std::size_t max);

// Selector and argv text kept per record, as `exec list` shows them; at
// most kAuditListItems labels or groups.
inline constexpr std::size_t kAuditTextBytes = 200;
inline constexpr std::size_t kAuditListItems = 32;

// One request that changed something (or tried to), written by the server
// that handled it once it had decided the outcome.
struct AuditRecord {
    std::int64_t time_ms = 0;
    std::string caller;  // the last token of the control subject
    std::string action;  // "<group>.<verb>", e.g. "exec.run"
    AuditRequest request;
    std::string outcome;   // "ok", or the error message the caller got
    std::string batch_id;  // the batch made or changed, if any
    std::string server;    // [server] name of the server that handled it
};

// An agent's alert, as the agent sends it ("kind" is e.g. "task_refused").
struct Alert {
    std::string kind;
    std::string agent_id;
    std::string task_id;
    std::string batch_id;
    std::string reason;
    std::int64_t time_ms = 0;
};

// One message of the audit stream.
struct AuditEntry {
    std::uint64_t seq = 0;       // in the stream: newer entries are higher
    std::int64_t stored_ms = 0;  // when the stream stored it (NATS's clock)
    std::variant<AuditRecord, Alert> what;
};

// A message of the audit stream that did not decode; listed, not hidden.
struct AuditSkip {
    std::uint64_t seq = 0;
    std::string subject;
    std::string reason;
};

// Newest first; ask again with before_seq = next_before_seq for more.
struct AuditListRequest {
    int limit = 50;                // 1 to kMaxAuditListLimit
    std::uint64_t before_seq = 0;  // only entries below this; 0: from the newest
};
inline constexpr int kMaxAuditListLimit = 1000;
struct AuditListReply {
    std::vector<AuditEntry> entries;
    std::vector<AuditSkip> skipped;
    std::uint64_t next_before_seq = 0;  // 0: nothing older is left
};

std::string encode(const AuditRecord& v);
std::string encode(const Alert& v);
std::string encode(const AuditListRequest& v);
std::string encode(const AuditListReply& v);

Result<AuditRecord> decode_audit_record(std::string_view json);
Result<Alert> decode_alert(std::string_view json);
Result<AuditListRequest> decode_audit_list_request(std::string_view json);
Result<AuditListReply> decode_audit_list_reply(std::string_view json);

// A message read from the audit stream as an entry: a record on
// oasis.audit.<action> or an alert on oasis.alert.<agent id>. A message on
// any other subject, one that does not decode, or one whose subject and
// body disagree (a record of another action, an alert of another agent) is
// invalid_argument with the reason.
Result<AuditEntry> audit_entry_from(std::string_view subject, std::string_view data,
                                    std::uint64_t seq, std::int64_t stored_ms);

}  // namespace oasis::wire
