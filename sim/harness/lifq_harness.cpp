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
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "Vlifq_harness_top.h"
#include "verilated.h"

namespace {

const int MAX_CORES = 64;
const char STIMULUS_MAGIC[8] = {'L', 'I', 'F', 'Q', 'S', 'T', 'M', '1'};
const char RESULTS_MAGIC[8] = {'L', 'I', 'F', 'Q', 'R', 'E', 'S', '1'};
// Kinds of result blocks.
const uint32_t RECORD_UPDATE = 0, RECORD_SENT = 1, RECORD_LAST_OUTPUT = 2, RECORD_END = 3;

struct Core {
    uint64_t count = 0;          // currents to send (= updates expected)
    const int32_t* currents = nullptr;
    uint32_t gap_state = 1, stall_state = 1;
    uint32_t gap_threshold = 0, stall_threshold = 0;
    uint64_t sent = 0, received = 0, last_output = 0;
    bool offering = false;
};

// One step of a 32-bit xorshift generator (a linear feedback shift register);
// the upper 16 bits are the draw.
inline uint32_t draw(uint32_t& state) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state >> 16;
}

[[noreturn]] void fail(const char* what, const char* path) {
    std::fprintf(stderr, "lifq_harness: %s: %s\n", what, path);
    std::exit(2);
}

uint32_t u32(const std::vector<char>& file, size_t offset) {
    uint32_t value;
    std::memcpy(&value, file.data() + offset, 4);
    return value;
}

uint64_t u64(const std::vector<char>& file, size_t offset) {
    uint64_t value;
    std::memcpy(&value, file.data() + offset, 8);
    return value;
}

// Writes the result file: a header, then blocks of one kind and core —
// u32 kind << 16 | core, u32 n, n u64 values.  Updates are kept per core and
// written in blocks of up to BLOCK values (Python reads a block as an array).
class ResultWriter {
  public:
    static const size_t BLOCK = 65536;
    ResultWriter(const char* path, uint32_t cores) : m_path(path), m_updates(cores) {
        m_file = std::fopen(path, "wb");
        if (!m_file) fail("cannot write", path);
        const uint32_t zero = 0;
        write(RESULTS_MAGIC, 8);
        write(&cores, 4);
        write(&zero, 4);
        for (std::vector<uint64_t>& updates : m_updates) updates.reserve(BLOCK);
    }
    void update(uint32_t core, uint64_t payload) {
        std::vector<uint64_t>& updates = m_updates[core];
        updates.push_back(payload);
        if (updates.size() == BLOCK) flush(core);
    }
    void record(uint32_t kind, uint32_t core, uint64_t value) { block(kind, core, &value, 1); }
    void flush_updates() {
        for (uint32_t core = 0; core < m_updates.size(); ++core) flush(core);
    }
    void close() {
        if (std::fclose(m_file) != 0) fail("cannot write", m_path);
    }

  private:
    void write(const void* data, size_t bytes) {
        if (bytes && std::fwrite(data, 1, bytes, m_file) != bytes) fail("cannot write", m_path);
    }
    void block(uint32_t kind, uint32_t core, const uint64_t* values, uint32_t n) {
        const uint32_t head[2] = {kind << 16 | core, n};
        write(head, 8);
        write(values, 8 * size_t(n));
    }
    void flush(uint32_t core) {
        std::vector<uint64_t>& updates = m_updates[core];
        if (!updates.empty()) block(RECORD_UPDATE, core, updates.data(), updates.size());
        updates.clear();
    }
    const char* m_path;
    std::FILE* m_file;
    std::vector<std::vector<uint64_t>> m_updates;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: lifq_harness STIMULUS RESULTS\n");
        return 2;
    }
    const char* stimulus_path = argv[1];
    std::FILE* in = std::fopen(stimulus_path, "rb");
    if (!in) fail("cannot read", stimulus_path);
    std::vector<char> file;
    char chunk[1 << 16];
    size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, in)) > 0) file.insert(file.end(), chunk, chunk + got);
    std::fclose(in);
    if (file.size() < 24 || std::memcmp(file.data(), STIMULUS_MAGIC, 8) != 0)
        fail("not a lifq harness stimulus", stimulus_path);
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

    top->clk = 0;
    top->rst = 1;
    top->cur_valid = 0;
    top->upd_ready = 0;
    for (uint32_t r = 0; r < reset_cycles; ++r) {
        top->clk = 0;
        top->eval();
        top->clk = 1;
        top->eval();
    }
    top->rst = 0;

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
