// Selector: parsing entry point and evaluation of the compiled program.
//
// Evaluation walks the node tree with short-circuit `and`/`or`. It reads the
// program and the agent only, allocates nothing, and recurses at most as deep
// as the parser allowed nesting (core::kMaxSelectorDepth), because chains of
// one operator are flattened into a single node.
//
// A program bound to an AgentTable is the same tree with every literal
// replaced by its symbol in the table's dictionary. A literal the table has
// never seen cannot equal anything in it, so its term becomes the constant
// false (keeping its negation): `labels["k"] != "unseen"` is then true for
// every agent, exactly as the string evaluator finds.
#include "oasis/selector.h"

#include <algorithm>
#include <utility>

#include "core/selector_parser.h"
#include "oasis/agent_table.h"

namespace oasis {

namespace core {

// A SelectorNode whose strings became symbols. For label_eq, `key` and `value`
// are symbols; for fact_eq, `key` is the index in kFactNames; for in_groups
// and has_label, `key` is the symbol; for id_in, symbols[first, last) are the
// ids' symbols, sorted.
struct BoundNode {
    SelectorOp op = SelectorOp::constant;
    bool negate = false;
    std::uint32_t first = 0;
    std::uint32_t last = 0;
    std::uint32_t key = 0;
    std::uint32_t value = 0;
};

struct BoundProgram {
    std::vector<BoundNode> nodes;  // same indices as the SelectorProgram's
    std::vector<std::uint32_t> kids;
    std::vector<std::uint32_t> symbols;
    std::uint32_t root = 0;
};

}  // namespace core

namespace {

using core::BoundNode;
using core::BoundProgram;
using core::SelectorNode;
using core::SelectorOp;
using core::SelectorProgram;

const std::string kEmptyText;
const std::vector<std::string> kNoIds;

bool has_value(const StringMap& map, const std::string& key, const std::string& value) {
    auto it = map.find(key);
    return it != map.end() && it->second == value;
}

bool evaluate(const SelectorProgram& program, std::uint32_t index, const AgentView& agent) {
    const SelectorNode& node = program.nodes[index];
    bool result = false;
    switch (node.op) {
        case SelectorOp::constant:
            result = node.first != 0;
            break;
        case SelectorOp::any_of:
            for (std::uint32_t i = node.first; i < node.last && !result; ++i)
                result = evaluate(program, program.kids[i], agent);
            break;
        case SelectorOp::all_of:
            result = true;
            for (std::uint32_t i = node.first; i < node.last && result; ++i)
                result = evaluate(program, program.kids[i], agent);
            break;
        case SelectorOp::id_in: {
            const auto& ids = program.id_sets[node.first].sorted;
            result = std::binary_search(ids.begin(), ids.end(), agent.id, std::less<>());
            break;
        }
        case SelectorOp::label_eq:
            result = has_value(*agent.labels, node.key, node.value);
            break;
        case SelectorOp::fact_eq:
            result = has_value(*agent.facts, node.key, node.value);
            break;
        case SelectorOp::in_groups:
            result = std::find(agent.groups->begin(), agent.groups->end(), node.key) !=
                     agent.groups->end();
            break;
        case SelectorOp::has_label:
            result = agent.labels->find(node.key) != agent.labels->end();
            break;
    }
    return result != node.negate;
}

// The term `node` as a constant false, negated as it was.
BoundNode never(const SelectorNode& node) {
    BoundNode bound;
    bound.negate = node.negate;
    return bound;
}

std::uint32_t fact_index(std::string_view name) {
    auto it = std::find(kFactNames.begin(), kFactNames.end(), name);
    return static_cast<std::uint32_t>(it - kFactNames.begin());  // the parser checked it
}

BoundNode bind_node(const SelectorProgram& program, const SelectorNode& node,
                    const AgentTable& table, std::vector<std::uint32_t>& symbols) {
    BoundNode bound;
    bound.op = node.op;
    bound.negate = node.negate;
    bound.first = node.first;
    bound.last = node.last;
    switch (node.op) {
        case SelectorOp::constant:
        case SelectorOp::any_of:
        case SelectorOp::all_of:
            break;
        case SelectorOp::id_in: {
            bound.first = static_cast<std::uint32_t>(symbols.size());
            for (const std::string& id : program.id_sets[node.first].sorted) {
                std::uint32_t symbol = table.symbol(id);
                if (symbol != AgentTable::kNoSymbol) symbols.push_back(symbol);
            }
            std::sort(symbols.begin() + bound.first, symbols.end());
            bound.last = static_cast<std::uint32_t>(symbols.size());
            break;
        }
        case SelectorOp::label_eq:
            bound.key = table.symbol(node.key);
            bound.value = table.symbol(node.value);
            if (bound.key == AgentTable::kNoSymbol || bound.value == AgentTable::kNoSymbol)
                return never(node);
            break;
        case SelectorOp::fact_eq:
            bound.key = fact_index(node.key);
            bound.value = table.symbol(node.value);
            if (bound.value == AgentTable::kNoSymbol) return never(node);
            break;
        case SelectorOp::in_groups:
        case SelectorOp::has_label:
            bound.key = table.symbol(node.key);
            if (bound.key == AgentTable::kNoSymbol) return never(node);
            break;
    }
    return bound;
}

// The value paired with `key` in a row's sorted (key, value) label pairs, or
// kNoSymbol. Rows hold a handful of labels, so a scan beats a binary search.
std::uint32_t label_value(std::span<const std::uint32_t> pairs, std::uint32_t key) {
    for (std::size_t i = 0; i < pairs.size(); i += 2) {
        if (pairs[i] == key) return pairs[i + 1];
        if (pairs[i] > key) break;
    }
    return AgentTable::kNoSymbol;
}

bool contains(std::span<const std::uint32_t> sorted, std::uint32_t symbol) {
    for (std::uint32_t s : sorted) {
        if (s == symbol) return true;
        if (s > symbol) break;
    }
    return false;
}

bool evaluate(const BoundProgram& program, std::uint32_t index, const AgentTable& table,
              std::size_t row) {
    const BoundNode& node = program.nodes[index];
    bool result = false;
    switch (node.op) {
        case SelectorOp::constant:
            result = node.first != 0;
            break;
        case SelectorOp::any_of:
            for (std::uint32_t i = node.first; i < node.last && !result; ++i)
                result = evaluate(program, program.kids[i], table, row);
            break;
        case SelectorOp::all_of:
            result = true;
            for (std::uint32_t i = node.first; i < node.last && result; ++i)
                result = evaluate(program, program.kids[i], table, row);
            break;
        case SelectorOp::id_in:
            result = std::binary_search(program.symbols.begin() + node.first,
                                        program.symbols.begin() + node.last, table.id_symbol(row));
            break;
        case SelectorOp::label_eq:
            result = label_value(table.labels(row), node.key) == node.value;
            break;
        case SelectorOp::fact_eq:
            result = table.facts(row)[node.key] == node.value;
            break;
        case SelectorOp::in_groups:
            result = contains(table.groups(row), node.key);
            break;
        case SelectorOp::has_label:
            result = label_value(table.labels(row), node.key) != AgentTable::kNoSymbol;
            break;
    }
    return result != node.negate;
}

}  // namespace

Selector::Selector(std::shared_ptr<const core::SelectorProgram> program)
    : program_(std::move(program)) {}

Result<Selector> Selector::parse(std::string_view text) {
    auto program = core::parse_selector(text);
    if (!program) return program.status();
    return Selector(std::make_shared<const SelectorProgram>(std::move(*program)));
}

bool Selector::matches(const AgentView& agent) const {
    return program_ && evaluate(*program_, program_->root, agent);
}

bool Selector::is_id_list() const {
    if (!program_) return false;
    const SelectorNode& root = program_->nodes[program_->root];
    return root.op == SelectorOp::id_in && !root.negate;
}

const std::vector<std::string>& Selector::ids() const {
    if (!is_id_list()) return kNoIds;
    return program_->id_sets[program_->nodes[program_->root].first].ordered;
}

bool Selector::is_all() const {
    if (!program_) return false;
    const SelectorNode& root = program_->nodes[program_->root];
    return root.op == SelectorOp::constant && (root.first != 0) != root.negate;
}

const std::string& Selector::text() const { return program_ ? program_->text : kEmptyText; }

BoundSelector Selector::bind(const AgentTable& table) const {
    if (!program_) return BoundSelector(&table, nullptr);

    auto bound = std::make_shared<BoundProgram>();
    bound->nodes.reserve(program_->nodes.size());
    for (const SelectorNode& node : program_->nodes)
        bound->nodes.push_back(bind_node(*program_, node, table, bound->symbols));
    bound->kids = program_->kids;
    bound->root = program_->root;
    return BoundSelector(&table, std::move(bound));
}

BoundSelector::BoundSelector(const AgentTable* table,
                             std::shared_ptr<const core::BoundProgram> program)
    : table_(table), program_(std::move(program)) {}

bool BoundSelector::matches(std::size_t row) const {
    return program_ && evaluate(*program_, program_->root, *table_, row);
}

std::vector<std::size_t> BoundSelector::select() const {
    std::vector<std::size_t> rows;
    if (!program_) return rows;
    for (std::size_t row = 0; row < table_->size(); ++row)
        if (evaluate(*program_, program_->root, *table_, row)) rows.push_back(row);
    return rows;
}

}  // namespace oasis
