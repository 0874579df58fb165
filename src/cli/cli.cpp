// The CLI's top level: the table of command groups.
#include "cli.h"

#include "interrupt.h"

#include "oasis/version.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace oasis::cli {

namespace {

constexpr Verb kGroups[] = {
    {"system", "the control plane: init, issue-agent-cert, status", system_command},
    {"agent", "agents: list, set labels and groups", agent_command},
    {"exec", "run commands on nodes and see their results", exec_command},
    {"file", "ship versioned files to nodes, see their history, roll back", file_command},
    {"audit", "the audit trail: who changed what, and agents' alerts", audit_command},
};

void print_usage(FILE* out) {
    std::fprintf(out, "usage: oasis <group> <command> [--help]\n\n");
    for (const auto& g : kGroups) std::fprintf(out, "  %-8s %s\n", g.name, g.summary);
    std::fprintf(out,
                 "\ndaemons:\n"
                 "  oasis server      the control plane (or the binary named oasis-server)\n"
                 "  oasis agent run   the node agent (or the binary named oasis-agent)\n"
                 "\nSettings: oasis.toml or OASIS__SECTION__KEY variables "
                 "(docs/operations.md).\n");
}

}  // namespace

int dispatch(const char* group, const Verb* verbs, std::size_t count, int argc, char** argv,
             int first) {
    std::string_view verb = first < argc ? argv[first] : "";
    for (std::size_t i = 0; i < count; ++i)
        if (verb == verbs[i].name) return verbs[i].entry(argc, argv, first + 1);

    bool help = verb == "--help" || verb == "-h" || verb == "help";
    std::string prefix = std::string("oasis ") + group;
    if (*group == '\0') prefix = "oasis";
    if (!help) {
        if (verb.empty())
            std::fprintf(stderr, "oasis: error: missing command\n");
        else
            std::fprintf(stderr, "oasis: error: unknown command \"%s %.*s\"\n", prefix.c_str(),
                         static_cast<int>(verb.size()), verb.data());
    }
    FILE* out = help ? stdout : stderr;
    std::fprintf(out, "usage: %s <command> [--help]\n\n", prefix.c_str());
    int width = 8;
    for (std::size_t i = 0; i < count; ++i)
        width = std::max(width, static_cast<int>(std::strlen(verbs[i].name)));
    for (std::size_t i = 0; i < count; ++i)
        std::fprintf(out, "  %-*s %s\n", width, verbs[i].name, verbs[i].summary);
    return help ? kOk : kUsage;
}

int run(int argc, char** argv, int first) {
    install_interrupt_handling();
    std::string_view arg = first < argc ? argv[first] : "";
    if (arg == "--version" || arg == "version") {
        std::printf("oasis %s\n", kVersion);
        return kOk;
    }
    if (arg == "--help" || arg == "-h" || arg == "help") {
        print_usage(stdout);
        return kOk;
    }
    if (arg.empty()) {
        std::fprintf(stderr, "oasis: error: missing command\n");
        print_usage(stderr);
        return kUsage;
    }
    return dispatch("", kGroups, argc, argv, first);
}

}  // namespace oasis::cli
