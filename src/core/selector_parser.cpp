// Recursive-descent parser for selectors (docs/selectors.md): tokens from
// SelectorLexer in, a SelectorProgram out.
//
//   selector   := or_expr END
//   or_expr    := and_expr ('or' and_expr)*
//   and_expr   := unary ('and' unary)*
//   unary      := 'not' unary | primary
//   primary    := '(' or_expr ')' | 'all' | 'true' | 'false' | id_list
//               | ('labels' | 'system') '[' STRING ']' ('==' | '!=') STRING
//               | STRING ['not'] 'in' ('groups' | 'labels')
//   id_list    := ID (',' ID)*
//
// Every `not` and `(` counts one level of depth, and the parser refuses more
// than kMaxSelectorDepth, which bounds its recursion and the evaluator's.
#include "core/selector_parser.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "core/selector_lexer.h"
#include "oasis/facts.h"

namespace oasis::core {

namespace {

using Tok = SelectorTokenKind;

class Parser {
public:
    Parser(std::string_view input, SelectorProgram& out) : lexer_(input), out_(out) {}

    Status parse();

private:
    Result<std::uint32_t> parse_or();
    Result<std::uint32_t> parse_and();
    Result<std::uint32_t> parse_unary();
    Result<std::uint32_t> parse_primary();
    Result<std::uint32_t> parse_constant();
    Result<std::uint32_t> parse_parenthesised();
    Result<std::uint32_t> parse_id_list();
    Result<std::uint32_t> parse_comparison();
    Result<std::uint32_t> parse_membership();

    Status advance() { return lexer_.next(tok_); }
    Status error_here(std::string_view problem) const {
        return lexer_.error(tok_.column, problem);
    }
    Status expected(std::string_view what) const {
        return error_here("expected " + std::string(what) + ", found " + describe_token(tok_));
    }
    Status enter();  // counts one level of nesting; fails past kMaxSelectorDepth

    std::uint32_t add_node(SelectorNode node);
    std::uint32_t add_list(SelectorOp op, const std::vector<std::uint32_t>& kids);

    SelectorLexer lexer_;
    SelectorToken tok_;  // the current, not yet consumed token
    int depth_ = 0;      // open parentheses plus enclosing `not`s
    SelectorProgram& out_;
};

Status Parser::parse() {
    // Blank input is refused before the grammar sees it, so that the message
    // gives advice instead of "expected an agent id ...".
    OASIS_RETURN_IF_ERROR(advance());
    if (tok_.kind == Tok::end)
        return lexer_.error(1, "empty selector; use `all` to pick every node");

    auto root = parse_or();
    if (!root) return root.status();

    if (tok_.kind == Tok::rparen) return error_here("unmatched ')'");
    if (tok_.kind != Tok::end) return expected("'and', 'or' or end of selector");
    out_.root = *root;
    return {};
}

Status Parser::enter() {
    if (++depth_ <= kMaxSelectorDepth) return {};
    return error_here("nested deeper than " + std::to_string(kMaxSelectorDepth) +
                      " levels of parentheses and 'not'; simplify the selector");
}

// Chains of one operator become a single node, and a parenthesised chain of
// the same operator is spliced in, so `a or (b or c)` is one any_of of three.
Result<std::uint32_t> Parser::parse_or() {
    auto first = parse_and();
    if (!first || tok_.kind != Tok::kw_or) return first;

    std::vector<std::uint32_t> kids{*first};
    while (tok_.kind == Tok::kw_or) {
        OASIS_RETURN_IF_ERROR(advance());
        auto next = parse_and();
        if (!next) return next.status();
        kids.push_back(*next);
    }
    return add_list(SelectorOp::any_of, kids);
}

Result<std::uint32_t> Parser::parse_and() {
    auto first = parse_unary();
    if (!first || tok_.kind != Tok::kw_and) return first;

    std::vector<std::uint32_t> kids{*first};
    while (tok_.kind == Tok::kw_and) {
        OASIS_RETURN_IF_ERROR(advance());
        auto next = parse_unary();
        if (!next) return next.status();
        kids.push_back(*next);
    }
    return add_list(SelectorOp::all_of, kids);
}

Result<std::uint32_t> Parser::parse_unary() {
    if (tok_.kind != Tok::kw_not) return parse_primary();

    OASIS_RETURN_IF_ERROR(enter());
    OASIS_RETURN_IF_ERROR(advance());
    auto inner = parse_unary();
    if (!inner) return inner.status();
    --depth_;

    out_.nodes[*inner].negate = !out_.nodes[*inner].negate;
    return inner;
}

Result<std::uint32_t> Parser::parse_primary() {
    switch (tok_.kind) {
        case Tok::lparen:
            return parse_parenthesised();
        case Tok::kw_all:
        case Tok::kw_true:
        case Tok::kw_false:
            return parse_constant();
        case Tok::id:
            return parse_id_list();
        case Tok::kw_labels:
        case Tok::kw_system:
            return parse_comparison();
        case Tok::string:
            return parse_membership();
        default:
            return expected("an agent id, all, labels[...], system[...], \"...\" in groups, "
                            "not or '('");
    }
}

// `all` and `true` are the constant true, `false` the constant false.
Result<std::uint32_t> Parser::parse_constant() {
    SelectorNode node;
    node.first = tok_.kind == Tok::kw_false ? 0 : 1;
    OASIS_RETURN_IF_ERROR(advance());
    return add_node(std::move(node));
}

Result<std::uint32_t> Parser::parse_parenthesised() {
    std::size_t open_column = tok_.column;
    OASIS_RETURN_IF_ERROR(enter());
    OASIS_RETURN_IF_ERROR(advance());

    auto inner = parse_or();
    if (!inner) return inner.status();
    if (tok_.kind != Tok::rparen)
        return expected("')' to close the '(' at column " + std::to_string(open_column));
    OASIS_RETURN_IF_ERROR(advance());
    --depth_;
    return inner;
}

// `agent-1, agent-2, ...`: one node that tests membership in a set.
Result<std::uint32_t> Parser::parse_id_list() {
    SelectorIdSet set;
    std::unordered_set<std::string_view> seen;  // views into the input
    for (;;) {
        if (seen.insert(tok_.raw).second) set.ordered.emplace_back(tok_.raw);
        OASIS_RETURN_IF_ERROR(advance());
        if (tok_.kind != Tok::comma) break;
        OASIS_RETURN_IF_ERROR(advance());
        if (tok_.kind != Tok::id) return expected("an agent id after ','");
    }

    // `env == "prod"` is a common slip for labels["env"] == "prod".
    if ((tok_.kind == Tok::eq || tok_.kind == Tok::ne) && set.ordered.size() == 1) {
        std::string id = set.ordered[0].substr(0, 40);  // ids are ASCII
        return error_here("unexpected " + describe_token(tok_) + " after the agent id '" + id +
                          "'; to compare a label write labels[\"" + id + "\"]");
    }

    set.sorted = set.ordered;
    std::sort(set.sorted.begin(), set.sorted.end());
    out_.id_sets.push_back(std::move(set));

    SelectorNode node;
    node.op = SelectorOp::id_in;
    node.first = static_cast<std::uint32_t>(out_.id_sets.size() - 1);
    return add_node(std::move(node));
}

// `labels["k"] == "v"`, `system["fact"] != "v"`.
Result<std::uint32_t> Parser::parse_comparison() {
    bool is_fact = tok_.kind == Tok::kw_system;
    std::string map_name(tok_.raw);
    OASIS_RETURN_IF_ERROR(advance());
    if (tok_.kind != Tok::lbracket) return expected("'[' after '" + map_name + "'");
    OASIS_RETURN_IF_ERROR(advance());

    std::string what = "a quoted name after '" + map_name + "['";
    if (tok_.kind == Tok::id)
        return error_here("expected " + what + ", found " + describe_token(tok_) +
                          "; write " + map_name + "[" + quote_for_message(tok_.raw) + "]");
    if (tok_.kind != Tok::string) return expected(what);
    if (is_fact && !is_known_fact(tok_.value)) {
        std::string known;
        for (auto name : kFactNames) known += (known.empty() ? "" : ", ") + std::string(name);
        return error_here("unknown fact " + quote_for_message(tok_.value) +
                          "; known facts: " + known);
    }
    if (tok_.value.empty()) return error_here("empty label name");

    SelectorNode node;
    node.op = is_fact ? SelectorOp::fact_eq : SelectorOp::label_eq;
    node.key = std::move(tok_.value);
    OASIS_RETURN_IF_ERROR(advance());
    if (tok_.kind != Tok::rbracket) return expected("']' after the name");
    OASIS_RETURN_IF_ERROR(advance());

    std::string subject = map_name + "[" + quote_for_message(node.key) + "]";
    if (tok_.kind != Tok::eq && tok_.kind != Tok::ne)
        return expected("'==' or '!=' after " + subject);
    node.negate = tok_.kind == Tok::ne;
    std::string op(tok_.raw);
    OASIS_RETURN_IF_ERROR(advance());

    what = "a quoted value after '" + op + "'";
    if (tok_.kind == Tok::id)
        return error_here("expected " + what + ", found " + describe_token(tok_) +
                          "; write " + quote_for_message(tok_.raw));
    if (tok_.kind != Tok::string) return expected(what);
    node.value = std::move(tok_.value);
    OASIS_RETURN_IF_ERROR(advance());
    return add_node(std::move(node));
}

// `"g" in groups`, `"k" in labels`, and their `not in` forms.
Result<std::uint32_t> Parser::parse_membership() {
    SelectorNode node;
    node.key = std::move(tok_.value);
    OASIS_RETURN_IF_ERROR(advance());
    if (tok_.kind == Tok::kw_not) {
        node.negate = true;
        OASIS_RETURN_IF_ERROR(advance());
    }

    if (tok_.kind != Tok::kw_in)
        return expected("'in groups' or 'in labels' after the string " +
                        quote_for_message(node.key));
    OASIS_RETURN_IF_ERROR(advance());
    if (tok_.kind == Tok::kw_groups)
        node.op = SelectorOp::in_groups;
    else if (tok_.kind == Tok::kw_labels)
        node.op = SelectorOp::has_label;
    else
        return expected("'groups' or 'labels' after 'in'");
    OASIS_RETURN_IF_ERROR(advance());
    return add_node(std::move(node));
}

std::uint32_t Parser::add_node(SelectorNode node) {
    out_.nodes.push_back(std::move(node));
    return static_cast<std::uint32_t>(out_.nodes.size() - 1);
}

std::uint32_t Parser::add_list(SelectorOp op, const std::vector<std::uint32_t>& kids) {
    SelectorNode node;
    node.op = op;
    node.first = static_cast<std::uint32_t>(out_.kids.size());
    for (std::uint32_t kid : kids) {
        const SelectorNode& k = out_.nodes[kid];
        if (k.op == op && !k.negate) {
            for (std::uint32_t i = k.first; i < k.last; ++i) {
                std::uint32_t grandkid = out_.kids[i];  // push_back may reallocate
                out_.kids.push_back(grandkid);
            }
        } else {
            out_.kids.push_back(kid);
        }
    }
    node.last = static_cast<std::uint32_t>(out_.kids.size());
    return add_node(std::move(node));
}

}  // namespace

Result<SelectorProgram> parse_selector(std::string_view text) {
    SelectorProgram program;
    program.text = std::string(text);

    Parser parser(text, program);
    OASIS_RETURN_IF_ERROR(parser.parse());
    return program;
}

}  // namespace oasis::core
