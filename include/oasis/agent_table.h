// AgentTable: a compact, read-mostly copy of many agents' ids, labels, groups
// and facts, laid out so that a selector can scan 100,000 agents without a
// cache miss per map node.
//
// Every string the table sees (agent id, label key, label value, fact value,
// group name) is interned once into a small integer, its symbol. Each row is
// then a few runs of symbols in one shared arena, sorted so that a lookup is
// a short scan of integers. Selector::bind() resolves a selector's literals to
// the same symbols, so evaluation never compares strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "oasis/facts.h"
#include "oasis/selector.h"

namespace oasis {

class AgentTable {
public:
    // Returned by symbol() for a string the table has never seen.
    static constexpr std::uint32_t kNoSymbol = UINT32_MAX;

    AgentTable() = default;

    // The dictionary holds views into its own strings, so a copy would dangle.
    // Moving keeps the strings in place, but a BoundSelector still points at
    // the table it was bound to.
    AgentTable(const AgentTable&) = delete;
    AgentTable& operator=(const AgentTable&) = delete;
    AgentTable(AgentTable&&) = default;
    AgentTable& operator=(AgentTable&&) = default;

    // Copies `agent` into a new row and returns the row number (rows count
    // from 0 in the order added). Facts whose names are not in kFactNames are
    // dropped, since no selector can name them; duplicate groups are kept
    // once. Ids need not be unique. Not thread-safe with any other call.
    std::size_t add(const AgentView& agent);

    std::size_t size() const { return rows_.size(); }

    // The id of the agent in `row`; valid as long as the table.
    std::string_view id(std::size_t row) const { return texts_[rows_[row].id]; }

    // The symbol of `text`, or kNoSymbol if no added agent used it.
    std::uint32_t symbol(std::string_view text) const;

    // Every row that `selector` selects, in increasing order. Binds the
    // selector each time; bind it once yourself to evaluate it repeatedly.
    std::vector<std::size_t> select(const Selector& selector) const;

    // The contents of one row, for evaluators. All spans point into the table
    // and stay valid until the next add().
    std::uint32_t id_symbol(std::size_t row) const { return rows_[row].id; }
    // One value symbol per name in kFactNames (same order); kNoSymbol when the
    // agent did not report that fact.
    std::span<const std::uint32_t> facts(std::size_t row) const {
        return {arena_.data() + rows_[row].begin, kFactNames.size()};
    }
    // Pairs of (key symbol, value symbol), sorted by key symbol.
    std::span<const std::uint32_t> labels(std::size_t row) const {
        const Row& r = rows_[row];
        std::uint32_t first = r.begin + static_cast<std::uint32_t>(kFactNames.size());
        return {arena_.data() + first, r.groups - first};
    }
    // Group symbols, sorted, without duplicates.
    std::span<const std::uint32_t> groups(std::size_t row) const {
        const Row& r = rows_[row];
        return {arena_.data() + r.groups, r.end - r.groups};
    }

private:
    // Where a row's symbols sit in arena_: facts from `begin`, then label
    // pairs, then groups from `groups` up to `end`.
    struct Row {
        std::uint32_t id;
        std::uint32_t begin;
        std::uint32_t groups;
        std::uint32_t end;
    };

    std::uint32_t intern(std::string_view text);

    std::deque<std::string> texts_;  // by symbol; a deque never moves them
    std::unordered_map<std::string_view, std::uint32_t> symbols_;  // views into texts_
    std::vector<Row> rows_;
    std::vector<std::uint32_t> arena_;
};

}  // namespace oasis
