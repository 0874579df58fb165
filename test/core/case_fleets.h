// The fleets of the peer cases (../shared/cases/peer-cases.md) as plain
// test data, shared by the selector tests.
#pragma once

#include "oasis/facts.h"
#include "oasis/selector.h"

#include <string>
#include <vector>

namespace oasis::testing {

struct TestAgent {
    std::string id;
    StringMap labels;
    std::vector<std::string> groups;
    StringMap facts;

    AgentView view() const { return {id, &labels, &groups, &facts}; }
};

// C05: `env` is prod, staging, missing, prod; groups web, web, web, db.
inline std::vector<TestAgent> c05_agents() {
    return {
        {"agent-1", {{"env", "prod"}}, {"web"}, {}},
        {"agent-2", {{"env", "staging"}}, {"web"}, {}},
        {"agent-3", {}, {"web"}, {}},
        {"agent-4", {{"env", "prod"}}, {"db"}, {}},
    };
}

// C06: values with spaces, commas, '=', quotes, UTF-8 and keywords, plus
// agents named `a` and `b` to catch a value split at its comma.
inline std::vector<TestAgent> c06_agents() {
    return {
        {"agent-1", {}, {}, {{"os_name", "Red Hat Enterprise Linux"}}},
        {"agent-2", {{"team", "a,b"}}, {}, {}},
        {"agent-3", {{"query", "x=y"}}, {}, {}},
        {"agent-4", {{"note", "say \"hi\""}}, {}, {}},
        {"agent-5", {{"city", "Zürich"}}, {}, {}},
        {"agent-6", {{"mode", "and (or)"}}, {}, {}},
        {"a", {}, {}, {}},
        {"b", {}, {}, {}},
    };
}

}  // namespace oasis::testing
