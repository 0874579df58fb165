// Selectors: the small language that picks agents for a command, e.g.
// `labels["role"] == "web" and "prod" in groups`. The grammar and its
// semantics are documented in docs/selectors.md.
//
// Parsing and matching are pure: no I/O, no logging, no global state.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "oasis/facts.h"
#include "oasis/status.h"

namespace oasis {

class AgentTable;
class BoundSelector;

namespace core {
struct SelectorProgram;  // the compiled form; private to src/core
struct BoundProgram;     // a program resolved against one AgentTable
}

// What a selector sees of one agent. Every member is borrowed: the pointed-to
// objects must outlive the matches() call, and the pointers are never null
// (point at an empty map or vector instead).
struct AgentView {
    std::string_view id;
    const StringMap* labels;
    const std::vector<std::string>* groups;
    const StringMap* facts;  // keyed by the names in kFactNames
};

// A parsed selector. Immutable once parsed; copies share the compiled form,
// so copying and moving are cheap, and every const member may be called from
// many threads at once.
class Selector {
public:
    // A default-constructed selector matches no agent and has empty text().
    Selector() = default;

    // Parses `text`. On failure the Status has Code::invalid_argument and a
    // message of three lines: "selector:1:<column>: <problem>", the input,
    // and a caret under the column (columns count UTF-8 code points from 1).
    // Empty or blank text is an error, never "every agent".
    static Result<Selector> parse(std::string_view text);

    // Whether `agent` is selected. Does not allocate.
    bool matches(const AgentView& agent) const;

    // True when the whole selector is a plain id list ("agent-1,agent-2" or
    // one bare id, possibly in parentheses). ids() then holds those ids in
    // first-seen order without duplicates; otherwise ids() is empty.
    bool is_id_list() const;
    const std::vector<std::string>& ids() const;

    // True when the selector is the constant true: `all`, `true`, or a
    // parenthesised or doubly negated form of them.
    bool is_all() const;

    // The text given to parse(), unchanged.
    const std::string& text() const;

    // Resolves every literal against `table`'s dictionary once, so that the
    // result evaluates rows of the table with integer compares only. The
    // table is borrowed: it must outlive the result and gain no rows while
    // the result is used (a new row may bring a literal the binding missed).
    // Allocates; see oasis/agent_table.h.
    BoundSelector bind(const AgentTable& table) const;

private:
    explicit Selector(std::shared_ptr<const core::SelectorProgram> program);

    std::shared_ptr<const core::SelectorProgram> program_;  // null only when default-made
};

// A selector bound to one AgentTable by Selector::bind(). It gives exactly
// the answers Selector::matches() gives on the agents the rows were added
// from. Immutable; copies share the bound form, and every const member may be
// called from many threads at once (while the table is not being changed).
class BoundSelector {
public:
    // A default-constructed one matches no row.
    BoundSelector() = default;

    // Whether the agent in `row` (< table.size()) is selected. Does not
    // allocate.
    bool matches(std::size_t row) const;

    // Every selected row, in increasing order.
    std::vector<std::size_t> select() const;

private:
    friend class Selector;
    BoundSelector(const AgentTable* table, std::shared_ptr<const core::BoundProgram> program);

    const AgentTable* table_ = nullptr;                  // borrowed
    std::shared_ptr<const core::BoundProgram> program_;  // null only when default-made
};

}  // namespace oasis
