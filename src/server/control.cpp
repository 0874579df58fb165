#include "control.h"

#include "audit_trail.h"

#include "oasis/json.h"
#include "oasis/log.h"
#include "oasis/version.h"

#include <algorithm>

namespace oasis::server {

namespace {

std::string join(const std::vector<std::string>& items, std::size_t max_items = 10) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < max_items; ++i) {
        if (i) out += ", ";
        out += items[i];
    }
    if (items.size() > max_items)
        out += " and " + std::to_string(items.size() - max_items) + " more";
    return out;
}

Status check_override(const wire::AgentOverride& change) {
    if (!change.labels && !change.groups)
        return error(Code::invalid_argument, "nothing to change: give labels, groups or both");
    if (change.labels) {
        for (const auto& [k, v] : *change.labels) {
            if (!is_valid_label_key(k))
                return error(Code::invalid_argument, "label key \"" + k + "\" is not valid");
            if (!is_valid_label_value(v))
                return error(Code::invalid_argument, "label value of \"" + k + "\" is not valid");
        }
    }
    if (change.groups) {
        for (const auto& g : *change.groups)
            if (!is_valid_group_name(g))
                return error(Code::invalid_argument, "group \"" + g + "\" is not valid");
    }
    return {};
}

}  // namespace

std::span<const ControlService::Verb> ControlService::verbs() {
    static constexpr Verb kVerbs[] = {
        {"agent.list", &ControlService::agent_list, false},
        {"agent.set", &ControlService::agent_set, true},
        {"exec.run", &ControlService::exec_run, true},
        {"exec.get", &ControlService::exec_get, false},
        {"exec.list", &ControlService::exec_list, false},
        {"exec.cancel", &ControlService::exec_cancel, true},
        {"file.check", &ControlService::file_check, false},
        {"file.apply", &ControlService::file_apply, true},
        {"file.rollback", &ControlService::file_rollback, true},
        {"file.history", &ControlService::file_history, false},
        {"file.clear", &ControlService::file_clear, true},
        {"system.status", &ControlService::system_status, false},
        // Reading the trail changes nothing, so it leaves no record.
        {"audit.list", &ControlService::audit_list, false},
    };
    return kVerbs;
}

bool ControlService::is_mutating(std::string_view action) {
    for (const auto& verb : verbs())
        if (verb.action == action) return verb.mutating;
    return false;
}

std::string ControlService::handle(std::string_view subject, std::string_view payload) {
    auto parsed = wire::parse_control_subject(subject);
    if (!parsed.ok()) return refuse(subject, "", parsed.status());
    auto table = verbs();
    auto verb = std::find_if(table.begin(), table.end(),
                             [&](const Verb& v) { return v.action == parsed->action; });
    if (verb == table.end()) {
        return refuse(subject, parsed->caller,
                      error(Code::not_found, "no such request: " + parsed->action.substr(0, 200) +
                                                 "; the CLI may be newer than this server"));
    }

    wire::AuditRecord audit;
    audit.caller = parsed->caller;  // for the handlers' log lines
    Result<std::string> reply = error(Code::internal, "no reply");
    try {
        reply = (this->*verb->handler)(payload, audit);
    } catch (const std::exception& e) {
        reply = error(Code::internal, std::string("server error: ") + e.what());
    }
    if (verb->mutating) record(audit, *parsed, reply.status());
    if (reply.ok()) return std::move(reply).value();
    return refuse(subject, parsed->caller, reply.status());
}

void ControlService::record(wire::AuditRecord& audit, const wire::ControlSubject& subject,
                            const Status& outcome) {
    audit.time_ms = wire::now_ms();
    audit.caller = subject.caller;
    audit.action = subject.action;
    audit.outcome = outcome.ok() ? "ok" : outcome.message();
    audit.server = config_.server.name;
    // Not transactional: the change is made before it is recorded, so a
    // server that dies in between leaves a change with no record, and one
    // whose record JetStream refuses has only the error line that
    // write_audit_record logs.
    // TODO: record an intent before the change and its outcome after,
    // paired by an id when listed, so that no change goes unrecorded.
    (void)write_audit_record(bus_, audit);
}

std::string ControlService::refuse(std::string_view subject, const std::string& caller,
                                   const Status& st) {
    auto level = st.code() == Code::internal ? log::Level::error : log::Level::info;
    log::event(level, "control", "request.refused",
               {{"subject", std::string(subject.substr(0, 256))},
                {"caller", caller},
                {"code", code_name(st.code())},
                {"message", st.message()}});
    return wire::encode_error(st);
}

Result<std::string> ControlService::agent_list(std::string_view payload, wire::AuditRecord&) {
    auto req = wire::decode_agent_list_request(payload);
    if (!req.ok()) return req.status();
    std::vector<wire::AgentStatus> agents;
    if (req->selector.empty()) {
        agents = registry_.list(nullptr, wire::now_ms());
    } else {
        auto sel = Selector::parse(req->selector);
        if (!sel.ok()) return sel.status();
        agents = registry_.list(&*sel, wire::now_ms());
    }
    // One page: as many agents after `after` as fit well inside one message.
    const std::size_t budget = static_cast<std::size_t>(bus_.max_payload()) / 2;
    wire::AgentListReply reply;
    std::size_t size = 0;
    auto it = std::upper_bound(
        agents.begin(), agents.end(), req->after,
        [](const std::string& after, const wire::AgentStatus& a) { return after < a.info.id; });
    for (; it != agents.end(); ++it) {
        std::size_t one = wire::encode(*it).size();
        if (!reply.agents.empty() && size + one > budget) {
            reply.next_after = reply.agents.back().info.id;
            break;
        }
        size += one;
        reply.agents.push_back(std::move(*it));
    }
    return wire::encode(reply);
}

Result<std::string> ControlService::agent_set(std::string_view payload, wire::AuditRecord& audit) {
    auto req = wire::decode_agent_set_request(payload);
    if (!req.ok()) return req.status();
    audit.request = summarize(*req);
    if (!is_valid_agent_id(req->agent_id))
        return error(Code::invalid_argument, "\"" + req->agent_id + "\" is not an agent id");
    OASIS_RETURN_IF_ERROR(check_override(req->change));
    auto now = wire::now_ms();
    if (!registry_.get(req->agent_id, now))
        return error(Code::not_found, "no agent \"" + req->agent_id +
                                          "\" has ever reported; see `oasis agent list`");

    // Merge with the stored override so setting labels keeps earlier groups.
    wire::AgentOverride merged;
    if (auto old = bus_.kv_get(wire::kAgentOverrideBucket, req->agent_id); old.ok()) {
        auto decoded = wire::decode_agent_override(*old);
        if (decoded.ok()) merged = *decoded;
    }
    if (req->change.labels) merged.labels = req->change.labels;
    if (req->change.groups) merged.groups = req->change.groups;
    OASIS_RETURN_IF_ERROR(
        bus_.kv_put(wire::kAgentOverrideBucket, req->agent_id, wire::encode(merged)));
    registry_.on_override(req->agent_id, merged);
    log::info("control", "agent.set", {{"agent_id", req->agent_id}, {"caller", audit.caller}});
    return wire::encode(*registry_.get(req->agent_id, now));
}

Result<Selection> ControlService::pick(const std::string& selector, wire::AuditRecord& audit,
                                       std::string_view nothing_done) {
    auto sel = Selector::parse(selector);
    if (!sel.ok()) return sel.status();
    Selection picked = registry_.select(*sel, wire::now_ms());
    audit.request.targets = picked.online.size() + picked.offline.size();
    if (!picked.unknown.empty()) {
        return error(Code::not_found, "unknown agents: " + join(picked.unknown) + "; " +
                                          std::string(nothing_done) +
                                          " (see `oasis agent list`)");
    }
    if (picked.online.empty() && picked.offline.empty()) {
        return error(Code::not_found, "selector matched no nodes: `" + selector +
                                          "` picks no online agent; " +
                                          std::string(nothing_done) +
                                          " (see `oasis agent list`)");
    }
    return picked;
}

Status ControlService::check_new_batch_id(const std::string& batch_id) {
    auto existing = bus_.get_last(wire::kBatchStream, wire::batch_subject(batch_id));
    if (existing.ok())
        return error(Code::invalid_argument,
                     "batch " + batch_id + " exists already; nothing was run again");
    if (existing.status().code() != Code::not_found)
        return existing.status().with_context("look up batch " + batch_id);
    return {};
}

Result<wire::ExecRunReply> ControlService::dispatch(wire::Batch batch, const Selection& picked,
                                                    wire::AuditRecord& audit,
                                                    const std::function<void(wire::Task&)>& fill) {
    auto now = wire::now_ms();
    if (batch.batch_id.empty()) batch.batch_id = wire::new_batch_id();
    batch.targets = picked.online;
    batch.targets.insert(batch.targets.end(), picked.offline.begin(), picked.offline.end());
    batch.created_at_ms = now;
    batch.start_by_ms = now + std::int64_t{config_.server.task_start_window_sec} * 1000;
    auto results = bus_.stream_state(wire::kResultStream);
    if (!results.ok()) return results.status().with_context("result stream");
    batch.results_from_seq = results->last_seq + 1;

    // The record first, so that every result has a batch to belong to; and
    // only once per id, so a retried request never runs the batch twice.
    PublishOptions once;
    once.only_if_subject_empty = true;
    auto stored_record =
        bus_.js_publish(wire::batch_subject(batch.batch_id), wire::encode(batch), once);
    if (!stored_record.ok()) {
        if (stored_record.status().code() == Code::conflict)
            return error(Code::invalid_argument,
                         "batch " + batch.batch_id + " exists already; nothing was run again");
        return stored_record.status().with_context("store batch " + batch.batch_id);
    }
    book_.on_record(batch);
    audit.batch_id = batch.batch_id;

    std::vector<Bus::Outgoing> tasks;
    tasks.reserve(batch.targets.size());
    for (const auto& agent : batch.targets) {
        wire::Task t;
        t.task_id = batch.batch_id + "." + agent;
        t.batch_id = batch.batch_id;
        t.agent_id = agent;
        t.timeout_sec = batch.timeout_sec;
        t.created_at_ms = batch.created_at_ms;
        t.start_by_ms = batch.start_by_ms;
        fill(t);
        tasks.push_back({wire::task_subject(agent), encode_task(t), {}});
    }
    // A node whose task could not be stored is settled at once, not when
    // the batch expires.
    auto stored = bus_.js_publish_each(tasks, std::chrono::seconds(30));
    if (!stored.ok()) return stored.status().with_context("queue tasks");
    std::vector<Settlement> lost;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if ((*stored)[i].ok()) continue;
        lost.push_back({batch.targets[i], wire::NodeState::unreachable,
                        "the task could not be queued: " + (*stored)[i].message()});
    }
    if (!lost.empty()) {
        log::error("control", "batch.tasks_not_stored",
                   {{"batch_id", batch.batch_id}, {"nodes", std::to_string(lost.size())}});
        (void)finalize(batch.batch_id, lost);
    }
    log::info("control", "batch.created",
              {{"batch_id", batch.batch_id},
               {"kind", batch.kind},
               {"targets", std::to_string(batch.targets.size())},
               {"offline", std::to_string(picked.offline.size())},
               {"caller", audit.caller}});
    return wire::ExecRunReply{batch, picked.offline};
}

Result<std::string> ControlService::exec_run(std::string_view payload, wire::AuditRecord& audit) {
    auto req = wire::decode_exec_run_request(payload);
    if (!req.ok()) return req.status();
    audit.request = summarize(*req);
    auto picked = pick(req->selector, audit, "nothing was run");
    if (!picked.ok()) return picked.status();

    wire::Batch batch;
    batch.batch_id = req->batch_id;
    batch.argv = req->argv;
    batch.selector = req->selector;
    batch.timeout_sec = req->timeout_sec;
    auto reply = dispatch(std::move(batch), *picked, audit,
                          [&](wire::Task& t) { t.argv = req->argv; });
    if (!reply.ok()) return reply.status();
    return wire::encode(*reply);
}

// TODO: every task signs the whole argv again (0.57 ms for a 128 KiB
// command, so 5.7 s for 10,000 nodes); signing a digest of argv made once
// per batch would need a new signed layout (oasis-task-v2).
std::string ControlService::encode_task(wire::Task& task) const {
    if (signer_) task.signature = signer_->sign(task);
    return wire::encode(task);
}

Result<wire::BatchReport> ControlService::find_batch(const std::string& batch_id) {
    if (auto r = book_.report(batch_id)) return *r;
    auto m = bus_.get_last(wire::kBatchStream, wire::batch_subject(batch_id));
    if (!m.ok()) {
        if (m.status().code() == Code::not_found)
            return error(Code::not_found, "no batch " + batch_id + " (see `oasis exec list`)");
        return m.status();
    }
    auto batch = wire::decode_batch(m->data);
    if (!batch.ok()) return batch.status().with_context("stored batch record");
    book_.on_record(*batch);
    return *book_.report(batch_id);
}

Result<std::string> ControlService::exec_get(std::string_view payload, wire::AuditRecord&) {
    auto req = wire::decode_batch_id_request(payload);
    if (!req.ok()) return req.status();
    auto report = find_batch(req->batch_id);
    if (!report.ok()) return report.status();
    return wire::encode(*report);
}

Result<std::string> ControlService::exec_list(std::string_view payload, wire::AuditRecord&) {
    auto req = wire::decode_exec_list_request(payload);
    if (!req.ok()) return req.status();
    wire::ExecListReply reply;
    reply.batches = book_.recent(static_cast<std::size_t>(req->limit));
    // Keep the reply small: a listing needs neither every target nor a
    // whole 128 KiB command line.
    constexpr std::size_t kShown = 200;
    for (auto& b : reply.batches) {
        b.batch.targets.clear();
        b.pending.clear();
        b.batch.failed_nodes.clear();
        (void)shorten_argv(b.batch.argv, kShown);
        b.batch.selector = wire::shorten(std::move(b.batch.selector), kShown);
    }
    return wire::encode(reply);
}

Result<std::string> ControlService::exec_cancel(std::string_view payload,
                                                wire::AuditRecord& audit) {
    auto req = wire::decode_batch_id_request(payload);
    if (!req.ok()) return req.status();
    audit.request = summarize(*req);
    auto report = find_batch(req->batch_id);
    if (!report.ok()) return report.status();
    audit.batch_id = req->batch_id;
    wire::ExecCancelReply reply{req->batch_id, 0};
    if (report->pending.empty()) return wire::encode(reply);

    wire::Batch batch = report->batch;
    batch.cancel_requested = true;
    OASIS_RETURN_IF_ERROR(store_record(batch));
    book_.on_record(batch);

    // Tell each node to stop, then settle its state: whatever it reports
    // later loses to this first result.
    std::vector<std::pair<std::string, std::string>> cancels;
    for (const auto& agent : report->pending) {
        wire::Task t;
        t.task_id = batch.batch_id + "." + agent + ".cancel";
        t.kind = wire::TaskKind::cancel;
        t.batch_id = batch.batch_id;
        t.agent_id = agent;
        t.created_at_ms = wire::now_ms();
        t.start_by_ms = batch.start_by_ms;
        cancels.emplace_back(wire::task_subject(agent), encode_task(t));
    }
    (void)bus_.js_publish_all(cancels, std::chrono::seconds(30));
    std::vector<Settlement> settle;
    for (const auto& agent : report->pending)
        settle.push_back({agent, wire::NodeState::cancelled, "cancelled by operator"});
    auto stored = finalize(batch.batch_id, settle);
    for (std::size_t i = 0; i < settle.size(); ++i) {
        const std::string& agent = settle[i].agent_id;
        if (stored[i]) {
            reply.cancelled++;
            continue;
        }
        // The agent (told above) may have settled it first.
        auto theirs =
            bus_.get_last(wire::kResultStream, wire::result_subject(batch.batch_id, agent));
        if (!theirs.ok()) continue;
        auto r = wire::decode_task_result(theirs->data);
        if (r.ok() && wire::on_own_subject(*r, theirs->subject) &&
            r->state == wire::NodeState::cancelled)
            reply.cancelled++;
    }
    log::info("control", "batch.cancelled",
              {{"batch_id", batch.batch_id},
               {"nodes", std::to_string(reply.cancelled)},
               {"caller", audit.caller}});
    return wire::encode(reply);
}

Result<std::string> ControlService::system_status(std::string_view payload, wire::AuditRecord&) {
    auto doc = wire::decode_exec_list_request(payload);  // only checks api
    if (!doc.ok()) return doc.status();
    auto now = wire::now_ms();
    JsonWriter w;
    w.begin_object();
    w.field("api", wire::kApiVersion);
    w.field("server", config_.server.name);
    w.field("version", kVersion);
    w.field("started_at_ms", started_at_ms_);
    w.field("agents_online", static_cast<std::uint64_t>(registry_.online_count(now)));
    w.field("agents_known", static_cast<std::uint64_t>(registry_.known_count()));
    if (certificate_) {
        w.key("certificate").begin_object();
        w.field("path", certificate_->path).field("cn", certificate_->common_name);
        w.field("not_after_ms", certificate_->not_after_ms).end_object();
    }
    return w.end_object().take();
}

Result<std::string> ControlService::audit_list(std::string_view payload, wire::AuditRecord&) {
    auto req = wire::decode_audit_list_request(payload);
    if (!req.ok()) return req.status();
    auto state = bus_.stream_state(wire::kAuditStream);
    if (!state.ok()) return state.status().with_context("audit stream");
    // As agent.list does: a page fills at most half a message.
    const std::size_t budget = static_cast<std::size_t>(bus_.max_payload()) / 2;
    auto page = read_audit_page(*state, *req, budget, [this](std::uint64_t seq) {
        return bus_.get_seq(wire::kAuditStream, seq);
    });
    if (!page.ok()) return page.status();
    return wire::encode(*page);
}

std::vector<bool> ControlService::finalize(const std::string& batch_id,
                                           const std::vector<Settlement>& nodes) {
    std::vector<Bus::Outgoing> results;
    results.reserve(nodes.size());
    for (const auto& node : nodes) {
        wire::TaskResult r;
        r.batch_id = batch_id;
        r.agent_id = node.agent_id;
        r.state = node.state;
        r.error = node.reason;
        r.reported_by = "server";
        Bus::Outgoing out{wire::result_subject(batch_id, node.agent_id), wire::encode(r), {}};
        out.options.only_if_subject_empty = true;
        results.push_back(std::move(out));
    }
    std::vector<bool> stored(nodes.size(), false);
    auto outcomes = bus_.js_publish_each(results, std::chrono::seconds(30));
    if (!outcomes.ok()) {
        log::warn("control", "result.not_stored",
                  {{"batch_id", batch_id}, {"error", outcomes.status().message()}});
        return stored;
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const Status& st = (*outcomes)[i];
        if (st.ok()) {
            book_.on_result(batch_id, nodes[i].agent_id, nodes[i].state);
            stored[i] = true;
        } else if (st.code() != Code::conflict) {
            log::warn("control", "result.not_stored",
                      {{"batch_id", batch_id},
                       {"agent_id", nodes[i].agent_id},
                       {"error", st.message()}});
        }
    }
    return stored;
}

Status ControlService::store_record(const wire::Batch& batch) {
    auto seq = bus_.js_publish(wire::batch_subject(batch.batch_id), wire::encode(batch));
    return seq.status().with_context("store batch " + batch.batch_id);
}

}  // namespace oasis::server
