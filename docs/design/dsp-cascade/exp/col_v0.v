// V0: today's style: per PE p_out <= p_in + a*w (mult combinational, only P registered)
module col_v0 #(parameter R=4, parameter ACC=32) (
  input clk, input [8*R-1:0] a, input [8*R-1:0] w, output [ACC-1:0] y);
  wire signed [ACC-1:0] p [0:R];
  assign p[0] = 0;
  genvar i;
  generate for (i=0;i<R;i=i+1) begin : pe
    reg signed [ACC-1:0] q;
    always @(posedge clk) q <= p[i] + $signed(a[8*i+:8]) * $signed(w[8*i+:8]);
    assign p[i+1] = q;
  end endgenerate
  assign y = p[R];
endmodule
