// The Box-Muller transform over a run of Philox words, included once per instruction set by
// normal_kernel_{baseline,avx2,avx512}.cpp (AYSLAB_KERNEL_NS names the copy). The integer-to-double
// conversions run first, then the elementary functions in a loop that vectorises.
namespace ayslab::detail::AYSLAB_KERNEL_NS {

void box_muller_words(const std::uint64_t* words, std::size_t pairs, double* out) {
    constexpr std::size_t block = 64;
    double a[block], v[block], xs[block], ys[block];
    for (std::size_t p0 = 0; p0 < pairs; p0 += block) {
        const std::size_t m = pairs - p0 < block ? pairs - p0 : block;
        const std::uint64_t* u = words + 2 * p0;
        for (std::size_t p = 0; p < m; ++p) {
            a[p] = static_cast<double>(static_cast<std::int64_t>(u[2 * p])) * 0x1p-63 + 0x1p-64;  // uneg11
            v[p] = static_cast<double>(u[2 * p + 1]) * 0x1p-64 + 0x1p-65;                         // u01
        }
        for (std::size_t p = 0; p < m; ++p) {
            const double radius = std::sqrt(-2.0 * log_unit(v[p]));
            double s, c;
            sincospi_unit(a[p], s, c);
            xs[p] = s * radius;
            ys[p] = c * radius;
        }
        for (std::size_t p = 0; p < m; ++p) {
            out[2 * (p0 + p)] = xs[p];
            out[2 * (p0 + p) + 1] = ys[p];
        }
    }
}

}  // namespace ayslab::detail::AYSLAB_KERNEL_NS
