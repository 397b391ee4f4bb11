// vitfpga unit: on-chip buffer, simple dual port (one write, one read), registered read.
// Written in the template Vivado and Yosys infer as block RAM; the generator rewrites the ram_style
// attribute for UltraRAM ("ultra") or LUTRAM ("distributed").
// the read data appears in the cycle after the read address.
module vf_buffer #(
    parameter integer WIDTH = 64,
    parameter integer DEPTH = 1024,
    parameter integer ADDR  = 10
) (
    input  wire             clk,
    input  wire             we,
    input  wire [ADDR-1:0]  waddr,
    input  wire [WIDTH-1:0] wdata,
    input  wire             re,
    input  wire [ADDR-1:0]  raddr,
    output reg  [WIDTH-1:0] rdata
);
    (* ram_style = "block" *)
    reg [WIDTH-1:0] mem [0:DEPTH-1];
    integer j;
    initial begin
        for (j = 0; j < DEPTH; j = j + 1) mem[j] = {WIDTH{1'b0}};
        rdata = {WIDTH{1'b0}};
    end
    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
        if (re) rdata <= mem[raddr];
    end
endmodule
