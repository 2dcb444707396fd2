// lifq's file-driven testbench of a network for Icarus Verilog: sends the
// input events of every sample from a binary stimulus file (a clear between
// two samples), takes the output layer's events and the update streams, and
// writes every transfer to a binary result file.  Python
// (lifq.sim.harness.network_run) writes the stimulus, compiles this file with
// the generated top `lifq_network_top`, and compares the result with the
// golden network.
//
// Cycle for cycle it does what lifq_network_harness.cpp (the Verilator
// harness) does, so one seed replays the same run on both simulators.
//
// Build: iverilog -g2012 -P lifq_network_harness_tb.SLOTS=S (see network_top.py)
// Run: vvp -n harness.vvp +stimulus=PATH +results=PATH
// (formats and the cycle protocol: lifq/sim/harness/event_files.py)

`timescale 1ns/1ps

module lifq_network_harness_tb;
  parameter SLOTS = 64;  // streams the data bus of lifq_network_top holds
  localparam MAX_STREAMS = 64;

  reg clk = 0, rst = 1, clear = 0, in_valid = 0, in_end = 0;
  reg [31:0] in_data = 0;
  reg [63:0] out_ready = 0;
  wire in_ready;
  wire [63:0] out_valid;
  wire [SLOTS*64-1:0] out_data;

  lifq_network_top dut(.clk(clk), .rst(rst), .clear(clear), .in_valid(in_valid),
                       .in_ready(in_ready), .in_data(in_data), .in_end(in_end),
                       .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data));

  integer stimulus, results, status, i;
  reg [31:0] streams, reset_cycles, stall_window, drain_cycles, samples, steps;
  reg [31:0] gap_state, gap_threshold, end_bit, word, state, left, sample, step;
  reg [31:0] stall_state [0:MAX_STREAMS-1], stall_threshold [0:MAX_STREAMS-1];
  reg [63:0] per_step [0:MAX_STREAMS-1], received [0:MAX_STREAMS-1];
  reg [63:0] last_output [0:MAX_STREAMS-1];
  reg [63:0] words, cycle, last_progress, drained, sent, delivered, payload, due;
  reg [63:0] ended;  // samples whose outputs have all arrived
  reg counted, offering, started, waiting, hung, done, taken, complete;
  reg [8*4096-1:0] stimulus_path, results_path;

  `include "lifq_harness_io.svh"

  // Whether the outputs of samples 0 … count − 1 have all arrived.
  task check_arrived(input [63:0] count);
    integer s;
    begin
      due = count * steps;
      complete = 1;
      for (s = 0; s < streams; s = s + 1)
        if (per_step[s] != 0 ? received[s] < due * per_step[s] : received[s] < due)
          complete = 0;
    end
  endtask

  initial begin
    open_stimulus(32'h3154454E);  // "NET1"
    read_word(stimulus, streams);
    read_word(stimulus, reset_cycles);
    read_word(stimulus, stall_window);
    read_word(stimulus, drain_cycles);
    read_word(stimulus, samples);
    read_word(stimulus, steps);
    read_word(stimulus, gap_state);
    read_word(stimulus, gap_threshold);
    read_word(stimulus, end_bit);
    read_word(stimulus, word);
    read_u64(stimulus, words);
    if (streams < 1 || streams > SLOTS || end_bit > 63 || steps < 1) begin
      $display("lifq_harness: bad header in %0s", stimulus_path);
      $finish_and_return(2);
    end
    for (i = 0; i < streams; i = i + 1) begin
      read_word(stimulus, stall_state[i]);
      read_word(stimulus, stall_threshold[i]);
      read_word(stimulus, word);
      per_step[i] = word;
      read_word(stimulus, word);
      received[i] = 0;
      last_output[i] = 0;
    end
    // The stimulus handle now stands at the beats.
    open_results(results_path, streams);

    repeat (reset_cycles) begin
      #5 clk = 1;
      #5 clk = 0;
    end
    rst = 0;

    cycle = 0;
    last_progress = 0;
    drained = 0;
    sent = 0;
    ended = 0;
    sample = 0;
    step = 0;
    counted = 0;
    offering = 0;
    started = 0;
    waiting = 0;
    hung = 0;
    done = 0;
    while (!done) begin
      // Inputs of this cycle: the clear between two samples, or a beat where the
      // source is free and not pausing; ready where a sink is not stalling.
      clear = 0;
      if (waiting) begin
        if (ended == sample) begin
          clear = 1;
          waiting = 0;
        end
      end else if (!offering && sample < samples) begin
        `LIFQ_XORSHIFT(gap_state)
        if (gap_state[31:16] >= gap_threshold) begin
          // The next beat: the step's event count first, then its events, then the marker.
          if (!counted) begin
            read_word(stimulus, left);
            counted = 1;
          end
          if (left > 0) begin
            read_word(stimulus, in_data);
            in_end = 0;
            left = left - 1;
          end else begin
            in_data = 0;
            in_end = 1;
            counted = 0;
          end
          offering = 1;
        end
      end
      in_valid = offering;
      for (i = 0; i < streams; i = i + 1) begin
        state = stall_state[i];
        `LIFQ_XORSHIFT(state)
        stall_state[i] = state;
        out_ready[i] = state[31:16] >= stall_threshold[i];
      end
      #5;
      // Transfers happen at the coming rising edge.
      taken = offering && in_ready;
      delivered = out_valid & out_ready;
      for (i = 0; i < streams; i = i + 1) begin
        if (delivered[i]) begin
          payload = out_data[64*i +: 64];
          // One block of one update (kind 0), as the core testbench writes it.
          $fwrite(results, "%u", {payload, 32'd1, 16'd0, i[15:0]});
          if (per_step[i] != 0) received[i] = received[i] + 1;
          else if (payload[end_bit]) received[i] = received[i] + 1;
          last_output[i] = cycle;
        end
      end
      if (taken) begin
        sent = sent + 1;
        offering = 0;
        if (!started) begin
          record(RECORD_SAMPLE_START, 0, cycle);
          started = 1;
        end
        if (in_end) begin
          step = step + 1;
          if (step == steps) begin
            step = 0;
            started = 0;
            sample = sample + 1;
            waiting = sample < samples;
          end
        end
      end
      if (taken || delivered != 0) begin
        check_arrived(ended + 1);
        while (ended < sample && complete) begin
          record(RECORD_SAMPLE_END, 0, cycle);
          ended = ended + 1;
          check_arrived(ended + 1);
        end
      end
      clk = 1;
      #5 clk = 0;
      if (taken || delivered || clear) last_progress = cycle;
      cycle = cycle + 1;
      // Once every output has come, keep going a while: anything more is extra.
      if (ended == samples) begin
        drained = drained + 1;
        if (drained > drain_cycles) done = 1;
      end
      if (!done && cycle - last_progress > stall_window) begin
        hung = ended < samples;
        done = 1;
      end
    end
    record(RECORD_SENT, 0, sent);
    for (i = 0; i < streams; i = i + 1) record(RECORD_LAST_OUTPUT, i, last_output[i]);
    record(RECORD_END, hung, cycle);
    $fclose(results);
    $finish;
  end
endmodule
