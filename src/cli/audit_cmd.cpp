// `oasis audit list`: the audit trail, as the server reads it back.
#include "cli.h"
#include "context.h"

#include "oasis/audit.h"

#include <cstdio>
#include <iostream>

namespace oasis::cli {

namespace {

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : std::string(separator)) + s;
    return out;
}

// `text` on one line of the table, whatever a node or a request put in it.
std::string one_line(const Context& ctx, std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    return ctx.shown(text);
}

// What one line of the table says about an entry.
struct Line {
    std::string caller, action, outcome, detail;
};

// The parts of a request that were set, in one order for every action:
// "b-1a2b3c4d5e6f 3 nodes -t all -- uptime".
std::string describe(const wire::AuditRecord& r) {
    const wire::AuditRequest& q = r.request;
    std::vector<std::string> parts;
    if (!r.batch_id.empty() || !q.batch_id.empty())
        parts.push_back(r.batch_id.empty() ? q.batch_id : r.batch_id);
    if (q.targets)
        parts.push_back(std::to_string(*q.targets) + (*q.targets == 1 ? " node" : " nodes"));
    if (!q.agent_id.empty()) parts.push_back(q.agent_id);
    if (q.labels) {
        std::vector<std::string> kv;
        for (const auto& [k, v] : *q.labels) kv.push_back(k + "=" + v);
        parts.push_back("labels: " + (kv.empty() ? "-" : join(kv, ",")));
    }
    if (q.groups) parts.push_back("groups: " + (q.groups->empty() ? "-" : join(*q.groups, ",")));
    if (!q.selector.empty()) parts.push_back("-t " + q.selector);
    if (!q.argv.empty()) parts.push_back("-- " + join(q.argv, " "));
    if (!q.dest.empty()) {
        std::string file = q.source_path;
        if (q.revision) file += " r" + std::to_string(q.revision);
        parts.push_back(file + " -> " + q.dest);
    }
    if (q.shortened) parts.push_back("(shortened)");
    return join(parts, " ");
}

Line line_of(const wire::AuditEntry& e) {
    if (const auto* r = std::get_if<wire::AuditRecord>(&e.what))
        return {r->caller, r->action, r->outcome, describe(*r)};
    const auto& a = std::get<wire::Alert>(e.what);
    return {"agent:" + a.agent_id, a.kind, a.reason, a.batch_id};
}

void print_table(const Context& ctx, const wire::AuditListReply& all) {
    constexpr std::size_t kOutcomeShown = 40;
    std::printf("%-19s  %-24s %-13s %-43s %s\n", "TIME", "CALLER", "ACTION", "OUTCOME",
                "BATCH / REQUEST");
    for (const auto& e : all.entries) {
        Line l = line_of(e);
        std::printf("%-19s  %-24s %-13s %-43s %s\n", format_time(e.stored_ms).c_str(),
                    one_line(ctx, l.caller).c_str(), one_line(ctx, l.action).c_str(),
                    one_line(ctx, wire::shorten(l.outcome, kOutcomeShown)).c_str(),
                    one_line(ctx, l.detail).c_str());
    }
    for (const auto& s : all.skipped) {
        std::fprintf(stderr, "oasis: note: skipped audit message %llu on %s: %s\n",
                     static_cast<unsigned long long>(s.seq), for_terminal(s.subject).c_str(),
                     for_terminal(s.reason).c_str());
    }
}

int audit_list(int argc, char** argv, int first) {
    cxxopts::Options options(
        "oasis audit list",
        "Lists the audit trail, newest first: every request that changed something (who, "
        "what, and how it ended) and the alerts agents raised. The table cuts long outcomes; "
        "--output json shows every entry whole.");
    options.add_options()("limit", "how many entries (1 to 1000)",
                          cxxopts::value<std::string>()->default_value("50"));
    Context::add_common_options(options);
    int exit = kOk;
    auto ctx = Context::parse(options, argc, argv, first, exit);
    if (!ctx) return exit;
    auto limit = parse_limit(ctx->args()["limit"].as<std::string>(), wire::kMaxAuditListLimit);
    if (!limit.ok()) return Context::fail(limit.status());

    // Pages until the limit or the oldest entry; each page fits one message.
    wire::AuditListReply all;
    wire::AuditListRequest req{*limit, 0};
    do {
        req.limit = *limit - static_cast<int>(all.entries.size());
        auto payload = ctx->call("audit", "list", wire::encode(req), exit);
        if (!payload) return exit;
        auto page = wire::decode_audit_list_reply(*payload);
        if (!page.ok()) return Context::fail(page.status());
        if (page->next_before_seq != 0 && req.before_seq != 0 &&
            page->next_before_seq >= req.before_seq)
            return Context::fail(error(Code::internal,
                                       "the server paged the audit trail "
                                       "backwards; is it a newer version?"));
        for (auto& e : page->entries) all.entries.push_back(std::move(e));
        for (auto& s : page->skipped) all.skipped.push_back(std::move(s));
        req.before_seq = page->next_before_seq;
    } while (req.before_seq != 0 && static_cast<int>(all.entries.size()) < *limit);

    if (ctx->json())
        std::cout << wire::encode(all) << "\n";
    else
        print_table(*ctx, all);
    return kOk;
}

constexpr Verb kVerbs[] = {
    {"list", "who changed what, and agents' alerts, newest first", audit_list},
};

}  // namespace

int audit_command(int argc, char** argv, int first) {
    return dispatch("audit", kVerbs, argc, argv, first);
}

}  // namespace oasis::cli
