// Tokens of the selector language, the lexer that produces them, and the one
// error format that both the lexer and the parser report through.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "oasis/status.h"

namespace oasis::core {

enum class SelectorTokenKind {
    end,
    id,
    string,
    kw_all,
    kw_true,
    kw_false,
    kw_and,
    kw_or,
    kw_not,
    kw_in,
    kw_labels,
    kw_system,
    kw_groups,
    lparen,
    rparen,
    lbracket,
    rbracket,
    comma,
    eq,
    ne,
};

struct SelectorToken {
    SelectorTokenKind kind = SelectorTokenKind::end;
    std::size_t column = 1;  // 1-based, in code points
    std::string_view raw;    // the source bytes; valid as long as the input
    std::string value;       // a string token's contents, escapes resolved
};

// Splits a selector into tokens, one at a time, so that a huge input is never
// held as a token list and the first problem in reading order is the one
// reported. Borrows `input`, which must outlive the lexer and its tokens.
class SelectorLexer {
public:
    explicit SelectorLexer(std::string_view input) : input_(input) {}

    // Reads the next token into `tok`; at the end of the input tok.kind is
    // end, and further calls keep returning end.
    Status next(SelectorToken& tok);

    // An error at `column` of this lexer's input (see selector_error).
    Status error(std::size_t column, std::string_view problem) const;

private:
    Status lex_string(SelectorToken& tok);
    Status lex_other(SelectorToken& tok);

    std::string_view input_;
    std::size_t pos_ = 0;     // byte offset of the next unread character
    std::size_t column_ = 1;  // column of input_[pos_]
};

// The one shape of every selector error, with Code::invalid_argument:
//   selector:1:<column>: <problem>
//     <input>
//     <spaces>^
// Inputs wider than 100 columns are echoed as a window around the column;
// characters that would garble a terminal are echoed as '?'.
Status selector_error(std::string_view input, std::size_t column, std::string_view problem);

// `s` double-quoted for a message: escaped, and cut after 40 bytes.
std::string quote_for_message(std::string_view s);

// How a token reads in "found ..." messages: "end of selector", "'and'",
// "string \"web\"".
std::string describe_token(const SelectorToken& tok);

}  // namespace oasis::core
