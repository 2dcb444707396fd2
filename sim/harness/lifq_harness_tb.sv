// lifq's file-driven testbench for Icarus Verilog: streams currents from a
// binary stimulus file into every core of a bundle and writes every update
// it gets back to a binary result file.  Python (lifq.sim.harness) writes the
// stimulus, compiles this file with the generated top `lifq_harness_top`,
// and compares the result with the golden model.
//
// Cycle for cycle it does what lifq_harness.cpp (the Verilator harness)
// does: the same xorshift32 LFSRs decide input gaps and output stalls, drawn
// in the same order, so one seed replays the same run on both simulators.
//
// Build: iverilog -g2012 -P lifq_harness_tb.SLOTS=S (the top's slots, see top.py)
// Run: vvp -n harness.vvp +stimulus=PATH +results=PATH
// (formats: lifq/sim/harness/stream_files.py; the file is little-endian)

`timescale 1ns/1ps

module lifq_harness_tb;
  parameter SLOTS = 64;  // cores the data buses of lifq_harness_top hold
  localparam MAX_CORES = 64;

  reg clk = 0, rst = 1;
  reg [63:0] cur_valid = 0, upd_ready = 0;
  reg [SLOTS*32-1:0] cur_data = 0;
  wire [63:0] cur_ready, upd_valid;
  wire [SLOTS*64-1:0] upd_data;

  lifq_harness_top dut(.clk(clk), .rst(rst), .cur_valid(cur_valid), .cur_ready(cur_ready),
                       .cur_data(cur_data), .upd_valid(upd_valid), .upd_ready(upd_ready),
                       .upd_data(upd_data));

  integer stimulus, results, source [0:MAX_CORES-1];
  reg [63:0] count [0:MAX_CORES-1], sent [0:MAX_CORES-1], received [0:MAX_CORES-1];
  reg [63:0] last_output [0:MAX_CORES-1];
  reg [31:0] gap_state [0:MAX_CORES-1], stall_state [0:MAX_CORES-1];
  reg [31:0] gap_threshold [0:MAX_CORES-1], stall_threshold [0:MAX_CORES-1];
  reg offering [0:MAX_CORES-1];
  reg [31:0] cores, reset_cycles, stall_window, drain_cycles, pending, word;
  reg [63:0] offset, cycle, last_progress, drained, taken, delivered;
  reg hung, done;
  reg [8*4096-1:0] stimulus_path, results_path;
  integer i, status;

  `include "lifq_harness_io.svh"

  reg [31:0] state;
  initial begin
    open_stimulus(32'h314D5453);  // "STM1"
    read_word(stimulus, cores);
    read_word(stimulus, reset_cycles);
    read_word(stimulus, stall_window);
    read_word(stimulus, drain_cycles);
    if (cores < 1 || cores > SLOTS) begin
      $display("lifq_harness: bad core count %0d", cores);
      $finish_and_return(2);
    end
    pending = 0;
    for (i = 0; i < cores; i = i + 1) begin
      read_u64(stimulus, count[i]);
      read_u64(stimulus, offset);
      read_word(stimulus, gap_state[i]);
      read_word(stimulus, stall_state[i]);
      read_word(stimulus, gap_threshold[i]);
      read_word(stimulus, stall_threshold[i]);
      // Each core reads its own currents through its own handle.
      source[i] = $fopen(stimulus_path, "rb");
      status = $fseek(source[i], offset, 0);
      sent[i] = 0;
      received[i] = 0;
      last_output[i] = 0;
      offering[i] = 0;
      if (count[i] > 0) pending = pending + 1;
    end
    open_results(results_path, cores);

    repeat (reset_cycles) begin
      #5 clk = 1;
      #5 clk = 0;
    end
    rst = 0;

    cycle = 0;
    last_progress = 0;
    drained = 0;
    hung = 0;
    done = 0;
    while (!done) begin
      // Inputs of this cycle: a new current where the source is free and not
      // pausing; ready where the sink is not stalling.
      for (i = 0; i < cores; i = i + 1) begin
        if (!offering[i] && sent[i] < count[i]) begin
          state = gap_state[i];
          `LIFQ_XORSHIFT(state)
          gap_state[i] = state;
          if (state[31:16] >= gap_threshold[i]) begin
            offering[i] = 1;
            status = $fread(word, source[i]);
            cur_data[32*i +: 32] = {word[7:0], word[15:8], word[23:16], word[31:24]};
          end
        end
        cur_valid[i] = offering[i];
        state = stall_state[i];
        `LIFQ_XORSHIFT(state)
        stall_state[i] = state;
        upd_ready[i] = state[31:16] >= stall_threshold[i];
      end
      #5;
      // Transfers happen at the coming rising edge.
      taken = cur_valid & cur_ready;
      delivered = upd_valid & upd_ready;
      for (i = 0; i < cores; i = i + 1) begin
        if (delivered[i]) begin
          // One block of one update (kind 0): a single 128-bit %u costs Icarus
          // less than three words.
          $fwrite(results, "%u", {upd_data[64*i +: 64], 32'd1, 16'd0, i[15:0]});
          received[i] = received[i] + 1;
          if (received[i] == count[i]) pending = pending - 1;
          last_output[i] = cycle;
        end
        if (taken[i]) begin
          sent[i] = sent[i] + 1;
          offering[i] = 0;
        end
      end
      clk = 1;
      #5 clk = 0;
      if (taken | delivered) last_progress = cycle;
      cycle = cycle + 1;
      // Once every update has come, keep going a while: anything more is extra.
      if (pending == 0) begin
        drained = drained + 1;
        if (drained > drain_cycles) done = 1;
      end
      if (!done && cycle - last_progress > stall_window) begin
        hung = pending != 0;
        done = 1;
      end
    end
    for (i = 0; i < cores; i = i + 1) begin
      record(RECORD_SENT, i, sent[i]);
      record(RECORD_LAST_OUTPUT, i, last_output[i]);
    end
    record(RECORD_END, hung, cycle);
    $fclose(results);
    $finish;
  end
endmodule
