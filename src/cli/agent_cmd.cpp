// `oasis agent list|set`.
#include "cli.h"
#include "context.h"

#include "oasis/selector.h"
#include "oasis/wire.h"

#include "config_values.h"

#include <cstdio>
#include <iostream>

namespace oasis::cli {

namespace {

std::string join_map(const StringMap& m) {
    std::string out;
    for (const auto& [k, v] : m) out += (out.empty() ? "" : ",") + k + "=" + v;
    return out.empty() ? "-" : out;
}

std::string join_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out.empty() ? "-" : out;
}

int agent_list(int argc, char** argv, int first) {
    cxxopts::Options options("oasis agent list",
                             "Lists agents, online or offline, and when each was last seen.");
    options.add_options()("t,target", "only agents this selector picks",
                          cxxopts::value<std::string>())("v,verbose",
                                                         "add labels, groups and system facts");
    Context::add_common_options(options);
    int exit = kOk;
    auto ctx = Context::parse(options, argc, argv, first, exit);
    if (!ctx) return exit;

    wire::AgentListRequest req;
    if (ctx->args().count("target")) {
        auto sel = Selector::parse(ctx->args()["target"].as<std::string>());
        if (!sel.ok()) return Context::fail(sel.status());
        req.selector = sel->text();
    }
    wire::AgentListReply all;
    do {
        auto payload = ctx->call("agent", "list", wire::encode(req), exit);
        if (!payload) return exit;
        auto page = wire::decode_agent_list_reply(*payload);
        if (!page.ok()) return Context::fail(page.status());
        for (auto& a : page->agents) all.agents.push_back(std::move(a));
        req.after = page->next_after;
    } while (!req.after.empty());
    if (ctx->json()) {
        std::cout << wire::encode(all) << "\n";
        return kOk;
    }
    const auto* reply = &all;
    bool verbose = ctx->flag("verbose");
    auto now = wire::now_ms();
    std::printf("%-24s %-8s %-10s%s\n", "AGENT", "STATE", "LAST SEEN",
                verbose ? " LABELS / GROUPS / FACTS" : "");
    std::size_t online = 0;
    for (const auto& a : reply->agents) {
        online += a.online;
        std::printf("%-24s %-8s %-10s", a.info.id.c_str(), a.online ? "online" : "offline",
                    format_age(a.last_seen_ms, now).c_str());
        if (verbose) {
            std::printf(" labels: %s\n%45s groups: %s\n%45s facts: %s",
                        ctx->shown(join_map(a.info.labels)).c_str(), "",
                        ctx->shown(join_list(a.info.groups)).c_str(), "",
                        ctx->shown(join_map(a.info.facts)).c_str());
        }
        std::printf("\n");
    }
    std::printf("%zu agent%s, %zu online\n", reply->agents.size(),
                reply->agents.size() == 1 ? "" : "s", online);
    return kOk;
}

int agent_set(int argc, char** argv, int first) {
    cxxopts::Options options(
        "oasis agent set",
        "Replaces an agent's labels and/or groups. The change is kept by the server and "
        "survives agent restarts; what the agent's own settings say is overridden.");
    options.add_options()("agent-id", "the agent", cxxopts::value<std::string>())(
        "labels", "k=v (repeat, or k=v,k2=v2); replaces all labels",
        cxxopts::value<std::vector<std::string>>())(
        "label", "one k=v taken whole, so the value may hold commas (repeat)",
        cxxopts::value<std::vector<std::string>>())("groups",
                                                    "group (repeat, or a,b); replaces all groups",
                                                    cxxopts::value<std::vector<std::string>>());
    Context::add_common_options(options);
    int exit = kOk;
    auto ctx = Context::parse(options, argc, argv, first, exit);
    if (!ctx) return exit;
    if (!ctx->args().count("agent-id")) return Context::usage_error("missing --agent-id ID");

    wire::AgentSetRequest req;
    req.agent_id = ctx->args()["agent-id"].as<std::string>();
    if (!is_valid_agent_id(req.agent_id))
        return Context::usage_error("--agent-id: " + core::quote(req.agent_id) +
                                    " is not an agent id: " + kAgentIdRule);
    if (ctx->args().count("labels") || ctx->args().count("label")) {
        StringMap labels;
        if (ctx->args().count("label")) {
            for (const auto& item : ctx->args()["label"].as<std::vector<std::string>>()) {
                auto eq = item.find('=');
                if (eq == std::string::npos || eq == 0)
                    return Context::usage_error("--label: \"" + item + "\" is not key=value");
                labels[item.substr(0, eq)] = item.substr(eq + 1);
            }
        }
        std::vector<std::string> items;
        if (ctx->args().count("labels"))
            items = ctx->args()["labels"].as<std::vector<std::string>>();
        for (const auto& item : items) {
            auto parsed = parse_labels(item);
            if (!parsed.ok()) return Context::usage_error("--labels: " + parsed.status().message());
            labels.insert(parsed->begin(), parsed->end());
        }
        req.change.labels = labels;
    }
    if (ctx->args().count("groups")) {
        std::vector<std::string> groups;
        for (const auto& item : ctx->args()["groups"].as<std::vector<std::string>>()) {
            auto parsed = parse_list(item);
            if (!parsed.ok()) return Context::usage_error("--groups: " + parsed.status().message());
            groups.insert(groups.end(), parsed->begin(), parsed->end());
        }
        req.change.groups = groups;
    }
    if (!req.change.labels && !req.change.groups)
        return Context::usage_error("nothing to change: give --labels, --groups or both");

    auto payload = ctx->call("agent", "set", wire::encode(req), exit);
    if (!payload) return exit;
    auto reply = wire::decode_agent_status(*payload);
    if (!reply.ok()) return Context::fail(reply.status());
    if (ctx->json()) {
        std::cout << *payload << "\n";
        return kOk;
    }
    std::printf("%s  labels: %s  groups: %s\n", reply->info.id.c_str(),
                join_map(reply->info.labels).c_str(), join_list(reply->info.groups).c_str());
    return kOk;
}

// Reached only as `oasis-cli agent run`: the daemon is a role of its own.
int agent_run_hint(int, char**, int) {
    return Context::usage_error("the agent daemon starts as `oasis agent run` or `oasis-agent`, "
                                "not through oasis-cli");
}

constexpr Verb kVerbs[] = {
    {"run", "run the node agent on this machine (a daemon; see agent run --help)",
     agent_run_hint},
    {"list", "list agents with their state", agent_list},
    {"set", "change an agent's labels and groups", agent_set},
};

}  // namespace

int agent_command(int argc, char** argv, int first) {
    return dispatch("agent", kVerbs, argc, argv, first);
}

}  // namespace oasis::cli
