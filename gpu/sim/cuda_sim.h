// The CUDA built-ins, given their meaning on the host CPU, so that gpu/kernels/*.cu compile with g++
// into the `sim` device (gpu/src/engine/sim/mod.rs). Included before common.cuh and each kernel file.
//
// A block's threads are fibers on one host thread (gpu/sim/runtime.cpp): each runs until it reaches
// __syncthreads() or returns, and the barrier releases once every live thread of the block waits at
// it. Blocks run on a few host threads at once, so blocks must not depend on each other, as on a GPU.
//
// What a kernel may use is what is defined here: threadIdx / blockIdx / blockDim / gridDim, static
// __shared__ arrays (one copy per block: the host thread running the block owns it), __syncthreads,
// and the CUDA math functions the kernels call, from the host's libm. No kernel uses atomics, warp
// shuffles, votes or dynamic shared memory, so none is defined: a kernel that starts to use one fails
// to compile here, and the simulator must learn it first (atomics for real, since blocks run on
// several host threads at once).
//
// Numerics: the host's expf, logf, tanhf, log1pf, log, cos are correctly rounded or within 1 ulp,
// inside CUDA's documented bounds (expf 2 ulp, logf 1 ulp, tanhf 2 ulp, log/cos 1 ulp in double), so
// a result the simulator matches bit for bit may differ in the last bits on a GPU. +, −, ×, ÷ and
// sqrt are IEEE-exact on both: g++ runs with -ffp-contract=off and NVRTC with --fmad=false, so no
// multiply–add is fused into one rounding on either.
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <tuple>
#include <utility>

namespace sim {

// CUDA's uint3 / dim3 as a kernel reads them.
struct uint3 {
    unsigned int x, y, z;
};

// The launch as the host asked for it (the Rust side's `SimLaunch`, same layout).
struct Launch {
    unsigned int grid[3];
    unsigned int block[3];
    unsigned int shared_bytes;
};

// What the built-ins read: the running fiber's thread index and its block's coordinates.
struct Thread {
    uint3 idx;
};
struct Block {
    uint3 idx, dim, grid;
};

Thread* current_thread();
const Block* current_block();
void syncthreads();

// Runs `body` once for every thread of every block of `launch`; 0, or 1 with `err` filled.
int run_grid(const Launch& launch, const std::function<void()>& body, char* err, size_t errlen);

// The host's description of each argument, one letter each, checked against the kernel's own
// parameter types before the launch: R/W a float pointer the kernel reads / writes, r/w the same for
// u32, f float, d double, i int, u unsigned int, q unsigned long long.
template <class T>
struct Code;
template <> struct Code<const float*> { static constexpr char value = 'R'; };
template <> struct Code<float*> { static constexpr char value = 'W'; };
template <> struct Code<const unsigned int*> { static constexpr char value = 'r'; };
template <> struct Code<unsigned int*> { static constexpr char value = 'w'; };
template <> struct Code<float> { static constexpr char value = 'f'; };
template <> struct Code<double> { static constexpr char value = 'd'; };
template <> struct Code<int> { static constexpr char value = 'i'; };
template <> struct Code<unsigned int> { static constexpr char value = 'u'; };
template <> struct Code<unsigned long long> { static constexpr char value = 'q'; };

template <class... P, size_t... I>
int launch_impl(void (*kernel)(P...), std::index_sequence<I...>, const char* name,
                const Launch& launch, void** params, const char* codes, char* err, size_t errlen) {
    static const char want[] = {Code<P>::value..., '\0'};
    if (strcmp(want, codes) != 0) {
        snprintf(err, errlen,
                 "kernel %s takes arguments of kinds \"%s\", the host passed \"%s\" "
                 "(R/W: float* read/written, r/w: u32* read/written, f float, d double, i int, "
                 "u u32, q u64)",
                 name, want, codes);
        return 1;
    }
    // cuLaunchKernel's convention: params[i] points at the value of argument i.
    std::tuple<P...> args{*static_cast<P*>(params[I])...};
    return run_grid(launch, [&] { std::apply(kernel, args); }, err, errlen);
}

template <class... P>
int launch(void (*kernel)(P...), const char* name, const Launch& launch, void** params,
           const char* codes, char* err, size_t errlen) {
    return launch_impl(kernel, std::index_sequence_for<P...>{}, name, launch, params, codes, err,
                       errlen);
}

}  // namespace sim

// One C entry point per kernel, which the Rust side looks up by name: sim_entry_<kernel>.
#define SIM_ENTRY(name)                                                                        \
    extern "C" int sim_entry_##name(const sim::Launch* l, void** params, const char* codes,    \
                                    char* err, size_t errlen) {                                \
        return sim::launch(name, #name, *l, params, codes, err, errlen);                       \
    }

#define threadIdx (sim::current_thread()->idx)
#define blockIdx (sim::current_block()->idx)
#define blockDim (sim::current_block()->dim)
#define gridDim (sim::current_block()->grid)

#define __global__
#define __device__ static inline
#define __forceinline__ inline
// One array per host thread; a host thread runs one block at a time, so one per running block.
#define __shared__ static thread_local
#define __syncthreads() sim::syncthreads()

// common.cuh builds INFINITY from its bit pattern, as NVRTC has no <math.h>.
#undef INFINITY

static inline float __int_as_float(int i) {
    float f;
    memcpy(&f, &i, sizeof f);
    return f;
}
static inline int __float_as_int(float f) {
    int i;
    memcpy(&i, &f, sizeof i);
    return i;
}
static inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned int)(((unsigned long long)a * b) >> 32);
}
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
