`timescale 1ps/1ps
// ws_col_pack vs two behavioural columns (../exp/col_ws_copy.v) for w_hi and w_lo.
module tb;
  // a_n: build the vector, then assign it whole (Verilator 5.006 --timing: variable part-select
  // writes to a >64-bit reg in an initial block did not wake the DUT's combinational logic)
  parameter R = 16, NSEG = 7, ACC = 24, N = 20000, EXT = 0, SH = 18, NARROW_HI = 0, FIXMODE = 0;
  reg clk = 0; always #1000 clk = ~clk;
  reg [8*R-1:0] a = 0, a_n = 0; reg [R-1:0] swap = 0; reg w_shift = 0; reg [7:0] w_hi = 0, w_lo = 0;
  wire [ACC-1:0] y_hi, y_lo, r_hi, r_lo;
  ws_col_pack #(.R(R), .NSEG(NSEG), .ACC(ACC), .SH(SH), .FIXMODE(FIXMODE)) dut (.clk(clk), .a(a), .swap(swap), .w_shift(w_shift),
      .w_hi_in(w_hi), .w_lo_in(w_lo), .y_hi(y_hi), .y_lo(y_lo));
  col_ws_copy #(.R(R), .ACC(ACC)) rh (.clk(clk), .a(a), .swap(swap), .w_shift(w_shift), .w_in(w_hi), .y(r_hi));
  col_ws_copy #(.R(R), .ACC(ACC)) rl (.clk(clk), .a(a), .swap(swap), .w_shift(w_shift), .w_in(w_lo), .y(r_lo));
  reg [ACC-1:0] r_hi_d, r_lo_d; always @(posedge clk) begin r_hi_d <= r_hi; r_lo_d <= r_lo; end
  integer cyc, k, errs = 0, checked = 0, ext = 0;
  function [7:0] pick(input integer r, input integer e);
    // e=1: only the extremes (-128 / 127), the worst case for the low field
    if (e == 2) pick = 8'h80;
    else if (e) pick = (r & 1) ? 8'h80 : 8'h7f;
    else case (r % 5) 0: pick = 8'h80; 1: pick = 8'h7f; default: pick = r; endcase
  endfunction
  initial begin
    #(200000); @(negedge clk);
    for (cyc = 0; cyc < N; cyc = cyc + 1) begin
      ext = EXT ? EXT : ((cyc / 500) % 3);   // random, extremes, all -128 phases
      for (k = 0; k < R; k = k + 1) a_n[8*k +: 8] = pick($random, ext);
      a = a_n;
      if (cyc % 200 < R) begin w_shift = 1; swap = 0; end
      else if (cyc % 200 == R) begin w_shift = 0; swap = {R{1'b1}}; end
      else begin w_shift = 0; swap = 0; end
      if (cyc > 400 && ($random & 7) == 0) begin swap = $random; w_shift = $random; end
      w_hi = pick($random, ext); w_lo = pick($random, ext);
      if (NARROW_HI && w_hi == 8'h80) w_hi = 8'h81;
      @(negedge clk);
      if (cyc > 2*R + 6) begin
        checked = checked + 1;
        if (y_hi !== r_hi_d || y_lo !== r_lo_d) begin errs = errs + 1;
          if (errs < 5) $display("cyc %0d hi %0d/%0d lo %0d/%0d", cyc, $signed(y_hi), $signed(r_hi_d), $signed(y_lo), $signed(r_lo_d)); end
      end
    end
    $display("FIXMODE=%0d SH=%0d NARROW_HI=%0d R=%0d NSEG=%0d checked=%0d mismatches=%0d", FIXMODE, SH, NARROW_HI, R, NSEG, checked, errs);
    $finish;
  end
endmodule
