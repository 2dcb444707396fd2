// What lifq's Icarus testbenches share: lifq_harness_tb.sv (a bundle of cores)
// and lifq_network_harness_tb.sv (a network) read a binary stimulus file, draw
// gaps and stalls from the same xorshift32 LFSRs and write the same result file
// format as the Verilator harnesses (lifq_harness_io.h).
//
// Included inside a testbench module, which declares `integer status`,
// `integer stimulus` and `integer results` (the files' handles) and
// `reg [8*4096-1:0] stimulus_path, results_path`.

// One step of a 32-bit xorshift generator (an LFSR) on a 32-bit variable; the
// draw is its upper 16 bits.  A macro, not a task: in Icarus a task call in the
// per-cycle loop costs more than simulating a core for a cycle.
`define LIFQ_XORSHIFT(state) \
  begin \
    state = state ^ (state << 13); \
    state = state ^ (state >> 17); \
    state = state ^ (state << 5); \
  end

localparam [31:0] RECORD_SENT = 1, RECORD_LAST_OUTPUT = 2, RECORD_END = 3,
                  RECORD_SAMPLE_START = 4, RECORD_SAMPLE_END = 5;
localparam [31:0] MAGIC_LIFQ = 32'h5146494C;  // "LIFQ", little-endian

// A little-endian 32-bit word from a file ($fread reads big-endian).
task read_word(input integer file, output reg [31:0] value);
  reg [31:0] raw;
  begin
    status = $fread(raw, file);
    if (status != 4) begin
      $display("lifq_harness: truncated stimulus file");
      $finish_and_return(2);
    end
    value = {raw[7:0], raw[15:8], raw[23:16], raw[31:24]};
  end
endtask

task read_u64(input integer file, output reg [63:0] value);
  reg [31:0] low, high;
  begin
    read_word(file, low);
    read_word(file, high);
    value = {high, low};
  end
endtask

// A stimulus file's 8-byte magic: "LIFQ" then `tail` (e.g. "STM1", little-endian).
task check_magic(input integer file, input [31:0] tail, input reg [8*4096-1:0] path);
  reg [31:0] head, word;
  begin
    read_word(file, head);
    read_word(file, word);
    if (head != MAGIC_LIFQ || word != tail) begin
      $display("lifq_harness: not a lifq harness stimulus: %0s", path);
      $finish_and_return(2);
    end
  end
endtask

// Opens the result file and writes its header (see stream_files.py).
task open_results(input reg [8*4096-1:0] path, input [31:0] streams);
  begin
    results = $fopen(path, "wb");
    if (results == 0) begin
      $display("lifq_harness: cannot write %0s", path);
      $finish_and_return(2);
    end
    $fwrite(results, "%u%u%u%u", MAGIC_LIFQ, 32'h31534552, streams, 32'd0);  // "RES1"
  end
endtask

// A result block of one value.
task record(input [31:0] kind, input [31:0] stream, input [63:0] value);
  $fwrite(results, "%u%u%u", (kind << 16) | stream, 32'd1, value);
endtask

// The +stimulus and +results plusargs read, the stimulus file opened and its
// magic number checked; a usage line and exit status 2 otherwise.
task open_stimulus(input [31:0] magic);
  begin
    if (!$value$plusargs("stimulus=%s", stimulus_path)
        || !$value$plusargs("results=%s", results_path)) begin
      $display("lifq_harness: usage: vvp -n harness.vvp +stimulus=PATH +results=PATH");
      $finish_and_return(2);
    end
    stimulus = $fopen(stimulus_path, "rb");
    if (stimulus == 0) begin
      $display("lifq_harness: cannot read %0s", stimulus_path);
      $finish_and_return(2);
    end
    check_magic(stimulus, magic, stimulus_path);
  end
endtask
