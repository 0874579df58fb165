// A table for people: each column as wide as its widest cell, so a long
// destination or name pushes the columns after it instead of overlapping
// them. Cells are shown as they are given (see Context::shown).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace oasis::cli {

class Table {
public:
    // `right`: the columns aligned to the right (numbers), by index.
    explicit Table(std::vector<std::string> headers, std::vector<std::size_t> right = {});

    // A row of as many cells as there are headers (missing ones are empty).
    void add(std::vector<std::string> row);
    // Columns two spaces apart; the last one is not padded.
    void print(std::FILE* out) const;

private:
    std::vector<std::vector<std::string>> rows_;  // the headers first
    std::vector<bool> right_;
};

}  // namespace oasis::cli
