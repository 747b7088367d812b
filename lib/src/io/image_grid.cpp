#include "ayslab/io/image_grid.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"

namespace ayslab {

std::size_t square_side(std::size_t d) {
    const auto s = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(d))));
    return s > 0 && s * s == d ? s : 0;
}

std::size_t image_side(std::size_t d, std::string_view data_name) {
    const std::size_t side = square_side(d);
    if (!side) throw InputError(fmt::format("png needs square images; the data '{}' has {} values per point", data_name, d));
    return side;
}

GrayImage image_grid(std::span<const double> images, std::size_t n, const GridLayout& g) {
    const std::size_t d = g.tile_height * g.tile_width;
    if (d == 0 || images.size() != n * d)
        throw InputError(fmt::format("image grid: {} values are not {} images of {} x {}", images.size(), n,
                                     g.tile_height, g.tile_width));
    if (!(g.hi > g.lo)) throw InputError("image grid: the value range must have hi > lo");
    GrayImage out;
    out.width = g.columns * (g.tile_width + g.gap) + g.gap;
    out.height = g.rows * (g.tile_height + g.gap) + g.gap;
    out.pixels.assign(out.width * out.height, g.background);
    const double scale = 255.0 / (g.hi - g.lo);
    for (std::size_t r = 0; r < g.rows; ++r)
        for (std::size_t c = 0; c < g.columns; ++c) {
            const std::size_t k = r * g.columns + c;
            if (k >= n) continue;
            const double* img = images.data() + k * d;
            const std::size_t y0 = g.gap + r * (g.tile_height + g.gap), x0 = g.gap + c * (g.tile_width + g.gap);
            for (std::size_t y = 0; y < g.tile_height; ++y)
                for (std::size_t x = 0; x < g.tile_width; ++x) {
                    const double v = std::clamp((img[y * g.tile_width + x] - g.lo) * scale, 0.0, 255.0);
                    // NaN (a diverged sample) shows as black: clamp passes it through, so test it.
                    out.pixels[(y0 + y) * out.width + x0 + x] =
                        std::isfinite(v) ? static_cast<std::uint8_t>(std::lround(v)) : std::uint8_t{0};
                }
        }
    return out;
}

namespace {
void put_u32(std::string& s, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
}
// A PNG chunk: length, type, data, CRC-32 of type and data (PNG spec, section 5.3).
void put_chunk(std::string& s, const char* type, const std::string& data) {
    put_u32(s, static_cast<std::uint32_t>(data.size()));
    const std::string body = std::string(type, 4) + data;
    s += body;
    put_u32(s, static_cast<std::uint32_t>(
                   crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}
}  // namespace

void write_png(const std::filesystem::path& path, const GrayImage& image, const char* what) {
    if (image.width == 0 || image.height == 0 || image.pixels.size() != image.width * image.height)
        throw InputError(fmt::format("{}: {} pixels are not {} x {}", what, image.pixels.size(), image.height, image.width));
    // Scanlines, each led by filter type 0 (none).
    std::string raw;
    raw.reserve((image.width + 1) * image.height);
    for (std::size_t y = 0; y < image.height; ++y) {
        raw.push_back('\0');
        raw.append(reinterpret_cast<const char*>(image.pixels.data() + y * image.width), image.width);
    }
    uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
    std::string packed(packed_size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(raw.data()),
                  static_cast<uLong>(raw.size()), 9) != Z_OK)
        throw InputError(fmt::format("{}: zlib could not compress the image", what));
    packed.resize(packed_size);
    std::string ihdr;
    put_u32(ihdr, static_cast<std::uint32_t>(image.width));
    put_u32(ihdr, static_cast<std::uint32_t>(image.height));
    ihdr += std::string{'\x08', '\x00', '\x00', '\x00', '\x00'};  // 8 bits, grayscale, deflate, filter 0, no interlace
    std::string png = "\x89PNG\r\n\x1a\n";
    put_chunk(png, "IHDR", ihdr);
    put_chunk(png, "IDAT", packed);
    put_chunk(png, "IEND", "");
    write_text_atomically(path, what, png);
}

}  // namespace ayslab
