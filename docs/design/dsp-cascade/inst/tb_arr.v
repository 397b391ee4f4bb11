`timescale 1ps/1ps
// ws_array_dsp vs vitfpga's vf_systolic (PACK=0) under the load-then-switch protocol.
module tb;
  parameter R = 4, C = 4, ACC = 32, TILES = 60;
  reg clk = 0; always #1000 clk = ~clk;
  reg [R*8-1:0] a_in = 0; reg a_valid = 0, a_bank = 0, w_shift = 0, w_bank = 0; reg [C*8-1:0] w_in = 0;
  wire [C*ACC-1:0] y_b, y_d; wire v_b, v_d;
  vf_systolic  #(.R(R), .C(C), .ACC_BITS(ACC)) base (.clk(clk), .a_in(a_in), .a_valid(a_valid), .a_bank(a_bank),
      .w_shift(w_shift), .w_bank(w_bank), .w_in(w_in), .y_out(y_b), .y_valid(v_b));
  ws_array_dsp #(.R(R), .C(C), .ACC_BITS(ACC)) dut  (.clk(clk), .a_in(a_in), .a_valid(a_valid), .a_bank(a_bank),
      .w_shift(w_shift), .w_bank(w_bank), .w_in(w_in), .y_out(y_d), .y_valid(v_d));
  // queue of base results (valid ones), compared in order with the dsp's valid results
  reg [C*ACC-1:0] q [0:65535]; integer wr = 0, rd = 0, errs = 0, k, t, m, bank;
  always @(posedge clk) begin
    if (v_b) begin q[wr] = y_b; wr = wr + 1; end
    if (v_d) begin
      if (rd >= wr || q[rd] !== y_d) begin errs = errs + 1; if (errs < 5) $display("mismatch #%0d dsp=%h base=%h", rd, y_d, q[rd]); end
      rd = rd + 1;
    end
  end
  function [7:0] pick(input integer r);
    case (r % 6) 0: pick = 8'h80; 1: pick = 8'h7f; default: pick = $random; endcase
  endfunction
  task vec(input b, input integer prob); begin
    a_valid = ($random % 100 + 100) % 100 < prob; a_bank = b;
    for (k = 0; k < R; k = k + 1) a_in[8*k +: 8] = pick($random & 255);
  end endtask
  initial begin
    #(200000); @(negedge clk);
    bank = 0;
    for (t = 0; t < TILES; t = t + 1) begin
      // load tile for `bank` while (t > 0) streaming vectors of the other bank
      for (m = 0; m < R; m = m + 1) begin
        w_shift = 1; w_bank = bank; for (k = 0; k < C; k = k + 1) w_in[8*k +: 8] = pick($random & 255);
        if (t > 0) vec(!bank, 70); else a_valid = 0;
        @(negedge clk);
      end
      w_shift = 0;
      // stream this tile: first vector valid, then random; keep >= R+C cycles before the next load
      vec(bank, 100); @(negedge clk);
      for (m = 0; m < R + C + ($random & 15); m = m + 1) begin vec(bank, 70); @(negedge clk); end
      bank = !bank;
    end
    a_valid = 0; repeat (3*(R + C) + 8) @(negedge clk);
    $display("R=%0d C=%0d vectors compared=%0d (base produced %0d) mismatches=%0d", R, C, rd, wr, errs);
    $finish;
  end
endmodule
