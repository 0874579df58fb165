// Selector: parsing entry point and evaluation of the compiled program.
//
// Evaluation walks the node tree with short-circuit `and`/`or`. It reads the
// program and the agent only, allocates nothing, and recurses at most as deep
// as the parser allowed nesting (core::kMaxSelectorDepth), because chains of
// one operator are flattened into a single node.
#include "oasis/selector.h"

#include <algorithm>
#include <utility>

#include "core/selector_parser.h"

namespace oasis {

namespace {

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

}  // namespace oasis
