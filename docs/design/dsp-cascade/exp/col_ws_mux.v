// WS column, two banks selected by a per-row bank bit (today's style, but with DSP-friendly A/M/P regs)
module col_ws_mux #(parameter R=4, parameter ACC=32) (
  input clk, input [8*R-1:0] a, input [R-1:0] bank, input w_shift, input w_bank, input [7:0] w_in, output [ACC-1:0] y);
  wire signed [ACC-1:0] p [0:R];
  wire [7:0] wsh [0:R];
  assign p[0] = 0;
  assign wsh[0] = w_in;
  genvar i;
  generate for (i=0;i<R;i=i+1) begin : pe
    reg signed [7:0] ar, w0, w1, br;
    reg signed [15:0] m;
    reg signed [ACC-1:0] q;
    always @(posedge clk) begin
      if (w_shift & ~w_bank) w0 <= wsh[i];
      if (w_shift &  w_bank) w1 <= wsh[i];
      ar <= a[8*i+:8];
      br <= bank[i] ? w1 : w0;
      m <= ar * br;
      q <= p[i] + m;
    end
    assign wsh[i+1] = w_bank ? w1 : w0;
    assign p[i+1] = q;
  end endgenerate
  assign y = p[R];
endmodule
