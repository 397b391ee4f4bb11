// vitfpga leaf cell: two weight-stationary PEs (columns 2g and 2g+1) sharing one DSP48E2.
//
// Both columns multiply the same activation a. The two weights are packed into one 27-bit
// operand wp = (w_hi << 18) + sign_extend(w_lo) when they are loaded, so one 27x18 multiply gives
// p = a*w_hi*2^18 + a*w_lo (Xilinx WP486). With |a*w_lo| <= 2^14 the low product is exactly the
// signed 18-bit field p[17:0], and a*w_hi = (p >>> 18) + p[17] (undoing the borrow a negative low
// product takes from the high field). Exact for all A_BITS, W_BITS in 2..8.
module vf_pe_ws_pair #(
    parameter integer A_BITS   = 8,
    parameter integer W_BITS   = 8,
    parameter integer ACC_BITS = 32
) (
    input  wire                       clk,
    input  wire signed [A_BITS-1:0]   a_in,
    input  wire                       v_in,
    input  wire                       bank_in,
    output reg  signed [A_BITS-1:0]   a_out,
    output reg                        v_out,
    output reg                        bank_out,
    input  wire signed [ACC_BITS-1:0] p_hi_in,
    input  wire signed [ACC_BITS-1:0] p_lo_in,
    output reg  signed [ACC_BITS-1:0] p_hi_out,
    output reg  signed [ACC_BITS-1:0] p_lo_out,
    input  wire                       w_shift,
    input  wire                       w_bank,
    input  wire [W_BITS-1:0]          w_hi_in,
    input  wire [W_BITS-1:0]          w_lo_in,
    output wire [W_BITS-1:0]          w_hi_out,
    output wire [W_BITS-1:0]          w_lo_out
);
    // Raw weights (for the shift chain) and the packed operand, per bank.
    reg [W_BITS-1:0] hi0 = {W_BITS{1'b0}}, lo0 = {W_BITS{1'b0}};
    reg [W_BITS-1:0] hi1 = {W_BITS{1'b0}}, lo1 = {W_BITS{1'b0}};
    reg signed [26:0] wp0 = 27'sd0, wp1 = 27'sd0;
    assign w_hi_out = w_bank ? hi1 : hi0;
    assign w_lo_out = w_bank ? lo1 : lo0;

    wire signed [26:0] hi_ext = {{(27-W_BITS){w_hi_in[W_BITS-1]}}, w_hi_in};
    wire signed [26:0] lo_ext = {{(27-W_BITS){w_lo_in[W_BITS-1]}}, w_lo_in};
    wire signed [26:0] wp_new = (hi_ext <<< 18) + lo_ext;

    wire signed [26:0] wp = bank_in ? wp1 : wp0;
    wire signed [17:0] a_ext = {{(18-A_BITS){a_in[A_BITS-1]}}, a_in};
    /* verilator lint_off UNUSED */
    // Only the fields holding the two products are read; the rest is sign extension.
    wire signed [44:0] p = wp * a_ext;
    wire [17:0] hi_field = p[35:18] + {17'd0, p[17]};
    /* verilator lint_on UNUSED */
    // Both products fit A_BITS + W_BITS signed bits.
    localparam integer PB = A_BITS + W_BITS;
    wire signed [PB-1:0] lo = p[PB-1:0];
    wire signed [PB-1:0] hi = hi_field[PB-1:0];

    initial begin
        a_out = {A_BITS{1'b0}};
        v_out = 1'b0;
        bank_out = 1'b0;
        p_hi_out = {ACC_BITS{1'b0}};
        p_lo_out = {ACC_BITS{1'b0}};
    end

    always @(posedge clk) begin
        a_out    <= a_in;
        v_out    <= v_in;
        bank_out <= bank_in;
        p_hi_out <= p_hi_in + {{(ACC_BITS-PB){hi[PB-1]}}, hi};
        p_lo_out <= p_lo_in + {{(ACC_BITS-PB){lo[PB-1]}}, lo};
        if (w_shift) begin
            if (w_bank) begin hi1 <= w_hi_in; lo1 <= w_lo_in; wp1 <= wp_new; end
            else        begin hi0 <= w_hi_in; lo0 <= w_lo_in; wp0 <= wp_new; end
        end
    end
endmodule
