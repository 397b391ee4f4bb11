`timescale 1ps/1ps
module tb;
  // a_n: build the vector, then assign it whole (Verilator 5.006 --timing: variable part-select
  // writes to a >64-bit reg in an initial block did not wake the DUT's combinational logic)
  parameter R = 4, ACC = 32, N = 20000;
  reg clk = 0; always #1000 clk = ~clk;
  reg [8*R-1:0] a = 0, a_n = 0; reg [R-1:0] swap = 0; reg w_shift = 0; reg [7:0] w_in = 0;
  wire [ACC-1:0] y_dsp, y_ref;
  ws_col_dsp  #(.R(R), .ACC(ACC)) dut (.clk(clk), .a(a), .swap(swap), .w_shift(w_shift), .w_in(w_in), .y(y_dsp));
  col_ws_copy #(.R(R), .ACC(ACC)) refm (.clk(clk), .a(a), .swap(swap), .w_shift(w_shift), .w_in(w_in), .y(y_ref));
  integer cyc = 0, errs = 0, checked = 0, k;
  function [7:0] pick(input integer r); // bias toward extremes
    case (r % 5) 0: pick = 8'h80; 1: pick = 8'h7f; default: pick = $random; endcase
  endfunction
  initial begin
    #(200000);                    // glbl GSR ends at 100 ns
    @(negedge clk);
    for (cyc = 0; cyc < N; cyc = cyc + 1) begin
      for (k = 0; k < R; k = k + 1) a_n[8*k +: 8] = pick($random & 255);
      a = a_n;
      if (cyc < R) begin w_shift = 1; swap = 0; end
      else if (cyc == R) begin w_shift = 0; swap = {R{1'b1}}; end
      else begin w_shift = ($random & 3) == 0; swap = $random & $random; end
      w_in = pick($random & 255);
      @(negedge clk);
      if (cyc == 3000) $display("sample y_dsp=%0d y_ref=%0d", $signed(y_dsp), $signed(y_ref));
      if (cyc > 2*R + 4) begin
        checked = checked + 1;
        if (y_dsp !== y_ref) begin errs = errs + 1; if (errs < 5) $display("cyc %0d dsp=%h ref=%h", cyc, y_dsp, y_ref); end
      end
    end
    $display("R=%0d checked=%0d mismatches=%0d", R, checked, errs);
    $finish;
  end
endmodule
