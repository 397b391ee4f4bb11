// vitfpga unit: table lookup (the GELU of docs/arithmetic.md 3.7), L lanes, each with its own copy
// of a 2^IN_BITS-entry table so all lanes read in the same cycle (distributed RAM).
//
//   y = table[x + 2^(IN_BITS-1)]      the index is x with its sign bit inverted
//
// The table is written through tbl_we/tbl_addr/tbl_data (all lanes at once). One register stage:
// the result for the vector applied in cycle t appears in cycle t + 1.
module vf_lut #(
    parameter integer L        = 4,
    parameter integer IN_BITS  = 8,
    parameter integer OUT_BITS = 8
) (
    input  wire                  clk,
    input  wire                  tbl_we,
    input  wire [IN_BITS-1:0]    tbl_addr,
    input  wire [OUT_BITS-1:0]   tbl_data,
    input  wire [L*IN_BITS-1:0]  x_in,
    input  wire                  in_valid,
    output wire [L*OUT_BITS-1:0] y_out,
    output reg                   out_valid
);
    initial out_valid = 1'b0;
    always @(posedge clk) out_valid <= in_valid;

    genvar i;
    generate
        for (i = 0; i < L; i = i + 1) begin : g_lane
            (* ram_style = "distributed" *)
            reg [OUT_BITS-1:0] table_mem [0:(1<<IN_BITS)-1];
            integer j;
            initial for (j = 0; j < (1 << IN_BITS); j = j + 1) table_mem[j] = {OUT_BITS{1'b0}};
            wire [IN_BITS-1:0] x = x_in[i*IN_BITS +: IN_BITS];
            wire [IN_BITS-1:0] idx = {~x[IN_BITS-1], x[IN_BITS-2:0]};
            reg [OUT_BITS-1:0] y = {OUT_BITS{1'b0}};
            always @(posedge clk) begin
                if (tbl_we) table_mem[tbl_addr] <= tbl_data;
                y <= table_mem[idx];
            end
            assign y_out[i*OUT_BITS +: OUT_BITS] = y;
        end
    endgenerate
endmodule
