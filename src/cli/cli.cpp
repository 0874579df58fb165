// The CLI's top level: the table of command groups.
#include "cli.h"

#include "interrupt.h"

#include "oasis/version.h"

#include <cstdio>
#include <string>
#include <string_view>

namespace oasis::cli {

namespace {

constexpr Verb kGroups[] = {
    {"system", "the server: status (install, start, logs: see docs/operations.md)",
     system_command},
    {"agent", "agents: list, set labels and groups", agent_command},
    {"exec", "run commands on nodes and see their results", exec_command},
};

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
    for (std::size_t i = 0; i < count; ++i)
        std::fprintf(out, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
    return help ? kOk : kUsage;
}

int run(int argc, char** argv, int first) {
    install_interrupt_handling();
    if (first < argc && (std::string_view(argv[first]) == "--version" ||
                         std::string_view(argv[first]) == "version")) {
        std::printf("oasis %s\n", kVersion);
        return kOk;
    }
    return dispatch("", kGroups, argc, argv, first);
}

}  // namespace oasis::cli
