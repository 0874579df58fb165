// selector_bench: how fast typical selectors evaluate over a large registry.
//
// Builds a deterministic 100,000-agent registry (5 labels, 3 groups and the
// 8 standard facts per agent) and evaluates each selector on one thread in
// two settings: passes over the whole registry, which does not fit in the
// CPU caches and so mostly measures the memory latency of walking each
// agent's std::map, and passes over its first 1,000 agents, which stay in
// cache and so measure the evaluator itself. Each figure is the median pass.
// The same selectors are then bound to an AgentTable holding the same agents
// and evaluated row by row over all 100,000 rows, which measures the compact
// layout against the maps.
//
// Prints one markdown table and nothing else, so the output can be pasted
// into docs as it is.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "oasis/agent_table.h"
#include "oasis/selector.h"

namespace {

constexpr int kAgents = 100'000;
constexpr int kHotAgents = 1'000;
constexpr int kPasses = 21;        // over the whole registry
constexpr int kHotPasses = 2'001;  // over the first kHotAgents agents

struct Agent {
    std::string id;
    oasis::StringMap labels;
    std::vector<std::string> groups;
    oasis::StringMap facts;
};

// A small deterministic generator, so every run measures the same registry.
class Dice {
public:
    std::uint32_t roll(std::uint32_t sides) {
        state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>(state_ >> 33) % sides;
    }

    template <std::size_t N>
    const char* pick(const char* const (&choices)[N]) {
        return choices[roll(N)];
    }

private:
    std::uint64_t state_ = 0x5eed;
};

std::vector<Agent> make_registry() {
    static const char* const kRoles[] = {"web", "db", "cache", "worker", "lb"};
    static const char* const kEnvs[] = {"prod", "staging", "dev"};
    static const char* const kRegions[] = {"eu-west", "us-east", "ap-south"};
    static const char* const kTeams[] = {"core", "payments", "search", "infra"};
    static const char* const kGroups[] = {"prod", "staging", "web", "db",
                                          "canary", "edge", "batch"};
    static const char* const kArches[] = {"x86_64", "aarch64"};
    static const char* const kCores[] = {"2", "4", "8", "16", "32"};

    Dice dice;
    std::vector<Agent> agents(kAgents);
    for (int i = 0; i < kAgents; ++i) {
        Agent& a = agents[i];
        a.id = "agent-" + std::to_string(i);
        a.labels = {{"role", dice.pick(kRoles)},
                    {"env", dice.pick(kEnvs)},
                    {"region", dice.pick(kRegions)},
                    {"team", dice.pick(kTeams)},
                    {"rack", "r" + std::to_string(dice.roll(40))}};
        if (dice.roll(20) == 0) a.labels["maintenance"] = "true";
        for (int g = 0; g < 3; ++g) a.groups.push_back(dice.pick(kGroups));
        a.facts = {{"hostname", "host-" + std::to_string(i)},
                   {"primary_ip", "10.0." + std::to_string(i / 256) + "." +
                                      std::to_string(i % 256)},
                   {"cpu_arch", dice.pick(kArches)},
                   {"cpu_cores", dice.pick(kCores)},
                   {"memory_total_gb", std::to_string(4 << dice.roll(5))},
                   {"os_name", dice.roll(10) == 0 ? "freebsd" : "linux"},
                   {"os_version", "12"},
                   {"kernel_version", "6.1.0-" + std::to_string(10 + dice.roll(8))}};
    }
    return agents;
}

std::string with_commas(double value) {
    std::string digits = std::to_string(static_cast<std::uint64_t>(value));
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

struct Measurement {
    double rate = 0;            // evaluations per second, median pass
    std::uint64_t matches = 0;  // agents matched by one pass
};

// Runs `passes` passes of `pass`, which evaluates `count` agents and returns
// how many matched, and reports the median rate.
template <typename Pass>
Measurement measure_passes(int count, int passes, Pass pass) {
    Measurement result;
    std::vector<double> rates;
    for (int i = 0; i < passes; ++i) {
        auto start = std::chrono::steady_clock::now();
        result.matches = pass();
        std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        rates.push_back(count / elapsed.count());
    }
    std::nth_element(rates.begin(), rates.begin() + passes / 2, rates.end());
    result.rate = rates[passes / 2];
    return result;
}

Measurement measure(const oasis::Selector& selector, const oasis::AgentView* views, int count,
                    int passes) {
    return measure_passes(count, passes, [&] {
        std::uint64_t matched = 0;
        for (int i = 0; i < count; ++i) matched += selector.matches(views[i]);
        return matched;
    });
}

Measurement measure(const oasis::BoundSelector& selector, int count, int passes) {
    return measure_passes(count, passes, [&] {
        std::uint64_t matched = 0;
        for (int row = 0; row < count; ++row) matched += selector.matches(row);
        return matched;
    });
}

}  // namespace

int main() {
    static const char* const kSelectors[] = {
        R"(labels["role"] == "web" and "prod" in groups)",
        R"((labels["env"] == "prod" or labels["env"] == "staging") and )"
        R"(system["os_name"] == "linux")",
        R"(not labels["maintenance"] == "true")",
        R"(agent-17,agent-4242,agent-99999)",
    };

    std::vector<Agent> registry = make_registry();
    std::vector<oasis::AgentView> views;
    views.reserve(registry.size());
    for (const Agent& a : registry) views.push_back({a.id, &a.labels, &a.groups, &a.facts});
    oasis::AgentTable table;
    for (const oasis::AgentView& view : views) table.add(view);

    std::printf(
        "| selector | evaluations/s (100k agents) | matches "
        "| evaluations/s (1k agents, cached) "
        "| evaluations/s (100k-row AgentTable) | table matches |\n");
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    for (const char* text : kSelectors) {
        auto selector = oasis::Selector::parse(text);
        if (!selector.ok()) {
            std::fprintf(stderr, "%s\n", selector.status().message().c_str());
            return 1;
        }
        Measurement cold = measure(*selector, views.data(), kAgents, kPasses);
        Measurement hot = measure(*selector, views.data(), kHotAgents, kHotPasses);
        Measurement rows = measure(selector->bind(table), kAgents, kPasses);
        std::printf("| `%s` | %s | %s | %s | %s | %s |\n", text, with_commas(cold.rate).c_str(),
                    with_commas(static_cast<double>(cold.matches)).c_str(),
                    with_commas(hot.rate).c_str(), with_commas(rows.rate).c_str(),
                    with_commas(static_cast<double>(rows.matches)).c_str());
    }
    return 0;
}
