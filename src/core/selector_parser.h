// The compiled form of a selector and the parser that produces it.
//
// A SelectorProgram is a tree stored in flat vectors: nodes refer to their
// children by index, so a program is one allocation-free walk to evaluate and
// is cheap to share between threads once built (it is never mutated).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oasis/status.h"

namespace oasis::core {

// How deep parentheses and `not` may nest before the parser refuses the
// input. Keeps parsing and evaluation recursion bounded on hostile input.
inline constexpr int kMaxSelectorDepth = 256;

enum class SelectorOp : std::uint8_t {
    constant,   // first is 1 for true, 0 for false
    any_of,     // `or`: children are kids[first, last)
    all_of,     // `and`: children are kids[first, last)
    id_in,      // agent id is in id_sets[first]
    label_eq,   // labels[key] exists and equals value
    fact_eq,    // facts[key] exists and equals value
    in_groups,  // key is one of the agent's groups
    has_label,  // labels[key] exists
};

struct SelectorNode {
    SelectorOp op = SelectorOp::constant;
    bool negate = false;  // invert the result (`not`, `!=`, `not in`)
    std::uint32_t first = 0;
    std::uint32_t last = 0;
    std::string key;
    std::string value;
};

struct SelectorIdSet {
    std::vector<std::string> ordered;  // first-seen order, no duplicates
    std::vector<std::string> sorted;   // the same ids, sorted for lookup
};

struct SelectorProgram {
    std::string text;  // the input, unchanged
    std::vector<SelectorNode> nodes;
    std::vector<std::uint32_t> kids;
    std::vector<SelectorIdSet> id_sets;
    std::uint32_t root = 0;
};

// Parses `text` into a program. Errors are Code::invalid_argument with the
// "selector:1:<column>: ..." message, input echo and caret described in
// docs/selectors.md. Never recurses deeper than about 5 * kMaxSelectorDepth.
Result<SelectorProgram> parse_selector(std::string_view text);

}  // namespace oasis::core
