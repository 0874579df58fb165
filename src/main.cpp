// Role dispatch and nothing else: the role comes from the name the binary
// was started under (oasis-server, oasis-agent, oasis-cli) or, for `oasis`,
// from the first argument.
#include "agent/agent.h"
#include "cli/cli.h"
#include "server/server.h"

#include "oasis/bus.h"
#include "oasis/config.h"
#include "oasis/log.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace {

// Loads the configuration for a daemon role and sets up its logging.
int run_daemon(const char* role, int argc, char** argv, int first,
               int (*body)(const oasis::Config&)) {
    std::string path;
    for (int i = first; i < argc; ++i) {
        std::string_view a = argv[i];
        if ((a == "--config" || a == "-c") && i + 1 < argc) {
            path = argv[++i];
        } else if (a.substr(0, 9) == "--config=") {
            path = std::string(a.substr(9));
        } else if (a == "--help" || a == "-h") {
            std::printf(
                "usage: oasis %s [--config FILE]\n\n"
                "Settings come from FILE (default: $OASIS_CONFIG, ./oasis.toml, "
                "/etc/oasis/oasis.toml)\nand OASIS__SECTION__KEY environment "
                "variables; see docs/operations.md.\n",
                role);
            return 0;
        } else {
            std::fprintf(stderr, "oasis: error: unexpected argument \"%s\" (see --help)\n",
                         argv[i]);
            return 2;
        }
    }
    auto env = oasis::current_environment();
    auto config = oasis::load_config(oasis::find_config_file(path, env), env);
    if (!config.ok()) {
        std::fprintf(stderr, "oasis: error: configuration: %s\n",
                     config.status().message().c_str());
        return 2;
    }
    std::string_view log_role = role;
    log_role = log_role.substr(0, log_role.find(' '));
    if (auto st = oasis::log::init(config->telemetry, log_role); !st.ok()) {
        std::fprintf(stderr, "oasis: error: %s\n", st.message().c_str());
        return 2;
    }
    if (auto st = oasis::open_bus_library(); !st.ok()) {
        std::fprintf(stderr, "oasis: error: %s\n", st.message().c_str());
        return 3;
    }
    int rc = body(*config);
    oasis::shutdown_bus_library();
    return rc;
}

int agent_group(int argc, char** argv, int first) {
    if (first < argc && std::string_view(argv[first]) == "run")
        return run_daemon("agent run", argc, argv, first + 1, oasis::agent::run);
    return oasis::cli::run(argc, argv, first - 1);  // the CLI's agent group
}

}  // namespace

int main(int argc, char** argv) {
    const char* slash = std::strrchr(argv[0], '/');
    std::string_view name = slash ? slash + 1 : argv[0];

    if (name == "oasis-agent") return run_daemon("agent run", argc, argv, 1, oasis::agent::run);
    if (name == "oasis-server") return run_daemon("server", argc, argv, 1, oasis::server::run);
    if (name == "oasis-cli") return oasis::cli::run(argc, argv, 1);

    std::string_view first = argc > 1 ? argv[1] : "";
    if (first == "server") return run_daemon("server", argc, argv, 2, oasis::server::run);
    if (first == "agent") return agent_group(argc, argv, 2);
    return oasis::cli::run(argc, argv, 1);
}
