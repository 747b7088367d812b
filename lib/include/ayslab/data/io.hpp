// Point sets from files: CSV/text, NumPy .npy (float32/float64 or integers, C order), IDX (optionally gzipped).
// Every error names the file and, where it applies, the line, column or header field.
#pragma once
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ayslab {

struct PointSet {
    std::size_t n = 0, d = 0;
    std::vector<double> values;  // n x d, row-major
};

// By extension: .csv/.txt -> CSV, .npy -> NumPy, .idx/.gz/-ubyte -> IDX.
PointSet load_points(const std::filesystem::path& path);
// Comma- or whitespace-separated numbers; '#' comments and empty lines skipped; a non-numeric first
// line is a header.
PointSet load_csv(const std::filesystem::path& path);
PointSet load_npy(const std::filesystem::path& path);
// A .npy of any number of dimensions: its shape and values (C order), by the same strict reader.
struct NpyArray {
    std::vector<std::size_t> shape;
    std::vector<double> values;
};
NpyArray load_npy_array(const std::filesystem::path& path);
// IDX (the MNIST format); dims after the first are flattened. Unsigned-byte data are scaled to
// [-1, 1] (v / 127.5 - 1) when scale_bytes is set. Reads gzip or plain files.
PointSet load_idx(const std::filesystem::path& path, bool scale_bytes = true, std::size_t max_rows = 0);

// The same readers on bytes already in memory; `where` names the source in errors.
PointSet parse_csv(std::string_view text, const std::string& where);
PointSet parse_npy(std::string_view bytes, const std::string& where);
PointSet parse_idx(std::string_view bytes, const std::string& where, bool scale_bytes = true,
                   std::size_t max_rows = 0);

// A data file's bytes (regular files only; InputError naming the file otherwise).
std::string read_data_file(const std::filesystem::path& path);

// Writes n x d float64 values as .npy (C order).
void save_npy(const std::filesystem::path& path, const PointSet& points);

}  // namespace ayslab
