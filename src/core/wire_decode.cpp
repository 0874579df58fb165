// Decoders of the wire format: every field checked, the first problem named.
#include "oasis/wire.h"

#include "json_reader.h"
#include "wire_json.h"
#include "oasis/file_spec.h"
#include "oasis/json.h"
#include "oasis/sha256.h"

namespace oasis::wire {

namespace {


using DocPtr = std::unique_ptr<JsonDocument>;

Output read_output(ObjectReader& r, const std::string& name) {
    Output out;
    if (r.has(name + "_b64")) {
        std::string text = r.str(name + "_b64");
        if (!base64_decode(text, out.data)) r.fail(name + "_b64", "is not valid base64");
    } else {
        out.data = r.str(name, false, 64 << 20);
    }
    out.total_bytes = static_cast<std::uint64_t>(r.int64(name + "_bytes", false, 0, kMaxTime));
    out.truncated = r.boolean(name + "_truncated");
    return out;
}


AgentInfo read_agent_info(ObjectReader& r) {
    AgentInfo v;
    v.id = r.str("id", true, 64);
    v.labels = r.string_map("labels", false);
    v.groups = r.strings("groups", false);
    v.facts = r.string_map("facts", false);
    v.version = r.str("version", false, 128);
    v.started_at_ms = r.int64("started_at_ms", false, 0, kMaxTime);
    v.heartbeat_interval_sec =
        static_cast<int>(r.int64("heartbeat_interval_sec", false, 1, 86400, 30));
    return v;
}

AgentStatus read_agent_status(ObjectReader& r) {
    AgentStatus v;
    v.info = read_agent_info(r);
    v.online = r.boolean("online");
    v.last_seen_ms = r.int64("last_seen_ms", false, 0, kMaxTime);
    return v;
}

AgentOverride read_override(ObjectReader& r) {
    AgentOverride v;
    if (r.has("labels")) v.labels = r.string_map("labels");
    if (r.has("groups")) v.groups = r.strings("groups");
    return v;
}

// The batch, agent and final state of a result: all a summary needs.
TaskResult read_result_state(ObjectReader& r) {
    TaskResult v;
    v.batch_id = r.str("batch_id", true, 64);
    v.agent_id = r.str("agent_id", true, 64);
    std::string state = r.str("state");
    if (auto s = node_state_from_name(state))
        v.state = *s;
    else if (!r.failed())
        r.fail("state", "unknown state \"" + state + "\"");
    return v;
}

TaskResult read_task_result(ObjectReader& r) {
    TaskResult v = read_result_state(r);
    v.exit_code = static_cast<int>(r.int64("exit_code", false, -1, 255, -1));
    v.signal = static_cast<int>(r.int64("signal", false, 0, 128));
    v.out = read_output(r, "stdout");
    v.err = read_output(r, "stderr");
    v.started_at_ms = r.int64("started_at_ms", false, 0, kMaxTime);
    v.duration_ms = r.int64("duration_ms", false, 0, kMaxTime);
    v.error = r.str("error", false);
    v.reported_by = r.str("reported_by", false, 16);
    return v;
}

std::array<std::size_t, kNodeStateCount> read_counts(ObjectReader& c) {
    std::array<std::size_t, kNodeStateCount> counts{};
    for (std::size_t i = 0; i < kNodeStateCount; ++i) {
        const char* name = node_state_name(static_cast<NodeState>(i));
        counts[i] = static_cast<std::size_t>(c.int64(name, false, 0, kMaxTime));
    }
    return counts;
}


BatchReport read_batch_report(ObjectReader& r) {
    BatchReport v;
    if (auto b = r.object("batch")) v.batch = read_batch(*b);
    for (auto& item : r.objects("results", false)) v.results.push_back(read_task_result(item));
    v.pending = r.strings("pending", false);
    v.total = static_cast<std::size_t>(r.int64("total", false, 0, kMaxTime));
    if (auto c = r.object("counts", false)) v.counts = read_counts(*c);
    return v;
}

Status check_argv(const std::vector<std::string>& argv) {
    if (argv.empty()) return error(Code::invalid_argument, "field \"argv\": the command is empty");
    std::size_t total = 0;
    for (const auto& a : argv) {
        if (a.find('\0') != std::string::npos)
            return error(Code::invalid_argument, "field \"argv\": contains a NUL byte");
        total += a.size();
    }
    if (argv[0].empty())
        return error(Code::invalid_argument, "field \"argv\": the program name is empty");
    if (total > kMaxArgvBytes) {
        return error(Code::invalid_argument, "field \"argv\": longer than " +
                                                 std::to_string(kMaxArgvBytes) + " bytes");
    }
    return {};
}

}  // namespace

std::optional<unsigned> read_mode(ObjectReader& r) {
    if (!r.has("mode")) return std::nullopt;
    std::string text = r.str("mode", true, 16);
    if (r.failed()) return std::nullopt;
    auto mode = parse_mode(text);
    if (!mode.ok()) {
        r.fail("mode", "is not an octal mode such as \"0644\"");
        return std::nullopt;
    }
    return *mode;
}

// Every field checked as the CLI checks the flags it came from.
std::optional<FileWrite> read_file_write(ObjectReader& parent, bool required) {
    auto r = parent.object("file", required);
    if (!r) return std::nullopt;
    FileWrite v;
    v.source_path = r->str("source_path", true, 4096);
    v.revision = static_cast<std::uint64_t>(r->int64("revision", false, 0, kMaxTime));
    v.sha256 = r->str("sha256", true, 64);
    v.size = static_cast<std::uint64_t>(r->int64("size", true, 0, kMaxTime));
    v.dest = r->str("dest", true, 4096);
    v.mode = read_mode(*r);
    v.owner = r->str("owner", false, 80);
    if (r->failed()) return v;
    if (!is_sha256_hex(v.sha256)) r->fail("sha256", "is not 64 lower-case hex digits");
    if (Status st = check_destination(v.dest); !st.ok()) r->fail("dest", st.message());
    if (!v.owner.empty())
        if (auto owner = parse_owner(v.owner); !owner.ok())
            r->fail("owner", owner.status().message());
    return v;
}

Batch read_batch(ObjectReader& r) {
    Batch v;
    v.batch_id = r.str("batch_id", true, 64);
    v.kind = r.str("kind", false, 16);
    v.argv = r.strings("argv", false);
    v.file = read_file_write(r, v.kind == "file");
    v.selector = r.str("selector", false, kMaxSelectorBytes);
    v.targets = r.strings("targets", false);
    v.timeout_sec = static_cast<int>(r.int64("timeout_sec", false, 1, kMaxTimeoutSec, 60));
    v.created_at_ms = r.int64("created_at_ms", false, 0, kMaxTime);
    v.start_by_ms = r.int64("start_by_ms", false, 0, kMaxTime);
    v.cancel_requested = r.boolean("cancel_requested");
    v.done = r.boolean("done");
    v.results_from_seq =
        static_cast<std::uint64_t>(r.int64("results_from_seq", false, 0, kMaxTime, 1));
    if (auto c = r.object("final_counts", false)) v.final_counts = read_counts(*c);
    v.failed_nodes = r.strings("failed_nodes", false);
    return v;
}

Result<AgentInfo> decode_agent_info(std::string_view json) {
    return decode_with<AgentInfo>(json, read_agent_info);
}

Result<AgentOverride> decode_agent_override(std::string_view json) {
    return decode_with<AgentOverride>(json, read_override);
}

namespace {

// A file task's inline content: base64 of exactly the file's size, which
// is at most kMaxInlineFileBytes.
std::string read_content(ObjectReader& r, const FileWrite& file) {
    constexpr std::size_t kMaxText = (kMaxInlineFileBytes + 2) / 3 * 4;
    std::string text = r.str("content_b64", true, kMaxText);
    std::string bytes;
    if (r.failed()) return bytes;
    if (!base64_decode(text, bytes))
        r.fail("content_b64", "is not valid base64");
    else if (bytes.size() > kMaxInlineFileBytes)
        r.fail("content_b64", "holds more than " + std::to_string(kMaxInlineFileBytes) + " bytes");
    else if (bytes.size() != file.size)
        r.fail("content_b64", "holds " + std::to_string(bytes.size()) + " bytes, not the file's " +
                                  std::to_string(file.size));
    return bytes;
}

}  // namespace

Result<Task> decode_task(std::string_view json) {
    auto task = decode_with<Task>(json, [](ObjectReader& r) {
        Task v;
        v.task_id = r.str("task_id", true, 160);
        std::string kind = r.str("kind");
        if (kind == "exec")
            v.kind = TaskKind::exec;
        else if (kind == "cancel")
            v.kind = TaskKind::cancel;
        else if (kind == "file")
            v.kind = TaskKind::file;
        else if (!r.failed())
            r.fail("kind", "unknown task kind \"" + kind + "\"");
        v.batch_id = r.str("batch_id", true, 64);
        v.agent_id = r.str("agent_id", true, 64);
        v.argv = r.strings("argv", false);
        if (v.kind == TaskKind::file)
            if (auto f = read_file_write(r, true)) v.file = std::move(*f);
        if (v.kind == TaskKind::file && r.has("content_b64")) v.content = read_content(r, v.file);
        v.timeout_sec = static_cast<int>(r.int64("timeout_sec", false, 1, kMaxTimeoutSec, 60));
        v.created_at_ms = r.int64("created_at_ms", true, 0, kMaxTime);
        v.start_by_ms = r.int64("start_by_ms", true, 0, kMaxTime);
        // Base64 of 64 bytes is 88 characters; room for a newer scheme.
        v.signature = r.str("sig", false, 1024);
        return v;
    });
    if (task.ok() && task->kind == TaskKind::exec) OASIS_RETURN_IF_ERROR(check_argv(task->argv));
    return task;
}

Result<TaskResult> decode_task_result(std::string_view json) {
    return decode_with<TaskResult>(json, read_task_result);
}

Result<TaskResult> decode_task_result_state(std::string_view json) {
    return decode_with<TaskResult>(json, read_result_state);
}

Result<Batch> decode_batch(std::string_view json) {
    return decode_with<Batch>(json, read_batch);
}

Result<AgentListRequest> decode_agent_list_request(std::string_view json) {
    return decode_with<AgentListRequest>(json, [](ObjectReader& r) {
        AgentListRequest v;
        v.selector = r.str("selector", false, kMaxSelectorBytes);
        v.after = r.str("after", false, 64);
        return v;
    });
}

Result<AgentListReply> decode_agent_list_reply(std::string_view json) {
    return decode_with<AgentListReply>(json, [](ObjectReader& r) {
        AgentListReply v;
        for (auto& a : r.objects("agents")) v.agents.push_back(read_agent_status(a));
        v.next_after = r.str("next_after", false, 64);
        return v;
    });
}

Result<AgentSetRequest> decode_agent_set_request(std::string_view json) {
    return decode_with<AgentSetRequest>(json, [](ObjectReader& r) {
        AgentSetRequest v;
        v.agent_id = r.str("agent_id", true, 64);
        v.change = read_override(r);
        return v;
    });
}

Result<AgentStatus> decode_agent_status(std::string_view json) {
    return decode_with<AgentStatus>(json, [](ObjectReader& r) {
        auto a = r.object("agent");
        return a ? read_agent_status(*a) : AgentStatus{};
    });
}

Result<ExecRunRequest> decode_exec_run_request(std::string_view json) {
    auto req = decode_with<ExecRunRequest>(json, [](ObjectReader& r) {
        ExecRunRequest v;
        v.batch_id = r.str("batch_id", false, 64);
        if (!v.batch_id.empty() && !is_valid_batch_id(v.batch_id))
            r.fail("batch_id", "is not a batch id (they look like b-1a2b3c4d5e6f)");
        v.selector = r.str("selector", true, kMaxSelectorBytes);
        v.argv = r.strings("argv");
        v.timeout_sec = static_cast<int>(r.int64("timeout_sec", false, 1, kMaxTimeoutSec, 60));
        return v;
    });
    if (req.ok()) OASIS_RETURN_IF_ERROR(check_argv(req->argv));
    return req;
}

Result<ExecRunReply> decode_exec_run_reply(std::string_view json) {
    return decode_with<ExecRunReply>(json, [](ObjectReader& r) {
        ExecRunReply v;
        if (auto b = r.object("batch")) v.batch = read_batch(*b);
        v.offline = r.strings("offline", false);
        return v;
    });
}

Result<BatchIdRequest> decode_batch_id_request(std::string_view json) {
    auto req = decode_with<BatchIdRequest>(json, [](ObjectReader& r) {
        return BatchIdRequest{r.str("batch_id", true, 64)};
    });
    if (req.ok() && !is_valid_batch_id(req->batch_id)) {
        return error(Code::invalid_argument,
                     "\"" + req->batch_id + "\" is not a batch id (they look like b-1a2b3c4d5e6f)");
    }
    return req;
}

Result<BatchReport> decode_batch_report(std::string_view json) {
    return decode_with<BatchReport>(json, [](ObjectReader& r) {
        auto rep = r.object("report");
        return rep ? read_batch_report(*rep) : BatchReport{};
    });
}

Result<ExecListRequest> decode_exec_list_request(std::string_view json) {
    return decode_with<ExecListRequest>(json, [](ObjectReader& r) {
        return ExecListRequest{static_cast<int>(r.int64("limit", false, 1, 1000, 20))};
    });
}

Result<ExecListReply> decode_exec_list_reply(std::string_view json) {
    return decode_with<ExecListReply>(json, [](ObjectReader& r) {
        ExecListReply v;
        for (auto& b : r.objects("batches")) v.batches.push_back(read_batch_report(b));
        return v;
    });
}

Result<ExecCancelReply> decode_exec_cancel_reply(std::string_view json) {
    return decode_with<ExecCancelReply>(json, [](ObjectReader& r) {
        ExecCancelReply v;
        v.batch_id = r.str("batch_id");
        v.cancelled = static_cast<std::size_t>(r.int64("cancelled", false, 0, kMaxTime));
        return v;
    });
}

}  // namespace oasis::wire
