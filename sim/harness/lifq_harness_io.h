// What lifq's Verilator harnesses share: lifq_harness.cpp (a bundle of cores)
// and lifq_network_harness.cpp (a network) read a binary stimulus file, draw
// gaps and stalls from the same xorshift32 LFSRs and write the same result
// file format (lifq/sim/harness/stream_files.py and event_files.py).  The
// Icarus testbenches share lifq_harness_io.svh in the same way.

#ifndef LIFQ_HARNESS_IO_H
#define LIFQ_HARNESS_IO_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace lifq {

const char RESULTS_MAGIC[8] = {'L', 'I', 'F', 'Q', 'R', 'E', 'S', '1'};
// Kinds of result blocks (stream_files.py names them).
const uint32_t RECORD_UPDATE = 0, RECORD_SENT = 1, RECORD_LAST_OUTPUT = 2, RECORD_END = 3,
               RECORD_SAMPLE_START = 4, RECORD_SAMPLE_END = 5;

// One step of a 32-bit xorshift generator (a linear feedback shift register);
// the upper 16 bits are the draw.
inline uint32_t draw(uint32_t& state) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state >> 16;
}

[[noreturn]] inline void fail(const char* what, const char* path) {
    std::fprintf(stderr, "lifq_harness: %s: %s\n", what, path);
    std::exit(2);
}

inline uint32_t u32(const std::vector<char>& file, size_t offset) {
    uint32_t value;
    std::memcpy(&value, file.data() + offset, 4);
    return value;
}

inline uint64_t u64(const std::vector<char>& file, size_t offset) {
    uint64_t value;
    std::memcpy(&value, file.data() + offset, 8);
    return value;
}

// The whole stimulus file, checked to start with `magic` and to hold at least
// `header` bytes.
inline std::vector<char> read_stimulus(const char* path, const char magic[8], size_t header) {
    std::FILE* in = std::fopen(path, "rb");
    if (!in) fail("cannot read", path);
    std::vector<char> file;
    char chunk[1 << 16];
    size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, in)) > 0)
        file.insert(file.end(), chunk, chunk + got);
    std::fclose(in);
    if (file.size() < header || std::memcmp(file.data(), magic, 8) != 0)
        fail("not a lifq harness stimulus", path);
    return file;
}

// Holds the model in reset for `cycles` rising edges, its inputs as the caller
// left them.
template <class Top>
void hold_reset(Top& top, uint32_t cycles) {
    top.clk = 0;
    top.rst = 1;
    for (uint32_t r = 0; r < cycles; ++r) {
        top.clk = 0;
        top.eval();
        top.clk = 1;
        top.eval();
    }
    top.rst = 0;
}

// Writes the result file: a header, then blocks of one kind and stream —
// u32 kind << 16 | stream, u32 n, n u64 values.  Updates are kept per stream
// and written in blocks of up to BLOCK values (Python reads a block as an array).
class ResultWriter {
  public:
    static const size_t BLOCK = 65536;
    ResultWriter(const char* path, uint32_t streams) : m_path(path), m_updates(streams) {
        m_file = std::fopen(path, "wb");
        if (!m_file) fail("cannot write", path);
        const uint32_t zero = 0;
        write(RESULTS_MAGIC, 8);
        write(&streams, 4);
        write(&zero, 4);
        for (std::vector<uint64_t>& updates : m_updates) updates.reserve(BLOCK);
    }
    void update(uint32_t stream, uint64_t payload) {
        std::vector<uint64_t>& updates = m_updates[stream];
        updates.push_back(payload);
        if (updates.size() == BLOCK) flush(stream);
    }
    void record(uint32_t kind, uint32_t stream, uint64_t value) { block(kind, stream, &value, 1); }
    void records(uint32_t kind, uint32_t stream, const std::vector<uint64_t>& values) {
        block(kind, stream, values.data(), values.size());
    }
    void flush_updates() {
        for (uint32_t stream = 0; stream < m_updates.size(); ++stream) flush(stream);
    }
    void close() {
        if (std::fclose(m_file) != 0) fail("cannot write", m_path);
    }

  private:
    void write(const void* data, size_t bytes) {
        if (bytes && std::fwrite(data, 1, bytes, m_file) != bytes) fail("cannot write", m_path);
    }
    void block(uint32_t kind, uint32_t stream, const uint64_t* values, uint32_t n) {
        const uint32_t head[2] = {kind << 16 | stream, n};
        write(head, 8);
        write(values, 8 * size_t(n));
    }
    void flush(uint32_t stream) {
        std::vector<uint64_t>& updates = m_updates[stream];
        if (!updates.empty()) block(RECORD_UPDATE, stream, updates.data(), updates.size());
        updates.clear();
    }
    const char* m_path;
    std::FILE* m_file;
    std::vector<std::vector<uint64_t>> m_updates;
};

}  // namespace lifq

#endif
