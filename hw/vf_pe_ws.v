// vitfpga leaf cell: weight-stationary processing element with two weight banks.
//
// The activation travels right with its valid bit and the bank tag of the weights it must meet,
// so a new weight tile can be shifted into one bank while activations tagged with the other bank
// are still in flight (double buffering without a global swap). Partial sums travel down.
// W_BITS == 1 means binary weights: bit 1 is +1, bit 0 is -1 (add/subtract, no multiplier).
// ACC_BITS must exceed A_BITS + W_BITS.
module vf_pe_ws #(
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
    input  wire signed [ACC_BITS-1:0] p_in,
    output reg  signed [ACC_BITS-1:0] p_out,
    input  wire                       w_shift,
    input  wire                       w_bank,
    input  wire [W_BITS-1:0]          w_in,
    output wire [W_BITS-1:0]          w_out
);
    reg [W_BITS-1:0] w0 = {W_BITS{1'b0}};
    reg [W_BITS-1:0] w1 = {W_BITS{1'b0}};
    wire [W_BITS-1:0] w = bank_in ? w1 : w0;
    assign w_out = w_bank ? w1 : w0;

    wire signed [ACC_BITS-1:0] term;
    generate
        if (W_BITS == 1) begin : g_binary
            wire signed [ACC_BITS-1:0] a_ext = {{(ACC_BITS-A_BITS){a_in[A_BITS-1]}}, a_in};
            assign term = w[0] ? a_ext : -a_ext;
        end else begin : g_multiply
            wire signed [A_BITS+W_BITS-1:0] prod = a_in * $signed(w);
            assign term = {{(ACC_BITS-A_BITS-W_BITS){prod[A_BITS+W_BITS-1]}}, prod};
        end
    endgenerate

    initial begin
        a_out = {A_BITS{1'b0}};
        v_out = 1'b0;
        bank_out = 1'b0;
        p_out = {ACC_BITS{1'b0}};
    end

    always @(posedge clk) begin
        a_out    <= a_in;
        v_out    <= v_in;
        bank_out <= bank_in;
        p_out    <= p_in + term;
        if (w_shift) begin
            if (w_bank) w1 <= w_in;
            else        w0 <= w_in;
        end
    end
endmodule
