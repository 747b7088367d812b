// Sample grids (io/image_grid.hpp). The decode of a written PNG by an independent reader (PIL) is
// tests/cli/png-grids.py; here: the layout and value map on a planted image, and the PNG's bytes
// read back by hand (signature, chunk CRCs by zlib's crc32, the inflated scanlines).
#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "ayslab/error.hpp"
#include "ayslab/io/image_grid.hpp"

using namespace ayslab;

namespace {
std::uint32_t be32(const std::string& s, std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>(s[at + k]);
    return v;
}
}  // namespace

TEST_CASE("image grid: tile k holds image k, values map [lo, hi] to 0..255, clamped, NaN black") {
    // Three 2x3 images in a 2 x 2 grid with gap 1: the fourth tile stays background.
    std::vector<double> images(3 * 6);
    for (std::size_t k = 0; k < images.size(); ++k) images[k] = -1.0 + 2.0 * static_cast<double>(k) / 17.0;
    images[0] = -5.0;                                      // below lo: 0
    images[7] = 3.0;                                       // above hi: 255
    images[8] = std::numeric_limits<double>::quiet_NaN();  // a diverged sample: 0
    GridLayout g{2, 2, 2, 3};
    g.gap = 1;
    const GrayImage im = image_grid(images, 3, g);
    REQUIRE(im.width == 2 * (3 + 1) + 1);
    REQUIRE(im.height == 2 * (2 + 1) + 1);
    auto at = [&](std::size_t y, std::size_t x) { return im.pixels[y * im.width + x]; };
    for (std::size_t k = 0; k < 3; ++k)
        for (std::size_t y = 0; y < 2; ++y)
            for (std::size_t x = 0; x < 3; ++x) {
                const double v = images[k * 6 + y * 3 + x];
                const int want = std::isnan(v) ? 0 : static_cast<int>(std::lround(std::clamp((v + 1.0) * 127.5, 0.0, 255.0)));
                const std::size_t r = k / 2, c = k % 2;
                CHECK(at(1 + r * 3 + y, 1 + c * 4 + x) == want);
            }
    CHECK(at(1 + 3, 1 + 4) == 255);  // tile 3: background
    CHECK(at(0, 0) == 255);           // the border
    CHECK(at(1, 0) == 255);
    CHECK(at(1, 1) == 0);             // image 0's first pixel, clamped from -5
    CHECK_THROWS_AS(image_grid(images, 4, g), InputError);  // 18 values are not 4 images of 6
    CHECK(square_side(784) == 28);
    CHECK(square_side(2) == 0);
}

TEST_CASE("write_png: signature, IHDR, CRCs and the inflated scanlines are the image's") {
    GrayImage im{5, 3, {}};
    for (std::size_t k = 0; k < 15; ++k) im.pixels.push_back(static_cast<std::uint8_t>(17 * k));
    const auto path = std::filesystem::temp_directory_path() / "ayslab-image-grid-test.png";
    write_png(path, im);
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string s = buf.str();
    std::filesystem::remove(path);
    REQUIRE(s.size() > 8);
    CHECK(s.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
    std::size_t at = 8;
    std::vector<std::string> types;
    std::string idat;
    while (at + 12 <= s.size()) {
        const std::uint32_t n = be32(s, at);
        const std::string type = s.substr(at + 4, 4);
        const std::string body = s.substr(at + 4, 4 + n);
        const auto crc = static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(body.data()),
                                                          static_cast<uInt>(body.size())));
        CHECK(be32(s, at + 8 + n) == crc);
        if (type == "IHDR") {
            CHECK(be32(s, at + 8) == 5);
            CHECK(be32(s, at + 12) == 3);
            CHECK(static_cast<int>(s[at + 16]) == 8);  // bit depth
            CHECK(static_cast<int>(s[at + 17]) == 0);  // grayscale
        }
        if (type == "IDAT") idat += s.substr(at + 8, n);
        types.push_back(type);
        at += 12 + n;
    }
    CHECK(at == s.size());
    CHECK(types == std::vector<std::string>{"IHDR", "IDAT", "IEND"});
    std::vector<unsigned char> raw(3 * 6);
    uLongf raw_size = static_cast<uLongf>(raw.size());
    REQUIRE(uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()), static_cast<uLong>(idat.size())) ==
            Z_OK);
    REQUIRE(raw_size == raw.size());
    for (std::size_t y = 0; y < 3; ++y) {
        CHECK(raw[y * 6] == 0);  // filter: none
        for (std::size_t x = 0; x < 5; ++x) CHECK(raw[y * 6 + 1 + x] == im.pixels[y * 5 + x]);
    }
    CHECK_THROWS_AS(write_png(path, GrayImage{4, 4, std::vector<std::uint8_t>(15)}), InputError);
}
