// vitfpga accelerator testbench (Verilator): DRAM behind an AXI4 slave with a fixed latency,
// an AXI4-Lite master that programs and starts the core, and a run until the interrupt.
//
//   sim DRAM_IN DRAM_OUT LATENCY MAX_CYCLES PROGRAM_BASE [VCD]
//
// Memory model (docs/architecture.md, "Timing"): every AXI ready is high; read data for a request
// accepted in cycle t is valid in cycle t+L-1; the write response for a beat accepted in cycle t
// is valid in cycle t+L-1. Prints "cycles <CYCLES register>" and "wall <seconds>".
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include "Vvitfpga_accel.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

template <typename T>
static void put_bytes(T& sig, const uint8_t* b, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | b[i];
    sig = (T)v;
}
template <std::size_t W>
static void put_bytes(VlWide<W>& sig, const uint8_t* b, int n) {
    for (std::size_t i = 0; i < W; ++i) {
        uint32_t w = 0;
        for (int k = 3; k >= 0; --k) {
            int idx = (int)i * 4 + k;
            w = (w << 8) | (idx < n ? b[idx] : 0);
        }
        sig[i] = w;
    }
}
template <typename T>
static void get_bytes(const T& sig, uint8_t* b, int n) {
    uint64_t v = (uint64_t)sig;
    for (int i = 0; i < n; ++i) b[i] = (uint8_t)(v >> (8 * i));
}
template <std::size_t W>
static void get_bytes(const VlWide<W>& sig, uint8_t* b, int n) {
    for (int i = 0; i < n; ++i) b[i] = (uint8_t)(sig[i / 4] >> (8 * (i % 4)));
}

struct Pending { uint64_t due; uint64_t addr; };

int main(int argc, char** argv) {
    if (argc < 6) { fprintf(stderr, "usage: sim DRAM_IN DRAM_OUT LATENCY MAX_CYCLES PROGRAM_BASE [VCD]\n"); return 2; }
    FILE* f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    std::vector<uint8_t> dram;
    { uint8_t buf[1 << 16]; size_t n; while ((n = fread(buf, 1, sizeof buf, f)) > 0) dram.insert(dram.end(), buf, buf + n); }
    fclose(f);
    const uint64_t lat = strtoull(argv[3], 0, 10);
    const uint64_t max_cycles = strtoull(argv[4], 0, 10);
    const uint64_t pbase = strtoull(argv[5], 0, 10);
    if (lat < 2) { fprintf(stderr, "latency must be at least 2\n"); return 2; }

    VerilatedContext* ctx = new VerilatedContext;
    ctx->commandArgs(argc, argv);
    ctx->traceEverOn(true);
    Vvitfpga_accel* top = new Vvitfpga_accel(ctx);
#if VM_TRACE
    VerilatedVcdC* tfp = nullptr;
    if (argc >= 7) { tfp = new VerilatedVcdC; top->trace(tfp, 99); tfp->open(argv[6]); }
#endif
    const int bus = sizeof(top->m_rdata) >= 8 && sizeof(top->m_rdata) % 4 == 0 ? (int)sizeof(top->m_rdata) : (int)sizeof(top->m_rdata);
    std::deque<Pending> reads, writes;
    uint64_t cycle = 0;
    auto tick = [&]() {
        // Inputs for this cycle (clock low).
        top->clk = 0;
        top->m_arready = 1; top->m_awready = 1; top->m_wready = 1;
        top->m_rvalid = 0; top->m_rlast = 1; top->m_rresp = 0;
        if (!reads.empty() && reads.front().due == cycle) {
            std::vector<uint8_t> beat(bus, 0);
            uint64_t a = reads.front().addr;
            for (int i = 0; i < bus; ++i) if (a + i < dram.size()) beat[i] = dram[a + i];
            put_bytes(top->m_rdata, beat.data(), bus);
            top->m_rvalid = 1;
            reads.pop_front();
        }
        top->m_bvalid = 0; top->m_bresp = 0;
        if (!writes.empty() && writes.front().due == cycle) { top->m_bvalid = 1; writes.pop_front(); }
        top->eval();
#if VM_TRACE
        if (tfp) tfp->dump(2 * cycle);
#endif
        // Requests accepted at this edge.
        if (top->m_arvalid) reads.push_back({cycle + lat - 1, (uint64_t)top->m_araddr});
        if (top->m_awvalid && top->m_wvalid) {
            uint64_t a = top->m_awaddr;
            std::vector<uint8_t> beat(bus, 0);
            get_bytes(top->m_wdata, beat.data(), bus);
            if (a + bus > dram.size()) { fprintf(stderr, "write past the end of DRAM at 0x%llx\n", (unsigned long long)a); exit(4); }
            memcpy(&dram[a], beat.data(), bus);
            writes.push_back({cycle + lat - 1, 0});
        }
        top->clk = 1;
        top->eval();
#if VM_TRACE
        if (tfp) tfp->dump(2 * cycle + 1);
#endif
        ++cycle;
    };
    auto lite_write = [&](uint8_t addr, uint32_t data) {
        top->s_awaddr = addr; top->s_wdata = data; top->s_wstrb = 0xf; top->s_awvalid = 1; top->s_wvalid = 1;
        top->s_bready = 1;
        for (int i = 0; i < 100; ++i) {
            top->clk = 0; top->eval();
            bool done = top->s_awready && top->s_wready;
            tick();
            if (done) break;
        }
        top->s_awvalid = 0; top->s_wvalid = 0;
        for (int i = 0; i < 100 && !top->s_bvalid; ++i) tick();
        tick();
        top->s_bready = 0;
    };
    auto lite_read = [&](uint8_t addr) -> uint32_t {
        top->s_araddr = addr; top->s_arvalid = 1; top->s_rready = 1;
        for (int i = 0; i < 100; ++i) {
            top->clk = 0; top->eval();
            bool done = top->s_arready;
            tick();
            if (done) break;
        }
        top->s_arvalid = 0;
        for (int i = 0; i < 100 && !top->s_rvalid; ++i) tick();
        uint32_t v = top->s_rdata;
        tick();
        top->s_rready = 0;
        return v;
    };

    top->rst = 1; tick(); tick(); top->rst = 0; tick();
    lite_write(0x10, (uint32_t)pbase);
    lite_write(0x14, (uint32_t)(pbase >> 32));
    auto t0 = std::chrono::steady_clock::now();
    lite_write(0x00, 1);
    bool done = false;
    for (uint64_t i = 0; i < max_cycles; ++i) {
        top->clk = 0; top->eval();
        if (top->irq) { done = true; }
        tick();
        if (done) break;
    }
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!done) { fprintf(stderr, "timeout: no interrupt after %llu cycles\n", (unsigned long long)max_cycles); return 5; }
    for (int i = 0; i < 4; ++i) tick();
    uint64_t cycles = lite_read(0x08) | ((uint64_t)lite_read(0x0c) << 32);
    uint32_t status = lite_read(0x04);
#if VM_TRACE
    if (tfp) tfp->close();
#endif
    FILE* o = fopen(argv[2], "wb");
    if (!o) { perror(argv[2]); return 2; }
    fwrite(dram.data(), 1, dram.size(), o);
    fclose(o);
    printf("cycles %llu\nstatus %u\nwall %.6f\n", (unsigned long long)cycles, status, wall);
    top->final();
    delete top;
    delete ctx;
    return 0;
}
