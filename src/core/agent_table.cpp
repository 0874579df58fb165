// AgentTable: interning and row layout. Evaluation over the rows lives with
// the rest of the selector evaluator in selector.cpp.
#include "oasis/agent_table.h"

#include <algorithm>
#include <utility>

namespace oasis {

std::size_t AgentTable::add(const AgentView& agent) {
    Row row;
    row.id = intern(agent.id);
    row.begin = static_cast<std::uint32_t>(arena_.size());

    // Facts go in fixed slots, one per known name, so a lookup is an index.
    arena_.resize(arena_.size() + kFactNames.size(), kNoSymbol);
    for (std::size_t i = 0; i < kFactNames.size(); ++i) {
        auto it = agent.facts->find(kFactNames[i]);
        if (it != agent.facts->end()) arena_[row.begin + i] = intern(it->second);
    }

    // Label keys are unique in a StringMap, so sorting the pairs by key
    // symbol gives each key one slot.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> labels;
    labels.reserve(agent.labels->size());
    for (const auto& [key, value] : *agent.labels) labels.emplace_back(intern(key), intern(value));
    std::sort(labels.begin(), labels.end());
    for (auto [key, value] : labels) {
        arena_.push_back(key);
        arena_.push_back(value);
    }

    row.groups = static_cast<std::uint32_t>(arena_.size());
    for (const std::string& group : *agent.groups) arena_.push_back(intern(group));
    std::sort(arena_.begin() + row.groups, arena_.end());
    arena_.erase(std::unique(arena_.begin() + row.groups, arena_.end()), arena_.end());
    row.end = static_cast<std::uint32_t>(arena_.size());

    rows_.push_back(row);
    return rows_.size() - 1;
}

std::uint32_t AgentTable::symbol(std::string_view text) const {
    auto it = symbols_.find(text);
    return it == symbols_.end() ? kNoSymbol : it->second;
}

std::vector<std::size_t> AgentTable::select(const Selector& selector) const {
    return selector.bind(*this).select();
}

std::uint32_t AgentTable::intern(std::string_view text) {
    auto it = symbols_.find(text);
    if (it != symbols_.end()) return it->second;

    auto symbol = static_cast<std::uint32_t>(texts_.size());
    texts_.emplace_back(text);
    symbols_.emplace(texts_.back(), symbol);
    return symbol;
}

}  // namespace oasis
