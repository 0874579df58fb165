// The messages the roles exchange over NATS, and their subjects.
//
// Every payload is one JSON object with "api": kApiVersion. Decoders accept
// unknown fields (a newer peer may add some) but reject wrong types, missing
// required fields and out-of-range values with Code::invalid_argument and a
// message that names the field. Encoders never fail.
#pragma once

#include "oasis/facts.h"
#include "oasis/status.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oasis::wire {

inline constexpr int kApiVersion = 1;

// Streams. Control subjects (oasis.ctl.>) are never captured by a stream.
inline constexpr const char* kTaskStream = "OASIS_TASKS";            // oasis.task.>
inline constexpr const char* kResultStream = "OASIS_RESULTS";        // oasis.result.>
inline constexpr const char* kBatchStream = "OASIS_BATCHES";         // oasis.batch.>
inline constexpr const char* kHeartbeatStream = "OASIS_HEARTBEATS";  // oasis.hb.>
inline constexpr const char* kAgentOverrideBucket = "oasis_agent_overrides";
// Files (issue 4): the content of every revision, in the standard NATS object
// store layout, each object named by its content (file_object_name); and the
// revisions of each source path, one key-value entry per path.
inline constexpr const char* kFileBucket = "oasis_files";
inline constexpr const char* kFileRevisionBucket = "oasis_file_revisions";
// Every server answers control requests in this queue group.
inline constexpr const char* kControlQueue = "oasis-servers";

std::string task_subject(std::string_view agent_id);
std::string result_subject(std::string_view batch_id, std::string_view agent_id);
std::string results_of_batch_subject(std::string_view batch_id);  // oasis.result.<b>.>
std::string heartbeat_subject(std::string_view agent_id);
std::string batch_subject(std::string_view batch_id);

// --- control subjects -----------------------------------------------------
//
// A control request goes to oasis.ctl.<group>.<verb>.<caller>: exactly five
// tokens. The caller names who asks; NATS permissions tie it to the
// connection's certificate (the CN "oasis-cli" may publish only on
// oasis.ctl.*.*.oasis-cli), so a server takes it as given.

// 1 to kMaxCallerBytes of [A-Za-z0-9_-].
inline constexpr std::size_t kMaxCallerBytes = 64;
bool is_valid_caller(std::string_view caller);
// `raw` as a caller token: every other byte becomes '_', and it is cut to
// kMaxCallerBytes. Empty only when `raw` is.
std::string caller_token(std::string_view raw);

std::string control_subject(std::string_view group, std::string_view verb, std::string_view caller);

struct ControlSubject {
    std::string action;  // "<group>.<verb>", e.g. "exec.run"
    std::string caller;
};
// Splits a control subject. invalid_argument, saying whether the CLI looks
// older or newer than this server, for any other number of tokens, an
// empty group or verb, or a caller that is not valid.
Result<ControlSubject> parse_control_subject(std::string_view subject);

// Reply inboxes: each identity has its own prefix, so the NATS permissions
// written by `oasis system init` can let it read only its own replies.
// Agent ids may hold dots, so an agent's id appears hex-encoded: one token
// that no other id's prefix can cover.
inline constexpr const char* kServerInboxPrefix = "_oasis_inbox.server";
std::string agent_inbox_prefix(std::string_view agent_id);  // _oasis_inbox.agent.<hex>
std::string cli_inbox_prefix(std::string_view caller);      // _oasis_inbox.cli.<caller>
// The consumer an agent reads its queued tasks through (Bus::read_subject).
std::string task_catchup_consumer(std::string_view agent_id);  // oasis_catchup_<hex>
// The consumer an agent looks for its own stored result through.
std::string result_check_consumer(std::string_view agent_id);  // oasis_check_<hex>
// The consumer an agent reads a file's chunks through.
std::string file_fetch_consumer(std::string_view agent_id);  // oasis_fetch_<hex>
// `text` as lower-case hex, two digits a byte.
std::string hex_token(std::string_view text);

// Whether a stored result or heartbeat came on the subject its body names.
// NATS permissions vouch only for subjects (an agent may publish only on
// its own), so a body naming another agent than its subject is forged.
struct TaskResult;
struct AgentInfo;
bool on_own_subject(const TaskResult& result, std::string_view subject);
bool on_own_subject(const AgentInfo& info, std::string_view subject);
// What a result that is not on its own subject counts as: the node whose
// slot it took (oasis.result.<batch>.<agent>) failed, since its agent may
// store no other. nullopt when the subject is not a result subject.
std::optional<TaskResult> forged_result_verdict(std::string_view subject);

// Milliseconds since the Unix epoch, the only time unit on the wire.
std::int64_t now_ms();

// --- agents ---------------------------------------------------------------

// What an agent says about itself in every heartbeat.
struct AgentInfo {
    std::string id;
    StringMap labels;
    std::vector<std::string> groups;
    StringMap facts;
    std::string version;
    std::int64_t started_at_ms = 0;
    int heartbeat_interval_sec = 30;
};

// The server's view of an agent: what it said, plus liveness and the
// operator's overrides already applied to labels and groups.
struct AgentStatus {
    AgentInfo info;
    bool online = false;
    std::int64_t last_seen_ms = 0;
};

// Labels and groups set by `oasis agent set`; they replace what the agent
// reports, and survive its restarts.
struct AgentOverride {
    std::optional<StringMap> labels;
    std::optional<std::vector<std::string>> groups;
};

// --- tasks and results ----------------------------------------------------

enum class TaskKind { exec, cancel, file };
const char* task_kind_name(TaskKind kind);  // "exec", "cancel", "file"

// What a file task writes: the object file_object_name(sha256) of
// kFileBucket, put at `dest`, with `mode` and `owner` when given (else an
// existing file's are kept, and a new file gets 0644 and the agent's user).
struct FileWrite {
    std::string source_path;  // the revision's source path, for records
    std::uint64_t revision = 0;
    std::string sha256;  // 64 lower-case hex digits
    std::uint64_t size = 0;
    std::string dest;  // absolute (check_destination)
    std::optional<unsigned> mode;  // on the wire as four octal digits, "0644"
    std::string owner;  // "user:group" as parse_owner reads it; empty: keep
};
// Content up to this size travels in the task itself (Task::content): one
// message per node instead of a fetch, which costs nats-server a consumer
// created and deleted per node (and nats-server 2.9.10 keeps memory for
// each). Base64 makes it at most 22 KB of a task.
inline constexpr std::uint64_t kMaxInlineFileBytes = 16 * 1024;

// "sha256-<hex>": content stored once, whatever path it came from.
std::string file_object_name(std::string_view sha256_hex);

// Every field but `signature` is covered by the signature (see
// oasis/signing.h): a field added here must be added to the signed bytes
// too, with a new domain tag, or it can be changed in transit.
struct Task {
    std::string task_id;  // unique per (batch, agent)
    TaskKind kind = TaskKind::exec;
    std::string batch_id;
    std::string agent_id;
    std::vector<std::string> argv;  // exec only
    FileWrite file;                 // file only
    // File only, for content of at most kMaxInlineFileBytes: the bytes
    // themselves, so that the node fetches nothing. Not in the signed
    // bytes, and need not be: the node checks them against the signed
    // sha256 and size, as it checks fetched content.
    std::optional<std::string> content;
    int timeout_sec = 60;
    std::int64_t created_at_ms = 0;
    // The task is refused when it has not started by then.
    std::int64_t start_by_ms = 0;
    // Ed25519 signature by the server, base64; empty when unsigned.
    std::string signature;
};

// The final state of one node's part of a batch. Once written it never
// changes: the result stream accepts only the first result per subject.
// A file task ends written or unchanged (the node held those bytes, owner
// and mode already) where a command ends succeeded.
enum class NodeState {
    succeeded,
    failed,
    timed_out,
    cancelled,
    unreachable,
    refused,
    written,
    unchanged
};

const char* node_state_name(NodeState state);
std::optional<NodeState> node_state_from_name(std::string_view name);
inline constexpr std::size_t kNodeStateCount = 8;
// Whether the node did what was asked: succeeded, written or unchanged.
bool is_success(NodeState state);

struct Output {
    std::string data;  // raw bytes, possibly cut at the agent's cap
    std::uint64_t total_bytes = 0;
    bool truncated = false;
};

struct TaskResult {
    std::string batch_id;
    std::string agent_id;
    NodeState state = NodeState::failed;
    int exit_code = -1;  // -1 when the process did not exit by itself
    int signal = 0;
    Output out;
    Output err;
    std::int64_t started_at_ms = 0;
    std::int64_t duration_ms = 0;
    std::string error;        // why, for every state but succeeded
    std::string reported_by;  // "agent" or "server"
};

// --- batches --------------------------------------------------------------

struct Batch {
    std::string batch_id;
    std::string kind = "exec";  // or "file"
    std::vector<std::string> argv;
    std::optional<FileWrite> file;  // kind "file"
    std::string selector;
    std::vector<std::string> targets;
    int timeout_sec = 60;
    std::int64_t created_at_ms = 0;
    std::int64_t start_by_ms = 0;
    bool cancel_requested = false;
    // Every target has its final state; the record is rewritten once with
    // this set, so a restarted server need not look at the batch again.
    bool done = false;
    // Where this batch's results start in the result stream (a lower bound).
    std::uint64_t results_from_seq = 1;
    // Counts per NodeState, written with done.
    std::array<std::size_t, kNodeStateCount> final_counts{};
    // Kind "file", written with done: the targets whose final state is not
    // a success (the others hold the file), for `file history`.
    std::vector<std::string> failed_nodes;
};

// When the server gives up on a node that has not answered: the start
// deadline, plus the timeout, plus 10 s for the result to travel.
std::int64_t expiry_ms(std::int64_t start_by_ms, int timeout_sec);
inline std::int64_t batch_expiry_ms(const Batch& b) {
    return expiry_ms(b.start_by_ms, b.timeout_sec);
}

// A batch with what is known of its results.
struct BatchReport {
    Batch batch;
    std::vector<TaskResult> results;   // one per node that has finished
    std::vector<std::string> pending;  // targets with no final state yet
    std::size_t total = 0;             // number of targets
    std::array<std::size_t, kNodeStateCount> counts{};
};

// --- control requests and replies -----------------------------------------

// Agent listings come in pages that fit one NATS message; ask again with
// `after` set to the reply's `next_after` until it is empty.
struct AgentListRequest {
    std::string selector;  // empty: every agent
    std::string after;     // only agents whose id sorts after this
};
struct AgentListReply {
    std::vector<AgentStatus> agents;
    std::string next_after;  // empty on the last page
};
struct AgentSetRequest {
    std::string agent_id;
    AgentOverride change;
};
struct ExecRunRequest {
    // Chosen by the CLI, so that the operator knows the batch even when the
    // reply is lost; a batch id can be used once. Empty: the server picks.
    std::string batch_id;
    std::string selector;
    std::vector<std::string> argv;
    int timeout_sec = 60;
};
struct ExecRunReply {
    Batch batch;
    std::vector<std::string> offline;  // targets that were offline: queued
};
struct BatchIdRequest {
    std::string batch_id;
};
struct ExecListRequest {
    int limit = 20;
};
struct ExecListReply {
    std::vector<BatchReport> batches;
};  // results left empty
struct ExecCancelReply {
    std::string batch_id;
    std::size_t cancelled = 0;
};

// Encoders.
std::string encode(const AgentInfo& v);
std::string encode(const AgentOverride& v);
std::string encode(const Task& v);
std::string encode(const TaskResult& v);
std::string encode(const Batch& v);
std::string encode(const AgentListRequest& v);
std::string encode(const AgentListReply& v);
std::string encode(const AgentSetRequest& v);
std::string encode(const AgentStatus& v);
std::string encode(const ExecRunRequest& v);
std::string encode(const ExecRunReply& v);
std::string encode(const BatchIdRequest& v);
std::string encode(const BatchReport& v);
std::string encode(const ExecListRequest& v);
std::string encode(const ExecListReply& v);
std::string encode(const ExecCancelReply& v);
// {"api":1,"error":{"code":"not_found","message":"..."}}
std::string encode_error(const Status& status);

// Decoders. A reply that carries "error" decodes to that error's Status.
Result<AgentInfo> decode_agent_info(std::string_view json);
Result<AgentOverride> decode_agent_override(std::string_view json);
Result<Task> decode_task(std::string_view json);
Result<TaskResult> decode_task_result(std::string_view json);
// Only batch_id, agent_id and state of a result (the output is skipped, not
// copied or base64-decoded): what the server's summaries need.
Result<TaskResult> decode_task_result_state(std::string_view json);
Result<Batch> decode_batch(std::string_view json);
Result<AgentListRequest> decode_agent_list_request(std::string_view json);
Result<AgentListReply> decode_agent_list_reply(std::string_view json);
Result<AgentSetRequest> decode_agent_set_request(std::string_view json);
Result<AgentStatus> decode_agent_status(std::string_view json);
Result<ExecRunRequest> decode_exec_run_request(std::string_view json);
Result<ExecRunReply> decode_exec_run_reply(std::string_view json);
Result<BatchIdRequest> decode_batch_id_request(std::string_view json);
Result<BatchReport> decode_batch_report(std::string_view json);
Result<ExecListRequest> decode_exec_list_request(std::string_view json);
Result<ExecListReply> decode_exec_list_reply(std::string_view json);
Result<ExecCancelReply> decode_exec_cancel_reply(std::string_view json);

// Limits every decoder and the CLI enforce.
inline constexpr int kMaxTimeoutSec = 7 * 24 * 3600;
inline constexpr std::size_t kMaxArgvBytes = 128 * 1024;
inline constexpr std::size_t kMaxSelectorBytes = 64 * 1024;

// Batch ids look like "b-1a2b3c4d5e6f"; checks the shape a subject needs.
bool is_valid_batch_id(std::string_view id);
std::string new_batch_id();

}  // namespace oasis::wire
