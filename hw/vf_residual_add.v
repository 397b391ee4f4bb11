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
    // Widths the operands can reach (docs/arithmetic.md 3.8): |a*ma + b*mb| < 2^(PW-1) with
    // PW = max(A_BITS, B_BITS) + 16, so for shift >= PW the rounded shift is 0 (the value plus
    // 2^(s-1) lies in (0, 2^s)), and for shift < PW the rounded sum fits TW = PW + 1 bits. The
    // round, shift and saturate work at TW bits, not 64.
    localparam integer AB = (A_BITS > B_BITS) ? A_BITS : B_BITS;
    localparam integer PW = AB + 16;
    localparam integer TW = PW + 1;
    localparam signed [63:0] YMAX64 = (64'sd1 <<< (OUT_BITS - 1)) - 64'sd1;
    localparam signed [63:0] YMIN64 = -(64'sd1 <<< (OUT_BITS - 1));
    localparam signed [TW-1:0] YMAX = YMAX64[TW-1:0];
    localparam signed [TW-1:0] YMIN = YMIN64[TW-1:0];

    reg v1 = 1'b0;
    reg [5:0] s1 = 6'd0;
    initial out_valid = 1'b0;
    always @(posedge clk) begin
        v1 <= in_valid;
        s1 <= shift;
        out_valid <= v1;
    end
    wire big = {26'd0, s1} >= PW;
    wire signed [TW-1:0] rc = (s1 == 6'd0 || big) ? {TW{1'b0}} : ({{(TW-1){1'b0}}, 1'b1} <<< (s1 - 6'd1));

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
            wire signed [TW-1:0] sum = {{(TW-A_BITS-16){pa[A_BITS+15]}}, pa} + {{(TW-B_BITS-16){pb[B_BITS+15]}}, pb};
            // The shift on its own line: an unsigned operand of ?: would make >>> logical.
            wire signed [TW-1:0] shr = (sum + rc) >>> s1;
            wire signed [TW-1:0] sh  = big ? {TW{1'b0}} : shr;
            /* verilator lint_off UNUSED */
            wire signed [TW-1:0] sat = (sh > YMAX) ? YMAX : ((sh < YMIN) ? YMIN : sh);
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
