// vitfpga unit: one copy of a buffer bank: one write port with lane (byte) enables, one read
// port, registered read (read-first). Written in the byte-enable template Vivado and Yosys map to
// block RAM write enables; a read-modify-write mask would cost a second read port per writer.
module vf_bank #(
    parameter integer LANES = 4,
    parameter integer LW    = 8,
    parameter integer DEPTH = 1024,
    parameter integer AW    = 10
) (
    input  wire                clk,
    input  wire                we,
    input  wire [AW-1:0]       waddr,
    input  wire [LANES*LW-1:0] wdata,
    input  wire [LANES-1:0]    wen,
    input  wire                re,
    input  wire [AW-1:0]       raddr,
    output reg  [LANES*LW-1:0] rdata = {LANES*LW{1'b0}}
);
    reg [LANES*LW-1:0] mem [0:DEPTH-1];
    integer l;
    always @(posedge clk) begin
        for (l = 0; l < LANES; l = l + 1)
            if (we && wen[l]) mem[waddr][l*LW +: LW] <= wdata[l*LW +: LW];
        if (re) rdata <= mem[raddr];
    end
endmodule
