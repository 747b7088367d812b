#include "ayslab/data/io.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include <unistd.h>

#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"

namespace ayslab {

namespace {

std::string name(const std::filesystem::path& p) { return p.string(); }

bool parse_number(const std::string& cell, double& value) {
    if (cell.empty()) return false;
    char* end = nullptr;
    value = std::strtod(cell.c_str(), &end);
    return end == cell.c_str() + cell.size();
}

std::vector<std::string> split_cells(const std::string& line) {
    std::vector<std::string> cells;
    std::string cur;
    const bool commas = line.find(',') != std::string::npos;
    auto flush = [&] {
        const auto b = cur.find_first_not_of(" \t\r"), e = cur.find_last_not_of(" \t\r");
        cells.push_back(b == std::string::npos ? std::string() : cur.substr(b, e - b + 1));
        cur.clear();
    };
    for (char ch : line) {
        if (commas ? ch == ',' : (ch == ' ' || ch == '\t')) {
            if (commas || !cur.empty()) flush();
        } else {
            cur += ch;
        }
    }
    if (commas || !cur.empty()) flush();
    return cells;
}

}  // namespace

static std::string read_all(const std::filesystem::path& path) {
    // Only regular files (after links): a link to /dev/zero or a FIFO would be read forever.
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
        throw InputError(fmt::format("data file '{}' is not a regular file", name(path)));
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(fmt::format("cannot open data file '{}'", name(path)));
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::string read_data_file(const std::filesystem::path& path) { return read_all(path); }

PointSet load_csv(const std::filesystem::path& path) { return parse_csv(read_all(path), name(path)); }

PointSet parse_csv(std::string_view raw, const std::string& where) {
    // A UTF-8 byte-order mark is not part of the first cell; CR-only (old Mac) line ends are line ends.
    if (raw.starts_with("\xEF\xBB\xBF")) raw.remove_prefix(3);
    std::string text(raw);
    for (std::size_t i = 0; i < text.size(); ++i)
        if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) text[i] = '\n';
    std::istringstream in{text};
    PointSet ps;
    std::string line;
    std::size_t line_no = 0;
    bool first_content = true;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos || line[line.find_first_not_of(" \t")] == '#')
            continue;
        const auto cells = split_cells(line);
        std::vector<double> row(cells.size());
        bool numeric = true;
        std::size_t bad = 0;
        for (std::size_t c = 0; c < cells.size() && numeric; ++c)
            if (!parse_number(cells[c], row[c]) || !std::isfinite(row[c])) numeric = false, bad = c;
        if (!numeric) {
            // A header is a first line with no number in it at all; a first line with some numbers and
            // a bad cell is a data row with a typo, reported as such (it used to vanish as a "header").
            bool any_number = false;
            for (const auto& cell : cells) {
                double v = 0.0;
                any_number = any_number || parse_number(cell, v);
            }
            if (first_content && !any_number) {
                first_content = false;
                continue;
            }
            throw InputError(fmt::format("{}:{}: column {}: '{}' is not a finite number", where, line_no,
                                         bad + 1, cells[bad]));
        }
        first_content = false;
        if (ps.d == 0) ps.d = row.size();
        if (row.size() != ps.d)
            throw InputError(fmt::format("{}:{}: {} columns, expected {}", where, line_no, row.size(), ps.d));
        ps.values.insert(ps.values.end(), row.begin(), row.end());
        ++ps.n;
    }
    if (ps.n == 0) throw InputError(fmt::format("{}: no data rows", where));
    return ps;
}

PointSet load_npy(const std::filesystem::path& path) { return parse_npy(read_all(path), name(path)); }

namespace {
PointSet parse_npy_shaped(std::string_view bytes, const std::string& where, std::vector<std::size_t>* shape_out);
}

PointSet parse_npy(std::string_view bytes, const std::string& where) {
    return parse_npy_shaped(bytes, where, nullptr);
}

NpyArray load_npy_array(const std::filesystem::path& path) {
    NpyArray a;
    auto ps = parse_npy_shaped(read_all(path), name(path), &a.shape);
    a.values = std::move(ps.values);
    return a;
}

namespace {
PointSet parse_npy_shaped(std::string_view bytes, const std::string& where, std::vector<std::size_t>* shape_out) {
    std::istringstream in{std::string(bytes)};
    char magic[8] = {};
    in.read(magic, 8);
    if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0)
        throw InputError(fmt::format("{}: not a .npy file (bad magic)", where));
    const int major = static_cast<unsigned char>(magic[6]);
    std::uint32_t header_len = 0;
    if (major == 1) {
        unsigned char b[2];
        in.read(reinterpret_cast<char*>(b), 2);
        header_len = b[0] | (b[1] << 8);
    } else if (major == 2 || major == 3) {
        unsigned char b[4];
        in.read(reinterpret_cast<char*>(b), 4);
        header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
    } else {
        throw InputError(fmt::format("{}: unsupported .npy version {}", where, major));
    }
    if (!in || header_len > (1u << 20)) throw InputError(fmt::format("{}: truncated .npy header", where));
    std::string header(header_len, '\0');
    in.read(header.data(), header_len);
    if (!in) throw InputError(fmt::format("{}: truncated .npy header", where));
    // The header is a Python dict literal: {'descr': '<f8', 'fortran_order': False, 'shape': (n, d), }
    auto value_after = [&](const char* key) -> std::string {
        const auto at = header.find(key);
        if (at == std::string::npos) return {};
        const auto colon = header.find(':', at + std::strlen(key));
        if (colon == std::string::npos) return {};
        const auto begin = header.find_first_not_of(" ", colon + 1);
        if (begin == std::string::npos) return {};
        if (header[begin] == '\'' || header[begin] == '"') {
            const auto end = header.find(header[begin], begin + 1);
            return end == std::string::npos ? std::string() : header.substr(begin + 1, end - begin - 1);
        }
        if (header[begin] == '(') {
            const auto end = header.find(')', begin);
            return end == std::string::npos ? std::string() : header.substr(begin + 1, end - begin - 1);
        }
        return header.substr(begin, header.find_first_of(",}", begin) - begin);
    };
    const std::string descr = value_after("descr");
    if (descr.empty()) throw InputError(fmt::format("{}: .npy header has no 'descr'", where));
    // float32/64, or integers of 1 to 8 bytes (class labels as numpy saves them: int64), little-endian.
    std::size_t width = 0;
    char kind = 0;
    if (descr.size() == 3 && (descr[0] == '<' || descr[0] == '=' || descr[0] == '|') &&
        (descr[1] == 'f' || descr[1] == 'i' || descr[1] == 'u') && std::strchr("1248", descr[2]) != nullptr) {
        kind = descr[1];
        width = static_cast<std::size_t>(descr[2] - '0');
        if ((kind == 'f' && width < 4) || (width > 1 && descr[0] == '|')) kind = 0;
    }
    if (kind == 0)
        throw InputError(fmt::format(
            "{}: .npy dtype '{}' is not float32, float64 or an integer type (little-endian)", where, descr));
    if (value_after("fortran_order").starts_with("True"))
        throw InputError(fmt::format("{}: .npy in Fortran order is not supported (save in C order)", where));
    if (header.find("shape") == std::string::npos || header.find('(') == std::string::npos)
        throw InputError(fmt::format("{}: .npy header has no 'shape'", where));
    // The shape is a tuple of decimal integers, "(n, d)", "(n,)" or "()": anything else is refused (a
    // missing ')' or "(10.5, 2)" used to load as something else).
    {
        const auto at = header.find("shape");
        const auto open = header.find('(', at);
        const auto close = open == std::string::npos ? open : header.find(')', open);
        if (open == std::string::npos || close == std::string::npos || header.find(':', at) > open)
            throw InputError(fmt::format("{}: .npy 'shape' is not a tuple (n, d)", where));
    }
    const std::string shape_text = value_after("shape");
    std::vector<std::size_t> shape;
    std::stringstream dims(shape_text);
    for (std::string tok; std::getline(dims, tok, ',');) {
        tok.erase(0, tok.find_first_not_of(' '));
        tok.erase(tok.find_last_not_of(' ') + 1);
        if (tok.empty()) continue;
        const bool digits = tok.size() <= 13 && tok.find_first_not_of("0123456789") == std::string::npos;
        const unsigned long long v = digits ? std::stoull(tok) : 0;
        if (!digits || v > (1ULL << 40))
            throw InputError(fmt::format("{}: .npy shape entry '{}' is not a size", where, tok.substr(0, 40)));
        shape.push_back(static_cast<std::size_t>(v));
    }
    PointSet ps;
    ps.n = shape.empty() ? 1 : shape[0];
    ps.d = 1;
    for (std::size_t k = 1; k < shape.size(); ++k) {
        // Checked arithmetic: (1, 239075442, 77158673929) must not wrap to a 1 x 2 array.
        if (shape[k] != 0 && ps.d > (1ULL << 40) / shape[k])
            throw InputError(fmt::format("{}: .npy shape is too large", where));
        ps.d *= shape[k];
    }
    if (ps.n == 0 || ps.d == 0) throw InputError(fmt::format("{}: .npy array is empty", where));
    if (ps.d > (1ULL << 40) / ps.n) throw InputError(fmt::format("{}: .npy shape is too large", where));
    if (shape_out) *shape_out = shape;
    const std::size_t count = ps.n * ps.d;
    if (count * width > bytes.size())
        throw InputError(fmt::format("{}: truncated .npy data: expected {} bytes, got {}", where,
                                     count * width, bytes.size() - static_cast<std::size_t>(in.tellg())));
    std::vector<char> raw(count * width);
    in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
    if (static_cast<std::size_t>(in.gcount()) != raw.size())
        throw InputError(fmt::format("{}: truncated .npy data: expected {} bytes, got {}", where, raw.size(),
                                     in.gcount()));
    ps.values.resize(count);
    // Integers of more than 53 bits are refused, not rounded.
    auto integer = [&](std::size_t k) -> double {
        const char* p = raw.data() + width * k;
        std::uint64_t u = 0;
        std::memcpy(&u, p, width);  // little-endian host (x86-64, aarch64)
        if (kind == 'i' && width < 8 && (u >> (8 * width - 1)) != 0) u |= ~std::uint64_t{0} << (8 * width);
        const bool negative = kind == 'i' && static_cast<std::int64_t>(u) < 0;
        const std::uint64_t magnitude = negative ? 0 - u : u;
        if (magnitude > (std::uint64_t{1} << 53))
            throw InputError(fmt::format("{}: integer value {} (row {}) is too large for a float64", where, k, k / ps.d));
        return negative ? -static_cast<double>(magnitude) : static_cast<double>(magnitude);
    };
    for (std::size_t k = 0; k < count; ++k) {
        if (kind != 'f') {
            ps.values[k] = integer(k);
        } else if (width == 8) {
            double v;
            std::memcpy(&v, raw.data() + 8 * k, 8);
            ps.values[k] = v;
        } else {
            float v;
            std::memcpy(&v, raw.data() + 4 * k, 4);
            ps.values[k] = v;
        }
        if (!std::isfinite(ps.values[k]))
            throw InputError(fmt::format("{}: value {} (row {}) is not finite", where, k, k / ps.d));
    }
    return ps;
}

}  // namespace

void save_npy(const std::filesystem::path& path, const PointSet& ps) {
    std::string header =
        fmt::format("{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}", ps.n, ps.d);
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    write_file_atomically(path, "samples", [&](std::ostream& out) {
        out.write("\x93NUMPY\x01\x00", 8);
        const auto len = static_cast<std::uint16_t>(header.size());
        const char lb[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
        out.write(lb, 2);
        out.write(header.data(), static_cast<std::streamsize>(header.size()));
        out.write(reinterpret_cast<const char*>(ps.values.data()),
                  static_cast<std::streamsize>(ps.values.size() * 8));
    });
}

namespace {

// Up to `bytes` more bytes from a gzip (or plain) file; a zlib error (bad data, bad checksum) is
// "corrupt gzip data", distinct from a short read.
void gz_append(gzFile f, std::string& out, std::size_t bytes, const std::string& where) {
    char buf[1 << 16];
    while (bytes > 0) {
        const int got = gzread(f, buf, static_cast<unsigned>(std::min(bytes, sizeof(buf))));
        if (got < 0) {
            int code = 0;
            const char* msg = gzerror(f, &code);
            throw InputError(fmt::format("{}: corrupt gzip data ({})", where, msg ? msg : "zlib error"));
        }
        if (got == 0) return;
        out.append(buf, static_cast<std::size_t>(got));
        bytes -= static_cast<std::size_t>(got);
    }
}

double physical_memory() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

struct IdxHeader {
    int type = 0;
    std::size_t width = 0, n = 0, d = 0, bytes = 0;  // bytes: the header's own length
};

// The magic, type and dimensions (rows capped at max_rows); sizes checked before any product.
IdxHeader parse_idx_header(std::string_view raw, const std::string& where, std::size_t max_rows) {
    auto take = [&](std::size_t pos, std::size_t bytes, const char* what) {
        if (raw.size() < pos + bytes)
            throw InputError(fmt::format("{}: truncated IDX {}: expected {} bytes, got {}", where, what, bytes,
                                         raw.size() - std::min(raw.size(), pos)));
        return reinterpret_cast<const unsigned char*>(raw.data() + pos);
    };
    const unsigned char* magic = take(0, 4, "header");
    if (magic[0] != 0 || magic[1] != 0)
        throw InputError(fmt::format("{}: not an IDX file (bad magic {:02x}{:02x})", where, magic[0], magic[1]));
    IdxHeader h;
    h.type = magic[2];
    switch (h.type) {
        case 0x08:
        case 0x09:
            h.width = 1;
            break;
        case 0x0B:
            h.width = 2;
            break;
        case 0x0C:
        case 0x0D:
            h.width = 4;
            break;
        case 0x0E:
            h.width = 8;
            break;
        default:
            throw InputError(fmt::format("{}: unknown IDX data type 0x{:02x}", where, h.type));
    }
    const int ndim = magic[3];
    if (ndim < 1) throw InputError(fmt::format("{}: IDX file with {} dimensions", where, ndim));
    const unsigned char* b = take(4, 4 * static_cast<std::size_t>(ndim), "dimensions");
    auto dim = [&](int k) {
        const unsigned char* q = b + 4 * k;
        return (std::size_t(q[0]) << 24) | (std::size_t(q[1]) << 16) | (std::size_t(q[2]) << 8) | q[3];
    };
    h.n = dim(0);
    h.d = 1;
    for (int k = 1; k < ndim; ++k) {
        if (dim(k) != 0 && h.d > (1ULL << 40) / dim(k)) throw InputError(fmt::format("{}: IDX shape is too large", where));
        h.d *= dim(k);
    }
    if (max_rows > 0) h.n = std::min(h.n, max_rows);
    if (h.n == 0 || h.d == 0) throw InputError(fmt::format("{}: IDX array is empty", where));
    if (h.d > (1ULL << 40) / h.n / h.width) throw InputError(fmt::format("{}: IDX shape is too large", where));
    h.bytes = 4 + 4 * static_cast<std::size_t>(ndim);
    return h;
}

}  // namespace

PointSet load_idx(const std::filesystem::path& path, bool scale_bytes, std::size_t max_rows) {
    // gzread reads gzip and plain files alike. The header comes first, so that no more than the
    // declared (and affordable) data is decompressed: a small gzip can declare gigabytes.
    const std::string where = name(path);
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw InputError(fmt::format("cannot open data file '{}'", where));
    std::unique_ptr<gzFile_s, int (*)(gzFile)> closer(f, gzclose);
    std::string bytes;
    gz_append(f, bytes, 4, where);
    if (bytes.size() == 4 && bytes[0] == 0 && bytes[1] == 0)
        gz_append(f, bytes, 4 * static_cast<std::size_t>(static_cast<unsigned char>(bytes[3])), where);
    const IdxHeader h = parse_idx_header(bytes, where, max_rows);
    const std::size_t data = h.n * h.d * h.width;
    const double need = static_cast<double>(h.n * h.d) * 8.0 + static_cast<double>(data);
    if (const double have = physical_memory(); have > 0.0 && need > have)
        throw InputError(fmt::format("{}: the IDX header declares {} x {} values ({:.3g} GiB to read), more than "
                                     "this machine's memory ({:.3g} GiB)",
                                     where, h.n, h.d, need / 1073741824.0, have / 1073741824.0));
    bytes.reserve(h.bytes + data);
    gz_append(f, bytes, data, where);
    // One more byte reaches the gzip trailer, so a bad checksum is found (only when the whole file is
    // wanted: a row cap stops early on purpose).
    if (max_rows == 0 && bytes.size() == h.bytes + data) {
        std::string rest;
        gz_append(f, rest, 1, where);
    }
    return parse_idx(bytes, where, scale_bytes, max_rows);
}

PointSet parse_idx(std::string_view raw_bytes, const std::string& where, bool scale_bytes,
                   std::size_t max_rows) {
    const IdxHeader h = parse_idx_header(raw_bytes, where, max_rows);
    const std::size_t bytes = h.n * h.d * h.width;
    if (raw_bytes.size() - h.bytes < bytes)
        throw InputError(fmt::format("{}: truncated IDX data: expected {} bytes, got {}", where, bytes,
                                     raw_bytes.size() - h.bytes));
    const auto* raw = reinterpret_cast<const unsigned char*>(raw_bytes.data() + h.bytes);
    const int type = h.type;
    const std::size_t width = h.width;
    PointSet ps;
    ps.n = h.n;
    ps.d = h.d;
    ps.values.resize(ps.n * ps.d);
    auto be = [&](std::size_t k) {
        std::uint64_t v = 0;
        for (std::size_t b = 0; b < width; ++b) v = (v << 8) | raw[k * width + b];
        return v;
    };
    for (std::size_t k = 0; k < ps.values.size(); ++k) {
        double v = 0.0;
        switch (type) {
            case 0x08:
                v = scale_bytes ? raw[k] / 127.5 - 1.0 : raw[k];
                break;
            case 0x09:
                v = static_cast<std::int8_t>(raw[k]);
                break;
            case 0x0B:
                v = static_cast<std::int16_t>(be(k));
                break;
            case 0x0C:
                v = static_cast<std::int32_t>(be(k));
                break;
            case 0x0D:
                v = std::bit_cast<float>(static_cast<std::uint32_t>(be(k)));
                break;
            case 0x0E:
                v = std::bit_cast<double>(be(k));
                break;
        }
        if (!std::isfinite(v)) throw InputError(fmt::format("{}: IDX value {} is not finite", where, k));
        ps.values[k] = v;
    }
    return ps;
}

PointSet load_points(const std::filesystem::path& path) {
    const std::string s = path.string();
    if (s.ends_with(".npy")) return load_npy(path);
    if (s.ends_with(".csv.gz") || s.ends_with(".txt.gz")) {
        // gzip-compressed text: decompressed whole (up to the machine's memory), then parsed as CSV.
        gzFile f = gzopen(path.c_str(), "rb");
        if (!f) throw InputError(fmt::format("cannot open data file '{}'", s));
        std::unique_ptr<gzFile_s, int (*)(gzFile)> closer(f, gzclose);
        std::string text;
        const double have = physical_memory();
        const auto cap = have > 0.0 ? static_cast<std::size_t>(have / 4.0) : std::size_t{1} << 34;
        gz_append(f, text, cap, s);
        if (text.size() == cap)
            throw InputError(fmt::format("{}: decompresses to more than a quarter of this machine's memory", s));
        return parse_csv(text, s);
    }
    if (s.ends_with(".gz") || s.ends_with(".idx") || s.ends_with("-ubyte")) return load_idx(path);
    if (s.ends_with(".csv") || s.ends_with(".txt")) return load_csv(path);
    throw InputError(
        fmt::format("{}: unknown data file type (use .csv, .txt, .csv.gz, .txt.gz, .npy, or IDX: .idx, .gz)", s));
}

}  // namespace ayslab
