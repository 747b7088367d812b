// Sample grids as PNG (issue "Judge image schedules as the field does", item 4): image rows tiled into
// a grid, one tile per image, written as an 8-bit grayscale PNG (zlib's deflate; the PNG chunk CRCs are
// zlib's crc32). Values map linearly from [lo, hi] to 0..255 (Fashion-MNIST as ayslab holds it: [-1, 1]),
// clamped, rounded to nearest.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace ayslab {

struct GrayImage {
    std::size_t width = 0, height = 0;
    std::vector<std::uint8_t> pixels;  // row-major, height x width
};

struct GridLayout {
    std::size_t rows = 0, columns = 0;        // tiles
    std::size_t tile_height = 0, tile_width = 0;  // pixels of one image (its rows hold height x width values)
    std::size_t gap = 2;                       // background pixels between tiles and around the grid
    double lo = -1.0, hi = 1.0;                // the values shown as black and white
    std::uint8_t background = 255;
};

// Tile (r, c) shows image row r * columns + c of `images` (n rows of tile_height x tile_width values);
// tiles past n stay background. InputError for rows of another size.
GrayImage image_grid(std::span<const double> images, std::size_t n, const GridLayout& layout);

// The side of a square image of d values (784 -> 28); 0 when d is not a square.
std::size_t square_side(std::size_t d);
// The same for a data set's points that are to be drawn as images; InputError naming the data when d is
// not a square.
std::size_t image_side(std::size_t d, std::string_view data_name);

// Whole or not at all (write_file_atomically); `what` names the file in errors.
void write_png(const std::filesystem::path& path, const GrayImage& image, const char* what = "PNG image");

}  // namespace ayslab
