// vitfpga unit: residual add with rescale, L lanes, one rounding:
//
//   y = clamp_OUT( rshift_round( a*ma + b*mb, shift ) )          (docs/arithmetic.md 3.8)
//
// ma, mb are unsigned 15-bit (16-bit ports), shift 0..62. Two pipeline stages: the result for the
// vector applied in cycle t appears in cycle t + 2.
module vf_residual_add #(
    parameter integer L        = 4,
    parameter integer A_BITS   = 8,
    parameter integer B_BITS   = 8,
    parameter integer OUT_BITS = 8
) (
    input  wire                  clk,
    input  wire [L*A_BITS-1:0]   a_in,
    input  wire [L*B_BITS-1:0]   b_in,
    input  wire [15:0]           ma,
    input  wire [15:0]           mb,
    input  wire [5:0]            shift,
    input  wire                  in_valid,
    output wire [L*OUT_BITS-1:0] y_out,
    output reg                   out_valid
);
    localparam signed [63:0] YMAX = (64'sd1 <<< (OUT_BITS - 1)) - 64'sd1;
    localparam signed [63:0] YMIN = -(64'sd1 <<< (OUT_BITS - 1));

    reg v1 = 1'b0;
    reg [5:0] s1 = 6'd0;
    initial out_valid = 1'b0;
    always @(posedge clk) begin
        v1 <= in_valid;
        s1 <= shift;
        out_valid <= v1;
    end
    wire signed [63:0] rc = (s1 == 6'd0) ? 64'sd0 : (64'sd1 <<< (s1 - 6'd1));

    /* verilator lint_off UNUSED */
    wire unused_msbs = ma[15] ^ mb[15];
    /* verilator lint_on UNUSED */

    genvar i;
    generate
        for (i = 0; i < L; i = i + 1) begin : g_lane
            wire signed [A_BITS-1:0] a = a_in[i*A_BITS +: A_BITS];
            wire signed [B_BITS-1:0] b = b_in[i*B_BITS +: B_BITS];
            reg signed [A_BITS+15:0] pa = {(A_BITS+16){1'b0}};
            reg signed [B_BITS+15:0] pb = {(B_BITS+16){1'b0}};
            reg [OUT_BITS-1:0]       y = {OUT_BITS{1'b0}};
            wire signed [63:0] sum = {{(48-A_BITS){pa[A_BITS+15]}}, pa} + {{(48-B_BITS){pb[B_BITS+15]}}, pb};
            wire signed [63:0] sh  = (sum + rc) >>> s1;
            /* verilator lint_off UNUSED */
            wire signed [63:0] sat = (sh > YMAX) ? YMAX : ((sh < YMIN) ? YMIN : sh);
            /* verilator lint_on UNUSED */
            always @(posedge clk) begin
                pa <= a * $signed({1'b0, ma[14:0]});
                pb <= b * $signed({1'b0, mb[14:0]});
                y  <= sat[OUT_BITS-1:0];
            end
            assign y_out[i*OUT_BITS +: OUT_BITS] = y;
        end
    endgenerate
endmodule
