// V1: fully registered DSP style: A reg, B reg, M reg, P <= M + P_prev (adder chain order: prev + product)
module col_v1b #(parameter R=4, parameter ACC=32) (
  input clk, input [8*R-1:0] a, input [8*R-1:0] w, output [ACC-1:0] y);
  wire signed [ACC-1:0] p [0:R];
  assign p[0] = 0;
  genvar i;
  generate for (i=0;i<R;i=i+1) begin : pe
    reg signed [7:0] ar, br;
    reg signed [15:0] m;
    reg signed [ACC-1:0] q;
    always @(posedge clk) begin
      ar <= a[8*i+:8]; br <= w[8*i+:8];
      m <= ar * br;
      q <= m + p[i];
    end
    assign p[i+1] = q;
  end endgenerate
  assign y = p[R];
endmodule
