// Encoders, subjects and small helpers of the wire format (decoders live in
// wire_decode.cpp).
#include "oasis/wire.h"

#include "wire_json.h"

#include "oasis/file_spec.h"

#include "oasis/json.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>

namespace oasis::wire {

namespace {

constexpr std::array<const char*, kNodeStateCount> kStateNames{
    "succeeded", "failed",  "timed_out", "cancelled",
    "unreachable", "refused", "written",   "unchanged"};

bool is_caller_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}




// Output bytes travel as a JSON string when they are UTF-8, else as base64.
void write_output(JsonWriter& w, std::string_view name, const Output& out) {
    std::string key(name);
    if (is_valid_utf8(out.data))
        w.field(key, out.data);
    else
        w.field(key + "_b64", base64_encode(out.data));
    w.field(key + "_bytes", out.total_bytes);
    w.field(key + "_truncated", out.truncated);
}


void write_agent_info(JsonWriter& w, const AgentInfo& v) {
    w.field("id", v.id);
    write_map(w, "labels", v.labels);
    write_strings(w, "groups", v.groups);
    write_map(w, "facts", v.facts);
    w.field("version", v.version);
    w.field("started_at_ms", v.started_at_ms);
    w.field("heartbeat_interval_sec", v.heartbeat_interval_sec);
}

void write_agent_status(JsonWriter& w, const AgentStatus& v) {
    w.begin_object();
    write_agent_info(w, v.info);
    w.field("online", v.online);
    w.field("last_seen_ms", v.last_seen_ms);
    w.end_object();
}

void write_task_result(JsonWriter& w, const TaskResult& v) {
    w.field("batch_id", v.batch_id);
    w.field("agent_id", v.agent_id);
    w.field("state", node_state_name(v.state));
    w.field("exit_code", v.exit_code);
    w.field("signal", v.signal);
    write_output(w, "stdout", v.out);
    write_output(w, "stderr", v.err);
    w.field("started_at_ms", v.started_at_ms);
    w.field("duration_ms", v.duration_ms);
    w.field("error", v.error);
    w.field("reported_by", v.reported_by);
}


void write_batch_report(JsonWriter& w, const BatchReport& v) {
    w.begin_object();
    w.key("batch").begin_object();
    write_batch(w, v.batch);
    w.end_object();
    w.key("results").begin_array();
    for (const auto& r : v.results) {
        w.begin_object();
        write_task_result(w, r);
        w.end_object();
    }
    w.end_array();
    write_strings(w, "pending", v.pending);
    w.field("total", static_cast<std::uint64_t>(v.total));
    w.key("counts").begin_object();
    for (std::size_t i = 0; i < kNodeStateCount; ++i) w.field(kStateNames[i], v.counts[i]);
    w.end_object();
    w.end_object();
}

}  // namespace

JsonWriter& begin(JsonWriter& w) {
    w.begin_object();
    return w.field("api", kApiVersion);
}

void write_strings(JsonWriter& w, std::string_view key, const std::vector<std::string>& items) {
    w.key(key).begin_array();
    for (const auto& s : items) w.value(s);
    w.end_array();
}

void write_map(JsonWriter& w, std::string_view key, const StringMap& map) {
    w.key(key).begin_object();
    for (const auto& [k, v] : map) w.field(k, v);
    w.end_object();
}

void write_file_write(JsonWriter& w, const FileWrite& v) {
    w.key("file").begin_object();
    w.field("source_path", v.source_path);
    w.field("revision", v.revision);
    w.field("sha256", v.sha256);
    w.field("size", v.size);
    w.field("dest", v.dest);
    if (v.mode) w.field("mode", format_mode(*v.mode));
    if (!v.owner.empty()) w.field("owner", v.owner);
    w.end_object();
}

void write_batch(JsonWriter& w, const Batch& v) {
    w.field("batch_id", v.batch_id);
    w.field("kind", v.kind);
    write_strings(w, "argv", v.argv);
    if (v.file) write_file_write(w, *v.file);
    w.field("selector", v.selector);
    write_strings(w, "targets", v.targets);
    w.field("timeout_sec", v.timeout_sec);
    w.field("created_at_ms", v.created_at_ms);
    w.field("start_by_ms", v.start_by_ms);
    w.field("cancel_requested", v.cancel_requested);
    w.field("done", v.done);
    w.field("results_from_seq", v.results_from_seq);
    if (v.done) {
        w.key("final_counts").begin_object();
        for (std::size_t i = 0; i < kNodeStateCount; ++i)
            w.field(kStateNames[i], v.final_counts[i]);
        w.end_object();
        if (v.file) write_strings(w, "failed_nodes", v.failed_nodes);
    }
}

std::string task_subject(std::string_view agent_id) {
    return "oasis.task." + std::string(agent_id);
}

std::string result_subject(std::string_view batch_id, std::string_view agent_id) {
    return "oasis.result." + std::string(batch_id) + "." + std::string(agent_id);
}

std::string results_of_batch_subject(std::string_view batch_id) {
    return "oasis.result." + std::string(batch_id) + ".>";
}

std::string heartbeat_subject(std::string_view agent_id) {
    return "oasis.hb." + std::string(agent_id);
}

std::string batch_subject(std::string_view batch_id) {
    return "oasis.batch." + std::string(batch_id);
}

bool is_valid_caller(std::string_view caller) {
    if (caller.empty() || caller.size() > kMaxCallerBytes) return false;
    return std::all_of(caller.begin(), caller.end(), is_caller_char);
}

std::string caller_token(std::string_view raw) {
    std::string out(raw.substr(0, kMaxCallerBytes));
    for (char& c : out)
        if (!is_caller_char(c)) c = '_';
    return out;
}

std::string control_subject(std::string_view group, std::string_view verb,
                            std::string_view caller) {
    return "oasis.ctl." + std::string(group) + "." + std::string(verb) + "." + std::string(caller);
}

Result<ControlSubject> parse_control_subject(std::string_view subject) {
    // Quoted in errors, cut so that a hostile 10 KB subject stays readable.
    std::string quoted =
        "\"" + std::string(subject.substr(0, 200)) + (subject.size() > 200 ? "...\"" : "\"");
    auto malformed = [&](const std::string& why) {
        return error(Code::invalid_argument, "control subject " + quoted + " " + why);
    };

    static constexpr std::string_view kPrefix = "oasis.ctl.";
    if (subject.substr(0, kPrefix.size()) != kPrefix)
        return malformed("is malformed: expected oasis.ctl.<group>.<verb>.<caller>");
    std::vector<std::string_view> tokens;
    std::string_view rest = subject.substr(kPrefix.size());
    for (std::size_t dot; (dot = rest.find('.')) != std::string_view::npos;) {
        tokens.push_back(rest.substr(0, dot));
        rest = rest.substr(dot + 1);
    }
    tokens.push_back(rest);

    if (tokens.size() < 2)
        return malformed("is malformed: expected oasis.ctl.<group>.<verb>.<caller>");
    if (tokens.size() == 2)
        return malformed(
            "names no caller: the CLI is older than this server, which expects "
            "oasis.ctl.<group>.<verb>.<caller>; upgrade the CLI");
    if (tokens.size() > 3)
        return malformed("has " + std::to_string(tokens.size() + 2) +
                         " tokens, not 5 (oasis.ctl.<group>.<verb>.<caller>): the CLI is "
                         "newer than this server, or the subject is malformed");
    if (tokens[0].empty() || tokens[1].empty())
        return malformed("is malformed: expected oasis.ctl.<group>.<verb>.<caller>");
    if (!is_valid_caller(tokens[2]))
        return malformed("names a caller that is not valid: expected 1 to " +
                         std::to_string(kMaxCallerBytes) + " of A-Z a-z 0-9 _ -");
    return ControlSubject{std::string(tokens[0]) + "." + std::string(tokens[1]),
                          std::string(tokens[2])};
}

std::string hex_token(std::string_view text) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size() * 2);
    for (unsigned char c : text) {
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

std::string agent_inbox_prefix(std::string_view agent_id) {
    return "_oasis_inbox.agent." + hex_token(agent_id);
}

std::string cli_inbox_prefix(std::string_view caller) {
    return "_oasis_inbox.cli." + std::string(caller);
}

std::string result_check_consumer(std::string_view agent_id) {
    return "oasis_check_" + hex_token(agent_id);
}

std::string file_fetch_consumer(std::string_view agent_id) {
    return "oasis_fetch_" + hex_token(agent_id);
}

std::string task_catchup_consumer(std::string_view agent_id) {
    return "oasis_catchup_" + hex_token(agent_id);
}

bool on_own_subject(const TaskResult& result, std::string_view subject) {
    return subject == result_subject(result.batch_id, result.agent_id);
}

std::optional<TaskResult> forged_result_verdict(std::string_view subject) {
    constexpr std::string_view kPrefix = "oasis.result.";
    if (subject.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
    std::string_view rest = subject.substr(kPrefix.size());
    auto dot = rest.find('.');  // batch ids hold no dots; agent ids may
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == rest.size()) return std::nullopt;
    TaskResult r;
    r.batch_id = std::string(rest.substr(0, dot));
    r.agent_id = std::string(rest.substr(dot + 1));
    r.state = NodeState::failed;
    r.error = "the agent stored a result that names another node; it was ignored";
    r.reported_by = "server";
    return r;
}

bool on_own_subject(const AgentInfo& info, std::string_view subject) {
    return subject == heartbeat_subject(info.id);
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

const char* node_state_name(NodeState state) {
    return kStateNames[static_cast<std::size_t>(state)];
}

const char* task_kind_name(TaskKind kind) {
    switch (kind) {
        case TaskKind::exec: return "exec";
        case TaskKind::cancel: return "cancel";
        case TaskKind::file: return "file";
    }
    return "exec";
}

bool is_success(NodeState state) {
    return state == NodeState::succeeded || state == NodeState::written ||
           state == NodeState::unchanged;
}

std::string file_object_name(std::string_view sha256_hex) {
    return "sha256-" + std::string(sha256_hex);
}

std::optional<NodeState> node_state_from_name(std::string_view name) {
    for (std::size_t i = 0; i < kNodeStateCount; ++i)
        if (name == kStateNames[i]) return static_cast<NodeState>(i);
    return std::nullopt;
}

std::int64_t expiry_ms(std::int64_t start_by_ms, int timeout_sec) {
    constexpr std::int64_t kGraceMs = 10000;
    return start_by_ms + std::int64_t{timeout_sec} * 1000 + kGraceMs;
}

bool is_valid_batch_id(std::string_view id) {
    if (id.size() < 3 || id.size() > 64 || id.substr(0, 2) != "b-") return false;
    for (char c : id.substr(2)) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
        if (!ok) return false;
    }
    return true;
}

std::string new_batch_id() {
    unsigned char bytes[6];
    randombytes_buf(bytes, sizeof bytes);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id = "b-";
    for (unsigned char b : bytes) {
        id += kHex[b >> 4];
        id += kHex[b & 0xF];
    }
    return id;
}

std::string encode(const AgentInfo& v) {
    JsonWriter w;
    begin(w);
    write_agent_info(w, v);
    return w.end_object().take();
}

std::string encode(const AgentOverride& v) {
    JsonWriter w;
    begin(w);
    if (v.labels) write_map(w, "labels", *v.labels);
    if (v.groups) write_strings(w, "groups", *v.groups);
    return w.end_object().take();
}

std::string encode(const Task& v) {
    JsonWriter w;
    begin(w);
    w.field("task_id", v.task_id);
    w.field("kind", task_kind_name(v.kind));
    w.field("batch_id", v.batch_id);
    w.field("agent_id", v.agent_id);
    write_strings(w, "argv", v.argv);
    if (v.kind == TaskKind::file) write_file_write(w, v.file);
    if (v.kind == TaskKind::file && v.content) w.field("content_b64", base64_encode(*v.content));
    w.field("timeout_sec", v.timeout_sec);
    w.field("created_at_ms", v.created_at_ms);
    w.field("start_by_ms", v.start_by_ms);
    if (!v.signature.empty()) w.field("sig", v.signature);
    return w.end_object().take();
}

std::string encode(const TaskResult& v) {
    JsonWriter w;
    begin(w);
    write_task_result(w, v);
    return w.end_object().take();
}

std::string encode(const Batch& v) {
    JsonWriter w;
    begin(w);
    write_batch(w, v);
    return w.end_object().take();
}

std::string encode(const AgentListRequest& v) {
    JsonWriter w;
    begin(w);
    w.field("selector", v.selector);
    w.field("after", v.after);
    return w.end_object().take();
}

std::string encode(const AgentListReply& v) {
    JsonWriter w;
    begin(w);
    w.key("agents").begin_array();
    for (const auto& a : v.agents) write_agent_status(w, a);
    w.end_array();
    w.field("next_after", v.next_after);
    return w.end_object().take();
}

std::string encode(const AgentSetRequest& v) {
    JsonWriter w;
    begin(w);
    w.field("agent_id", v.agent_id);
    if (v.change.labels) write_map(w, "labels", *v.change.labels);
    if (v.change.groups) write_strings(w, "groups", *v.change.groups);
    return w.end_object().take();
}

std::string encode(const AgentStatus& v) {
    JsonWriter w;
    begin(w);
    w.key("agent");
    write_agent_status(w, v);
    return w.end_object().take();
}

std::string encode(const ExecRunRequest& v) {
    JsonWriter w;
    begin(w);
    if (!v.batch_id.empty()) w.field("batch_id", v.batch_id);
    w.field("selector", v.selector);
    write_strings(w, "argv", v.argv);
    w.field("timeout_sec", v.timeout_sec);
    return w.end_object().take();
}

void write_started(JsonWriter& w, const Batch& batch, const std::vector<std::string>& offline) {
    w.key("batch").begin_object();
    write_batch(w, batch);
    w.end_object();
    write_strings(w, "offline", offline);
}

std::string encode(const ExecRunReply& v) {
    JsonWriter w;
    begin(w);
    write_started(w, v.batch, v.offline);
    return w.end_object().take();
}

std::string encode(const BatchIdRequest& v) {
    JsonWriter w;
    begin(w);
    w.field("batch_id", v.batch_id);
    return w.end_object().take();
}

std::string encode(const BatchReport& v) {
    JsonWriter w;
    begin(w);
    w.key("report");
    write_batch_report(w, v);
    return w.end_object().take();
}

std::string encode(const ExecListRequest& v) {
    JsonWriter w;
    begin(w);
    w.field("limit", v.limit);
    return w.end_object().take();
}

std::string encode(const ExecListReply& v) {
    JsonWriter w;
    begin(w);
    w.key("batches").begin_array();
    for (const auto& b : v.batches) write_batch_report(w, b);
    w.end_array();
    return w.end_object().take();
}

std::string encode(const ExecCancelReply& v) {
    JsonWriter w;
    begin(w);
    w.field("batch_id", v.batch_id);
    w.field("cancelled", static_cast<std::uint64_t>(v.cancelled));
    return w.end_object().take();
}

std::string encode_error(const Status& status) {
    JsonWriter w;
    begin(w);
    w.key("error").begin_object();
    w.field("code", code_name(status.code()));
    w.field("message", status.message());
    w.end_object();
    return w.end_object().take();
}

}  // namespace oasis::wire
