// vitfpga unit: per-channel requantiser with fused bias, L lanes (one output channel each).
//
//   y = clamp_OUT( rshift_round( (acc + bias) * m, shift ) )
//   rshift_round(v, s) = s == 0 ? v : (v + 2^(s-1)) >>> s      (round half toward +infinity)
//
// exactly as docs/arithmetic.md section 3.1. m is an unsigned 15-bit multiplier (16-bit lane),
// shift is 0..62 (6-bit lane), bias a signed 32-bit lane. Three pipeline stages, one vector
// per cycle: the result for the vector applied in cycle t appears in cycle t + 3.
module vf_requant #(
    parameter integer L        = 4,
    parameter integer ACC_BITS = 32,
    parameter integer OUT_BITS = 8
) (
    input  wire                  clk,
    input  wire [L*ACC_BITS-1:0] acc_in,
    input  wire [L*32-1:0]       bias,
    input  wire [L*16-1:0]       mult,
    input  wire [L*6-1:0]        shift,
    input  wire                  in_valid,
    output wire [L*OUT_BITS-1:0] y_out,
    output reg                   out_valid
);
    localparam integer SW = (ACC_BITS > 32 ? ACC_BITS : 32) + 1;
    // Widths the operands can reach (docs/arithmetic.md 3.1): |(acc + bias) * m| < 2^(PW-1) with
    // PW = SW + 15, so for shift >= PW the rounded shift is 0 (the value plus 2^(s-1) lies in
    // (0, 2^s)), and for shift < PW the rounded sum fits TW = PW + 1 bits. The round, shift and
    // saturate work at TW bits, not 64.
    localparam integer PW = SW + 15;
    localparam integer TW = PW + 1;
    localparam signed [63:0] YMAX64 = (64'sd1 <<< (OUT_BITS - 1)) - 64'sd1;
    localparam signed [63:0] YMIN64 = -(64'sd1 <<< (OUT_BITS - 1));
    localparam signed [TW-1:0] YMAX = YMAX64[TW-1:0];
    localparam signed [TW-1:0] YMIN = YMIN64[TW-1:0];

    reg v1 = 1'b0, v2 = 1'b0;
    initial out_valid = 1'b0;
    always @(posedge clk) begin
        v1 <= in_valid;
        v2 <= v1;
        out_valid <= v2;
    end

    genvar i;
    generate
        for (i = 0; i < L; i = i + 1) begin : g_lane
            wire signed [ACC_BITS-1:0] acc = acc_in[i*ACC_BITS +: ACC_BITS];
            wire signed [31:0]         b   = bias[i*32 +: 32];
            // stage 1: bias add
            reg signed [SW-1:0] sum1 = {SW{1'b0}};
            reg [14:0]          m1 = 15'd0;
            reg [5:0]           s1 = 6'd0;
            // stage 2: multiply
            reg signed [SW+15:0] prod2 = {(SW+16){1'b0}};
            reg [5:0]            s2 = 6'd0;
            // stage 3: round, shift, saturate
            reg [OUT_BITS-1:0]   y3 = {OUT_BITS{1'b0}};

            wire signed [TW-1:0] pw  = prod2;   // TW = SW + 16: the product's own width
            wire                 big = {26'd0, s2} >= PW;
            wire signed [TW-1:0] rc  = (s2 == 6'd0 || big) ? {TW{1'b0}} : ({{(TW-1){1'b0}}, 1'b1} <<< (s2 - 6'd1));
            // The shift on its own line: an unsigned operand of ?: would make >>> logical.
            wire signed [TW-1:0] shr = (pw + rc) >>> s2;
            wire signed [TW-1:0] sh  = big ? {TW{1'b0}} : shr;
            /* verilator lint_off UNUSED */
            wire signed [TW-1:0] sat = (sh > YMAX) ? YMAX : ((sh < YMIN) ? YMIN : sh);
            /* verilator lint_on UNUSED */

            always @(posedge clk) begin
                sum1  <= {{(SW-ACC_BITS){acc[ACC_BITS-1]}}, acc} + {{(SW-32){b[31]}}, b};
                m1    <= mult[i*16 +: 15];
                s1    <= shift[i*6 +: 6];
                prod2 <= sum1 * $signed({1'b0, m1});
                s2    <= s1;
                y3    <= sat[OUT_BITS-1:0];
            end
            assign y_out[i*OUT_BITS +: OUT_BITS] = y3;

            /* verilator lint_off UNUSED */
            wire unused_mult_msb = mult[i*16 + 15];
            /* verilator lint_on UNUSED */
        end
    endgenerate
endmodule
