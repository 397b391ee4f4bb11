// vitfpga leaf cell: floor square root of a 64-bit unsigned value, bit by bit (restoring),
// exactly vitfpga_golden::arith::isqrt. 32 iterations: start in cycle s -> done and root valid
// in cycle s + 33.
module vf_isqrt (
    input  wire        clk,
    input  wire        start,
    input  wire [63:0] v,
    output reg         done,
    output wire [31:0] root
);
    reg [63:0] rem = 64'd0;
    reg [63:0] res = 64'd0;
    reg [63:0] bitv = 64'd0;
    reg [5:0]  cnt = 6'd0;
    wire [63:0] trial = res + bitv;
    wire        take = (rem >= trial);
    initial done = 1'b0;
    always @(posedge clk) begin
        done <= 1'b0;
        if (start) begin
            rem  <= v;
            res  <= 64'd0;
            bitv <= 64'd1 << 62;
            cnt  <= 6'd32;
        end else if (cnt != 6'd0) begin
            if (take) begin
                rem <= rem - trial;
                res <= (res >> 1) + bitv;
            end else begin
                res <= res >> 1;
            end
            bitv <= bitv >> 2;
            cnt  <= cnt - 6'd1;
            done <= (cnt == 6'd1);
        end
    end
    assign root = res[31:0];
    /* verilator lint_off UNUSED */
    wire unused_res_high = ^res[63:32];
    /* verilator lint_on UNUSED */
endmodule
