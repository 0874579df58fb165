#include "table.h"

#include "oasis/json.h"

#include <algorithm>

namespace oasis::cli {

namespace {

// Characters, not bytes: a UTF-8 sequence counts once. A malformed byte
// counts as one.
std::size_t width_of(const std::string& text) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < text.size(); ++n) {
        std::size_t len = utf8_sequence_length(std::string_view(text).substr(i));
        i += len == 0 ? 1 : len;
    }
    return n;
}

}  // namespace

Table::Table(std::vector<std::string> headers, std::vector<std::size_t> right)
    : right_(headers.size(), false) {
    for (std::size_t column : right)
        if (column < right_.size()) right_[column] = true;
    rows_.push_back(std::move(headers));
}

void Table::add(std::vector<std::string> row) {
    row.resize(right_.size());
    rows_.push_back(std::move(row));
}

void Table::print(std::FILE* out) const {
    std::vector<std::size_t> widths(right_.size(), 0);
    for (const auto& row : rows_)
        for (std::size_t c = 0; c < row.size(); ++c)
            widths[c] = std::max(widths[c], width_of(row[c]));
    for (const auto& row : rows_) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            bool last = c + 1 == row.size();
            std::string pad(widths[c] - width_of(row[c]), ' ');
            if (right_[c]) line += pad;
            line += row[c];
            if (!right_[c] && !last) line += pad;
            if (!last) line += "  ";
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        std::fprintf(out, "%s\n", line.c_str());
    }
}

}  // namespace oasis::cli
