// Selector lexer: characters to tokens, and the error format (see the header).
//
// Columns count UTF-8 code points from 1 so that the caret in an error lines
// up under the offending character.
#include "core/selector_lexer.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace oasis::core {

namespace {

// Inputs wider than this are echoed in errors as a window around the column.
constexpr std::size_t kEchoWidth = 100;
// Names and values quoted inside error messages are cut after this many bytes.
constexpr std::size_t kQuoteWidth = 40;

using Kind = SelectorTokenKind;

constexpr std::array<std::pair<std::string_view, Kind>, 10> kKeywords{{
    {"all", Kind::kw_all},
    {"true", Kind::kw_true},
    {"false", Kind::kw_false},
    {"and", Kind::kw_and},
    {"or", Kind::kw_or},
    {"not", Kind::kw_not},
    {"in", Kind::kw_in},
    {"labels", Kind::kw_labels},
    {"system", Kind::kw_system},
    {"groups", Kind::kw_groups},
}};

// ---- UTF-8 ------------------------------------------------------------------

// Decodes the code point starting at s[pos] into `cp` and returns its length
// in bytes, or 0 when the bytes there are not valid UTF-8 (a stray
// continuation byte, a truncated sequence, an overlong form, a surrogate or a
// value past U+10FFFF).
std::size_t decode_utf8(std::string_view s, std::size_t pos, char32_t& cp) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char lead = byte(pos);
    if (lead < 0x80) {
        cp = lead;
        return 1;
    }

    std::size_t len = 0;
    char32_t min = 0;
    if ((lead & 0xE0) == 0xC0) {
        len = 2, min = 0x80, cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        len = 3, min = 0x800, cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, cp = lead & 0x07;
    } else {
        return 0;
    }
    if (s.size() - pos < len) return 0;

    for (std::size_t i = 1; i < len; ++i) {
        unsigned char next = byte(pos + i);
        if ((next & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (next & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

// Characters that would garble or reorder an error message on a terminal:
// C0 and C1 controls, DEL, and the bidirectional formatting characters.
bool unsafe_to_echo(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
           cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

std::string code_point_name(char32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return buf;
}

std::string invalid_utf8_problem(char byte) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "invalid UTF-8 in selector (byte 0x%02X)",
                  static_cast<unsigned>(static_cast<unsigned char>(byte)));
    return buf;
}

// ---- Error messages ---------------------------------------------------------

// Appends columns [first, last] (1-based, inclusive) of `input` to `out`,
// one printable character per column: invalid bytes and unsafe characters
// become '?', and tabs and line breaks become spaces.
void echo_columns(std::string_view input, std::size_t first, std::size_t last,
                  std::string& out) {
    std::size_t column = 1;
    for (std::size_t pos = 0; pos < input.size() && column <= last; ++column) {
        char32_t cp = 0;
        std::size_t len = decode_utf8(input, pos, cp);
        if (column >= first) {
            if (len == 0)
                out += '?';
            else if (cp == '\t' || cp == '\n' || cp == '\r')
                out += ' ';
            else if (unsafe_to_echo(cp))
                out += '?';
            else
                out.append(input.substr(pos, len));
        }
        pos += len == 0 ? 1 : len;
    }
}

std::size_t count_columns(std::string_view input) {
    std::size_t columns = 0;
    for (std::size_t pos = 0; pos < input.size(); ++columns) {
        char32_t cp = 0;
        std::size_t len = decode_utf8(input, pos, cp);
        pos += len == 0 ? 1 : len;
    }
    return columns;
}

// ---- Characters -------------------------------------------------------------

bool is_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

Status selector_error(std::string_view input, std::size_t column, std::string_view problem) {
    std::string msg = "selector:1:" + std::to_string(column) + ": ";
    msg.append(problem);
    msg += "\n  ";

    std::size_t total = count_columns(input);
    std::size_t first = 1;
    std::size_t last = total;
    if (total > kEchoWidth) {
        first = column > kEchoWidth / 2 ? column - kEchoWidth / 2 : 1;
        last = std::min(total, first + kEchoWidth - 1);
        first = last - kEchoWidth + 1;
    }
    std::string_view before = first > 1 ? "..." : "";
    msg.append(before);
    echo_columns(input, first, last, msg);
    if (last < total) msg += "...";

    msg += "\n  ";
    msg.append(before.size() + column - first, ' ');
    msg += '^';
    return {Code::invalid_argument, std::move(msg)};
}

// Quotes, backslashes and unsafe characters are escaped, and the cut falls
// on a code point boundary.
std::string quote_for_message(std::string_view s) {
    std::string out = "\"";
    std::size_t pos = 0;
    while (pos < s.size() && pos < kQuoteWidth) {
        char32_t cp = 0;
        std::size_t len = std::max<std::size_t>(decode_utf8(s, pos, cp), 1);
        if (cp == '"' || cp == '\\')
            out += '\\', out += static_cast<char>(cp);
        else if (cp == '\n')
            out += "\\n";
        else if (cp == '\t')
            out += "\\t";
        else if (unsafe_to_echo(cp))
            out += '?';
        else
            out.append(s.substr(pos, len));
        pos += len;
    }
    out += '"';
    if (pos < s.size()) out += "...";
    return out;
}

std::string describe_token(const SelectorToken& tok) {
    switch (tok.kind) {
        case Kind::end:
            return "end of selector";
        case Kind::string:
            return "string " + quote_for_message(tok.value);
        case Kind::id:
            if (tok.raw.size() > kQuoteWidth)
                return "'" + std::string(tok.raw.substr(0, kQuoteWidth)) + "...'";
            return "'" + std::string(tok.raw) + "'";
        default:
            return "'" + std::string(tok.raw) + "'";
    }
}

Status SelectorLexer::error(std::size_t column, std::string_view problem) const {
    return selector_error(input_, column, problem);
}

Status SelectorLexer::next(SelectorToken& tok) {
    while (pos_ < input_.size() && is_space(input_[pos_])) ++pos_, ++column_;

    tok.column = column_;
    tok.value.clear();
    if (pos_ == input_.size()) {
        tok.kind = Kind::end;
        tok.raw = {};
        return {};
    }

    char c = input_[pos_];
    if (c == '"') return lex_string(tok);
    if (is_id_char(c)) {
        std::size_t start = pos_;
        while (pos_ < input_.size() && is_id_char(input_[pos_])) ++pos_;
        tok.raw = input_.substr(start, pos_ - start);
        column_ += tok.raw.size();
        tok.kind = Kind::id;
        for (auto [word, kind] : kKeywords)
            if (word == tok.raw) tok.kind = kind;
        return {};
    }
    return lex_other(tok);
}

// Punctuation, operators, and the characters that cannot start a token.
Status SelectorLexer::lex_other(SelectorToken& tok) {
    static constexpr std::array<std::pair<std::string_view, Kind>, 6> kPunctuation{{
        {"==", Kind::eq},
        {"!=", Kind::ne},
        {"(", Kind::lparen},
        {")", Kind::rparen},
        {"[", Kind::lbracket},
        {"]", Kind::rbracket},
    }};
    std::string_view rest = input_.substr(pos_);
    for (auto [text, kind] : kPunctuation) {
        if (rest.substr(0, text.size()) != text) continue;
        tok.kind = kind;
        tok.raw = rest.substr(0, text.size());
        pos_ += text.size();
        column_ += text.size();
        return {};
    }
    if (rest[0] == ',') {
        tok.kind = Kind::comma;
        tok.raw = rest.substr(0, 1);
        ++pos_, ++column_;
        return {};
    }

    switch (rest[0]) {
        case '=':
            return error(column_, "unexpected '='; compare with '=='");
        case '!':
            return error(column_, "unexpected '!'; write 'not' to negate or '!=' to compare");
        case '&':
            return error(column_, "unexpected '&'; write 'and'");
        case '|':
            return error(column_, "unexpected '|'; write 'or'");
        case '\'':
            return error(column_, "strings take double quotes, not single quotes");
        case '\0':
            return error(column_, "NUL byte in selector");
        default:
            break;
    }

    char32_t cp = 0;
    std::size_t len = decode_utf8(input_, pos_, cp);
    if (len == 0) return error(column_, invalid_utf8_problem(rest[0]));
    if (cp == 0x201C || cp == 0x201D || cp == 0x201E)
        return error(column_, "unexpected typographic quote; use a straight '\"'");
    if (unsafe_to_echo(cp))
        return error(column_, "unexpected control character " + code_point_name(cp));
    return error(column_, "unexpected character '" + std::string(rest.substr(0, len)) + "'");
}

// A double-quoted string. Escapes: \" \\ \n \t. Raw control characters are
// refused so that what the user sees is what gets compared.
Status SelectorLexer::lex_string(SelectorToken& tok) {
    std::size_t start = pos_;
    std::size_t start_column = column_;
    ++pos_, ++column_;

    for (;;) {
        if (pos_ >= input_.size())
            return error(start_column, "unterminated string; the quote here is never closed");

        char c = input_[pos_];
        if (c == '"') break;
        if (c == '\\') {
            if (pos_ + 1 >= input_.size())
                return error(start_column,
                             "unterminated string; the quote here is never closed");
            char e = input_[pos_ + 1];
            if (e == '"' || e == '\\')
                tok.value += e;
            else if (e == 'n')
                tok.value += '\n';
            else if (e == 't')
                tok.value += '\t';
            else if (e > ' ' && e < 0x7F)
                return error(column_, std::string("unknown escape '\\") + e +
                                          "'; strings allow \\\" \\\\ \\n and \\t");
            else
                return error(column_, "'\\' must be followed by '\"', '\\', 'n' or 't'");
            pos_ += 2, column_ += 2;
            continue;
        }

        char32_t cp = 0;
        std::size_t len = decode_utf8(input_, pos_, cp);
        if (c == '\0') return error(column_, "NUL byte in selector");
        if (len == 0) return error(column_, invalid_utf8_problem(c));
        if (cp < 0x20 || cp == 0x7F)
            return error(column_, "control character " + code_point_name(cp) +
                                      " in string; write \\n or \\t for line breaks and tabs");
        tok.value.append(input_.substr(pos_, len));
        pos_ += len, ++column_;
    }

    ++pos_, ++column_;
    tok.kind = Kind::string;
    tok.raw = input_.substr(start, pos_ - start);
    return {};
}

}  // namespace oasis::core
