// Data files: CSV, .npy and IDX (plain and gzipped) round trips and the errors for bad files.
#include "ayslab/data/io.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/nearest.hpp"
#include "ayslab/error.hpp"

using namespace ayslab;
namespace fs = std::filesystem;

namespace {
fs::path temp(const std::string& name) { return fs::temp_directory_path() / ("ayslab-test-" + name); }
void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }
std::string idx_bytes() {  // 2 images of 2 x 3 unsigned bytes
    std::string s = {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3};
    for (int v : {0, 255, 51, 102, 153, 204, 1, 2, 3, 4, 5, 6}) s += static_cast<char>(v);
    return s;
}
}  // namespace

TEST_CASE("CSV: header, comments, commas or spaces") {
    const auto p = temp("a.csv");
    write(p, "x,y\n# comment\n1, 2\n3,4.5\n\n-1e-3,7\n");
    const auto ps = load_csv(p);
    CHECK(ps.n == 3);
    CHECK(ps.d == 2);
    CHECK(ps.values == std::vector<double>{1, 2, 3, 4.5, -1e-3, 7});
    write(p, "1 2 3\n4 5 6\n");
    CHECK(load_points(p).d == 3);
    write(p, "1,2\n3,abc\n");
    CHECK_THROWS_WITH_AS(load_csv(p), doctest::Contains(":2: column 2: 'abc'"), InputError);
    write(p, "1,2\n3\n");
    CHECK_THROWS_WITH_AS(load_csv(p), doctest::Contains("1 columns, expected 2"), InputError);
    CHECK_THROWS_WITH_AS(load_csv(temp("missing.csv")), doctest::Contains("cannot open"), InputError);
}

TEST_CASE(".npy: float64 round trip, float32, and bad headers") {
    const auto p = temp("a.npy");
    PointSet ps{2, 3, {1, 2, 3, 4, 5, 6.5}};
    save_npy(p, ps);
    const auto back = load_npy(p);
    CHECK(back.n == 2);
    CHECK(back.d == 3);
    CHECK(back.values == ps.values);
    // float32, shape (2,) -> 2 rows of 1.
    std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    while ((10 + h.size() + 1) % 64) h += ' ';
    h += '\n';
    std::string f = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(h.size()) + '\0' + h;
    const float v[2] = {1.5f, -2.0f};
    f.append(reinterpret_cast<const char*>(v), 8);
    write(p, f);
    const auto small = load_npy(p);
    CHECK(small.d == 1);
    CHECK(small.values == std::vector<double>{1.5, -2.0});
    write(p, f.substr(0, f.size() - 3));
    CHECK_THROWS_WITH_AS(load_npy(p), doctest::Contains("truncated"), InputError);
    write(p, "not numpy at all");
    CHECK_THROWS_WITH_AS(load_npy(p), doctest::Contains("bad magic"), InputError);
    // Integers (class labels as numpy saves them, round four item 3) are read exactly; other dtypes refused.
    std::string i8 = f.substr(0, f.size() - 8);
    i8.replace(i8.find("<f4"), 3, "<i8");
    const std::int64_t iv[2] = {7, -3};
    i8.append(reinterpret_cast<const char*>(iv), 16);
    write(p, i8);
    CHECK(load_npy(p).values == std::vector<double>{7.0, -3.0});
    std::string u1 = f.substr(0, f.size() - 8);
    u1.replace(u1.find("<f4"), 3, "|u1");
    u1.append("\xff\x02", 2);
    write(p, u1);
    CHECK(load_npy(p).values == std::vector<double>{255.0, 2.0});
    std::string i2 = f.substr(0, f.size() - 8);
    i2.replace(i2.find("<f4"), 3, "<i2");
    const std::int16_t sv[2] = {-32768, 5};
    i2.append(reinterpret_cast<const char*>(sv), 4);
    write(p, i2);
    CHECK(load_npy(p).values == std::vector<double>{-32768.0, 5.0});
    std::string big = i8.substr(0, i8.size() - 16);
    const std::int64_t bv[2] = {(std::int64_t{1} << 53) + 1, 0};
    big.append(reinterpret_cast<const char*>(bv), 16);
    write(p, big);
    CHECK_THROWS_WITH_AS(load_npy(p), doctest::Contains("too large for a float64"), InputError);
    std::string c16 = f;
    c16.replace(c16.find("<f4"), 3, "<c8");
    write(p, c16);
    CHECK_THROWS_WITH_AS(load_npy(p), doctest::Contains("is not float32, float64 or an integer type"), InputError);
    std::string be = f;
    be.replace(be.find("<f4"), 3, ">f4");
    write(p, be);
    CHECK_THROWS_WITH_AS(load_npy(p), doctest::Contains("is not float32, float64 or an integer type"), InputError);
}

TEST_CASE("IDX: plain and gzipped, bytes scaled to [-1, 1], truncation") {
    const auto p = temp("a.idx");
    write(p, idx_bytes());
    const auto ps = load_idx(p);
    CHECK(ps.n == 2);
    CHECK(ps.d == 6);
    CHECK(ps.values[0] == -1.0);
    CHECK(ps.values[1] == 1.0);
    CHECK(load_idx(p, false).values[2] == 51.0);
    const auto gz = temp("a.idx.gz");
    gzFile g = gzopen(gz.c_str(), "wb");
    const auto bytes = idx_bytes();
    gzwrite(g, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(g);
    CHECK(load_points(gz).values == ps.values);
    write(p, idx_bytes().substr(0, 20));
    CHECK_THROWS_WITH_AS(load_idx(p), doctest::Contains("truncated IDX data"), InputError);
    write(p, std::string("\x01\x02\x08\x03", 4));
    CHECK_THROWS_WITH_AS(load_idx(p), doctest::Contains("bad magic"), InputError);
    // Row cap: only the first row is read.
    CHECK(load_idx(gz, true, 1).values == std::vector<double>(ps.values.begin(), ps.values.begin() + 6));
}

TEST_CASE("IDX gzip: corrupt data and checksum are 'corrupt', not 'truncated', and a huge declared size is refused before reading") {
    const auto gz = temp("b.idx.gz");
    auto gzip = [&](const std::string& bytes) {
        gzFile g = gzopen(gz.c_str(), "wb");
        gzwrite(g, bytes.data(), static_cast<unsigned>(bytes.size()));
        gzclose(g);
        std::ifstream in(gz, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const std::string good = gzip(idx_bytes());
    // The CRC-32 is the trailer's first 4 bytes: a flipped bit there is caught at the end of the stream.
    std::string bad_crc = good;
    bad_crc[bad_crc.size() - 8] = static_cast<char>(bad_crc[bad_crc.size() - 8] ^ 1);
    write(gz, bad_crc);
    CHECK_THROWS_WITH_AS(load_idx(gz), doctest::Contains("corrupt gzip data"), InputError);
    // A broken deflate stream (bytes after the 10-byte gzip header overwritten).
    std::string bad_data = good;
    for (std::size_t k = 10; k < 16; ++k) bad_data[k] = '\xff';
    write(gz, bad_data);
    CHECK_THROWS_WITH_AS(load_idx(gz), doctest::Contains("corrupt gzip data"), InputError);
    // A header declaring 2^31 x 2^9 bytes (1 TiB of doubles) with no data behind it.
    gzip(std::string("\x00\x00\x08\x02\x80\x00\x00\x00\x00\x00\x02\x00", 12));
    CHECK_THROWS_WITH_AS(load_idx(gz), doctest::Contains("more than this machine's memory"), InputError);
}

TEST_CASE("Fashion-MNIST from the Debian package, when installed") {
    const fs::path dir = "/usr/share/datasets/fashion-mnist";
    if (!fs::exists(dir / "train-images-idx3-ubyte.gz")) return;
    DatasetOptions o;
    o.subset = 100;
    o.held_out = 10;
    const auto ds = make_dataset("fashion-mnist", o);
    CHECK(ds.data->dim() == 784);
    CHECK(ds.held_out.n == 10);
    for (double v : ds.held_out.values) CHECK_UNARY(v >= -1.0 && v <= 1.0);
}

TEST_CASE("toy sets are seeded, the right size, and in range") {
    const auto a = two_moons(500, 3), b = two_moons(500, 3);
    CHECK(a.values == b.values);
    CHECK(a.n == 500);
    const auto board = checkerboard(2000, 1);
    for (std::size_t i = 0; i < board.n; ++i) {
        const double x = board.values[2 * i], y = board.values[2 * i + 1];
        CHECK_UNARY(x >= -2 && x < 2 && y >= -2 && y < 2);
        CHECK((static_cast<long>(std::floor(x)) + static_cast<long>(std::floor(y))) % 2 == 0);
    }
    DatasetOptions o;
    for (const auto& name : toy_dataset_names()) {
        const auto ds = make_dataset(name, o);
        CHECK(ds.data->dim() == 2);
        CHECK(ds.held_out.n == o.held_out);
    }
    CHECK_THROWS_AS(make_dataset("mnist", o), InputError);
}

TEST_CASE("malformed input that used to load as something else is refused (shapes, BOM, typos, CR)") {
    auto npy = [](const std::string& shape) {
        std::string h = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
        while ((10 + h.size() + 1) % 64) h += ' ';
        h += '\n';
        std::string f = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(h.size()) + '\0' + h;
        f.append(16, '\0');  // two float64 zeros
        return f;
    };
    CHECK(parse_npy(npy("(2, 1)"), "ok").n == 2);
    // The product wrapped to 2 (a 1 x 2 array); a missing ')' and non-integer sizes loaded as 1 row.
    CHECK_THROWS_WITH_AS(parse_npy(npy("(1, 239075442, 77158673929)"), "w"), doctest::Contains("too large"), InputError);
    CHECK_THROWS_WITH_AS(parse_npy(npy("(2, 1"), "w"), doctest::Contains("not a tuple"), InputError);
    CHECK_THROWS_WITH_AS(parse_npy(npy("(10.5, 2)"), "w"), doctest::Contains("'10.5' is not a size"), InputError);
    CHECK_THROWS_WITH_AS(parse_npy(npy("(1 0, 2)"), "w"), doctest::Contains("'1 0' is not a size"), InputError);
    // CSV: a byte-order mark no longer swallows the first row; a typo in the first row is reported, not
    // taken for a header; a real header (no number in it) is still skipped; CR-only line ends work.
    CHECK(parse_csv("\xEF\xBB\xBF" "1,2\n3,4\n5,6\n", "bom").n == 3);
    CHECK_THROWS_WITH_AS(parse_csv("1,2x\n3,4\n", "typo"), doctest::Contains("typo:1: column 2: '2x'"), InputError);
    CHECK(parse_csv("x,y\n1,2\n3,4\n", "header").n == 2);
    const auto cr = parse_csv("x,y\r1,2\r3,4\r", "cr");
    CHECK(cr.n == 2);
    CHECK(cr.values == std::vector<double>{1, 2, 3, 4});
}

TEST_CASE("data=file: .csv.gz reads as its .csv / held-out split and held-out file") {
    std::string csv;
    for (int i = 0; i < 10; ++i) csv += fmt::format("{},{}\n", i, 10 * i);
    const auto plain = temp("split.csv"), gz = temp("split.csv.gz");
    write(plain, csv);
    gzFile g = gzopen(gz.c_str(), "wb");
    gzwrite(g, csv.data(), static_cast<unsigned>(csv.size()));
    gzclose(g);
    CHECK(load_points(gz).values == load_points(plain).values);

    DatasetOptions o;
    o.file = plain;
    o.held_out_fraction = 0.25;  // ceil(2.5) = 3 rows held out
    const Dataset a = make_dataset("file", o), b = make_dataset("file", o);
    CHECK(a.points == 7);
    CHECK(a.held_out.n == 3);
    CHECK(a.held_out.values == b.held_out.values);  // the split depends on the seed only
    // Held-out and kept rows partition the file: each row i = (i, 10 i) is in exactly one of them.
    std::vector<int> seen(10, 0);
    for (std::size_t k = 0; k < a.held_out.n; ++k) ++seen[static_cast<std::size_t>(a.held_out.values[2 * k])];
    const auto* points = a.data->nearest_points();
    REQUIRE(points != nullptr);
    for (int i = 0; i < 10; ++i) {
        double x[2] = {static_cast<double>(i), 10.0 * i}, d2 = -1.0;
        points->nearest_squared_distance(x, 1, {&d2, 1});
        if (d2 == 0.0) ++seen[static_cast<std::size_t>(i)];
    }
    CHECK(std::count(seen.begin(), seen.end(), 1) == 10);
    o.seed = 1;
    CHECK(make_dataset("file", o).held_out.values != a.held_out.values);  // another seed, another split
    o.held_out_fraction = 0.9;  // 9 of 10 leaves 1 row
    CHECK_THROWS_WITH_AS(make_dataset("file", o), doctest::Contains("fewer than 2 to train on"), InputError);
    o.held_out_fraction = 0.0;
    o.held_out_file = temp("split-3d.csv");
    write(o.held_out_file, "1,2,3\n");
    CHECK_THROWS_WITH_AS(make_dataset("file", o), doctest::Contains("has dimension 3, the data file 2"), InputError);
    write(o.held_out_file, "1,2\n3,4\n");
    CHECK(make_dataset("file", o).held_out.n == 2);
}
