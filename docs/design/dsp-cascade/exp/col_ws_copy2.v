// WS column, double buffer as shadow (B1-like, shift chain down the column) + active (B2-like, copied on swap)
module col_ws_copy2 #(parameter R=4, parameter ACC=32) (
  input clk, input [8*R-1:0] a, input [R-1:0] swap, input [R-1:0] ld, input [7:0] w_in, output [ACC-1:0] y);
  wire signed [ACC-1:0] p [0:R];
  wire [7:0] wsh [0:R];
  assign p[0] = 0;
  assign wsh[0] = w_in;
  genvar i;
  generate for (i=0;i<R;i=i+1) begin : pe
    reg signed [7:0] ar, b1, b2;
    reg signed [15:0] m;
    reg signed [ACC-1:0] q;
    always @(posedge clk) begin
      if (ld[i]) b1 <= w_in;
      if (swap[i]) b2 <= b1;
      ar <= a[8*i+:8];
      m <= ar * b2;
      q <= p[i] + m;
    end
    assign wsh[i+1] = b1;
    assign p[i+1] = q;
  end endgenerate
  assign y = p[R];
endmodule
