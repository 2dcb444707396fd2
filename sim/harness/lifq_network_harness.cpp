// lifq's file-driven harness of a network for Verilator: sends the input
// events of every sample from a binary stimulus file (a clear between two
// samples), takes the output layer's events and the update streams, and
// writes every transfer to a binary result file.  Python
// (lifq.sim.harness.network_run) writes the stimulus, builds this file
// against the generated top `lifq_network_top`, and compares the result
// with the golden network.
//
// The cycle-level behaviour is exactly that of lifq_network_harness_tb.sv
// (the Icarus testbench), so one seed replays the same run on both.
//
// Usage: lifq_network_harness STIMULUS RESULTS
// (formats and the cycle protocol: lifq/sim/harness/event_files.py)

#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "Vlifq_network_top.h"
#include "lifq_harness_io.h"
#include "verilated.h"

namespace {

using namespace lifq;

const uint32_t MAX_STREAMS = 64;
const char STIMULUS_MAGIC[8] = {'L', 'I', 'F', 'Q', 'N', 'E', 'T', '1'};
const size_t HEADER = 56, ENTRY = 16;

struct Output {
    uint32_t stall_state = 1, stall_threshold = 0;
    uint64_t per_step = 0;       // updates per step; 0: the events stream
    uint64_t received = 0;       // updates, or for the events stream markers
    uint64_t last_output = 0;
};

// The input side: walks the beat section, one beat (event or marker) at a time.
struct Source {
    const uint32_t* words = nullptr;
    uint64_t size = 0, cursor = 0;
    int64_t left = -1;           // events left in the step; -1: its count comes next
    uint32_t data = 0;
    bool end = false;
    // Loads the next beat; false when the beat section ran out early.
    bool load() {
        if (left < 0) {
            if (cursor >= size) return false;
            left = words[cursor++];
        }
        if (left > 0) {
            if (cursor >= size) return false;
            data = words[cursor++];
            end = false;
            --left;
        } else {
            data = 0;
            end = true;
            left = -1;
        }
        return true;
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: lifq_network_harness STIMULUS RESULTS\n");
        return 2;
    }
    const char* stimulus_path = argv[1];
    const std::vector<char> file = read_stimulus(stimulus_path, STIMULUS_MAGIC, HEADER);
    const uint32_t streams = u32(file, 8), reset_cycles = u32(file, 12);
    const uint32_t stall_window = u32(file, 16), drain_cycles = u32(file, 20);
    const uint32_t samples = u32(file, 24), steps = u32(file, 28);
    uint32_t gap_state = u32(file, 32);
    const uint32_t gap_threshold = u32(file, 36), end_bit = u32(file, 40);
    const uint64_t words = u64(file, 48);
    if (streams < 1 || streams > MAX_STREAMS || end_bit > 63 || steps < 1
        || file.size() < HEADER + ENTRY * streams + 4 * words)
        fail("bad header in", stimulus_path);
    std::vector<Output> output(streams);
    for (uint32_t i = 0; i < streams; ++i) {
        const size_t entry = HEADER + ENTRY * size_t(i);
        output[i].stall_state = u32(file, entry);
        output[i].stall_threshold = u32(file, entry + 4);
        output[i].per_step = u32(file, entry + 8);
    }
    Source source;
    source.words = reinterpret_cast<const uint32_t*>(file.data() + HEADER + ENTRY * streams);
    source.size = words;

    ResultWriter out(argv[2], streams);
    const std::unique_ptr<VerilatedContext> context{new VerilatedContext};
    context->commandArgs(argc, argv);
    const std::unique_ptr<Vlifq_network_top> top{new Vlifq_network_top{context.get()}};
    const uint32_t* out_data = top->out_data.data();

    top->clear = 0;
    top->in_valid = 0;
    top->out_ready = 0;
    hold_reset(*top, reset_cycles);

    // The outputs of samples 0 … done − 1 have all arrived.
    auto arrived = [&](uint64_t done) {
        const uint64_t due = done * steps;
        for (const Output& o : output)
            if (o.per_step ? o.received < due * o.per_step : o.received < due) return false;
        return true;
    };
    const uint64_t end_mask = uint64_t(1) << end_bit;
    std::vector<uint64_t> sample_start, sample_end;
    uint64_t cycle = 0, last_progress = 0, drained = 0, sent = 0;
    uint32_t sample = 0, step = 0;  // of the next beat
    bool offering = false, started = false, waiting = false, hung = false;
    for (;;) {
        // Inputs of this cycle: the clear between two samples, or a beat where
        // the source is free and not pausing; ready where a sink is not stalling.
        bool clear = false;
        if (waiting) {
            if (sample_end.size() == sample) {
                clear = true;
                waiting = false;
            }
        } else if (!offering && sample < samples && draw(gap_state) >= gap_threshold) {
            if (!source.load()) fail("truncated beats in", stimulus_path);
            offering = true;
        }
        uint64_t ready = 0;
        for (uint32_t i = 0; i < streams; ++i)
            if (draw(output[i].stall_state) >= output[i].stall_threshold) ready |= uint64_t(1) << i;
        top->clear = clear;
        top->in_valid = offering;
        top->in_data = source.data;
        top->in_end = source.end;
        top->out_ready = ready;
        top->clk = 0;
        top->eval();
        // Transfers happen at the coming rising edge.
        const bool taken = offering && top->in_ready;
        const uint64_t delivered = top->out_valid & ready;
        for (uint64_t bits = delivered; bits; bits &= bits - 1) {
            const int i = __builtin_ctzll(bits);
            const uint64_t payload = uint64_t(out_data[2 * i]) | uint64_t(out_data[2 * i + 1]) << 32;
            out.update(i, payload);
            Output& o = output[i];
            o.received += o.per_step ? 1 : (payload & end_mask) != 0;
            o.last_output = cycle;
        }
        if (taken) {
            ++sent;
            offering = false;
            if (!started) {
                sample_start.push_back(cycle);
                started = true;
            }
            if (source.end && ++step == steps) {
                step = 0;
                started = false;
                waiting = ++sample < samples;
            }
        }
        if (taken || delivered)
            while (sample_end.size() < sample && arrived(sample_end.size() + 1))
                sample_end.push_back(cycle);
        top->clk = 1;
        top->eval();
        if (taken || delivered || clear) last_progress = cycle;
        ++cycle;
        // Once every output has come, keep going a while: anything more is extra.
        if (sample_end.size() == samples && ++drained > drain_cycles) break;
        if (cycle - last_progress > stall_window) {
            hung = sample_end.size() < samples;
            break;
        }
    }
    out.flush_updates();
    out.record(RECORD_SENT, 0, sent);
    for (uint32_t i = 0; i < streams; ++i) out.record(RECORD_LAST_OUTPUT, i, output[i].last_output);
    out.records(RECORD_SAMPLE_START, 0, sample_start);
    out.records(RECORD_SAMPLE_END, 0, sample_end);
    out.record(RECORD_END, hung ? 1 : 0, cycle);
    out.close();
    top->final();
    return 0;
}
