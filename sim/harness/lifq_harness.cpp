// lifq's file-driven harness for Verilator: streams currents from a binary
// stimulus file into every core of a bundle and writes every update it gets
// back to a binary result file.  Python (lifq.sim.harness) writes the
// stimulus, builds this file against the generated top `lifq_harness_top`,
// and compares the result with the golden model.
//
// The cycle-level behaviour is exactly that of lifq_harness_tb.sv (the
// Icarus testbench): the same xorshift32 LFSRs decide input gaps and output
// stalls, in the same order, so one seed replays the same run on both.
//
// Usage: lifq_harness STIMULUS RESULTS   (formats: lifq/sim/harness/stream_files.py)

#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "Vlifq_harness_top.h"
#include "lifq_harness_io.h"
#include "verilated.h"

namespace {

using namespace lifq;

const int MAX_CORES = 64;
const char STIMULUS_MAGIC[8] = {'L', 'I', 'F', 'Q', 'S', 'T', 'M', '1'};

struct Core {
    uint64_t count = 0;          // currents to send (= updates expected)
    const int32_t* currents = nullptr;
    uint32_t gap_state = 1, stall_state = 1;
    uint32_t gap_threshold = 0, stall_threshold = 0;
    uint64_t sent = 0, received = 0, last_output = 0;
    bool offering = false;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: lifq_harness STIMULUS RESULTS\n");
        return 2;
    }
    const char* stimulus_path = argv[1];
    const std::vector<char> file = read_stimulus(stimulus_path, STIMULUS_MAGIC, 24);
    const uint32_t cores = u32(file, 8), reset_cycles = u32(file, 12);
    const uint32_t stall_window = u32(file, 16), drain_cycles = u32(file, 20);
    if (cores < 1 || cores > MAX_CORES || file.size() < 24 + 32 * size_t(cores))
        fail("bad core count in", stimulus_path);
    std::vector<Core> core(cores);
    for (uint32_t i = 0; i < cores; ++i) {
        const size_t entry = 24 + 32 * size_t(i);
        Core& c = core[i];
        c.count = u64(file, entry);
        const uint64_t offset = u64(file, entry + 8);
        if (offset + c.count * 4 > file.size()) fail("truncated", stimulus_path);
        c.currents = reinterpret_cast<const int32_t*>(file.data() + offset);
        c.gap_state = u32(file, entry + 16);
        c.stall_state = u32(file, entry + 20);
        c.gap_threshold = u32(file, entry + 24);
        c.stall_threshold = u32(file, entry + 28);
    }

    ResultWriter out(argv[2], cores);
    const std::unique_ptr<VerilatedContext> context{new VerilatedContext};
    context->commandArgs(argc, argv);
    const std::unique_ptr<Vlifq_harness_top> top{new Vlifq_harness_top{context.get()}};
    uint32_t* cur_data = top->cur_data.data();
    const uint32_t* upd_data = top->upd_data.data();

    top->cur_valid = 0;
    top->upd_ready = 0;
    hold_reset(*top, reset_cycles);

    uint64_t cycle = 0, last_progress = 0, drained = 0;
    uint32_t pending = 0;  // cores still waiting for updates
    for (const Core& c : core) pending += c.count > 0;
    bool hung = false;
    for (;;) {
        // Inputs of this cycle: a new current where the source is free and
        // not pausing; ready where the sink is not stalling.
        uint64_t valid = 0, ready = 0;
        for (uint32_t i = 0; i < cores; ++i) {
            Core& c = core[i];
            if (!c.offering && c.sent < c.count && draw(c.gap_state) >= c.gap_threshold) {
                c.offering = true;
                cur_data[i] = static_cast<uint32_t>(c.currents[c.sent]);
            }
            if (c.offering) valid |= uint64_t(1) << i;
            if (draw(c.stall_state) >= c.stall_threshold) ready |= uint64_t(1) << i;
        }
        top->cur_valid = valid;
        top->upd_ready = ready;
        top->clk = 0;
        top->eval();
        // Transfers happen at the coming rising edge.
        const uint64_t taken = valid & top->cur_ready;
        const uint64_t delivered = top->upd_valid & ready;
        for (uint64_t bits = delivered; bits; bits &= bits - 1) {
            const int i = __builtin_ctzll(bits);
            Core& c = core[i];
            out.update(i, uint64_t(upd_data[2 * i]) | uint64_t(upd_data[2 * i + 1]) << 32);
            if (++c.received == c.count) --pending;
            c.last_output = cycle;
        }
        for (uint64_t bits = taken; bits; bits &= bits - 1) {
            Core& c = core[__builtin_ctzll(bits)];
            ++c.sent;
            c.offering = false;
        }
        top->clk = 1;
        top->eval();
        if (taken | delivered) last_progress = cycle;
        ++cycle;
        // Once every update has come, keep going a while: anything more is extra.
        if (pending == 0 && ++drained > drain_cycles) break;
        if (cycle - last_progress > stall_window) {
            hung = pending != 0;
            break;
        }
    }
    out.flush_updates();
    for (uint32_t i = 0; i < cores; ++i) {
        out.record(RECORD_SENT, i, core[i].sent);
        out.record(RECORD_LAST_OUTPUT, i, core[i].last_output);
    }
    out.record(RECORD_END, hung ? 1 : 0, cycle);
    out.close();
    top->final();
    return 0;
}
