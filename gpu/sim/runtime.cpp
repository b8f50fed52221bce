// The simulator's scheduler: a block's threads as fibers on one host thread, __syncthreads as the
// point where a fiber hands control back, and the grid's blocks shared among a few host threads.
//
// Within a block the fibers run in thread order, each until it waits at the barrier or returns; once
// none can run, the waiting ones are released together and the round repeats. So every thread sees
// the shared-memory writes its block made before the barrier, as on a GPU, and the order of
// execution, hence any result, never depends on timing.

#include "cuda_sim.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace sim {
namespace {

// Frames of these kernels are small, but libm's double cos/log and std::apply use some stack.
constexpr size_t STACK_BYTES = 64 * 1024;

enum class State { Ready, Waiting, Done };

struct Fiber {
    void* sp = nullptr;
    Thread thread{};
    State state = State::Ready;
};

// One per host thread: the fibers of the block it runs and their stacks (kept between blocks).
struct Worker {
    std::vector<Fiber> fibers;
    char* stacks = nullptr;
    size_t stack_count = 0;
    void* scheduler_sp = nullptr;
    size_t current = 0;
    const std::function<void()>* body = nullptr;
    Block block{};

    ~Worker() {
        if (stacks) munmap(stacks, stack_count * STACK_BYTES);
    }

    bool reserve(size_t n) {
        if (n <= stack_count) return true;
        if (stacks) munmap(stacks, stack_count * STACK_BYTES);
        void* p = mmap(nullptr, n * STACK_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            stacks = nullptr;
            stack_count = 0;
            return false;
        }
        stacks = static_cast<char*>(p);
        stack_count = n;
        fibers.resize(n);
        return true;
    }
};

thread_local Worker worker;

}  // namespace
}  // namespace sim

// sim_switch(save, load): store the callee-saved registers and the floating-point control words on
// the current stack, save its pointer in *save, switch to the stack `load` and restore from it.
extern "C" void sim_switch(void** save, void* load);
#if defined(__x86_64__)
asm(R"(
    .text
    .globl sim_switch
    .hidden sim_switch
    .type sim_switch, @function
sim_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size sim_switch, .-sim_switch
)");
#else
#error "the CUDA simulator's fiber switch is written for x86-64 only"
#endif

namespace sim {
namespace {

[[noreturn]] void fiber_main() {
    Worker& w = worker;
    (*w.body)();
    Fiber& f = w.fibers[w.current];
    f.state = State::Done;
    sim_switch(&f.sp, w.scheduler_sp);
    __builtin_unreachable();
}

// A fresh stack whose first switch "returns" into fiber_main with the ABI's alignment: the layout
// sim_switch pops (control words, r15 … rbp, return address), then a null return address for
// fiber_main itself, so that rsp ≡ 8 (mod 16) on entry as after a call.
void* initial_stack(char* base) {
    char* top = base + STACK_BYTES;  // 16-byte aligned: mmap pages
    auto* sp = reinterpret_cast<uint64_t*>(top - 72);
    uint32_t mxcsr = 0x1F80;  // round to nearest, all exceptions masked: the ABI's initial state
    uint16_t fpucw = 0x037F;
    memcpy(reinterpret_cast<char*>(sp), &mxcsr, 4);
    memcpy(reinterpret_cast<char*>(sp) + 4, &fpucw, 2);
    for (int r = 1; r <= 6; ++r) sp[r] = 0;
    sp[7] = reinterpret_cast<uint64_t>(&fiber_main);
    sp[8] = 0;
    return sp;
}

bool run_block(Worker& w, const char*& failure) {
    const Block& b = w.block;
    const size_t n = (size_t)b.dim.x * b.dim.y * b.dim.z;
    if (!w.reserve(n)) {
        failure = "could not map the fiber stacks";
        return false;
    }
    for (size_t t = 0; t < n; ++t) {
        Fiber& f = w.fibers[t];
        f.thread.idx = {(unsigned)(t % b.dim.x), (unsigned)(t / b.dim.x % b.dim.y),
                        (unsigned)(t / ((size_t)b.dim.x * b.dim.y))};
        f.state = State::Ready;
        f.sp = initial_stack(w.stacks + t * STACK_BYTES);
    }
    for (;;) {
        bool waiting = false;
        for (size_t t = 0; t < n; ++t) {
            Fiber& f = w.fibers[t];
            if (f.state != State::Ready) continue;
            w.current = t;
            sim_switch(&w.scheduler_sp, f.sp);
            waiting |= f.state == State::Waiting;
        }
        if (!waiting) return true;
        for (size_t t = 0; t < n; ++t)
            if (w.fibers[t].state == State::Waiting) w.fibers[t].state = State::Ready;
    }
}

}  // namespace

Thread* current_thread() { return &worker.fibers[worker.current].thread; }
const Block* current_block() { return &worker.block; }

void syncthreads() {
    Worker& w = worker;
    Fiber& f = w.fibers[w.current];
    f.state = State::Waiting;
    sim_switch(&f.sp, w.scheduler_sp);
}

int run_grid(const Launch& l, const std::function<void()>& body, char* err, size_t errlen) {
    const unsigned long long blocks = (unsigned long long)l.grid[0] * l.grid[1] * l.grid[2];
    const unsigned long long threads = (unsigned long long)l.block[0] * l.block[1] * l.block[2];
    if (blocks == 0 || threads == 0 || threads > 1024) {
        snprintf(err, errlen, "launch of %llu blocks of %llu threads", blocks, threads);
        return 1;
    }
    const unsigned hw = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
    const unsigned host_threads = (unsigned)std::min<unsigned long long>(hw, blocks);
    std::atomic<unsigned long long> next{0};
    std::atomic<const char*> failure{nullptr};
    auto work = [&] {
        Worker& w = worker;
        w.body = &body;
        w.block.dim = {l.block[0], l.block[1], l.block[2]};
        w.block.grid = {l.grid[0], l.grid[1], l.grid[2]};
        for (;;) {
            const unsigned long long i = next.fetch_add(1);
            if (i >= blocks || failure.load()) break;
            w.block.idx = {(unsigned)(i % l.grid[0]), (unsigned)(i / l.grid[0] % l.grid[1]),
                           (unsigned)(i / ((unsigned long long)l.grid[0] * l.grid[1]))};
            const char* why = nullptr;
            if (!run_block(w, why)) failure.store(why);
        }
    };
    std::vector<std::thread> helpers;
    for (unsigned t = 1; t < host_threads; ++t) helpers.emplace_back(work);
    work();
    for (auto& h : helpers) h.join();
    if (const char* why = failure.load()) {
        snprintf(err, errlen, "%s", why);
        return 1;
    }
    return 0;
}

}  // namespace sim
