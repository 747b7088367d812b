// A denoiser that only forwards D to another one: not a data set, no exact divergence (the base
// class's finite differences) — the shape of a trained network, for tests of the data/denoiser split.
#pragma once
#include "ayslab/denoisers/denoiser.hpp"

namespace ayslab::test {

struct ForwardingDenoiser final : Denoiser {
    const Denoiser& inner;
    explicit ForwardingDenoiser(const Denoiser& d) : inner(d) {}
    std::size_t dim() const override { return inner.dim(); }
    void evaluate(const Batch& b, std::span<double> out) const override { inner.evaluate(b, out); }
};

}  // namespace ayslab::test
