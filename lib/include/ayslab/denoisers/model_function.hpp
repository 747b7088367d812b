// A model's raw forward(x, c[, y]) in its own parametrisation (network.hpp's ModelConvention says
// what it returns and what c is), whatever runs it: a TorchScript network (Network), or a function
// another program hands over in-process (the Python binding's callables). NetworkDenoiser turns one
// into D(x; sigma) with the convention's formulas, written once in network_denoiser.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace ayslab {

class ModelFunction {
  public:
    virtual ~ModelFunction() = default;
    virtual std::size_t dim() const = 0;  // values per row
    virtual bool takes_labels() const = 0;
    virtual std::string description() const = 0;
    // out = forward(x, c, y) on n rows: x and out n x dim(), c one value per row, y one class id per
    // row when takes_labels() (empty otherwise). A float32 model rounds x and c to float32 itself.
    // threads: intra-op threads for the call (0 = as is).
    virtual void forward(std::span<const double> x, std::span<const double> c, std::size_t n, std::span<double> out,
                         std::size_t threads, std::span<const std::int64_t> y) const = 0;
    // Whether jacobian_trace() is the model's own (autograd). Without it NetworkDenoiser uses central
    // differences of D (the Denoiser default).
    virtual bool has_jacobian_trace() const { return false; }
    // tr d forward(x, c, y) / dx per row (only when has_jacobian_trace()).
    virtual void jacobian_trace(std::span<const double> x, std::span<const double> c, std::size_t n,
                                std::span<double> out, std::size_t threads, std::span<const std::int64_t> y) const;
    // The relative rounding of its outputs (2^-23 for float32, 2^-52 for float64).
    virtual double rounding() const = 0;
    // Whether calls from several threads run at once (a TorchScript module on the CPU); false when they
    // would queue (a Python callable under the GIL, a module on a GPU).
    virtual bool concurrent() const { return false; }
};

}  // namespace ayslab
