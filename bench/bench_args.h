// The flags of a benchmark: how each one parses them and answers --help.
#pragma once

#include <cxxopts.hpp>

#include <cstdio>
#include <exception>

namespace oasis::bench {

// Parses argv into the values `options` is bound to. False when the
// program should exit with `exit_code`: 0 after printing --help, 2 after
// naming a flag it could not parse.
inline bool parse_flags(cxxopts::Options& options, int argc, char** argv, int& exit_code) {
    try {
        auto args = options.parse(argc, argv);
        if (args.count("help")) {
            std::printf("%s", options.help().c_str());
            exit_code = 0;
            return false;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: %s (see --help)\n", options.program().c_str(),
                     e.what());
        exit_code = 2;
        return false;
    }
    return true;
}

}  // namespace oasis::bench
